"""Every `fieldcorpus` subcommand answers --help, and the data manager's commands run on a demo
copy (scan, status --tsv, review --apply)."""

import shutil
import subprocess
import sys

import pytest
from fieldcorpus.cli.main import SUBCOMMANDS

from tests.conftest import DEMO, REPO


def fieldcorpus(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "fieldcorpus.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={"PYTHONPATH": str(REPO / "scripts"), "PATH": "/usr/bin:/bin"},
    )


@pytest.mark.parametrize("command", [[], *[[name] for name in SUBCOMMANDS]])
def test_help(command):
    result = fieldcorpus(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert "usage: fieldcorpus" in result.stdout


@pytest.fixture
def workdir(tmp_path):
    shutil.copytree(DEMO, tmp_path / "demo", ignore=shutil.ignore_patterns("reference"))
    shutil.copytree(REPO / "config", tmp_path / "config")
    return tmp_path


def test_scan_writes_a_draft_of_new_files_only(workdir):
    wave3 = workdir / "demo/fieldwork/P02/wave3"
    wave3.mkdir()
    shutil.copy(
        next((DEMO / "fieldwork/P01/wave1").glob("*.docx")), wave3 / "observation notes.docx"
    )
    result = fieldcorpus("scan", "-d", str(workdir))
    assert result.returncode == 0, result.stderr
    draft = (workdir / "manifest-draft.tsv").read_text().splitlines()
    assert len(draft) == 2 and draft[1].startswith("P02-W3-OBS-01\tP02\t3\t")


def test_status_tsv_and_review_apply(workdir):
    result = fieldcorpus("status", "-d", str(workdir), "--tsv")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("practice\twave\titems\tdone\tfailed")
    assert len(lines) == 5  # P01 and P02, two waves each, nothing run yet
    assert all(line.split("\t")[6] == line.split("\t")[2] for line in lines[1:])  # all waiting
    applied = fieldcorpus("review", "-d", str(workdir), "--apply")
    assert applied.returncode == 0 and "parse" in applied.stdout


def test_review_lists_the_items_the_gate_withheld_without_their_text(workdir):
    from fieldcorpus.deid.residual import hits_to_tsv

    gate = workdir / "results/restricted/review/gate/P02"
    gate.mkdir(parents=True)
    hit = {"item_id": "P02-W1-CLN-01", "unit_id": "u00002", "text": "999 -7900749"}
    (gate / "P02-W1-CLN-01.tsv").write_text(hits_to_tsv([hit]))
    (gate / "P02-W1-INT-01.tsv").write_text(hits_to_tsv([]))
    result = fieldcorpus("review", "-d", str(workdir))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"{gate / 'P02-W1-CLN-01.tsv'}: 1 identifier shape(s) withheld this item "
        "(residual-identifier gate)"
    ]
    assert fieldcorpus("review", "-d", str(workdir), "--practice", "P01").returncode == 1


def test_review_lists_the_risk_report_page_with_its_high_rows(workdir):
    from fieldcorpus.deid.review import review_to_tsv
    from fieldcorpus.deid.risk import review_entries, risk_html

    rows = [{"item_id": "P01-W1-DOC-01", "unit_id": "", "wave": 1, "kind": "unique_role",
             "level": "high", "detail": "role practice_manager is held by one person"}]  # fmt: skip
    risk = workdir / "results/restricted/risk"
    risk.mkdir(parents=True)
    (risk / "P01.html").write_text(risk_html("P01", rows))
    queue = workdir / "results/restricted/review/risk"
    queue.mkdir(parents=True)
    (queue / "P01.tsv").write_text(review_to_tsv(review_entries(rows)))
    result = fieldcorpus("review", "-d", str(workdir), "--practice", "P01")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"{risk / 'P01.html'}: re-identification risk report, 1 high row(s) to review"
    ]
