"""Practice documents made in the tests, in every format the pipeline reads, with known text.

Each maker writes one file with the real library that produces that format (fpdf2, python-docx,
odfpy, openpyxl, the email package); Outlook .msg files are compound files, written here by a
minimal compound-file writer (olefile, which the pipeline reads them with, cannot write)."""

from __future__ import annotations

import datetime as dt
import struct
from email.message import EmailMessage
from pathlib import Path

from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def text_image(lines: list[str], size: int = 36, width: int = 1400) -> Image.Image:
    """Black printed text on white, as a scanner or a phone camera would see a notice."""
    font = ImageFont.truetype(FONT, size) if Path(FONT).exists() else ImageFont.load_default(size)
    step = int(size * 1.9)
    image = Image.new("RGB", (width, 2 * size + step * len(lines)), "white")
    draw = ImageDraw.Draw(image)
    for number, line in enumerate(lines):
        draw.text((size, size + number * step), line, fill="black", font=font)
    return image


def pdf_document(
    path: Path,
    pages: list[list[str]],
    header: str | None = None,
    footer: str | None = None,
    tables: dict[int, list[list[str]]] | None = None,
) -> Path:
    """A text PDF: each page a list of paragraphs; optional running header and 'Page n of N'
    footer ({page} and {pages} are filled in); `tables` puts a ruled table after page n's text."""
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    for number, paragraphs in enumerate(pages, start=1):
        pdf.add_page()
        if header:
            pdf.set_font("Helvetica", size=9)
            pdf.set_xy(20, 10)
            pdf.cell(0, 5, header)
        pdf.set_xy(20, 30)
        pdf.set_font("Helvetica", size=11)
        for paragraph in paragraphs:
            pdf.multi_cell(170, 5.5, paragraph, new_x="LMARGIN", new_y="NEXT")
            pdf.set_x(20)
            pdf.ln(4)
            pdf.set_x(20)
        for row_number, row in enumerate((tables or {}).get(number, [])):
            pdf.set_x(20)
            pdf.set_font("Helvetica", style="B" if row_number == 0 else "", size=10)
            for cell in row:
                pdf.cell(170 / len(row), 7, cell, border=1)
            pdf.ln(7)
        if footer:
            pdf.set_font("Helvetica", size=9)
            pdf.set_xy(20, 282)
            pdf.cell(0, 5, footer.format(page=number, pages=len(pages)))
    pdf.output(str(path))
    return path


def two_column_pdf(path: Path, heading: str, columns: list[list[str]], closing: str) -> Path:
    """A leaflet page: a full-width heading, two columns of paragraphs set side by side on the
    same baselines (so a line-by-line reading interleaves them), then a full-width paragraph."""
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=16)
    pdf.set_xy(20, 20)
    pdf.cell(170, 10, heading)
    pdf.set_font("Helvetica", size=11)
    lowest = 0.0
    for left, paragraphs in zip((20, 112), columns, strict=True):
        pdf.set_xy(left, 40)
        for paragraph in paragraphs:
            pdf.multi_cell(78, 5.5, paragraph, new_x="LEFT", new_y="NEXT")
            pdf.set_xy(left, pdf.get_y() + 5.5)
        lowest = max(lowest, pdf.get_y())
    pdf.set_xy(20, lowest + 10)
    pdf.multi_cell(170, 5.5, closing)
    pdf.output(str(path))
    return path


def tight_spacing_pdf(path: Path, sentence: str, gaps_pt: list[float]) -> Path:
    """Text placed word by word with no space characters, as typesetters such as TeX write it,
    the words `gaps_pt` apart in turn (narrower than pdfplumber's 3 pt default tolerance)."""
    pdf = FPDF(format="A4", unit="pt")
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    x = 56.0
    for number, word in enumerate(sentence.split()):
        pdf.text(x, 100, word)
        x += pdf.get_string_width(word) + gaps_pt[number % len(gaps_pt)]
    pdf.output(str(path))
    return path


