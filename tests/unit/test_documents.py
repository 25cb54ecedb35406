from pathlib import Path

import docx
import jiwer
import pytest
from fieldcorpus.documents import extract_document
from fieldcorpus.errors import FieldcorpusError
from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont

from tests.conftest import shared_path

SETTINGS = {"ocr": True, "ocr_min_chars": 20, "ocr_scale": 2.0}
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def text_of(result):
    return "\n".join(u["text"] for u in result["units"])


def test_pdf_text_per_page(tmp_path):
    pdf = FPDF()
    for page in (1, 2):
        pdf.add_page()
        pdf.set_font("Helvetica", size=12)
        pdf.multi_cell(0, 8, f"Page {page}: check inhaler technique and peak flow at every review.")
    pdf.output(tmp_path / "protocol.pdf")
    result = extract_document(tmp_path / "protocol.pdf", "D1", SETTINGS)
    assert result["source"]["pages"] == 2
    assert [u["page"] for u in result["units"]] == [1, 2]
    assert "Page 2: check inhaler technique" in result["units"][1]["text"]
    assert not any(u["ocr"] for u in result["units"])


def test_docx_paragraphs_and_tables(tmp_path):
    document = docx.Document()
    document.add_heading("Observation notes", 1)
    document.add_paragraph("The nurse demonstrated the spacer.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Step", "Done"
    table.cell(1, 0).text, table.cell(1, 1).text = "Action plan", "Yes"
    document.save(tmp_path / "notes.docx")
    result = extract_document(tmp_path / "notes.docx", "O1", SETTINGS)
    texts = [u["text"] for u in result["units"]]
    assert texts == [
        "Observation notes",
        "The nurse demonstrated the spacer.",
        "Step | Done\nAction plan | Yes",
    ]


def test_image_only_pdf_is_read_by_ocr(tmp_path):
    lines = [
        "Asthma review template",
        "Check inhaler technique at every visit.",
        "Record peak flow and update the action plan.",
    ]
    font = ImageFont.truetype(FONT, 36) if Path(FONT).exists() else ImageFont.load_default(36)
    image = Image.new("RGB", (1654, 600), "white")
    draw = ImageDraw.Draw(image)
    for number, line in enumerate(lines):
        draw.text((80, 80 + number * 70), line, fill="black", font=font)
    image_path = tmp_path / "scan.png"
    image.save(image_path)
    pdf = FPDF()
    pdf.add_page()
    pdf.image(str(image_path), x=0, y=0, w=210)
    pdf.output(tmp_path / "scan.pdf")
    result = extract_document(tmp_path / "scan.pdf", "S1", SETTINGS)
    assert all(u["ocr"] for u in result["units"]) and result["source"]["ocr_pages"] == 1
    cer = jiwer.cer(" ".join(lines), " ".join(text_of(result).split()))
    assert cer <= 0.05


def test_encrypted_pdf_names_the_item_and_the_fix():
    with pytest.raises(FieldcorpusError) as caught:
        extract_document(shared_path("fixtures", "pdfs", "password-example.pdf"), "D9", SETTINGS)
    assert (
        str(caught.value)
        == "item D9: PDF is encrypted: supply an unlocked copy and update the manifest"
    )


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"%PDF-1.4\n garbage", "PDF cannot be read"),
        (b"PK\x03\x04 not a zip", "unsupported document type"),
        (b"", "the file is empty"),
        (b"plain words", "unsupported document type"),
    ],
)
def test_bad_documents_fail_with_item_id(tmp_path, content, reason):
    path = tmp_path / "bad.pdf"
    path.write_bytes(content)
    with pytest.raises(FieldcorpusError, match=f"^item D2: {reason}"):
        extract_document(path, "D2", SETTINGS)
