"""Shared fixtures: the repository, ../shared, and Snakemake runs on temporary demo copies."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
DEMO = REPO / "demo"

sys.path.insert(0, str(REPO / "scripts"))

from fieldcorpus.provenance.crate import without_run_specific  # noqa: E402


def shared_path(*parts: str) -> Path:
    """A file under ../shared, skipping the test with a reason when ../shared is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"../shared is not beside this checkout ({path} missing)")
    return path


def network_isolation_prefix() -> list[str]:
    """`unshare -n` cuts the network for the command when this machine allows it."""
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-n", "true"], capture_output=True).returncode == 0:
        return [unshare, "-n"]
    return []


def make_workdir(target: Path) -> Path:
    """A working directory laid out like the repository: demo/ and config/ copied in."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copytree(DEMO, target / "demo", ignore=shutil.ignore_patterns("reference"))
    shutil.copytree(REPO / "config", target / "config")
    return target


def snakemake(workdir: Path, *args: str, offline: bool = False, timeout: int = 1800):
    command = [
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        str(REPO / "Snakefile"),
        "-d",
        str(workdir),
        "--cores",
        "2",
        *args,
    ]
    if offline:
        command = network_isolation_prefix() + command
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        command, cwd=workdir, capture_output=True, text=True, timeout=timeout, env=env
    )


def copy_run(source: Path, target: Path) -> Path:
    """Copy a finished run, keeping modification times so Snakemake sees it as up to date."""
    shutil.copytree(source, target, symlinks=True, copy_function=shutil.copy2)
    return target


def tree_digest(root: Path) -> dict[str, str]:
    """sha256 of every file under root, by relative path."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


CRATE = "ro-crate-metadata.json"


def shareable_digest(root: Path) -> dict[str, str]:
    """tree_digest of a shareable zone, with the RO-Crate hashed without the fields that
    describe one run (its dates and run id): two equivalent runs must agree on all the rest."""
    digest = tree_digest(root)
    crate = root / CRATE
    if crate.is_file():
        stable = without_run_specific(json.loads(crate.read_text(encoding="utf-8")))
        canonical = json.dumps(stable, sort_keys=True).encode()
        digest[CRATE] = "run-independent:" + hashlib.sha256(canonical).hexdigest()
    return digest


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory) -> Path:
    """The full demo pipeline, run once per session with the network cut where possible.

    Its terminal output is kept in `terminal-output.txt` for the log-hygiene tests, and the
    fieldwork tree is checksummed before and after."""
    workdir = make_workdir(tmp_path_factory.mktemp("demo-run"))
    fieldwork_before = tree_digest(workdir / "demo" / "fieldwork")
    result = snakemake(workdir, offline=True)
    (workdir / "terminal-output.txt").write_text(result.stdout + result.stderr)
    if result.returncode != 0:
        pytest.fail(f"demo run failed:\n{result.stdout[-3000:]}\n{result.stderr[-6000:]}")
    assert tree_digest(workdir / "demo" / "fieldwork") == fieldwork_before
    return workdir
