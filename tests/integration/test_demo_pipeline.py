"""The whole chain on a temporary copy of the demo fieldwork, with the network cut."""

from __future__ import annotations

import csv
import json
import os
import re
import stat
from pathlib import Path

import docx
import pandas as pd
import pytest

from tests.conftest import copy_run, snakemake, tree_digest

pytestmark = pytest.mark.integration

ASTHMA_WORDS = ("salbutamol", "preventer", "peak flow", "action plan", "inhaler technique")


def manifest_rows(workdir: Path) -> list[dict]:
    with open(workdir / "demo" / "manifest.tsv", encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def register_strings(workdir: Path) -> set[str]:
    with open(workdir / "demo" / "register.tsv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    strings = {row["name"] for row in rows}
    strings |= {a.strip() for row in rows for a in row["aliases"].split(";") if a.strip()}
    return strings


def planned_jobs(dry_run_output: str) -> list[tuple[str, str]]:
    """(rule, wildcards) of every job a dry run plans."""
    jobs, rule = [], None
    for line in dry_run_output.splitlines():
        found = re.match(r"^\s*(?:local)?rule (\w+):", line)
        if found:
            rule = found.group(1)
            jobs.append((rule, ""))
        elif rule and line.strip().startswith("wildcards:"):
            jobs[-1] = (rule, line.split(":", 1)[1].strip())
    return jobs


def test_every_manifest_item_reaches_shareable(demo_run):
    rows = manifest_rows(demo_run)
    kinds = {row["kind"] for row in rows}
    assert {"interview", "clinic_review", "observation", "document"} <= kinds
    for row in rows:
        for ext in ("json", "txt"):
            assert (
                demo_run / "results/shareable/items" / row["practice"] / f"{row['item_id']}.{ext}"
            ).is_file()


def test_corpora_are_date_ordered_and_cover_all_kinds(demo_run):
    rows = manifest_rows(demo_run)
    for practice in ("P01", "P02"):
        frame = pd.read_parquet(demo_run / f"results/shareable/corpus/{practice}/corpus.parquet")
        assert set(frame["item_id"]) == {r["item_id"] for r in rows if r["practice"] == practice}
        assert {"interview", "clinic_review", "observation", "document"} <= set(frame["kind"])
        keys = list(zip(frame["collected_on"], frame["item_id"], frame["sequence"], strict=True))
        assert keys == sorted(keys)
        csv_frame = pd.read_csv(
            demo_run / f"results/shareable/corpus/{practice}/corpus.csv",
            encoding="utf-8-sig",
            keep_default_na=False,
        )
        assert list(csv_frame["text"]) == list(frame["text"])
    study = pd.read_parquet(demo_run / "results/shareable/corpus/all/corpus.parquet")
    assert set(study["item_id"]) == {r["item_id"] for r in rows}


def test_transcripts_contain_the_scripted_asthma_words(demo_run):
    transcripts = sorted((demo_run / "results/restricted/transcripts").rglob("*.json"))
    assert len(transcripts) == sum(
        r["kind"] in ("interview", "clinic_review") for r in manifest_rows(demo_run)
    )
    text = " ".join(
        u["text"] for path in transcripts for u in json.loads(path.read_text())["units"]
    ).lower()
    for word in ASTHMA_WORDS:
        assert word in text, word


def test_no_register_string_anywhere_under_shareable(demo_run):
    shareable = demo_run / "results/shareable"
    strings = register_strings(demo_run)
    pattern = re.compile(
        "|".join(
            r"(?<!\w)" + r"\s*".join(map(re.escape, s.lower().split())) + r"(?!\w)"
            for s in sorted(strings, key=len, reverse=True)
        ),
    )
    raw_names = {Path(r["path"]).stem.lower() for r in manifest_rows(demo_run)}
    for path in shareable.rglob("*"):
        relative = path.relative_to(shareable).as_posix().lower()
        assert not pattern.search(relative.replace("_", " ")), relative
        assert not any(name in relative for name in raw_names), relative
        if path.is_file():
            if path.suffix == ".parquet":
                content = pd.read_parquet(path).astype(str).to_csv()
            else:
                content = path.read_text(encoding="utf-8", errors="ignore")
            hit = pattern.search(content.lower())
            assert hit is None, f"{relative} contains a register string"


def assert_logs_name_no_one(workdir: Path, terminal_output: str) -> None:
    """No register string or raw file stem in the terminal output, any job log or
    Snakemake's own logs."""
    strings = {s.lower() for s in register_strings(workdir)}
    strings |= {Path(r["path"]).stem.lower() for r in manifest_rows(workdir)}
    logs = {"terminal output": terminal_output}
    for log in [*(workdir / "logs").rglob("*.log"), *(workdir / ".snakemake/log").glob("*.log")]:
        text = log.read_text(encoding="utf-8", errors="replace")
        logs[log.relative_to(workdir).as_posix()] = text
    assert len(logs) > 20
    for name, text in logs.items():
        text = text.lower()
        found = [s for s in strings if re.search(rf"(?<!\w){re.escape(s)}(?!\w)", text)]
        assert not found, f"{name} names someone or a raw file"


def test_logs_and_terminal_output_name_no_one(demo_run):
    assert_logs_name_no_one(demo_run, (demo_run / "terminal-output.txt").read_text())


def test_zones_have_private_permissions(demo_run):
    restricted = demo_run / "results/restricted"
    for path in [restricted, *restricted.rglob("*")]:
        if (
            path.is_symlink()
        ):  # links to raw items (fieldcorpus.intake.staging); raw files stay as they are
            continue
        mode = stat.S_IMODE(os.stat(path).st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), path


def test_second_run_has_nothing_to_do(demo_run):
    result = snakemake(demo_run, "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "Nothing to be done" in result.stdout + result.stderr


def test_a_new_item_reprocesses_nothing_earlier(demo_run, tmp_path):
    workdir = copy_run(demo_run, tmp_path / "run")
    shareable = workdir / "results/shareable/items"
    before = tree_digest(shareable)
    new_file = workdir / "demo/fieldwork/P01/wave3/observation-2026-03-02.docx"
    new_file.parent.mkdir(parents=True)
    note = docx.Document()
    note.add_paragraph("Wave 3 visit: the asthma clinic now books peak flow checks in advance.")
    note.save(new_file)
    with open(workdir / "demo/manifest.tsv", "a", encoding="utf-8") as handle:
        handle.write(
            "P01-W3-OBS-01\tP01\t3\t2026-03-02\tobservation\tresearcher\t"
            "P01/wave3/observation-2026-03-02.docx\ten\tadded in a test\t\n"
        )
    plan = snakemake(workdir, "--dry-run")
    assert plan.returncode == 0, plan.stderr
    jobs = planned_jobs(plan.stdout)
    assert not [j for j in jobs if j[0] == "transcribe_recording"]
    assert [j for j in jobs if j[0] == "extract_document"] == [
        ("extract_document", "practice=P01, item_id=P01-W3-OBS-01")
    ]
    assert not [j for j in jobs if "P02" in j[1]]
    result = snakemake(workdir)
    assert result.returncode == 0, result.stderr[-3000:]
    after = tree_digest(shareable)
    assert {k: v for k, v in after.items() if k in before} == before
    assert "P01/P01-W3-OBS-01.txt" in after


def test_a_planted_register_name_fails_the_leak_check(demo_run, tmp_path):
    workdir = copy_run(demo_run, tmp_path / "run")
    name = sorted(register_strings(workdir), key=len)[-1]
    target = workdir / "results/shareable/items/P02"
    victim = sorted(p for p in target.glob("*.txt") if p.stem == p.name.split(".")[0])[0]
    victim.write_text(victim.read_text() + f"\nplanted: {name}\n")
    result = snakemake(workdir)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert f"items/P02/{victim.name} (item {victim.stem})" in output
    assert name.lower() not in output.lower()
    assert not (workdir / "results/shareable/leak-check.tsv").exists()


def test_a_malformed_manifest_fails_before_any_job(demo_run, tmp_path):
    workdir = copy_run(demo_run, tmp_path / "run")
    rows = manifest_rows(workdir)
    header = "\t".join(rows[0].keys())
    first = "\t".join(rows[0].values())
    bad = [
        first,
        first,
        first.replace(rows[0]["item_id"], "X-MISSING").replace(rows[0]["path"], "P01/nowhere.wav"),
        first.replace(rows[0]["item_id"], "X-ESCAPE").replace(rows[0]["path"], "../manifest.tsv"),
        first.replace(rows[0]["item_id"], "X-DATE").replace(rows[0]["collected_on"], "2025-02-30"),
    ]
    (workdir / "demo/manifest.tsv").write_text(header + "\n" + "\n".join(bad) + "\n")
    result = snakemake(workdir)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert f"row 3 (item {rows[0]['item_id']}), column item_id: duplicates" in output
    assert "row 4 (item X-MISSING), column path" in output
    assert "row 5 (item X-ESCAPE), column path" in output
    assert "row 6 (item X-DATE), column collected_on" in output
    assert "rule " not in result.stdout and "Select jobs" not in output
    assert "nowhere.wav" not in output
