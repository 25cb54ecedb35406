"""Shared fixtures: the repository, ../shared, and Snakemake runs on temporary demo copies."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
DEMO = REPO / "demo"

sys.path.insert(0, str(REPO / "scripts"))

from fieldcorpus.pipeline.startup import job_environment  # noqa: E402
from fieldcorpus.provenance.crate import without_run_specific  # noqa: E402

# Snakemake's SLURM executor plugin runs `scontrol show config` whenever Snakemake starts. Where
# the SLURM client is installed but no controller answers (a workstation; CI once the SLURM test
# has stopped its cluster), scontrol retries for 10 s, on every start. Local runs need no SLURM
# and an empty configuration makes scontrol fail at once; the SLURM test names its cluster's.
os.environ["SLURM_CONF"] = os.devnull
# The allocator settings a run gives its jobs (pipeline.startup), here too: the decodes and the
# peak-memory measurement this suite runs in its own processes run as a pipeline job would.
os.environ.update(job_environment(os.environ))


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
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
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
# last. The first builds the shared demo run; the next two need none before their end, so that
# the other worker is busy meanwhile. Modules not named here follow, in collection order. (Three
# workers kept both cores busy but cost as much CPU again in contention: no faster.)
LONGEST_FIRST = (
    "integration/test_shareable_audio.py",
    "integration/test_transcription_long.py",
    "integration/test_slurm.py",
    "integration/test_audio_timing_shift.py",
    # Both read second_demo_run: one after the other, so that one worker makes it.
    "integration/test_resilience.py",
    "integration/test_provenance.py",
    "integration/test_transcription_skips.py",
    "integration/test_risk_report.py",
    "integration/test_review_desk.py",
    "integration/test_pseudonymisation_pipeline.py",
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
MODULE_CPU_SECONDS: dict[tuple[str, str], float] = {}
_CPU_AT_LAST_REPORT = [0.0]


def _cpu_seconds() -> float:
    """CPU of this process and of every child it has waited for (Snakemake runs, decoders);
    not of SLURM jobs, which slurmd starts."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    now = _cpu_seconds()
    # An attribute of the report travels from an xdist worker to the controller with it.
    outcome.get_result().cpu_seconds = now - _CPU_AT_LAST_REPORT[0]
    _CPU_AT_LAST_REPORT[0] = now


def pytest_runtest_logreport(report):
    """Seconds and CPU seconds per module and worker (setup, call and teardown), for the
    summary below."""
    node = getattr(report, "node", None)
    worker = node.gateway.id if node is not None else "main"
    key = (worker, report.nodeid.split("::", 1)[0])
    MODULE_SECONDS[key] = MODULE_SECONDS.get(key, 0.0) + report.duration
    cpu = getattr(report, "cpu_seconds", 0.0)
    MODULE_CPU_SECONDS[key] = MODULE_CPU_SECONDS.get(key, 0.0) + cpu


def pytest_terminal_summary(terminalreporter):
    """Where the suite's time went, module by module on each worker, in the order they ran: the
    figure to balance LONGEST_FIRST by."""
    if not MODULE_SECONDS:
        return
    terminalreporter.section("seconds per module and worker (wall, then CPU)")
    for worker in sorted({worker for worker, _ in MODULE_SECONDS}):
        modules = [(m, s, MODULE_CPU_SECONDS.get((w, m), 0.0))
                   for (w, m), s in MODULE_SECONDS.items() if w == worker]  # fmt: skip
        terminalreporter.write_line(
            f"{worker}: {sum(s for _, s, _ in modules):.0f} s, "
            f"CPU {sum(c for _, _, c in modules):.0f} s"
        )
        for module, seconds, cpu in modules:
            if seconds >= 5 or cpu >= 5:
                terminalreporter.write_line(f"  {seconds:7.1f}  {cpu:7.1f}  {module}")


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


def start_snakemake(workdir: Path, umask: int) -> subprocess.Popen:
    """A run in the background, in its own process group, under `umask`."""
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


@dataclass
class SecondRun:
    workdir: Path
    refused: subprocess.CompletedProcess  # a second run started while the first was running
    unreadable_after_kill: list[str]  # output JSON files the kill left half-written
    resumed: subprocess.CompletedProcess


@pytest.fixture(scope="session")
def second_demo_run(demo_run, tmp_path_factory) -> SecondRun:
    """A second run of the demo from scratch, in a fresh directory holding only the first
    run's ledger: started under umask 000, a concurrent run refused while it transcribes, then
    killed (SIGKILL) mid-transcription and resumed as the README says. Made once per session,
    like demo_run (a full run is the dearest thing here), for the resilience test and the
    reproducibility test (test_provenance) to read, never to change."""
    root = session_root(tmp_path_factory)
    workdir = root / "second-demo-run"
    record = root / "second-demo-run.json"
    with open(root / "second-demo-run.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not record.exists():
            record.write_text(json.dumps(_make_second_run(demo_run, workdir)))
    facts = json.loads(record.read_text())
    return SecondRun(
        workdir,
        subprocess.CompletedProcess([], **facts["refused"]),
        facts["unreadable_after_kill"],
        subprocess.CompletedProcess([], **facts["resumed"]),
    )


def _make_second_run(demo_run: Path, workdir: Path) -> dict:
    make_workdir(workdir)
    ledgers = workdir / "results/restricted/ledger"
    ledgers.mkdir(parents=True)
    for path in [workdir / "results", workdir / "results/restricted", ledgers]:
        path.chmod(0o700)
    for ledger in (demo_run / "results/restricted/ledger").glob("*.tsv"):
        shutil.copy2(ledger, ledgers / ledger.name)
    transcripts = workdir / "results/restricted/transcripts"
    process = start_snakemake(workdir, umask=0)

    def mid_transcription() -> bool:
        done = list(transcripts.rglob("*.json")) if transcripts.exists() else []
        return 1 <= len(done) < 8

    deadline = time.monotonic() + 900
    while not mid_transcription() and time.monotonic() < deadline:
        time.sleep(0.05)
    refused = snakemake(workdir)
    kill_when(process, mid_transcription)
    unreadable = []
    for path in (workdir / "results").rglob("*.json"):
        try:
            json.loads(path.read_text())
        except ValueError:
            unreadable.append(path.relative_to(workdir).as_posix())
    resumed = resume(workdir, umask=0)

    def facts(result: subprocess.CompletedProcess) -> dict:
        return {"returncode": result.returncode, "stdout": result.stdout, "stderr": result.stderr}

    return {
        "refused": facts(refused),
        "unreadable_after_kill": unreadable,
        "resumed": facts(resumed),
    }
