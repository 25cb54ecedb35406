"""What every document reader shares: format names, the extension check, line and cell cleaning, and
the unit list every reader fills.

Document -> text units, for every format a GP practice hands over.

The content decides the reader (never the file name), the file's extension must agree with the
content, and every reader returns the same unit shape (DESIGN.md): `{id, text, page, block}` plus
`kind` (paragraph, heading or table), `ocr` (and `confidence` when true) and, for tables, the cell
grid as Markdown in `text` (and in `cells` when `documents.keep_table_cells` is on).
Readers live in pdf, office, text, email and ocr; `extract` picks one by content.
"""

from __future__ import annotations

import io
import logging
import re
import unicodedata
from collections import Counter
from pathlib import Path

from fieldcorpus.errors import FieldcorpusError
from fieldcorpus.intake.inventory import (
    DOCX,
    EML,
    ENCRYPTED_OFFICE,
    IMAGE_TYPES,
    LEGACY_EXCEL,
    LEGACY_WORD,
    MSG,
    ODT,
    PLAIN_TEXT,
    RTF,
    XLSX,
)
from fieldcorpus.units import markdown_table

log = logging.getLogger(__name__)

PDF = "application/pdf"
TEXT_FLAVOURS = {".md": "markdown", ".markdown": "markdown", ".csv": "csv", ".tsv": "csv"}
# Extensions a practice's files carry, and the content each may hold. An extension not listed
# here (or none) says nothing, and the content alone decides.
EXTENSION_CONTENT = {
    ".pdf": {PDF},
    ".docx": {DOCX, ENCRYPTED_OFFICE},
    ".docm": {DOCX, ENCRYPTED_OFFICE},
    ".doc": {LEGACY_WORD, RTF, DOCX, ENCRYPTED_OFFICE},
    ".odt": {ODT},
    ".rtf": {RTF},
    ".txt": {PLAIN_TEXT, EML},
    ".text": {PLAIN_TEXT, EML},
    ".md": {PLAIN_TEXT, EML},
    ".markdown": {PLAIN_TEXT, EML},
    ".csv": {PLAIN_TEXT},
    ".tsv": {PLAIN_TEXT},
    ".xlsx": {XLSX, ENCRYPTED_OFFICE},
    ".xlsm": {XLSX, ENCRYPTED_OFFICE},
    ".xls": {LEGACY_EXCEL, XLSX, ENCRYPTED_OFFICE},
    ".eml": {EML},
    ".msg": {MSG},
    ".jpg": {"image/jpeg"},
    ".jpeg": {"image/jpeg"},
    ".png": {"image/png"},
    ".tif": {"image/tiff"},
    ".tiff": {"image/tiff"},
    ".gif": {"image/gif"},
    ".bmp": {"image/bmp"},
    ".webp": {"image/webp"},
}
CONTENT_NAMES = {
    PDF: "PDF",
    DOCX: "Word (DOCX)",
    ODT: "OpenDocument text (ODT)",
    RTF: "RTF",
    PLAIN_TEXT: "plain text",
    EML: "an email (EML)",
    MSG: "an Outlook email (MSG)",
    XLSX: "an Excel workbook (XLSX)",
    LEGACY_WORD: "a Word 97-2003 document (.doc)",
    LEGACY_EXCEL: "an Excel 97-2003 workbook (.xls)",
    ENCRYPTED_OFFICE: "a password-protected Office file",
    **{image: f"an image ({image.split('/')[1].upper()})" for image in IMAGE_TYPES},
}
# Formats we recognise but cannot read: the reason and what the data manager can do.
UNREADABLE = {
    ENCRYPTED_OFFICE: (
        "the Office file is password-protected",
        "supply an unlocked copy and update the manifest",
    ),
    LEGACY_WORD: (
        "Word 97-2003 documents (.doc) are not supported",
        "save it as DOCX or PDF and update the manifest",
    ),
    LEGACY_EXCEL: (
        "Excel 97-2003 workbooks (.xls) are not supported",
        "save it as XLSX or CSV and update the manifest",
    ),
    "image/heic": (
        "HEIC photos are not supported",
        "export the photo as JPEG and update the manifest",
    ),
}
SUPPORTED_NOTE = "PDF, DOCX, ODT, RTF, TXT, Markdown, CSV, XLSX, EML, MSG, JPEG, PNG or TIFF"
MAX_EMBEDDING_DEPTH = 2

