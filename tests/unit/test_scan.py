import datetime as dt
import hashlib
import shutil

import docx
import pytest
from fieldcorpus.errors import ManifestError
from fieldcorpus.intake.scan import (
    propose_rows,
    read_manifest_rows,
    rows_to_tsv,
    validate_with_manifest,
)
from fieldcorpus.manifest import load_manifest
from fpdf import FPDF

from tests.conftest import DEMO


def digest(root):
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def study(tmp_path):
    shutil.copytree(DEMO / "fieldwork", tmp_path / "fieldwork")
    shutil.copy(DEMO / "manifest.tsv", tmp_path / "manifest.tsv")
    wave3 = tmp_path / "fieldwork" / "P01" / "wave3"
    wave3.mkdir()
    shutil.copy(
        next((DEMO / "fieldwork" / "P01" / "wave1").glob("*.wav")), wave3 / "clinic-review.wav"
    )
    shutil.copy(
        next((DEMO / "fieldwork" / "P01" / "wave1").glob("*.wav")), wave3 / "staff talk.wav"
    )
    note = docx.Document()
    note.add_paragraph("Wave 3 field notes.")
    note.core_properties.created = dt.datetime(2026, 3, 4, 10, 0)
    note.save(wave3 / "observation notes.docx")
    pdf = FPDF()
    pdf.set_creation_date(dt.datetime(2026, 2, 27, 9, 0, tzinfo=dt.UTC))
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(0, 10, "Protocol")
    pdf.output(wave3 / "protocol.pdf")
    (tmp_path / "fieldwork" / "stray.txt").write_text("not in a practice/wave folder")
    return tmp_path


def test_scan_proposes_only_new_files_with_ids_kinds_and_dates(study):
    before = digest(study / "fieldwork")
    rows = propose_rows(study / "manifest.tsv", study / "fieldwork")
    assert digest(study / "fieldwork") == before
    by_path = {row["path"]: row for row in rows}
    assert set(by_path) == {
        "P01/wave3/clinic-review.wav",
        "P01/wave3/staff talk.wav",
        "P01/wave3/observation notes.docx",
        "P01/wave3/protocol.pdf",
    }
    clinic = by_path["P01/wave3/clinic-review.wav"]
    assert (clinic["item_id"], clinic["kind"], clinic["practice"], clinic["wave"]) == (
        "P01-W3-CLN-01", "clinic_review", "P01", "3",
    )  # fmt: skip
    assert by_path["P01/wave3/staff talk.wav"]["item_id"] == "P01-W3-INT-01"
    note = by_path["P01/wave3/observation notes.docx"]
    assert (note["item_id"], note["kind"], note["role"], note["collected_on"]) == (
        "P01-W3-OBS-01", "observation", "researcher", "2026-03-04",
    )  # fmt: skip
    protocol = by_path["P01/wave3/protocol.pdf"]
    assert (protocol["kind"], protocol["collected_on"]) == ("document", "2026-02-27")


def test_ids_continue_after_existing_rows_and_pass_pipeline_validation(study):
    new = study / "fieldwork" / "P02" / "wave2" / "extra-clinic-review.wav"
    shutil.copy(next((DEMO / "fieldwork" / "P01" / "wave1").glob("*.wav")), new)
    rows = propose_rows(study / "manifest.tsv", study / "fieldwork", study / "fieldwork" / "P02")
    assert [row["item_id"] for row in rows] == ["P02-W2-CLN-02"]
    validate_with_manifest(study / "manifest.tsv", study / "fieldwork", rows, study)
    with open(study / "manifest.tsv", "a", encoding="utf-8") as handle:
        handle.write(rows_to_tsv(rows, header=False))
    assert "P02-W2-CLN-02" in load_manifest(study / "manifest.tsv", study / "fieldwork").items
    assert (
        propose_rows(study / "manifest.tsv", study / "fieldwork", study / "fieldwork" / "P02") == []
    )
    assert len(read_manifest_rows(study / "manifest.tsv")) == 18


def test_validation_reports_a_bad_proposed_row(study):
    rows = propose_rows(study / "manifest.tsv", study / "fieldwork")
    rows[0]["item_id"] = read_manifest_rows(study / "manifest.tsv")[0]["item_id"]
    with pytest.raises(ManifestError, match="duplicates the id"):
        validate_with_manifest(study / "manifest.tsv", study / "fieldwork", rows, study)