def turned_text_pdf(path: Path, body: str, turned: dict[int, str]) -> Path:
    """A page of level text with more text set at angles (degrees anticlockwise), as a
    received-stamp in the margin or a diagonal label is."""
    pdf = FPDF(format="A4", unit="pt")
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.text(56, 100, body)
    for number, (angle, text) in enumerate(turned.items()):
        with pdf.rotation(angle, x=120 + 150 * number, y=500):
            pdf.text(120 + 150 * number, 500, text)
    pdf.output(str(path))
    return path


def image_only_pdf(path: Path, lines: list[str]) -> Path:
    """A scan: one page that is a picture of printed text, with no text layer."""
    image_path = path.with_suffix(".source.png")
    text_image(lines).save(image_path)
    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.image(str(image_path), x=0, y=0, w=210)
    pdf.output(str(path))
    image_path.unlink()
    return path


def docx_document(path: Path) -> Path:
    """Heading, paragraphs (one with a tracked insertion and a tracked deletion), a table, a
    header and footer, and a comment."""
    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    document = docx.Document()
    section = document.sections[0]
    section.header.paragraphs[0].text = "Kingfisher Surgery asthma protocol"
    section.footer.paragraphs[0].text = "Review date: March 2026"
    document.add_heading("Asthma review protocol", 1)
    commented = document.add_paragraph("Every adult with asthma is invited once a year.")
    document.add_comment(commented.runs, text="Check the recall list monthly.", author="A Person")
    changed = document.add_paragraph("The nurse checks inhaler technique")
    changed._p.append(
        parse_xml(
            f'<w:ins {nsdecls("w")} w:id="1" w:author="A Person" w:date="2025-03-01T00:00:00Z">'
            '<w:r><w:t xml:space="preserve"> at every visit</w:t></w:r></w:ins>'
        )
    )
    changed._p.append(
        parse_xml(
            f'<w:del {nsdecls("w")} w:id="2" w:author="A Person" w:date="2025-03-01T00:00:00Z">'
            "<w:r><w:delText> once a year</w:delText></w:r></w:del>"
        )
    )
    changed.add_run(".")
    table = document.add_table(rows=3, cols=2)
    for row, values in zip(
        table.rows, [("Step", "Done"), ("Action plan", "Yes"), ("Peak flow", "No")], strict=True
    ):
        row.cells[0].text, row.cells[1].text = values
    document.add_paragraph("Book a follow-up within four weeks if control is poor.")
    document.save(path)
    return path


def odt_document(path: Path) -> Path:
    """Heading, paragraph with a comment, a tracked deletion, a table, header and footer."""
    from odf.namespaces import TEXTNS
    from odf.office import Annotation
    from odf.opendocument import OpenDocumentText
    from odf.style import Footer, Header, MasterPage, PageLayout
    from odf.table import Table, TableCell, TableColumn, TableRow
    from odf.text import (
        ChangedRegion,
        Deletion,
        H,
        P,
        TrackedChanges,
    )

    document = OpenDocumentText()
    layout = PageLayout(name="Layout")
    document.automaticstyles.addElement(layout)
    master = MasterPage(name="Standard", pagelayoutname=layout)
    header, footer = Header(), Footer()
    header.addElement(P(text="Riverside Medical Practice minutes"))
    footer.addElement(P(text="Confidential: practice staff only"))
    master.addElement(header)
    master.addElement(footer)
    document.masterstyles.addElement(master)
    changes = TrackedChanges()
    region = ChangedRegion(check_grammar=False)
    region.setAttrNS(TEXTNS, "id", "ct1")
    deletion = Deletion()
    deletion.addElement(P(text="This sentence was deleted."))
    region.addElement(deletion)
    changes.addElement(region)
    document.text.addElement(changes)
    document.text.addElement(H(outlinelevel=1, text="Practice meeting minutes"))
    paragraph = P(text="The asthma clinic moves to Tuesday mornings.")
    note = Annotation()
    note.addElement(P(text="Confirm with the nurse team."))
    paragraph.addElement(note)
    document.text.addElement(paragraph)
    table = Table(name="Actions")
    table.addElement(TableColumn(numbercolumnsrepeated=2))
    for values in (("Action", "Owner"), ("Update the recall list", "Practice manager")):
        row = TableRow()
        for value in values:
            cell = TableCell()
            cell.addElement(P(text=value))
            row.addElement(cell)
        table.addElement(row)
    document.text.addElement(table)
    document.text.addElement(P(text="Next meeting in June."))
    document.save(str(path))
    return path


