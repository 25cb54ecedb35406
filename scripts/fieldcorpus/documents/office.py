"""Office documents -> units: DOCX (python-docx), ODT (odfpy), RTF (striprtf), XLSX (openpyxl).

Word and ODT text includes tracked insertions (never deletions), headers and footers once each,
and comments (their text only: a comment's author is a name)."""

from __future__ import annotations

import datetime as dt
import re
from importlib import metadata

from fieldcorpus.documents.common import (
    UnitList,
    clean_block,
    clean_cell,
    clean_line,
    open_binary,
    read_bytes,
)
from fieldcorpus.errors import FieldcorpusError

_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_HEADING_STYLE = re.compile(r"^(heading \d|title|subtitle)$", re.IGNORECASE)


# --- DOCX -----------------------------------------------------------------------------------


def _docx_paragraph_text(paragraph) -> str:
    """Every run's text, tracked insertions included, deletions and alternate content left out."""
    from docx.oxml.ns import qn

    pieces = []
    skip = {qn("w:del"), qn("w:delText"), qn("w:instrText"), _MC_FALLBACK}
    stack = [paragraph._p]
    while stack:
        element = stack.pop()
        if element.tag in skip:
            continue
        if element.tag == qn("w:t"):
            pieces.append(element.text or "")
        elif element.tag in (qn("w:tab"),) and element.getparent().tag == qn("w:r"):
            pieces.append(" ")
        elif element.tag in (qn("w:br"), qn("w:cr")):
            pieces.append("\n")
        stack.extend(reversed(list(element)))
    return "".join(pieces)


def _docx_blocks(container, units: UnitList, region: str | None = None) -> None:
    from docx.table import Table

    extra = {"region": region} if region else {}
    for block in container.iter_inner_content():
        if isinstance(block, Table):
            rows = [
                [" ".join(_docx_paragraph_text(p) for p in cell.paragraphs) for cell in row.cells]
                for row in block.rows
            ]
            units.add_table(rows, **extra)
            continue
        style = block.style.name if block.style is not None else ""
        kind = "heading" if _HEADING_STYLE.match(style or "") else "paragraph"
        units.add(clean_block(_docx_paragraph_text(block)), kind, **extra)


def extract_docx(source, item_id: str, settings: dict, prefix: str = "") -> dict:
    import docx

    try:
        with open_binary(source) as handle:
            document = docx.Document(handle)
    except Exception as exc:  # python-docx lets zip, XML and its own errors through
        raise FieldcorpusError(
            item_id, "DOCX cannot be read (corrupt or not a Word file)", "supply a readable copy"
        ) from exc
    units = UnitList(settings, prefix)
    seen_parts = set()
    for section in document.sections:
        for part in (section.first_page_header, section.header, section.even_page_header):
            if not part.is_linked_to_previous and id(part.part) not in seen_parts:
                seen_parts.add(id(part.part))
                _docx_blocks(part, units, "header")
    _docx_blocks(document, units)
    for section in document.sections:
        for part in (section.first_page_footer, section.footer, section.even_page_footer):
            if not part.is_linked_to_previous and id(part.part) not in seen_parts:
                seen_parts.add(id(part.part))
                _docx_blocks(part, units, "footer")
    for comment in document.comments:
        text = "\n".join(_docx_paragraph_text(p) for p in comment.paragraphs)
        units.add(clean_block(text), region="comment")
    return {
        "source": {"pages": None},
        "engine": {"name": "python-docx", "version": metadata.version("python-docx")},
        "units": units.units,
    }


# --- ODT --------------------------------------------------------------------------------------


