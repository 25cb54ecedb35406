"""The audit on a small processed study: passes when untouched, one specific finding per drift."""

from __future__ import annotations

import shutil

import pytest
from fieldcorpus.cli.main import main
from fieldcorpus.paths import PROJECT_ROOT
from fieldcorpus.provenance.audit import findings_to_tsv, run_audit, summary

from tests.support.provenance_study import PIPELINE, make_study_with_crate, manifest_row


def audit(study):
    return run_audit(study["manifest"], study["fieldwork"], study["shareable"])


def kinds(result) -> list[tuple[str, str, str]]:
    return [(f.kind, f.item_id, f.file) for f in result.findings]


@pytest.fixture
def study(tmp_path):
    return make_study_with_crate(tmp_path / "study")


def test_an_untouched_study_passes(study):
    result = audit(study)
    assert result.passed, summary(result)
    assert result.items == 3 and result.raw_files == 3
    assert "audit passed" in summary(result)


def test_an_edited_shareable_file_is_found(study):
    path = study["shareable"] / "items/P01/P01-W1-INT-01.txt"
    path.write_text(path.read_text() + "added by hand\n")
    assert kinds(audit(study)) == [
        ("shareable-edited", "P01-W1-INT-01", "shareable:items/P01/P01-W1-INT-01.txt")
    ]


def test_an_edited_corpus_file_is_found_through_the_crate(study):
    (study["shareable"] / "leak-check.tsv").write_text("file\titem_id\tresult\nx\t-\tclean\n")
    assert kinds(audit(study)) == [("shareable-edited", "-", "shareable:leak-check.tsv")]


def test_a_changed_or_missing_raw_file_is_found_without_naming_it(study):
    raw = study["fieldwork"] / "P01" / "Interview Jane Example.wav"
    raw.write_bytes(raw.read_bytes() + b"\0")
    (study["fieldwork"] / "P02" / "interview-2025-03-18.wav").unlink()
    result = audit(study)
    assert kinds(result) == [
        ("raw-changed", "P01-W1-INT-01", "raw:P01-W1-INT-01"),
        ("raw-missing", "P02-W1-INT-01", "raw:P02-W1-INT-01"),
    ]
    text = summary(result) + findings_to_tsv(result.findings)
    assert "Jane" not in text and "interview-2025" not in text


def test_a_deleted_shareable_file_is_found(study):
    (study["shareable"] / "items/P02/P02-W1-INT-01.json").unlink()
    (study["shareable"] / "provenance/P01-W1-OBS-01.json").unlink()
    found = kinds(audit(study))
    assert ("shareable-missing", "P02-W1-INT-01", "shareable:items/P02/P02-W1-INT-01.json") in found
    assert ("never-processed", "P01-W1-OBS-01", "-") not in found
    assert (
        "shareable-missing",
        "P01-W1-OBS-01",
        "shareable:provenance/P01-W1-OBS-01.json",
    ) in found


def test_a_manifest_row_never_processed_is_found(study):
    new = study["fieldwork"] / "P02" / "late.docx"
    new.write_bytes(b"late")
    with open(study["manifest"], "a", encoding="utf-8") as handle:
        handle.write(manifest_row("P02-W2-OBS-01", "P02", "observation", "late.docx"))
    assert kinds(audit(study)) == [("never-processed", "P02-W2-OBS-01", "-")]


def test_a_file_the_pipeline_did_not_make_is_found(study):
    (study["shareable"] / "items/P01/extra.txt").write_text("hello\n")
    assert kinds(audit(study)) == [("unlisted-file", "-", "shareable:items/P01/extra.txt")]
    result = run_audit(
        study["manifest"],
        study["fieldwork"],
        study["shareable"],
        known_files=("items/P01/extra.txt",),
    )
    assert result.passed


def test_outputs_of_another_pipeline_version_or_model_are_found(tmp_path):
    older = {**PIPELINE, "commit": "b" * 40, "code_sha256": "9" * 64}
    other_model = {
        "name": "faster-whisper",
        "version": "1.2.1",
        "model": {"id": "base.en", "sha256": "7" * 64},
    }
    study = make_study_with_crate(
        tmp_path, pipelines={"P02-W1-INT-01": older}, engines={"P01-W1-INT-01": other_model}
    )
    result = audit(study)
    found = kinds(result)
    assert (
        "mixed-pipeline-version",
        "P02-W1-INT-01",
        "shareable:provenance/P02-W1-INT-01.json",
    ) in found
    models = [f for f in result.findings if f.kind == "mixed-model"]
    # two recordings, one model each: the tie is broken deterministically, one item is named
    assert len(models) == 1 and "faster-whisper model" in models[0].detail


def test_the_crate_itself_must_exist(study):
    (study["shareable"] / "ro-crate-metadata.json").unlink()
    assert ("crate-missing", "-", "shareable:ro-crate-metadata.json") in kinds(audit(study))


def write_config(study) -> None:
    root = study["root"]
    shutil.copytree(PROJECT_ROOT / "config", root / "config")
    text = (root / "config" / "config.yaml").read_text()
    (root / "config" / "config.yaml").write_text(
        text.replace("demo/manifest.tsv", "manifest.tsv")
        .replace("demo/fieldwork", "fieldwork")
        .replace("results/restricted", "restricted")
        .replace("results/shareable", "shareable")
    )


def test_the_command_exits_non_zero_on_findings_and_writes_a_tsv(study, capsys, tmp_path):
    write_config(study)
    assert main(["audit", "-d", str(study["root"])]) == 0
    assert "audit passed" in capsys.readouterr().out
    (study["shareable"] / "items/P01/P01-W1-INT-01.txt").write_text("edited\n")
    tsv = tmp_path / "findings.tsv"
    assert main(["audit", "-d", str(study["root"]), "--tsv", str(tsv)]) == 1
    out = capsys.readouterr().out
    assert "audit FAILED: 1 finding(s)" in out
    assert "shareable-edited: item P01-W1-INT-01, shareable:items/P01/P01-W1-INT-01.txt" in out
    lines = tsv.read_text().splitlines()
    assert lines[0] == "kind\titem_id\tfile\tdetail"
    assert lines[1].startswith(
        "shareable-edited\tP01-W1-INT-01\tshareable:items/P01/P01-W1-INT-01.txt"
    )
    default = study["restricted"] / "audit" / "audit.tsv"
    assert default.is_file() and oct(default.stat().st_mode & 0o777) == "0o600"


def test_the_command_rejects_a_bad_config(study, capsys):
    write_config(study)
    assert main(["audit", "-d", str(study["root"]), "--config", "transcription=3"]) == 2
    assert "config transcription" in capsys.readouterr().err