_SPACES = re.compile(r"[ \t\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE = re.compile(r"[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
_CID = re.compile(r"\(cid:\d+\)")
_LIGATURES = str.maketrans(
    {
        "\ufb00": "ff",
        "\ufb01": "fi",
        "\ufb02": "fl",
        "\ufb03": "ffi",
        "\ufb04": "ffl",
        "\ufb06": "st",
    }
)
_HYPHENATED = re.compile(r"[A-Za-z\u00c0-\u024f]-$")
_LIST_ITEM = re.compile(r"^(?:[\u2022\u25cf\u25aa\u25e6\u2013\u2014*>-]|\(?\w{1,3}[.)])\s")


def clean_line(text: str) -> str:
    """One line with ligatures expanded, invisible characters removed and spaces collapsed."""
    text = unicodedata.normalize("NFC", text.translate(_LIGATURES))
    text = _CID.sub("", _INVISIBLE.sub("", text))
    return _SPACES.sub(" ", text).strip()


def join_lines(lines: list[str]) -> str:
    """Reflow a block's lines into one paragraph: a word broken by a hyphen at a line end is
    joined, other lines are joined by a space, and list items keep their own line."""
    out = ""
    for raw in lines:
        line = clean_line(raw)
        if not line:
            continue
        if not out:
            out = line
        elif _LIST_ITEM.match(line):
            out += "\n" + line
        elif _HYPHENATED.search(out) and line[0].islower():
            out = out[:-1] + line
        else:
            out += " " + line
    return out


def clean_block(text: str) -> str:
    """Whitespace-normalise a block that already has meaningful line breaks (kept)."""
    lines = (
        clean_line(line) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    )
    return "\n".join(line for line in lines if line)


def clean_cell(value) -> str:
    if value is None:
        return ""
    return join_lines(str(value).replace("\r", "\n").split("\n"))


class UnitList:
    """Collects units in reading order and numbers them: `p0001-b001` on paged sources (block
    counted per page), `b0001` otherwise; `prefix` marks units from an email attachment."""

    def __init__(self, settings: dict, prefix: str = ""):
        self.units: list[dict] = []
        self.keep_cells = bool(settings.get("keep_table_cells", False))
        self._prefix = prefix
        self._blocks: Counter = Counter()

    def add(
        self, text: str, kind: str = "paragraph", page: int | None = None, **fields
    ) -> dict | None:
        text = text.strip()
        if not text:
            return None
        self._blocks[page] += 1
        block = self._blocks[page]
        local = f"p{page:04d}-b{block:03d}" if page is not None else f"b{block:04d}"
        unit = {
            "id": self._prefix + local,
            "text": text,
            "page": page,
            "block": block,
            "kind": kind,
            "ocr": False,
            **fields,
        }
        self.units.append(unit)
        return unit

    def add_table(self, rows, page: int | None = None, **fields) -> dict | None:
        """A table as one unit: Markdown text, empty rows and columns dropped."""
        grid = [[clean_cell(cell) for cell in row] for row in rows]
        grid = [row for row in grid if any(row)]
        if not grid:
            return None
        width = max(len(row) for row in grid)
        grid = [row + [""] * (width - len(row)) for row in grid]
        filled = [c for c in range(width) if any(row[c] for row in grid)]
        grid = [[row[c] for c in filled] for row in grid]
        if self.keep_cells:
            fields["cells"] = grid
        return self.add(markdown_table(grid), kind="table", page=page, **fields)

    def extend(self, units: list[dict]) -> None:
        self.units.extend(units)


def open_binary(source: Path | bytes):
    """A readable binary file for a path (opened read-only) or for bytes held in memory."""
    return io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")  # noqa: SIM115


def read_bytes(source: Path | bytes) -> bytes:
    if isinstance(source, bytes):
        return source
    with open(source, "rb") as handle:
        return handle.read()


def content_name(media_type: str) -> str:
    return CONTENT_NAMES.get(media_type, media_type)


def check_extension(extension: str, media_type: str, item_id: str) -> None:
    """Fail when a known extension names a different format from the content."""
    allowed = EXTENSION_CONTENT.get(extension.lower())
    if allowed is None or media_type in allowed:
        return
    raise FieldcorpusError(
        item_id,
        f"the file's extension ({extension.lower()}) does not match its content "
        f"({content_name(media_type)})",
        "rename the file to match its content, or point the manifest row at the right file",
    )