def _odf_text(element) -> str:
    """Text of an ODF paragraph: spaces, tabs and line breaks expanded; annotations (comments,
    with their author) and notes' citations left out."""
    from odf.namespaces import OFFICENS, TEXTNS

    pieces = []
    for node in element.childNodes:
        if node.nodeType == node.TEXT_NODE:
            pieces.append(node.data)
            continue
        if node.nodeType != node.ELEMENT_NODE:
            continue
        if node.qname in ((OFFICENS, "annotation"), (OFFICENS, "annotation-end")):
            continue
        if node.qname == (TEXTNS, "s"):
            pieces.append(" " * int(node.getAttrNS(TEXTNS, "c") or 1))
        elif node.qname == (TEXTNS, "tab"):
            pieces.append("\t")
        elif node.qname == (TEXTNS, "line-break"):
            pieces.append("\n")
        elif node.qname in ((TEXTNS, "note-citation"), (TEXTNS, "tracked-changes")):
            continue
        else:
            pieces.append(_odf_text(node))
    return "".join(pieces)


def _odf_table_rows(table) -> list[list[str]]:
    from odf.namespaces import TABLENS

    rows = []
    for row in _odf_elements(table, {(TABLENS, "table-row")}):
        repeat_rows = int(row.getAttrNS(TABLENS, "number-rows-repeated") or 1)
        cells = []
        for cell in row.childNodes:
            if cell.nodeType != cell.ELEMENT_NODE or cell.qname not in (
                (TABLENS, "table-cell"),
                (TABLENS, "covered-table-cell"),
            ):
                continue
            text = " ".join(_odf_text(p) for p in cell.childNodes if p.nodeType == p.ELEMENT_NODE)
            repeat = int(cell.getAttrNS(TABLENS, "number-columns-repeated") or 1)
            cells.extend([text] * min(repeat, 1000))
        rows.extend([cells] * min(repeat_rows, 1000))
    return rows


def _odf_elements(parent, wanted: set) -> list:
    """Descendant elements named in `wanted`, through row groups and headers."""
    from odf.namespaces import TABLENS

    found = []
    groups = {(TABLENS, n) for n in ("table-header-rows", "table-rows", "table-row-group")}
    for node in parent.childNodes:
        if node.nodeType != node.ELEMENT_NODE:
            continue
        if node.qname in wanted:
            found.append(node)
        elif node.qname in groups:
            found.extend(_odf_elements(node, wanted))
    return found


def _odf_blocks(parent, units: UnitList, comments: list[str], region: str | None = None) -> None:
    from odf.namespaces import OFFICENS, TABLENS, TEXTNS

    extra = {"region": region} if region else {}
    for node in parent.childNodes:
        if node.nodeType != node.ELEMENT_NODE:
            continue
        if node.qname in ((TEXTNS, "h"), (TEXTNS, "p")):
            for annotation in node.getElementsByType(_odf_annotation_class()):
                comments.append(
                    "\n".join(
                        _odf_text(p)
                        for p in annotation.childNodes
                        if p.nodeType == p.ELEMENT_NODE and p.qname == (TEXTNS, "p")
                    )
                )
            kind = "heading" if node.qname == (TEXTNS, "h") else "paragraph"
            units.add(clean_block(_odf_text(node)), kind, **extra)
        elif node.qname == (TABLENS, "table"):
            units.add_table(_odf_table_rows(node), **extra)
        elif node.qname == (TEXTNS, "tracked-changes") or node.qname == (OFFICENS, "forms"):
            continue  # the deleted text of tracked changes lives here
        else:  # lists, list items, sections, frames: their paragraphs in order
            _odf_blocks(node, units, comments, region)


def _odf_annotation_class():
    from odf.office import Annotation

    return Annotation


