"""Manifest problems stop the run before any job, listing every bad row by row, item and column
with the fix, never echoing a file or practice name; harmless quirks (BOM, CRLF, blank lines)
are accepted."""

from __future__ import annotations

import re

import pytest

from tests.bad_inputs.cases import (
    FOLDER,
    MANIFEST_FILE_CASES,
    MANIFEST_ROW_CASES,
    message_pattern,
)
from tests.conftest import make_workdir, snakemake, tree_digest

pytestmark = pytest.mark.integration


def manifest_row(case, outside) -> str:
    path = case.path.format(outside=outside)
    return (
        f"{case.item_id}\t{case.practice}\t1\t{case.collected_on}\t{case.kind}\t{case.role}\t"
        f"{path}\ten\t\t\n"
    )


@pytest.fixture(scope="module")
def bad_rows_run(tmp_path_factory):
    """Every bad row appended to the demo manifest at once: the run reports them all together."""
    workdir = make_workdir(tmp_path_factory.mktemp("bad-manifest") / "run")
    outside = workdir / "outside"
    outside.mkdir()
    for name in ("Interview Amir Khan.wav", "Interview Priya Shah.wav", "Tom Baker.wav"):
        (outside / name).write_bytes(b"RIFF")
    (workdir / "demo/fieldwork" / FOLDER).mkdir(parents=True)
    link = next(c for c in MANIFEST_ROW_CASES if c.case.startswith("link"))
    (workdir / "demo/fieldwork" / link.path).symlink_to(outside / "Tom Baker.wav")
    manifest = workdir / "demo/manifest.tsv"
    first_row = len(manifest.read_text(encoding="utf-8").splitlines()) + 1
    with open(manifest, "a", encoding="utf-8") as handle:
        handle.writelines(manifest_row(case, outside) for case in MANIFEST_ROW_CASES)
    fieldwork_before = tree_digest(workdir / "demo/fieldwork")
    result = snakemake(workdir)
    unchanged = tree_digest(workdir / "demo/fieldwork") == fieldwork_before
    rows = {case.case: first_row + number for number, case in enumerate(MANIFEST_ROW_CASES)}
    return workdir, result, rows, unchanged


def test_a_bad_manifest_stops_the_run_before_any_job(bad_rows_run):
    workdir, result, _, fieldwork_unchanged = bad_rows_run
    assert result.returncode == 1 and fieldwork_unchanged
    output = result.stdout + result.stderr
    assert f"the manifest has {len(MANIFEST_ROW_CASES)} problem(s)" in output, output[-3000:]
    assert not (workdir / "logs").exists() and not (workdir / "results/shareable").exists()


@pytest.mark.parametrize("case", MANIFEST_ROW_CASES, ids=lambda c: c.case)
def test_each_bad_row_is_reported_by_row_item_and_column_with_the_fix(bad_rows_run, case):
    _, result, rows, _ = bad_rows_run
    output = result.stdout + result.stderr
    expected = message_pattern(case.message, case.item_id, rows[case.case])
    assert re.search(rf"^  - {expected}$", output, re.MULTILINE), output[-3000:]
    if case.secret:
        assert case.secret not in output


@pytest.mark.parametrize("case", MANIFEST_FILE_CASES, ids=lambda c: c.case)
def test_manifest_file_quirks(tmp_path, case):
    workdir = make_workdir(tmp_path / "run")
    manifest = workdir / "demo/manifest.tsv"
    manifest.write_bytes(case.transform(manifest.read_bytes()))
    result = snakemake(workdir, "--dry-run")
    output = result.stdout + result.stderr
    if case.message is None:
        assert result.returncode == 0, output[-3000:]
        assert "transcribe_recording" in output  # the demo's items are planned as usual
    else:
        assert result.returncode == 1
        assert re.search(f"fieldcorpus: .*{message_pattern(case.message)}", output, re.DOTALL)
