"""Provenance on the demo run: lineage, run records, RO-Crate, audit, byte-identical reruns."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fieldcorpus.deid.leakcheck import file_text
from fieldcorpus.formats import TRANSCRIPT_FORMATS
from fieldcorpus.manifest import RECORDING_KINDS
from rocrate.rocrate import ROCrate

from tests.conftest import copy_run, snakemake, tree_digest

pytestmark = pytest.mark.integration

SHAREABLE = "results/shareable"
RESTRICTED = "results/restricted"
TRANSCRIPT = "P01-W1-INT-01"  # its raw file is called "Interview Sarah Mitchell.wav"


def manifest_rows(workdir: Path) -> list[dict]:
    with open(workdir / "demo/manifest.tsv", encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def audit(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "fieldcorpus.cli", "audit", "-d", str(workdir), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_every_item_has_a_lineage_record_in_both_zones(demo_run):
    shareable = demo_run / SHAREABLE
    for row in manifest_rows(demo_run):
        record = json.loads((shareable / "provenance" / f"{row['item_id']}.json").read_text())
        private = json.loads(
            (demo_run / RESTRICTED / "provenance" / f"{row['item_id']}.json").read_text()
        )
        raw = demo_run / "demo/fieldwork" / row["path"]
        assert record["raw"]["sha256"] == sha256(raw)
        assert "path" not in record["raw"] and private["raw"]["path"] == row["path"]
        assert record["item"]["kind"] == row["kind"] and record["item"]["wave"] == int(row["wave"])
        for relative, digest in record["shareable_outputs"].items():
            assert digest == sha256(shareable / relative)
        formats = TRANSCRIPT_FORMATS if row["kind"] in RECORDING_KINDS else ("txt",)
        assert set(record["shareable_outputs"]) == {
            f"items/{row['practice']}/{row['item_id']}.{fmt}" for fmt in ("json", *formats)
        }
        for stage in record["stages"].values():
            zone, relative = stage["file"].split(":", 1)
            assert stage["sha256"] == sha256(demo_run / RESTRICTED / relative), zone
        ledger = json.loads(
            (demo_run / RESTRICTED / f"ledger/{row['practice']}.state.json").read_text()
        )
        assert record["stages"]["pseudonymisation"]["ledger"]["sha256"] == ledger["sha256"]
        assert record["pipeline"]["code_sha256"] and record["software"]["snakemake"]
    transcript = json.loads((shareable / "provenance" / f"{TRANSCRIPT}.json").read_text())
    engine = transcript["stages"]["transcription"]["engine"]
    assert engine["name"] == "faster-whisper" and len(engine["model"]["sha256"]) == 64
    assert transcript["stages"]["detection"]["spacy_model"]["version"]


def test_the_crate_lists_every_shareable_file_and_raw_inputs_by_checksum_only(demo_run):
    shareable = demo_run / SHAREABLE
    crate = ROCrate(shareable)
    listed = {entity.id: entity["sha256"] for entity in crate.data_entities}
    on_disk = {
        relative: digest
        for relative, digest in tree_digest(shareable).items()
        if relative != "ro-crate-metadata.json"
    }
    assert listed == on_disk
    raw = {
        entity.id: entity["sha256"]
        for entity in crate.contextual_entities
        if entity.id.startswith("#raw-")
    }
    rows = manifest_rows(demo_run)
    assert raw == {
        f"#raw-{row['item_id']}": sha256(demo_run / "demo/fieldwork" / row["path"]) for row in rows
    }
    assert "ComputationalWorkflow" in crate.mainEntity.type
    assert crate.get("#run")["instrument"] is crate.mainEntity


def test_no_raw_path_or_file_name_anywhere_under_shareable(demo_run):
    shareable = demo_run / SHAREABLE
    needles = set()
    for row in manifest_rows(demo_run):
        path = Path(row["path"])
        needles |= {row["path"].lower(), path.name.lower(), path.stem.lower()}
    assert "interview sarah mitchell" in needles
    files = [p for p in shareable.rglob("*") if p.is_file()]
    assert any(p.name == "ro-crate-metadata.json" for p in files)
    for path in files:
        relative = path.relative_to(shareable).as_posix().lower()
        text = (relative + "\n" + file_text(path)).lower()
        found = [needle for needle in needles if needle in text]
        assert not found, f"{relative} names a raw file"


def test_each_run_leaves_its_own_run_record(demo_run):
    records = sorted((demo_run / RESTRICTED / "runs").glob("*.json"))
    assert records
    record = json.loads(records[0].read_text())
    assert record["status"] == "success" and record["started"] < record["ended"]
    assert record["host"] and "user" in record
    assert record["manifest_sha256"] == sha256(demo_run / "demo/manifest.tsv")
    assert any(line.startswith("snakemake==") for line in record["pip_freeze"])
    assert record["config"]["manifest"] == "demo/manifest.tsv"
    built = {job["rule"] for job in record["built"]}
    assert {"transcribe_recording", "leak_check", "ro_crate"} <= built
    assert records[0].name.startswith(record["started"][:4]) and record["run_id"] in records[0].name


def test_the_audit_passes_on_a_fresh_demo_run(demo_run, tmp_path):
    result = audit(demo_run, "--tsv", str(tmp_path / "audit.tsv"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "audit passed: 17 manifest items" in result.stdout
    assert (tmp_path / "audit.tsv").read_text() == "kind\titem_id\tfile\tdetail\n"


def test_the_audit_target_finds_an_edited_transcript_without_rebuilding(demo_run, tmp_path):
    workdir = copy_run(demo_run, tmp_path / "run")
    history = {p.name: p.read_bytes() for p in (workdir / RESTRICTED / "runs").glob("*.json")}
    edited = workdir / SHAREABLE / f"items/P01/{TRANSCRIPT}.txt"
    edited.write_text(edited.read_text().replace("[", "(", 1))
    before = edited.read_bytes()
    result = snakemake(workdir, "audit")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert f"shareable-edited: item {TRANSCRIPT}, shareable:items/P01/{TRANSCRIPT}.txt" in output
    assert edited.read_bytes() == before
    tsv = (workdir / RESTRICTED / "audit/audit.tsv").read_text().splitlines()
    assert tsv[1].startswith(
        f"shareable-edited\t{TRANSCRIPT}\tshareable:items/P01/{TRANSCRIPT}.txt"
    )
    runs = {p.name: p.read_bytes() for p in (workdir / RESTRICTED / "runs").glob("*.json")}
    assert len(runs) == len(history) + 1
    assert {name: runs[name] for name in history} == history


def test_the_audit_finds_a_modified_raw_file(demo_run, tmp_path):
    workdir = copy_run(demo_run, tmp_path / "run")
    raw = workdir / "demo/fieldwork/P01/wave1/Interview Sarah Mitchell.wav"
    raw.write_bytes(raw.read_bytes() + b"\0\0")
    result = audit(workdir)
    assert result.returncode == 1
    assert f"raw-changed: item {TRANSCRIPT}, raw:{TRANSCRIPT}" in result.stdout
    assert "sarah" not in (result.stdout + result.stderr).lower()


def test_the_audit_finds_a_deleted_shareable_file(demo_run, tmp_path):
    workdir = copy_run(demo_run, tmp_path / "run")
    (workdir / SHAREABLE / "items/P02/P02-W1-OBS-01.json").unlink()
    result = audit(workdir)
    assert result.returncode == 1
    assert "shareable-missing: item P02-W1-OBS-01, shareable:items/P02/P02-W1-OBS-01.json" in (
        result.stdout
    )
    assert "audit FAILED: 1 finding(s)" in result.stdout


def test_the_audit_finds_a_manifest_row_never_processed(demo_run, tmp_path):
    workdir = copy_run(demo_run, tmp_path / "run")
    late = workdir / "demo/fieldwork/P02/wave3/observation-2026-03-03.docx"
    late.parent.mkdir(parents=True)
    shutil.copy(workdir / "demo/fieldwork/P02/wave2/observation-notes-2025-09-25.docx", late)
    with open(workdir / "demo/manifest.tsv", "a", encoding="utf-8") as handle:
        handle.write(
            "P02-W3-OBS-01\tP02\t3\t2026-03-03\tobservation\tresearcher\t"
            "P02/wave3/observation-2026-03-03.docx\ten\tadded in a test\t\n"
        )
    result = audit(workdir)
    assert result.returncode == 1
    assert "never-processed: item P02-W3-OBS-01, -" in result.stdout
    assert "audit FAILED: 1 finding(s)" in result.stdout


def test_two_from_scratch_runs_produce_identical_shareable_trees(demo_run, second_demo_run):
    """second_demo_run (tests/conftest.py): a second run in a fresh directory with the first
    run's ledger and nothing else of it (killed once while transcribing, then resumed)."""
    workdir = second_demo_run.workdir
    assert second_demo_run.resumed.returncode == 0, second_demo_run.resumed.stderr[-3000:]
    first, second = tree_digest(demo_run / SHAREABLE), tree_digest(workdir / SHAREABLE)
    crate = "ro-crate-metadata.json"
    assert {k: v for k, v in first.items() if k != crate} == {
        k: v for k, v in second.items() if k != crate
    }
    # The crate differs only in fields that describe the run, not its outputs.
    run_specific = {"./": {"datePublished"}, "#run": {"startTime", "endTime", "identifier"}}
    crates = []
    for root in (demo_run, workdir):
        graph = json.loads((root / SHAREABLE / crate).read_text())["@graph"]
        crates.append(
            [
                {k: v for k, v in e.items() if k not in run_specific.get(e["@id"], set())}
                for e in graph
            ]
        )
    assert crates[0] == crates[1]
    first_runs = {p.name for p in (demo_run / RESTRICTED / "runs").glob("*.json")}
    second_runs = {p.name for p in (workdir / RESTRICTED / "runs").glob("*.json")}
    assert second_runs and not first_runs & second_runs


def test_the_report_shows_commit_manifest_and_crate_and_joins_the_crate(demo_run, tmp_path):
    workdir = copy_run(demo_run, tmp_path / "run")
    report = workdir / SHAREABLE / "report.html"
    made = snakemake(workdir, "--report", str(report))
    assert made.returncode == 0, made.stderr[-3000:]
    page = report.read_text(encoding="utf-8")
    facts = json.loads((workdir / SHAREABLE / f"provenance/{TRANSCRIPT}.json").read_text())
    assert facts["pipeline"]["code_sha256"] in page
    if facts["pipeline"]["commit"]:
        assert facts["pipeline"]["commit"] in page
    assert sha256(workdir / "demo/manifest.tsv") in page
    assert "showResultInfo('results/shareable/ro-crate-metadata.json')" in page
    assert "sarah mitchell" not in page.lower()
    rerun = snakemake(workdir)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    listed = {entity.id: entity["sha256"] for entity in ROCrate(workdir / SHAREABLE).data_entities}
    assert listed["report.html"] == sha256(report)
    result = audit(workdir, "--tsv", str(tmp_path / "audit.tsv"))
    assert result.returncode == 0, result.stdout