def extract_odt(source, item_id: str, settings: dict, prefix: str = "") -> dict:
    from odf.namespaces import STYLENS
    from odf.opendocument import load

    try:
        with open_binary(source) as handle:
            document = load(handle)
    except Exception as exc:  # odfpy raises whatever its XML and zip layers raise
        raise FieldcorpusError(
            item_id,
            "ODT cannot be read (corrupt or not an OpenDocument text)",
            "supply a readable copy",
        ) from exc
    units, comments = UnitList(settings, prefix), []
    headers, footers = [], []
    for master in document.masterstyles.childNodes:
        for node in getattr(master, "childNodes", []):
            if node.nodeType != node.ELEMENT_NODE:
                continue
            if node.qname[0] == STYLENS and node.qname[1].startswith("header"):
                headers.append(node)
            elif node.qname[0] == STYLENS and node.qname[1].startswith("footer"):
                footers.append(node)
    seen = set()
    for header in headers:
        _odf_blocks(header, _Dedup(units, seen), comments, "header")
    _odf_blocks(document.text, units, comments)
    for footer in footers:
        _odf_blocks(footer, _Dedup(units, seen), comments, "footer")
    for comment in comments:
        units.add(clean_block(comment), region="comment")
    return {
        "source": {"pages": None},
        "engine": {"name": "odfpy", "version": metadata.version("odfpy")},
        "units": units.units,
    }


class _Dedup:
    """Adds a header or footer text once, however many page styles repeat it."""

    def __init__(self, units: UnitList, seen: set):
        self.units, self.seen = units, seen

    def add(self, text, kind="paragraph", **fields):
        if text and (text, fields.get("region")) not in self.seen:
            self.seen.add((text, fields.get("region")))
            return self.units.add(text, kind, **fields)
        return None

    def add_table(self, rows, **fields):
        return self.units.add_table(rows, **fields)


# --- RTF --------------------------------------------------------------------------------------

_RTF_CODEPAGE = re.compile(rb"\\ansicpg(\d+)")


def extract_rtf(source, item_id: str, settings: dict, prefix: str = "") -> dict:
    from striprtf.striprtf import rtf_to_text

    data = read_bytes(source)
    found = _RTF_CODEPAGE.search(data[:4096])
    encoding = f"cp{found.group(1).decode()}" if found else "cp1252"
    try:
        "".encode(encoding)
    except LookupError:
        encoding = "cp1252"
    try:
        text = rtf_to_text(
            data.decode(encoding, errors="replace"), encoding=encoding, errors="replace"
        )
    except Exception as exc:  # striprtf raises plain exceptions on malformed groups
        raise FieldcorpusError(
            item_id, "RTF cannot be read (corrupt)", "open it in Word and save it as DOCX"
        ) from exc
    # striprtf writes a table row as "cell|cell|": consecutive such lines make one table.
    units, table = UnitList(settings, prefix), []
    for line in [*text.replace("\r\n", "\n").split("\n"), ""]:
        if line.rstrip().endswith("|"):
            table.append(line.rstrip()[:-1].split("|"))
            continue
        if table:
            units.add_table(table)
            table = []
        units.add(clean_block(line))
    return {
        "source": {"pages": None, "encoding": encoding},
        "engine": {"name": "striprtf", "version": metadata.version("striprtf")},
        "units": units.units,
    }


# --- XLSX -------------------------------------------------------------------------------------


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return clean_cell(value)


def extract_xlsx(source, item_id: str, settings: dict, prefix: str = "") -> dict:
    """Every sheet one table unit; `page` is the sheet's number. Formulas give their saved
    values (what Excel last showed)."""
    import openpyxl

    try:
        with open_binary(source) as handle:
            workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
            units = UnitList(settings, prefix)
            for number, sheet in enumerate(workbook.worksheets, start=1):
                rows = [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
                if any(any(row) for row in rows):
                    units.add(f"Sheet: {clean_line(sheet.title)}", "heading", page=number)
                    units.add_table(rows, page=number)
            sheets = len(workbook.worksheets)
            workbook.close()
    except Exception as exc:  # openpyxl lets zip, XML and its own errors through
        raise FieldcorpusError(
            item_id,
            "XLSX cannot be read (corrupt or not an Excel workbook)",
            "supply a readable copy",
        ) from exc
    return {
        "source": {"pages": sheets},
        "engine": {"name": "openpyxl", "version": metadata.version("openpyxl")},
        "units": units.units,
    }
