"""Killed runs resume cleanly, a second concurrent run is refused, permissions and logs hold
whatever the umask (issue 9)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, copy_run, make_workdir, shareable_digest, snakemake
from tests.integration.test_demo_pipeline import assert_logs_name_no_one

pytestmark = pytest.mark.integration


def start_snakemake(workdir: Path, umask: int) -> subprocess.Popen:
    command = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-d",
               str(workdir), "--cores", "2"]  # fmt: skip
    return subprocess.Popen(
        command,
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        preexec_fn=lambda: os.umask(umask),
    )


def kill_when(process: subprocess.Popen, condition, timeout: float = 900) -> None:
    """SIGKILL the whole process group as soon as `condition()` holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail("the run finished before it could be killed")
        if condition():
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)
    pytest.fail("the kill condition never held")


def resume(workdir: Path, umask: int = 0o022) -> subprocess.CompletedProcess:
    """The README's documented command after a killed run."""
    old = os.umask(umask)
    try:
        unlock = snakemake(workdir, "--unlock")
        assert unlock.returncode == 0, unlock.stderr
        return snakemake(workdir)
    finally:
        os.umask(old)


def assert_outputs_complete(root: Path) -> None:
    for path in root.rglob("*.json"):
        json.loads(path.read_text())


def test_killed_during_transcription_resumes_to_identical_outputs_with_umask_000(
    demo_run, tmp_path
):
    workdir = make_workdir(tmp_path / "run")
    transcripts = workdir / "results/restricted/transcripts"
    process = start_snakemake(workdir, umask=0)

    def mid_transcription() -> bool:
        done = list(transcripts.rglob("*.json")) if transcripts.exists() else []
        return 1 <= len(done) < 8

    deadline = time.monotonic() + 900
    while not mid_transcription() and time.monotonic() < deadline:
        time.sleep(0.05)
    second = snakemake(workdir)
    assert second.returncode != 0
    assert "cannot be locked" in (second.stdout + second.stderr).lower()
    kill_when(process, mid_transcription)
    assert_outputs_complete(workdir / "results")
    result = resume(workdir, umask=0)
    assert result.returncode == 0, result.stderr[-3000:]
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
    assert_logs_name_no_one(workdir, second.stdout + second.stderr + result.stdout + result.stderr)


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
