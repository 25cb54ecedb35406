"""Killed runs resume cleanly, a second concurrent run is refused, permissions and logs hold
whatever the umask (issue 9)."""

from __future__ import annotations

import os
import shutil
import stat

import pytest

from tests.conftest import copy_run, kill_when, resume, shareable_digest, start_snakemake
from tests.integration.test_demo_pipeline import assert_logs_name_no_one

pytestmark = pytest.mark.integration


def test_killed_during_transcription_resumes_to_identical_outputs_with_umask_000(
    demo_run, second_demo_run
):
    """second_demo_run (tests/conftest.py): killed while transcribing, then resumed."""
    workdir, refused, resumed = (
        second_demo_run.workdir,
        second_demo_run.refused,
        second_demo_run.resumed,
    )
    assert refused.returncode != 0
    assert "cannot be locked" in (refused.stdout + refused.stderr).lower()
    assert second_demo_run.unreadable_after_kill == []
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert shareable_digest(workdir / "results/shareable") == shareable_digest(
        demo_run / "results/shareable"
    )
    restricted = workdir / "results/restricted"
    for path in [restricted, *restricted.rglob("*")]:
        if path.is_symlink():
            continue
        mode = stat.S_IMODE(os.stat(path).st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), path
    assert not [p for p in workdir.rglob("*.partial") if not p.name.startswith(".")]
    terminal = refused.stdout + refused.stderr + resumed.stdout + resumed.stderr
    assert_logs_name_no_one(workdir, terminal)


def test_killed_during_corpus_assembly_resumes_to_identical_outputs(demo_run, tmp_path):
    workdir = copy_run(demo_run, tmp_path / "run")
    corpus = workdir / "results/shareable/corpus/P01"
    # Removed, not touched: Snakemake ignores a newer input whose checksum it has recorded.
    shutil.rmtree(corpus)
    log = workdir / "logs/assemble_practice_corpus/P01.log"
    started = log.stat().st_mtime
    process = start_snakemake(workdir, umask=0o022)
    kill_when(process, lambda: log.exists() and log.stat().st_mtime > started)
    for path in corpus.glob("corpus.*"):
        assert path.stat().st_size > 0
    result = resume(workdir)
    assert result.returncode == 0, result.stderr[-3000:]
    assert shareable_digest(workdir / "results/shareable") == shareable_digest(
        demo_run / "results/shareable"
    )
