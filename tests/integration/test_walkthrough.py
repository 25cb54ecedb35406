"""The README's wave, step by step, on a copy of the demo run: copy the wave's folder, `fieldcorpus
scan`, append the draft rows, `snakemake`, `fieldcorpus status`, `fieldcorpus review`, fix the
failed item, `snakemake` again."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import subprocess
import sys

import docx
import pytest
from fpdf import FPDF

from tests.conftest import REPO, copy_run, snakemake, tree_digest

pytestmark = pytest.mark.integration

NOTE_DATE = dt.datetime(2026, 3, 4, 10, 0)
SCAN_DATE = dt.datetime(2026, 3, 2, 12, 0)


def fieldcorpus(workdir, *args):
    return subprocess.run(
        [sys.executable, "-m", "fieldcorpus.cli", *args, "-d", str(workdir)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO / "scripts")},
        timeout=300,
    )


def register_names(workdir, practice):
    with open(workdir / "demo/register.tsv", encoding="utf-8-sig", newline="") as handle:
        return [row["name"] for row in csv.DictReader(handle, delimiter="\t")
                if row["practice"] == practice and row["entity_type"] == "person"]  # fmt: skip


def append_draft(workdir):
    """README: check the draft rows, then append them (no header) to the manifest."""
    draft = (workdir / "manifest-draft.tsv").read_text(encoding="utf-8").splitlines()
    with open(workdir / "demo/manifest.tsv", "a", encoding="utf-8") as handle:
        handle.write("".join(f"{line}\n" for line in draft[1:]))
    return list(csv.DictReader(io.StringIO("\n".join(draft)), delimiter="\t"))


def readable_copy(path, text):
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(0, 10, text)
    pdf.output(str(path))


def test_a_new_wave_from_scan_to_status(demo_run, tmp_path):
    workdir = copy_run(demo_run, tmp_path / "run")
    person = register_names(workdir, "P02")[0]
    wave3 = workdir / "demo/fieldwork/P02/wave3"
    wave3.mkdir()
    note = docx.Document()
    note.add_paragraph(f"{person} ran the asthma clinic; the action plan was discussed.")
    note.core_properties.created = NOTE_DATE
    note.save(wave3 / "observation notes.docx")
    scan = wave3 / f"protocol scan {person}.pdf"
    scan.write_bytes(b"%PDF-1.4\n" + os.urandom(3000))
    os.utime(scan, (SCAN_DATE.timestamp(), SCAN_DATE.timestamp()))
    fieldwork = tree_digest(workdir / "demo/fieldwork")

    result = fieldcorpus(workdir, "scan")
    assert result.returncode == 0, result.stderr
    rows = append_draft(workdir)
    columns = ("item_id", "practice", "wave", "kind", "collected_on")
    assert [tuple(row[c] for c in columns) for row in rows] == [
        ("P02-W3-OBS-01", "P02", "3", "observation", "2026-03-04"),
        ("P02-W3-DOC-01", "P02", "3", "document", "2026-03-02"),
    ]
    assert fieldcorpus(workdir, "scan").stdout.startswith("scan: every file")

    run = snakemake(workdir)
    assert run.returncode != 0  # the scan is corrupt; --keep-going (the profile) finishes the rest
    assert "fieldcorpus: item P02-W3-DOC-01: PDF cannot be read" in run.stdout + run.stderr
    # The practice's ledger waits for all its items, so P02's new items are extracted but not
    # yet pseudonymised; the other practice is untouched.
    assert (workdir / "results/restricted/text/P02/P02-W3-OBS-01.json").is_file()
    assert not (workdir / "results/shareable/items/P02/P02-W3-OBS-01.txt").exists()

    (wave3 / "minutes.docx").write_bytes((wave3 / "observation notes.docx").read_bytes())
    assert fieldcorpus(workdir, "scan").returncode == 0
    assert [r["item_id"] for r in append_draft(workdir)] == ["P02-W3-DOC-02"]

    status = fieldcorpus(workdir, "status", "--tsv")
    assert status.returncode == 0, status.stderr
    table = {
        (row["practice"], row["wave"]): row
        for row in csv.DictReader(io.StringIO(status.stdout), delimiter="\t")
    }
    wave = table[("P02", "3")]
    assert (wave["items"], wave["done"], wave["failed"], wave["waiting"]) == ("3", "0", "1", "2")
    assert wave["failures"].startswith("P02-W3-DOC-01: PDF cannot be read (corrupt or truncated)")
    assert all(row["done"] == row["items"] for key, row in table.items() if key != ("P02", "3"))
    assert person not in status.stdout and "protocol scan" not in status.stdout

    review = fieldcorpus(workdir, "review", "--practice", "P02")
    assert review.returncode == 0 and "P02" in review.stdout
    assert fieldcorpus(workdir, "review", "--apply").returncode == 0

    # The researcher supplies a readable copy of the scan; the rerun finishes the wave.
    readable_copy(scan, f"Protocol agreed with {person}: asthma reviews in the birth month.")
    rerun = snakemake(workdir)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    items = workdir / "results/shareable/items/P02"
    for item_id, phrase in [("P02-W3-OBS-01", "action plan"), ("P02-W3-DOC-01", "birth month")]:
        text = (items / f"{item_id}.txt").read_text()
        assert phrase in text and person not in text, item_id
    final = fieldcorpus(workdir, "status", "--tsv").stdout
    rows = list(csv.DictReader(io.StringIO(final), delimiter="\t"))
    assert all(row["done"] == row["items"] and row["failed"] == "0" for row in rows)
    assert {row["leak_check"] for row in rows} == {"passed"}
    after = tree_digest(workdir / "demo/fieldwork")
    fieldwork.pop(scan.relative_to(workdir / "demo/fieldwork").as_posix())  # replaced by hand
    assert {k: v for k, v in after.items() if k in fieldwork} == fieldwork