def xlsx_workbook(path: Path) -> Path:
    import openpyxl

    workbook = openpyxl.Workbook()
    audit = workbook.active
    audit.title = "Reliever audit"
    audit.append(["Month", "Patients", "Reviewed on"])
    audit.append(["April", 42, dt.date(2025, 4, 30)])
    audit.append(["May", 38.0, dt.datetime(2025, 5, 30)])
    recall = workbook.create_sheet("Recall")
    recall.append(["Invited", "Reviewed"])
    recall.append([12, 9])
    workbook.create_sheet("Empty")
    workbook.save(path)
    return path


def eml_message(path: Path, attachments: list[tuple[str, bytes, str]]) -> Path:
    """An email with identifying headers (which extraction must drop), a plain body and
    attachments given as (file name, bytes, MIME type)."""
    message = EmailMessage()
    message["From"] = "Practice Manager <manager@example.org>"
    message["To"] = "researcher@example.org"
    message["Date"] = "Mon, 10 Mar 2025 09:15:00 +0000"
    message["Subject"] = "Asthma clinic rota"
    message.set_content(
        "Dear researcher,\n\nThe asthma clinic runs on Tuesdays from\nApril.\n\nBest wishes\n"
    )
    for name, data, mime in attachments:
        main, sub = mime.split("/")
        message.add_attachment(data, maintype=main, subtype=sub, filename=name)
    path.write_bytes(bytes(message))
    return path


# --- Outlook .msg: a compound file (MS-CFB, version 3) of MAPI property streams (MS-OXMSG) ---

_SECTOR, _MINI_SECTOR, _MINI_CUTOFF = 512, 64, 4096
_FREE, _END, _FAT, _NONE = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


