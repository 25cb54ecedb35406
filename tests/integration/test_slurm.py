"""The demo through profiles/slurm on a real one-node SLURM (munge, slurmdbd, slurmctld, slurmd)
that the module starts on this machine and stops afterwards (tests/slurm/*.sh); and the
pre-flight check that stops a run before any job while the profile is not ready."""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO, make_workdir, shareable_digest
from tests.integration.test_demo_pipeline import planned_jobs

pytestmark = pytest.mark.integration

SLURM_SCRIPTS = REPO / "tests" / "slurm"
PROFILE = REPO / "profiles" / "slurm" / "profile.yaml"
# /etc/slurm/slurm.conf is per machine, so one test cluster at a time (other sessions wait).
LOCK_FILE = Path(tempfile.gettempdir()) / "fieldcorpus-slurm-test.lock"
STATE_PREFIX = "fieldcorpus-slurm-"
DAEMONS = ("munged", "mariadbd", "slurmdbd", "slurmctld", "slurmd")
CANNOT_RUN_HERE = 77


def run_script(name: str, *args: str, timeout: int) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(SLURM_SCRIPTS / name), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def cannot_run(reason: str):
    # CI runs as root with apt reachable: there the cluster must come up, never skip.
    if os.environ.get("CI"):
        pytest.fail(f"the SLURM test must run on CI: {reason}")
    pytest.skip(reason)


def started_daemons(state: Path) -> dict[str, int]:
    pids = {}
    for daemon in DAEMONS:
        pid_file = state / "run" / f"{daemon}.pid"
        if pid_file.is_file() and pid_file.read_text().strip():
            pids[daemon] = int(pid_file.read_text().strip())
    return pids


def is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def stop_leftover_clusters() -> None:
    """Clusters whose test was killed before its teardown; whoever holds the lock owns them."""
    for state in Path(tempfile.gettempdir()).glob(f"{STATE_PREFIX}*"):
        if (state / "run").is_dir():
            run_script("stop.sh", str(state), timeout=120)
            shutil.rmtree(state, ignore_errors=True)


def interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture(scope="module")
def slurm_cluster():
    """SLURM_CONF, partition and account of a running local cluster."""
    with open(LOCK_FILE, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        installed = run_script("install.sh", timeout=900)
        if installed.returncode == CANNOT_RUN_HERE:
            cannot_run(installed.stderr.strip())
        assert installed.returncode == 0, f"installing SLURM failed:\n{installed.stderr[-3000:]}"
        stop_leftover_clusters()
        # A terminated test still stops its daemons: SIGTERM unwinds like Ctrl-C.
        previous_handler = signal.signal(signal.SIGTERM, interrupt)
        state = Path(tempfile.mkdtemp(prefix=STATE_PREFIX))
        try:
            started = run_script("start.sh", str(state), timeout=300)
            if started.returncode == CANNOT_RUN_HERE:
                cannot_run(started.stderr.strip())
            if started.returncode != 0:
                logs = "\n".join(
                    f"== {log.name}\n{log.read_text(errors='replace')[-1500:]}"
                    for log in sorted((state / "log").glob("*.log"))
                )
                pytest.fail(f"the SLURM cluster did not start:\n{started.stderr}\n{logs}")
            settings = dict(
                line.split("=", 1) for line in (state / "cluster.env").read_text().splitlines()
            )
            yield settings
        finally:
            daemons = started_daemons(state)
            stopped = run_script("stop.sh", str(state), timeout=120)
            still_running = {name: pid for name, pid in daemons.items() if is_alive(pid)}
            shutil.rmtree(state, ignore_errors=True)
            signal.signal(signal.SIGTERM, previous_handler)
            assert stopped.returncode == 0, stopped.stderr
            assert not still_running, f"daemons left running: {still_running}"
            assert not os.path.lexists("/etc/slurm/slurm.conf") or os.path.realpath(
                "/etc/slurm/slurm.conf"
            ) != str(state / "slurm.conf")


def cluster_profile(target: Path, cluster: dict[str, str]) -> Path:
    """profiles/slurm exactly as shipped, with this cluster's account and partition filled in.

    Nothing else changes: no software-deployment method, so the jobs run in the venv that runs
    the tests, as they run in the project's .venv on a cluster."""
    shipped = PROFILE.read_text()
    filled = shipped.replace('"CHANGE-ME-account"', f'"{cluster["SLURM_ACCOUNT"]}"').replace(
        '"CHANGE-ME-partition"', f'"{cluster["SLURM_PARTITION"]}"'
    )
    changed = [
        (before, after)
        for before, after in zip(shipped.splitlines(), filled.splitlines(), strict=True)
        if before != after
    ]
    assert len(changed) == 2 and all("CHANGE-ME" in before for before, _ in changed), changed
    active = [line.split("#", 1)[0] for line in filled.splitlines()]
    assert not any("CHANGE-ME" in line for line in active), "a CHANGE-ME the test does not fill"
    assert "software-deployment-method" not in yaml.safe_load(filled)
    target.mkdir(parents=True)
    (target / "profile.yaml").write_text(filled)
    return target


def snakemake_on_cluster(workdir: Path, profile: Path, cluster: dict, *args: str, limit: int):
    # A Snakemake waiting on jobs ignores SIGTERM: timeout -k ends it for sure.
    command = [
        "timeout",
        "-k",
        "30",
        str(limit),
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        str(REPO / "Snakefile"),
        "-d",
        str(workdir),
        "--profile",
        str(profile),
        # Observation only, not behaviour: keep SLURM's logs, which show each job ran in SLURM.
        "--slurm-keep-successful-logs",
        # Timing, not behaviour: the plugin waits 40 s before it first asks sacct, and 40 s
        # (growing to 180 s while nothing finishes) between asks; on a run of short jobs that is
        # most of the wall time. This one-node cluster answers sacct at once.
        "--slurm-init-seconds-before-status-checks",
        "2",
        "--seconds-between-status-checks",
        "2",
        *args,
    ]
    env = {
        **os.environ,
        "SLURM_CONF": cluster["SLURM_CONF"],
        "HF_HUB_OFFLINE": "1",
    }
    # Its own process group, so an interrupted test ends Snakemake and everything it started.
    process = subprocess.Popen(
        command,
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=limit + 60)
    except BaseException:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def jobs_run_inside_slurm(slurm_logs: Path) -> dict[tuple[str, str], str]:
    """(rule, wildcards) of every job a SLURM job's log shows running, with its SLURM job id."""
    ran = {}
    for log in sorted(slurm_logs.rglob("*.log")):
        jobs = planned_jobs(log.read_text(errors="replace"))
        for job in jobs:
            ran[job] = log.stem
    return ran


def sacct_jobs(cluster: dict, job_ids: set[str]) -> dict[str, tuple[str, str, str]]:
    """State, account and partition of each job, from SLURM's accounting database."""
    result = subprocess.run(
        [
            "sacct",
            "--noheader",
            "--parsable2",
            "-X",
            "--jobs",
            ",".join(sorted(job_ids)),
            "--format=JobIDRaw,State,Account,Partition",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "SLURM_CONF": cluster["SLURM_CONF"]},
        check=True,
    )
    return {
        line.split("|")[0]: tuple(line.split("|")[1:4])
        for line in result.stdout.splitlines()
        if line.strip()
    }


def test_the_demo_through_the_slurm_profile_equals_a_local_run(slurm_cluster, request, tmp_path):
    workdir = make_workdir(tmp_path / "run")
    profile = cluster_profile(tmp_path / "profile", slurm_cluster)
    plan = snakemake_on_cluster(workdir, profile, slurm_cluster, "--dry-run", limit=300)
    assert plan.returncode == 0, plan.stderr[-3000:]
    planned = {job for job in planned_jobs(plan.stdout) if job[0] != "all"}

    started = time.monotonic()
    result = snakemake_on_cluster(workdir, profile, slurm_cluster, limit=2400)
    elapsed = time.monotonic() - started
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"slurm run failed after {elapsed:.0f}s:\n{output[-6000:]}"

    # Every planned job ran inside a SLURM job, and SLURM accounted each of them as completed
    # under the profile's account and partition.
    ran = jobs_run_inside_slurm(workdir / ".snakemake" / "slurm_logs")
    assert planned <= set(ran), sorted(planned - set(ran))[:5]
    submitted = set(re.findall(r"submitted with SLURM jobid (\d+)", output))
    assert set(ran.values()) <= submitted
    # Batched: fewer sbatch calls than jobs (per-item pseudonymisation goes in groups).
    assert len(submitted) < len(planned)
    accounted = sacct_jobs(slurm_cluster, submitted)
    assert set(accounted) == submitted
    for job_id, (state, account, partition) in accounted.items():
        assert state == "COMPLETED", (job_id, state)
        assert account == slurm_cluster["SLURM_ACCOUNT"], job_id
        assert partition == slurm_cluster["SLURM_PARTITION"], job_id

    # The same shareable outputs as the local demo run, byte for byte. The local run is asked
    # for only now, so that another worker may make it while this one runs on SLURM.
    demo_run = request.getfixturevalue("demo_run")
    local = shareable_digest(demo_run / "results" / "shareable")
    assert local, "the local run produced no shareable outputs"
    assert shareable_digest(workdir / "results" / "shareable") == local


def preflight_run(workdir: Path, profile: Path, *args: str, path: str | None = None):
    """Snakemake with a cluster profile, no cluster needed: the pre-flight stops it at startup."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    if path is not None:
        env["PATH"] = path
    command = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile")]
    command += ["-d", str(workdir), "--profile", str(profile), *args]
    return subprocess.run(
        command, cwd=workdir, capture_output=True, text=True, timeout=300, env=env
    )


def preflight_line(result: subprocess.CompletedProcess) -> str:
    output = result.stdout + result.stderr
    lines = [line for line in output.splitlines() if "fieldcorpus: cannot start:" in line]
    assert result.returncode != 0 and len(lines) == 1, output[-3000:]
    assert "submitted with SLURM jobid" not in output
    return lines[0]


def test_the_shipped_profile_stops_before_any_job_while_change_me_is_left(tmp_path):
    workdir = make_workdir(tmp_path / "run")
    line = preflight_line(preflight_run(workdir, PROFILE.parent))
    assert "slurm_account is still CHANGE-ME" in line
    assert "slurm_partition is still CHANGE-ME" in line
    assert "sacctmgr show associations" in line and "sinfo --summarize" in line
    assert not (workdir / ".snakemake" / "slurm_logs").exists()
    assert not (workdir / "results" / "shareable").exists()


def test_sdm_conda_without_conda_stops_naming_conda(tmp_path):
    # The PATH a login node without conda has: the venv, the system's commands.
    path = os.pathsep.join([str(Path(sys.executable).parent), "/usr/bin", "/bin"])
    if shutil.which("conda", path=path):
        pytest.skip("conda is installed on this machine")
    workdir = make_workdir(tmp_path / "run")
    profile = cluster_profile(
        tmp_path / "profile", {"SLURM_ACCOUNT": "demo-account", "SLURM_PARTITION": "demo-part"}
    )
    conda_prefix = str(tmp_path / "conda-envs")
    result = preflight_run(
        workdir, profile, "--sdm", "conda", "--conda-prefix", conda_prefix, path=path
    )
    line = preflight_line(result)
    assert "--sdm conda but no conda on PATH" in line
    assert "CHANGE-ME" not in line
    # Ours comes first, before Snakemake's own conda probe and before any job.
    assert "Error running conda info" not in result.stdout + result.stderr
    assert not (tmp_path / "conda-envs").exists()
