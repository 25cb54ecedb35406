"""Bad documents through Snakemake: each failing job names its item, the reason and the fix,
the run exits non-zero, and every other document is still extracted (--keep-going)."""

from __future__ import annotations

import json
import zipfile

import pytest

from tests.conftest import make_workdir, shared_path, snakemake
from tests.unit import document_makers as make

pytestmark = pytest.mark.integration

HEADER = "item_id\tpractice\twave\tcollected_on\tkind\trole\tpath\tlanguage\tnotes\tspeakers\n"


def _corrupt_docx(path):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<not-closed")


def test_bad_documents_fail_alone_with_their_message(tmp_path):
    workdir = make_workdir(tmp_path / "run")
    fieldwork = workdir / "docs" / "P01"
    fieldwork.mkdir(parents=True)
    good = {
        "P01-W1-DOC-11": make.pdf_document(
            fieldwork / "protocol.pdf", [["Asthma reviews happen in the birth month."]]
        ),
        "P01-W1-DOC-12": make.docx_document(fieldwork / "notes.docx"),
        "P01-W1-DOC-13": make.xlsx_workbook(fieldwork / "audit.xlsx"),
        "P01-W1-DOC-14": make.eml_message(fieldwork / "rota.eml", []),
    }
    (fieldwork / "Interview Sarah Mitchell.pdf").write_bytes(
        shared_path("fixtures", "pdfs", "password-example.pdf").read_bytes()
    )
    (fieldwork / "truncated.pdf").write_bytes((fieldwork / "protocol.pdf").read_bytes()[:300])
    _corrupt_docx(fieldwork / "corrupt.docx")
    (fieldwork / "empty.txt").write_bytes(b"")
    with zipfile.ZipFile(fieldwork / "archive.zip", "w") as archive:
        archive.writestr("photos/readme.txt", "not a document")
    make.pdf_document(fieldwork / "lying.docx", [["A PDF with a Word name."]])
    bad = {
        "P01-W1-BAD-01": (
            "Interview Sarah Mitchell.pdf",
            "PDF is encrypted: supply an unlocked copy and update the manifest",
        ),
        "P01-W1-BAD-02": ("truncated.pdf", "PDF cannot be read (corrupt or truncated)"),
        "P01-W1-BAD-03": ("corrupt.docx", "DOCX cannot be read (corrupt or not a Word file)"),
        "P01-W1-BAD-04": ("empty.txt", "the file is empty (0 bytes)"),
        "P01-W1-BAD-05": (
            "archive.zip",
            "unsupported document type (application/zip): convert it to PDF, DOCX",
        ),
        "P01-W1-BAD-06": (
            "lying.docx",
            "the file's extension (.docx) does not match its content (PDF)",
        ),
    }
    rows = [(item, path.name) for item, path in good.items()]
    rows += [(item, name) for item, (name, _) in bad.items()]
    (workdir / "docs" / "manifest.tsv").write_text(
        HEADER
        + "".join(
            f"{item}\tP01\t1\t2025-03-10\tdocument\tpractice_manager\tP01/{name}\ten\t\t\n"
            for item, name in rows
        ),
        encoding="utf-8",
    )
    targets = [f"results/restricted/text/P01/{item}.json" for item, _ in rows]
    result = snakemake(
        workdir,
        "--keep-going",
        "--config",
        "manifest=docs/manifest.tsv",
        "fieldwork_dir=docs",
        "--",
        *targets,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output[-3000:]
    for item, (_, message) in bad.items():
        assert f"fieldcorpus: item {item}: {message}" in output
        assert not (workdir / f"results/restricted/text/P01/{item}.json").exists()
    for item in good:
        document = json.loads((workdir / f"results/restricted/text/P01/{item}.json").read_text())
        assert document["units"], item
    # Our messages and the rule logs never repeat a raw file name (Snakemake's own job listing
    # shows input paths; that is Snakemake's output, not ours).
    messages = [line for line in output.splitlines() if line.startswith("fieldcorpus:")]
    assert len(messages) >= len(bad) and not any("Sarah Mitchell" in m for m in messages)
    for log in (workdir / "logs").rglob("*.log"):
        assert "Sarah Mitchell" not in log.read_text(encoding="utf-8")
