"""Bad raw files through one real `--keep-going` run: each failing job names its item, the
reason and the fix; the run exits 1; the good items beside them finish; no raw file name is
printed or logged; and the fieldwork tree is byte-identical afterwards."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import NamedTuple

import pytest

from tests.bad_inputs.cases import FILE_CASES, FOLDER, GOOD_FILES, PRACTICE, message_pattern
from tests.conftest import copy_run, snakemake, tree_digest

pytestmark = pytest.mark.integration

ITEMS = [*FILE_CASES, *GOOD_FILES]


def output_path(workdir: Path, case, ext: str = "json") -> Path:
    zone = "transcripts" if case.is_recording else "text"
    return workdir / f"results/restricted/{zone}/{PRACTICE}/{case.item_id}.{ext}"


def job_log(workdir: Path, case) -> str:
    rule = "transcribe_recording" if case.is_recording else "extract_document"
    return (workdir / f"logs/{rule}/{PRACTICE}/{case.item_id}.log").read_text(encoding="utf-8")


class Run(NamedTuple):
    workdir: Path
    returncode: int
    output: str
    fieldwork_unchanged: bool


def run_bad_files(demo: Path, target: Path) -> Run:
    """A copy of the finished demo with every file case added as practice P03, run once with
    targets restricted to the new items (the demo's own outputs are already up to date)."""
    workdir = copy_run(demo, target)
    folder = workdir / "demo/fieldwork" / FOLDER
    folder.mkdir(parents=True)
    rows = []
    for case in ITEMS:
        case.make(folder / case.name)
        rows.append(
            f"{case.item_id}\t{PRACTICE}\t1\t2025-04-01\t{case.kind}\tnurse\t"
            f"{FOLDER}/{case.name}\ten\t\t\n"
        )
    with open(workdir / "demo/manifest.tsv", "a", encoding="utf-8") as handle:
        handle.writelines(rows)
    fieldwork_before = tree_digest(workdir / "demo/fieldwork")
    targets = [str(output_path(workdir, case).relative_to(workdir)) for case in ITEMS]
    result = snakemake(workdir, "--keep-going", *targets)
    unchanged = tree_digest(workdir / "demo/fieldwork") == fieldwork_before
    return Run(workdir, result.returncode, result.stdout + result.stderr, unchanged)


@pytest.fixture(scope="module")
def bad_files_run(demo_run, tmp_path_factory):
    return run_bad_files(demo_run, tmp_path_factory.mktemp("bad-files") / "run")


def test_the_run_exits_1_and_leaves_the_fieldwork_untouched(bad_files_run):
    assert bad_files_run.returncode == 1, bad_files_run.output[-3000:]
    assert bad_files_run.fieldwork_unchanged


@pytest.mark.parametrize("case", [c for c in FILE_CASES if c.fails], ids=lambda c: c.case)
def test_a_bad_file_fails_alone_naming_its_item_and_the_fix(bad_files_run, case):
    workdir, _, output, _ = bad_files_run
    expected = "fieldcorpus: " + message_pattern(case.message, case.item_id)
    assert re.search(expected, output), output[-3000:]
    assert not output_path(workdir, case).exists()


@pytest.mark.parametrize("case", [c for c in ITEMS if not c.fails], ids=lambda c: c.case)
def test_good_and_recoverable_items_still_finish(bad_files_run, case):
    workdir = bad_files_run.workdir
    document = json.loads(output_path(workdir, case).read_text(encoding="utf-8"))
    if case.message:
        assert re.search(message_pattern(case.message, case.item_id), job_log(workdir, case))
    if case in GOOD_FILES:
        assert document["units"] and not document["flags"].get("truncated")


def test_silence_gives_an_empty_transcript(bad_files_run):
    workdir = bad_files_run.workdir
    (case,) = [c for c in FILE_CASES if c.case == "silence only"]
    document = json.loads(output_path(workdir, case).read_text(encoding="utf-8"))
    assert document["units"] == [] and document["flags"]["no_speech"] is True


def test_an_mp3_cut_short_is_transcribed_as_far_as_it_decodes_and_flagged(bad_files_run):
    workdir = bad_files_run.workdir
    (case,) = [c for c in FILE_CASES if c.case == "MP3 cut short"]
    document = json.loads(output_path(workdir, case).read_text(encoding="utf-8"))
    assert document["flags"]["truncated"] is True and document["units"]
    assert document["source"]["duration_s"] < 11


def test_windows_1252_text_is_read_with_its_accents(bad_files_run):
    workdir = bad_files_run.workdir
    (case,) = [c for c in FILE_CASES if c.case == "non-UTF-8 text"]
    document = json.loads(output_path(workdir, case).read_text(encoding="utf-8"))
    assert document["source"]["encoding"] == "cp1252"
    assert document["units"][0]["text"].startswith("Café notes – the asthma clinic")


def test_no_raw_file_name_is_printed_or_logged(bad_files_run):
    workdir, _, output, _ = bad_files_run
    logs = [p.read_text(encoding="utf-8") for p in (workdir / "logs").rglob("*.log")]
    for case in FILE_CASES:  # their file names hold people's names
        stem = Path(case.name).stem
        assert stem not in output, case.case
        assert not any(stem in log for log in logs), case.case


def test_no_partial_file_is_left_at_an_output_path(bad_files_run):
    workdir = bad_files_run.workdir
    assert not list((workdir / "results").rglob("*.partial"))
