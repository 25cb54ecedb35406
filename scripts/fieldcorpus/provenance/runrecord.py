"""Run records: one restricted JSON file per Snakemake run, kept as a history.

A record is named by the run's start time and a random run id and is only ever rewritten by the
run that created it (to add how it ended). Host, user and timestamps live here and nowhere in
the shareable zone.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
import socket
import sys
import uuid
from importlib import metadata
from pathlib import Path

from fieldcorpus.files import make_restricted_dirs, read_json, sha256_file, write_restricted_json
from fieldcorpus.paths import PROJECT_ROOT
from fieldcorpus.provenance.lineage import REPORT_FACTS_KEY, code_digest, pipeline_version

RUNS_DIR = "runs"
INTERNAL_CONFIG_KEYS = frozenset({REPORT_FACTS_KEY})

_current: dict = {}


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def pip_freeze() -> list[str]:
    """`pip freeze` of the running interpreter, without calling pip."""
    seen = {}
    for dist in metadata.distributions():
        name = dist.metadata.get("Name")
        if name:
            seen.setdefault(name.lower(), f"{name}=={dist.version}")
    return sorted(seen.values(), key=str.lower)


def _user() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


def conda_env_files(root: Path = PROJECT_ROOT) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted((root / "envs").glob("*.yaml"))
    }


def job_facts(jobs) -> list[dict]:
    """Rule, wildcards and outputs of Snakemake jobs (plain data, sorted)."""
    facts = [
        {
            "rule": job.rule.name,
            "wildcards": {str(k): str(v) for k, v in dict(job.wildcards.items()).items()},
            "outputs": sorted(str(path) for path in job.output),
        }
        for job in jobs
    ]
    return sorted(facts, key=lambda f: (f["rule"], sorted(f["wildcards"].items())))


def uses_conda(workflow) -> bool:
    methods = getattr(getattr(workflow, "deployment_settings", None), "deployment_method", ())
    return any(getattr(method, "name", str(method)).upper() == "CONDA" for method in methods)


def run_record_path(restricted_dir: str | os.PathLike, started: dt.datetime, run_id: str) -> Path:
    return Path(restricted_dir) / RUNS_DIR / f"{started:%Y%m%dT%H%M%SZ}-{run_id}.json"


def begin_run(workflow, config: dict) -> Path:
    """Write the record of a starting run (Snakemake `onstart`)."""
    started = utc_now()
    run_id = uuid.uuid4().hex[:12]
    dag = workflow.dag
    planned = job_facts(dag.needrun_jobs())
    _, code_files = code_digest()
    record = {
        "run_id": run_id,
        "status": "running",
        "started": started.isoformat(),
        "ended": None,
        "host": socket.gethostname(),
        "user": _user(),
        "command": list(sys.argv),
        "working_directory": os.getcwd(),
        "config": {k: v for k, v in config.items() if k not in INTERNAL_CONFIG_KEYS},
        "manifest_sha256": sha256_file(config["manifest"]),
        "pipeline": pipeline_version(),
        "code_files": code_files,
        "python": {"executable": sys.executable, "version": sys.version},
        "pip_freeze": pip_freeze(),
        "conda_env_files": conda_env_files() if uses_conda(workflow) else None,
        "targets": sorted(str(t) for t in (getattr(dag, "targetfiles", None) or ())),
        "target_rules": sorted(str(t) for t in (getattr(dag, "targetrules", None) or ())),
        "planned_jobs": planned,
        "built": None,
    }
    make_restricted_dirs(Path(config["restricted_dir"]) / RUNS_DIR)
    path = run_record_path(config["restricted_dir"], started, run_id)
    if path.exists():  # a run id collision within one second: never overwrite history
        raise FileExistsError(path)
    write_restricted_json(path, record)
    _current.clear()
    _current.update(path=path, record=record)
    return path


def end_run(status: str) -> Path | None:
    """Complete the current run's record (Snakemake `onsuccess` / `onerror`)."""
    if not _current:
        return None
    record = dict(_current["record"])
    record["status"] = status
    record["ended"] = utc_now().isoformat()
    record["built"] = [
        job for job in record["planned_jobs"] if all(Path(o).exists() for o in job["outputs"])
    ]
    write_restricted_json(_current["path"], record)
    _current["record"] = record
    return _current["path"]


def run_records(restricted_dir: str | os.PathLike) -> list[Path]:
    return sorted((Path(restricted_dir) / RUNS_DIR).glob("*.json"))


def latest_run(restricted_dir: str | os.PathLike) -> dict | None:
    """The newest run record (the run in progress, when called from one of its jobs)."""
    records = run_records(restricted_dir)
    return read_json(records[-1]) if records else None
