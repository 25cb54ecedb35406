"""Every document format a practice hands over, made in the test with the library that writes
it, read back with the real extraction stack (pdfplumber, pypdfium2 + RapidOCR, python-docx,
odfpy, striprtf, openpyxl, the email package, olefile)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import zipfile

import jiwer
import pytest
from fieldcorpus.documents.extract import extract_document
from fieldcorpus.errors import FieldcorpusError
from fieldcorpus.units import markdown_table, render_text, table_cells
from fpdf import FPDF

from tests.conftest import REPO, shared_path
from tests.support import document_makers as make

SETTINGS = {
    "ocr": True,
    "ocr_min_chars": 20,
    "ocr_scale": 2.0,
    "tables": True,
    "keep_table_cells": True,
    "drop_running_headers": True,
    "running_header_min_share": 0.5,
    "email_attachments": True,
}
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def texts(result, **where):
    return [u["text"] for u in result["units"] if all(u.get(k) == v for k, v in where.items())]


def cer(expected: str, found: str) -> float:
    return jiwer.cer(" ".join(expected.split()), " ".join(found.split()))


# --- PDF --------------------------------------------------------------------------------------


def test_pdf_paragraphs_per_page_dehyphenated(tmp_path):
    pages = [
        [
            "Every adult with asthma is invited for an annual review in their birth month.",
            "The nurse checks inhaler tech-\nnique and peak flow, and updates the written action "
            "plan with the patient.",
        ],
        ["Patients who miss two invitations are flagged to the asthma lead GP."],
    ]
    path = make.pdf_document(tmp_path / "protocol.pdf", pages)
    result = extract_document(path, "D1", SETTINGS)
    assert result["source"]["pages"] == 2
    assert [(u["page"], u["block"], u["kind"], u["ocr"]) for u in result["units"]] == [
        (1, 1, "paragraph", False),
        (1, 2, "paragraph", False),
        (2, 1, "paragraph", False),
    ]
    assert texts(result) == [
        pages[0][0],
        "The nurse checks inhaler technique and peak flow, and updates the written action plan "
        "with the patient.",
        pages[1][0],
    ]
    assert [u["id"] for u in result["units"]] == ["p0001-b001", "p0001-b002", "p0002-b001"]


def test_pdf_words_placed_without_spaces_come_out_word_for_word(tmp_path):
    sentence = (
        "Please bring your inhaler and spacer to the asthma review, and tell the nurse if you "
        "have used your reliever more than three times a week."
    )
    path = make.tight_spacing_pdf(tmp_path / "tight.pdf", sentence, [1.6, 2.9, 2.2, 1.8])
    assert texts(extract_document(path, "D1", SETTINGS)) == [sentence]


CLOSING = (
    "Ask at reception for this leaflet in large print or in another language, free of charge; "
    "the practice team can also read it through with you at your next appointment."
)


def test_pdf_two_columns_are_read_column_by_column(tmp_path):
    """A short heading above the columns and a full-width paragraph below them keep their place."""
    left = [
        "The asthma clinic runs every Tuesday morning in the treatment room, and each review "
        "takes about twenty minutes with the practice nurse.",
        "Bring your inhalers, your spacer and your peak flow diary so that the nurse can check "
        "how you use them and how your asthma has been.",
    ]
    right = [
        "Repeat prescriptions can be ordered through the practice website or the NHS App, "
        "and are ready to collect two working days later.",
        "If your reliever inhaler is needed more than three times a week, book an appointment "
        "before your next review is due.",
    ]
    path = make.two_column_pdf(
        tmp_path / "leaflet.pdf",
        "Living well with asthma",
        [left, right],
        CLOSING,
    )
    result = extract_document(path, "D1", SETTINGS)
    assert texts(result) == ["Living well with asthma", *left, *right, CLOSING]
    assert result["units"][0]["kind"] == "heading"


def test_pdf_text_at_an_angle_is_read_along_its_baseline(tmp_path):
    path = make.turned_text_pdf(
        tmp_path / "stamped.pdf",
        "The practice received the audit report from the integrated care board.",
        {90: "Received by reception", 270: "Filed under audits", 45: "Draft for discussion"},
    )
    found = texts(extract_document(path, "D1", SETTINGS))
    assert found[0] == "The practice received the audit report from the integrated care board."
    assert sorted(found[1:]) == sorted(
        ["Received by reception", "Filed under audits", "Draft for discussion"]
    )


def test_pdf_table_is_its_own_unit_with_cells_and_markdown(tmp_path):
    grid = [
        ["Step", "What to check", "Done"],
        ["Symptoms", "Night waking in the last 4 weeks", "Yes"],
        ["Inhaler | spacer", "Technique watched", "No"],
    ]
    path = make.pdf_document(
        tmp_path / "template.pdf",
        [["Annual asthma review template: record each step."]],
        tables={1: grid},
    )
    result = extract_document(path, "D2", SETTINGS)
    paragraph, table = result["units"]
    assert paragraph["text"] == "Annual asthma review template: record each step."
    assert table["kind"] == "table" and table["page"] == 1 and table["id"] == "p0001-b002"
    assert table["cells"] == grid
    assert table["text"] == markdown_table(grid)
    assert table_cells(table["text"]) == grid
    assert table["text"].splitlines()[1] == "| --- | --- | --- |"
    assert "| Symptoms | Night waking in the last 4 weeks | Yes |" in render_text(result)


def test_table_cells_stay_out_of_units_unless_asked(tmp_path):
    path = make.pdf_document(
        tmp_path / "t.pdf",
        [["Figures for April."]],
        tables={1: [["Month", "Reviews"], ["April", "25"]]},
    )
    result = extract_document(path, "D3", {**SETTINGS, "keep_table_cells": False})
    table = result["units"][1]
    assert "cells" not in table
    assert table_cells(table["text"]) == [["Month", "Reviews"], ["April", "25"]]


def test_running_headers_and_footers_are_dropped_from_ten_pages(tmp_path):
    topics = [
        "recall letters",
        "text reminders",
        "inhaler technique",
        "peak flow meters",
        "spacer stock",
        "action plans",
        "night symptoms",
        "reliever overuse",
        "preventer adherence",
        "annual reviews",
    ]
    body = [
        [
            f"Minute {n}. The team discussed {topic} and agreed who follows it up.",
            f"Nobody objected; {topic} returns to the agenda in {n + 2} weeks.",
        ]
        for n, topic in enumerate(topics, start=1)
    ]
    path = make.pdf_document(
        tmp_path / "minutes.pdf",
        body,
        header="Kingfisher Surgery - asthma clinic minutes 2025",
        footer="Page {page} of {pages}",
    )
    result = extract_document(path, "D4", SETTINGS)
    assert texts(result) == [paragraph for page in body for paragraph in page]
    assert [u["page"] for u in result["units"]] == [n for n in range(1, 11) for _ in (1, 2)]
    assert result["source"]["running_lines_dropped"] == 20
    kept = extract_document(path, "D4", {**SETTINGS, "drop_running_headers": False})
    assert "Kingfisher Surgery - asthma clinic minutes 2025" in texts(kept)
    assert "Page 7 of 10" in texts(kept)


def test_image_only_pdf_page_is_read_by_ocr(tmp_path):
    lines = [
        "Asthma review template",
        "Check inhaler technique at every visit.",
        "Record peak flow and update the action plan.",
    ]
    result = extract_document(make.image_only_pdf(tmp_path / "scan.pdf", lines), "S1", SETTINGS)
    (unit,) = result["units"]
    assert unit["ocr"] is True and unit["page"] == 1 and 0.5 < unit["confidence"] <= 1.0
    assert result["source"]["ocr_pages"] == 1
    assert result["engine"]["ocr"]["name"] == "rapidocr"
    assert all(len(sha) == 64 for sha in result["engine"]["ocr"]["models"].values())
    assert cer("\n".join(lines), unit["text"]) <= 0.05


def test_ocr_can_be_switched_off(tmp_path):
    path = make.image_only_pdf(tmp_path / "scan.pdf", ["Clinic closed on Friday"])
    result = extract_document(path, "S2", {**SETTINGS, "ocr": False})
    assert result["units"] == [] and result["flags"] == {"no_text": True}


def test_photos_are_read_by_ocr_one_page_per_frame(tmp_path):
    notice = ["Asthma clinic moved to Tuesday"]
    whiteboard = [["Flu jabs from October"], ["Peak flow meters in room 2"]]
    make.text_image(notice).save(tmp_path / "notice.jpg", quality=90)
    first, *rest = [make.text_image(lines) for lines in whiteboard]
    first.save(tmp_path / "board.tiff", save_all=True, append_images=rest)
    photo = extract_document(tmp_path / "notice.jpg", "I1", SETTINGS)
    (unit,) = photo["units"]
    assert unit["ocr"] and unit["page"] == 1 and cer(notice[0], unit["text"]) <= 0.05
    board = extract_document(tmp_path / "board.tiff", "I2", SETTINGS)
    assert [u["page"] for u in board["units"]] == [1, 2]
    for unit, lines in zip(board["units"], whiteboard, strict=True):
        assert unit["ocr"] and cer(lines[0], unit["text"]) <= 0.05


# --- Office formats -----------------------------------------------------------------------------


def test_docx_headings_paragraphs_tables_headers_comments_and_insertions(tmp_path):
    result = extract_document(make.docx_document(tmp_path / "protocol.docx"), "W1", SETTINGS)
    assert [(u["kind"], u.get("region"), u["text"]) for u in result["units"]] == [
        ("paragraph", "header", "Kingfisher Surgery asthma protocol"),
        ("heading", None, "Asthma review protocol"),
        ("paragraph", None, "Every adult with asthma is invited once a year."),
        ("paragraph", None, "The nurse checks inhaler technique at every visit."),
        (
            "table",
            None,
            markdown_table([["Step", "Done"], ["Action plan", "Yes"], ["Peak flow", "No"]]),
        ),
        ("paragraph", None, "Book a follow-up within four weeks if control is poor."),
        ("paragraph", "footer", "Review date: March 2026"),
        ("paragraph", "comment", "Check the recall list monthly."),
    ]
    assert result["units"][4]["cells"] == [
        ["Step", "Done"],
        ["Action plan", "Yes"],
        ["Peak flow", "No"],
    ]
    assert [u["id"] for u in result["units"][:2]] == ["b0001", "b0002"]
    assert all(u["page"] is None for u in result["units"])
    assert "A Person" not in json.dumps(result)  # a comment's author is a name


def test_odt_headings_tables_headers_comments_without_deleted_text(tmp_path):
    result = extract_document(make.odt_document(tmp_path / "minutes.odt"), "O1", SETTINGS)
    assert [(u["kind"], u.get("region"), u["text"]) for u in result["units"]] == [
        ("paragraph", "header", "Riverside Medical Practice minutes"),
        ("heading", None, "Practice meeting minutes"),
        ("paragraph", None, "The asthma clinic moves to Tuesday mornings."),
        (
            "table",
            None,
            markdown_table([["Action", "Owner"], ["Update the recall list", "Practice manager"]]),
        ),
        ("paragraph", None, "Next meeting in June."),
        ("paragraph", "footer", "Confidential: practice staff only"),
        ("paragraph", "comment", "Confirm with the nurse team."),
    ]
    assert result["units"][3]["cells"] == [
        ["Action", "Owner"],
        ["Update the recall list", "Practice manager"],
    ]


def test_rtf_windows_1252_text_and_table(tmp_path):
    rtf = (
        r"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0 Arial;}}"
        "\n"
        r"{\pard Prescription charge \'a39.90 for the caf\'e9 group \u8211? see the nurse\par}"
        "\n"
        r"\trowd\cellx2000\cellx4000 \intbl Step\cell Done\cell\row"
        "\n"
        r"\trowd\cellx2000\cellx4000 \intbl Action plan\cell Yes\cell\row"
        "\n"
        r"\pard Review in \'91spring\'92.\par}"
    )
    (tmp_path / "leaflet.rtf").write_bytes(rtf.encode("ascii"))
    result = extract_document(tmp_path / "leaflet.rtf", "R1", SETTINGS)
    assert [(u["kind"], u["text"]) for u in result["units"]] == [
        ("paragraph", "Prescription charge £9.90 for the café group – see the nurse"),
        ("table", markdown_table([["Step", "Done"], ["Action plan", "Yes"]])),
        ("paragraph", "Review in ‘spring’."),
    ]
    assert result["units"][1]["cells"] == [["Step", "Done"], ["Action plan", "Yes"]]


def test_xlsx_every_sheet_a_table_with_its_number_as_page(tmp_path):
    result = extract_document(make.xlsx_workbook(tmp_path / "audit.xlsx"), "X1", SETTINGS)
    assert result["source"]["pages"] == 3
    units = result["units"]
    assert [(u["kind"], u["page"]) for u in units] == [
        ("heading", 1),
        ("table", 1),
        ("heading", 2),
        ("table", 2),
    ]
    assert units[0]["text"] == "Sheet: Reliever audit"
    assert units[1]["cells"] == [
        ["Month", "Patients", "Reviewed on"],
        ["April", "42", "2025-04-30"],
        ["May", "38", "2025-05-30"],
    ]
    assert units[3]["cells"] == [["Invited", "Reviewed"], ["12", "9"]]


# --- Plain text, Markdown, CSV ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [("cp1252", b""), ("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("utf-16", b"")],
)
def test_text_files_in_any_encoding(tmp_path, encoding, prefix):
    text = (
        "Clinic notes – Tuesday\r\n\r\nThe £9.90 charge was\r\nexplained to the patient’s "
        "carer.\r\n\r\n- spacer given\r\n- café leaflet\r\n"
    )
    (tmp_path / "notes.txt").write_bytes(prefix + text.encode(encoding))
    result = extract_document(tmp_path / "notes.txt", "T1", SETTINGS)
    assert texts(result) == [
        "Clinic notes – Tuesday",
        "The £9.90 charge was explained to the patient’s carer.",
        "- spacer given\n- café leaflet",
    ]
    assert result["source"]["encoding"].replace("-sig", "").replace("_", "-") in (
        encoding,
        "utf-16",
    )


def test_markdown_headings_and_tables(tmp_path):
    (tmp_path / "plan.md").write_text(
        "# Asthma plan\n\nIntro line one\nand two.\n\n## Steps\n| Step | Who |\n|---|---|\n"
        "| Recall | Reception |\n| Review | Nurse |\n\nDone.\n",
        encoding="utf-8",
    )
    result = extract_document(tmp_path / "plan.md", "M1", SETTINGS)
    assert [(u["kind"], u["text"]) for u in result["units"]] == [
        ("heading", "Asthma plan"),
        ("paragraph", "Intro line one and two."),
        ("heading", "Steps"),
        ("table", markdown_table([["Step", "Who"], ["Recall", "Reception"], ["Review", "Nurse"]])),
        ("paragraph", "Done."),
    ]


def test_csv_semicolons_in_windows_1252(tmp_path):
    (tmp_path / "recall.csv").write_bytes(
        "Month;Invited;Note\r\nApril;42;café talk\r\nMay;38;£ prizes\r\n".encode("cp1252")
    )
    (unit,) = extract_document(tmp_path / "recall.csv", "C1", SETTINGS)["units"]
    assert unit["kind"] == "table"
    assert unit["cells"] == [
        ["Month", "Invited", "Note"],
        ["April", "42", "café talk"],
        ["May", "38", "£ prizes"],
    ]


# --- Emails -----------------------------------------------------------------------------------


def _zip_bytes() -> bytes:
    import io

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("photos/readme.bin", b"\x00\x01")
    return buffer.getvalue()


def test_eml_date_subject_body_attachment_names_and_attachments(tmp_path):
    attached_docx = make.docx_document(tmp_path / "attached.docx").read_bytes()
    path = make.eml_message(
        tmp_path / "rota.eml",
        [
            ("rota.csv", "Day;Nurse\r\nTuesday;Yes\r\n".encode("cp1252"), "text/csv"),
            ("protocol.docx", attached_docx, DOCX_TYPE),
            ("photos.zip", _zip_bytes(), "application/zip"),
        ],
    )
    result = extract_document(path, "E1", SETTINGS)
    units = result["units"]
    assert [u["text"] for u in units[:5]] == [
        "Date: 2025-03-10 09:15\nSubject: Asthma clinic rota",
        "Dear researcher,",
        "The asthma clinic runs on Tuesdays from April.",
        "Best wishes",
        "Attachments: rota.csv; protocol.docx; photos.zip",
    ]
    assert units[5]["id"] == "a01-b0001" and units[5]["attachment"] == "a01"
    assert units[5]["cells"] == [["Day", "Nurse"], ["Tuesday", "Yes"]]
    docx_units = [u for u in units if u.get("attachment") == "a02"]
    assert [u["text"] for u in docx_units][1:3] == [
        "Asthma review protocol",
        "Every adult with asthma is invited once a year.",
    ]
    assert result["flags"]["attachments_not_extracted"] == [
        {"attachment": "a03", "reason": "unsupported document type (application/zip)"}
    ]
    everything = json.dumps(result)
    assert "manager@example.org" not in everything and "researcher@example.org" not in everything


def test_msg_date_subject_body_and_attachments(tmp_path):
    path = make.msg_message(
        tmp_path / "rota.msg",
        subject="Asthma clinic rota",
        body="Hello team,\r\n\r\nThe clinic moves to\r\nTuesday.\r\n",
        sent=dt.datetime(2025, 3, 10, 9, 15, tzinfo=dt.UTC),
        attachments=[
            ("recall.csv", b"Month,Invited\r\nApril,42\r\n" + b"May,38\r\n" * 700),
            ("photos.zip", _zip_bytes()),
        ],
    )
    result = extract_document(path, "E2", SETTINGS)
    units = result["units"]
    assert [u["text"] for u in units[:4]] == [
        "Date: 2025-03-10 09:15\nSubject: Asthma clinic rota",
        "Hello team,",
        "The clinic moves to Tuesday.",
        "Attachments: recall.csv; photos.zip",
    ]
    table = units[4]
    assert table["attachment"] == "a01" and table["kind"] == "table"
    assert table["cells"][:3] == [["Month", "Invited"], ["April", "42"], ["May", "38"]]
    assert len(table["cells"]) == 702
    assert result["flags"]["attachments_not_extracted"][0]["attachment"] == "a02"
    assert "sender@example.org" not in json.dumps(result)
    assert "Recipient Name" not in json.dumps(result)


# --- Bad input --------------------------------------------------------------------------------


def test_encrypted_pdf_fixture_names_the_item_and_the_fix():
    with pytest.raises(FieldcorpusError) as caught:
        extract_document(shared_path("fixtures", "pdfs", "password-example.pdf"), "D9", SETTINGS)
    assert (
        str(caught.value)
        == "item D9: PDF is encrypted: supply an unlocked copy and update the manifest"
    )


def _encrypted_pdf(path):
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(0, 10, "Confidential practice audit")
    pdf.set_encryption(owner_password="owner", user_password="user")
    pdf.output(str(path))


def _truncated_pdf(path):
    whole = make.pdf_document(path, [["A protocol page with enough text to matter."]] * 3)
    path.write_bytes(whole.read_bytes()[:400])


def _corrupt_docx(path):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<not-closed")


BAD_INPUTS = {
    "encrypted.pdf": (_encrypted_pdf, "PDF is encrypted: supply an unlocked copy"),
    "truncated.pdf": (_truncated_pdf, "PDF cannot be read (corrupt or truncated): supply"),
    "corrupt.docx": (_corrupt_docx, "DOCX cannot be read (corrupt or not a Word file)"),
    "empty.pdf": (lambda p: p.write_bytes(b""), "the file is empty (0 bytes)"),
    "archive.zip": (
        lambda p: p.write_bytes(_zip_bytes()),
        "unsupported document type (application/zip): convert it to PDF, DOCX",
    ),
    "legacy.doc": (
        lambda p: p.write_bytes(make.compound_file({"WordDocument": b"\x00" * 600})),
        "Word 97-2003 documents (.doc) are not supported: save it as DOCX",
    ),
    "lying.docx": (
        lambda p: make.pdf_document(p, [["A PDF wearing a Word name."]]),
        "the file's extension (.docx) does not match its content (PDF): rename the file",
    ),
    "lying.pdf": (
        lambda p: p.write_bytes(b"just some plain notes, not a PDF"),
        "the file's extension (.pdf) does not match its content (plain text)",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_documents_fail_with_item_id_reason_and_fix(tmp_path, name):
    maker, message = BAD_INPUTS[name]
    path = tmp_path / name
    maker(path)
    with pytest.raises(FieldcorpusError) as caught:
        extract_document(path, "D2", SETTINGS)
    assert str(caught.value).startswith(f"item D2: {message}")
    assert name not in str(caught.value) and str(tmp_path) not in str(caught.value)


def test_raw_files_are_left_untouched(tmp_path):
    path = make.docx_document(tmp_path / "protocol.docx")
    path.chmod(0o400)
    before = path.read_bytes()
    extract_document(path, "W2", SETTINGS)
    assert path.read_bytes() == before


# --- A long PDF in bounded memory -----------------------------------------------------------

_MEASURE = """
import sys
sys.path.insert(0, sys.argv[1])
from fieldcorpus.documents.extract import extract_document


