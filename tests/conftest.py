"""Shared fixtures: the repository, ../shared, and Snakemake runs on temporary demo copies."""

from __future__ import annotations

import fcntl
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

# Snakemake's SLURM executor plugin runs `scontrol show config` whenever Snakemake starts. Where
# the SLURM client is installed but no controller answers (a workstation; CI once the SLURM test
# has stopped its cluster), scontrol retries for 10 s, on every start. Local runs need no SLURM
# and an empty configuration makes scontrol fail at once; the SLURM test names its cluster's.
os.environ["SLURM_CONF"] = os.devnull


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


MODEL_CACHE = "models"


def copy_run(source: Path, target: Path) -> Path:
    """Copy a finished run, keeping modification times so Snakemake sees it as up to date.

    The model cache (the joined bundled:base, 140 MB of a 160 MB run) is hard-linked, not
    copied: the pipeline only reads it and replaces its files atomically, never in place."""
    shutil.copytree(
        source,
        target,
        symlinks=True,
        copy_function=shutil.copy2,
        ignore=lambda folder, _: [MODEL_CACHE] if Path(folder) == source else [],
    )
    if (source / MODEL_CACHE).is_dir():
        shutil.copytree(source / MODEL_CACHE, target / MODEL_CACHE, copy_function=os.link)
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


def shared_run_digest(workdir: Path) -> dict[str, str]:
    """tree_digest of what the tests read from the shared run: its inputs, config and outputs."""
    return {
        f"{part}/{relative}": digest
        for part in ("demo", "config", "results")
        for relative, digest in tree_digest(workdir / part).items()
    }


# The suite runs in two workers (pytest -n 2 --dist loadfile, pyproject.toml): a module stays on
# one worker, and modules start in this order, the longest first, so that no long module starts
# last. The first builds the shared demo run; the second needs none, so that its worker is busy
# meanwhile. Modules not named here follow, in collection order.
LONGEST_FIRST = (
    "integration/test_shareable_audio.py",
    "integration/test_transcription_long.py",
    "integration/test_slurm.py",
    "integration/test_resilience.py",
    "integration/test_provenance.py",
    "integration/test_risk_report.py",
    "integration/test_review_desk.py",
    "integration/test_pseudonymisation_pipeline.py",
    "integration/test_transcription_skips.py",
    "integration/test_walkthrough.py",
    "integration/test_demo_pipeline.py",
    "integration/test_offline.py",
)


def pytest_collection_modifyitems(config, items):
    def rank(item) -> int:
        path = Path(str(item.fspath)).relative_to(REPO / "tests").as_posix()
        return LONGEST_FIRST.index(path) if path in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: a module's tests keep their order


MODULE_SECONDS: dict[tuple[str, str], float] = {}


def pytest_runtest_logreport(report):
    """Seconds per module and worker (setup, call and teardown), for the summary below."""
    node = getattr(report, "node", None)
    worker = node.gateway.id if node is not None else "main"
    key = (worker, report.nodeid.split("::", 1)[0])
    MODULE_SECONDS[key] = MODULE_SECONDS.get(key, 0.0) + report.duration


def pytest_terminal_summary(terminalreporter):
    """Where the suite's time went, module by module on each worker, in the order they ran: the
    figure to balance LONGEST_FIRST by."""
    if not MODULE_SECONDS:
        return
    terminalreporter.section("seconds per module and worker")
    for worker in sorted({worker for worker, _ in MODULE_SECONDS}):
        modules = [(m, s) for (w, m), s in MODULE_SECONDS.items() if w == worker]
        terminalreporter.write_line(f"{worker}: {sum(s for _, s in modules):.0f} s")
        for module, seconds in modules:
            if seconds >= 5:
                terminalreporter.write_line(f"  {seconds:7.1f}  {module}")


def session_root(tmp_path_factory) -> Path:
    """A folder every worker of this session shares (each worker's basetemp is inside it)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """The full demo pipeline on the shipped config, run once per session with the network cut
    where possible, and shared by every test (and every worker: the first to need it runs it,
    the other waits for it): read it, or change a copy_run() of it.

    Its terminal output is kept in `terminal-output.txt` for the log-hygiene tests, and the
    fieldwork tree is checksummed before and after. At the end of the session the run must be
    as it was: a test that changed it would have changed what later tests read."""
    root = session_root(tmp_path_factory)
    workdir = root / "demo-run"
    finished_digest = root / "demo-run.finished.json"
    failure = root / "demo-run.failed.txt"
    with open(root / "demo-run.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if failure.exists():
            pytest.fail(failure.read_text())
        if not finished_digest.exists():
            make_workdir(workdir)
            fieldwork_before = tree_digest(workdir / "demo" / "fieldwork")
            result = snakemake(workdir, offline=True)
            (workdir / "terminal-output.txt").write_text(result.stdout + result.stderr)
            if result.returncode != 0:
                failure.write_text(
                    f"demo run failed:\n{result.stdout[-3000:]}\n{result.stderr[-6000:]}"
                )
                pytest.fail(failure.read_text())
            if tree_digest(workdir / "demo" / "fieldwork") != fieldwork_before:
                failure.write_text("the demo run changed its fieldwork (raw inputs)")
                pytest.fail(failure.read_text())
            finished_digest.write_text(json.dumps(shared_run_digest(workdir)))
    finished = json.loads(finished_digest.read_text())
    yield workdir
    now = shared_run_digest(workdir)
    changed = sorted(
        path for path in finished.keys() | now.keys() if finished.get(path) != now.get(path)
    )
    assert not changed, f"a test changed the shared demo run; give it a copy_run(): {changed[:5]}"