def compound_file(tree: dict) -> bytes:
    """A compound file from {name: bytes (a stream) or dict (a storage)}."""
    entries = [{"name": "Root Entry", "type": 5, "children": [], "data": b""}]

    def add(parent: int, branch: dict) -> None:
        for name, value in branch.items():
            entries.append(
                {
                    "name": name,
                    "type": 1 if isinstance(value, dict) else 2,
                    "children": [],
                    "data": None if isinstance(value, dict) else value,
                }
            )
            entries[parent]["children"].append(len(entries) - 1)
            if isinstance(value, dict):
                add(len(entries) - 1, value)

    add(0, tree)
    for entry in entries:
        entry.update(left=_NONE, right=_NONE, child=_NONE, start=0, size=0)

    def tree_of(ids: list[int]) -> int:  # a balanced binary search tree of siblings
        if not ids:
            return _NONE
        middle = len(ids) // 2
        entries[ids[middle]]["left"] = tree_of(ids[:middle])
        entries[ids[middle]]["right"] = tree_of(ids[middle + 1 :])
        return ids[middle]

    for entry in entries:
        order = sorted(
            entry["children"], key=lambda i: (len(entries[i]["name"]), entries[i]["name"].upper())
        )
        entry["child"] = tree_of(order)

    sectors: list[bytes] = []
    fat: list[int] = []

    def allocate(data: bytes) -> int:
        if not data:
            return _END
        count = -(-len(data) // _SECTOR)
        start = len(sectors)
        for k in range(count):
            sectors.append(data[k * _SECTOR : (k + 1) * _SECTOR].ljust(_SECTOR, b"\0"))
            fat.append(start + k + 1 if k < count - 1 else _END)
        return start

    mini, mini_fat = bytearray(), []
    for entry in entries:
        if entry["type"] != 2:
            continue
        data = entry["data"]
        entry["size"] = len(data)
        if len(data) >= _MINI_CUTOFF:
            entry["start"] = allocate(data)
        elif not data:
            entry["start"] = _END
        else:
            count = -(-len(data) // _MINI_SECTOR)
            start = len(mini) // _MINI_SECTOR
            mini_fat += [start + k + 1 for k in range(count - 1)] + [_END]
            mini += data.ljust(count * _MINI_SECTOR, b"\0")
            entry["start"] = start
    entries[0]["start"] = allocate(bytes(mini))
    entries[0]["size"] = len(mini)
    mini_fat += [_FREE] * (-len(mini_fat) % 128)
    mini_fat_start = allocate(struct.pack(f"<{len(mini_fat)}I", *mini_fat)) if mini_fat else _END
    mini_fat_sectors = len(mini_fat) // 128
    while len(entries) % 4:
        entries.append(
            {
                "name": "",
                "type": 0,
                "left": _NONE,
                "right": _NONE,
                "child": _NONE,
                "start": 0,
                "size": 0,
            }
        )
    directory = b"".join(
        struct.pack(
            "<64sHBBIII16sIQQIQ",
            (e["name"] + "\0").encode("utf-16-le") if e["name"] else b"",
            len(e["name"]) * 2 + 2 if e["name"] else 0,
            e["type"],
            1,
            e["left"],
            e["right"],
            e["child"],
            b"\0" * 16,
            0,
            0,
            0,
            e["start"],
            e["size"],
        )
        for e in entries
    )
    directory_start = allocate(directory)
    fat_sectors = 1
    while len(sectors) + fat_sectors > fat_sectors * 128:
        fat_sectors += 1
    fat_start = len(sectors)
    fat += [_FAT] * fat_sectors
    fat += [_FREE] * (fat_sectors * 128 - len(fat))
    packed_fat = struct.pack(f"<{len(fat)}I", *fat)
    sectors += [packed_fat[k * _SECTOR : (k + 1) * _SECTOR] for k in range(fat_sectors)]
    difat = [fat_start + k for k in range(fat_sectors)] + [_FREE] * (109 - fat_sectors)
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        b"\0" * 16,
        0x3E,
        3,
        0xFFFE,
        9,
        6,
        b"\0" * 6,
        0,
        fat_sectors,
        directory_start,
        0,
        _MINI_CUTOFF,
        mini_fat_start,
        mini_fat_sectors,
        _END,
        0,
    ) + struct.pack("<109I", *difat)
    return header + b"".join(sectors)


def _unicode(text: str) -> bytes:
    return text.encode("utf-16-le")


def msg_message(
    path: Path, subject: str, body: str, sent: dt.datetime, attachments: list[tuple[str, bytes]]
) -> Path:
    """An Outlook message: subject and body as Unicode property streams, the submit time as a
    fixed-size property, each attachment a storage holding its file name and data."""
    filetime = int((sent - dt.datetime(1601, 1, 1, tzinfo=dt.UTC)).total_seconds() * 10**7)
    properties = struct.pack(
        "<8sIIII8s", b"\0" * 8, 0, len(attachments), 0, len(attachments), b"\0" * 8
    )
    properties += struct.pack("<IIQ", (0x0039 << 16) | 0x0040, 6, filetime)
    properties += struct.pack("<IIi4s", (0x3FFD << 16) | 0x0003, 6, 1252, b"\0" * 4)
    tree: dict = {
        "__substg1.0_0037001F": _unicode(subject),
        "__substg1.0_1000001F": _unicode(body),
        "__substg1.0_0C1F001F": _unicode("sender@example.org"),
        "__properties_version1.0": properties,
        "__nameid_version1.0": {"__substg1.0_00020102": b"", "__substg1.0_00030102": b""},
        "__recip_version1.0_#00000000": {
            "__substg1.0_3001001F": _unicode("Recipient Name"),
            "__properties_version1.0": b"\0" * 8,
        },
    }
    for number, (name, data) in enumerate(attachments):
        tree[f"__attach_version1.0_#{number:08X}"] = {
            "__substg1.0_3707001F": _unicode(name),
            "__substg1.0_37010102": data,
            "__properties_version1.0": b"\0" * 8
            + struct.pack("<IIi4s", (0x3705 << 16) | 3, 6, 1, b"\0" * 4),
        }
    path.write_bytes(compound_file(tree))
    return path