def peak_mib():  # VmHWM starts afresh at exec (ru_maxrss would carry pytest's own peak over)
    with open("/proc/self/status") as status:
        return next(int(l.split()[1]) for l in status if l.startswith("VmHWM")) // 1024


settings = {"ocr": False, "tables": False, "drop_running_headers": True}
extract_document(sys.argv[3], "warm", settings)
baseline = peak_mib()
result = extract_document(sys.argv[2], "L1", settings)
print(len(result["units"]), result["source"]["pages"], peak_mib() - baseline)
"""


def _long_pdf(path, pages: int):
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for number in range(1, pages + 1):
        pdf.add_page()
        topic = ("inhalers", "spacers", "peak flow", "recall", "reviews", "action plans")[
            number % 6
        ]
        pdf.cell(0, 8, f"Week {number} notes on {topic} at the asthma clinic.")
    pdf.output(str(path))
    return path


def test_thousand_page_pdf_is_read_page_by_page_in_bounded_memory(tmp_path):
    long_pdf = _long_pdf(tmp_path / "long.pdf", 1000)
    short_pdf = _long_pdf(tmp_path / "short.pdf", 20)
    measured = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(REPO / "scripts"), str(long_pdf), str(short_pdf)],
        capture_output=True,
        text=True,
        check=True,
    )
    units, pages, growth_mib = (int(v) for v in measured.stdout.split())
    assert (units, pages) == (1000, 1000)
    # Page by page it grows by ~8 MiB; keeping every page's parsed objects (no page.close())
    # grows by ~100 MiB even on these one-line pages.
    assert growth_mib < 25, f"peak memory grew by {growth_mib} MiB over 1,000 pages"
