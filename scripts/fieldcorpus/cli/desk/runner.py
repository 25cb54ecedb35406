"""The pipeline run the desk starts after its decisions: snakemake in the background, its
output kept in logs/review-desk/<time>.log, its progress read from Snakemake's 'N of M steps'
lines. One run at a time."""

from __future__ import annotations

import datetime as dt
import re
import shlex
import subprocess
import sys
from pathlib import Path

from fieldcorpus.paths import PROJECT_ROOT

_PROGRESS = re.compile(r"(\d+) of (\d+) steps \((\d+)%\) done")
TAIL_LINES = 12


def snakemake_command(root: Path, configfile: str, overrides: list[str]) -> list[str]:
    """The command the desk runs (and shows): the project's Snakefile and default profile, on
    the desk's working directory and config."""
    command = [sys.executable, "-m", "snakemake", "-s", str(PROJECT_ROOT / "Snakefile")]
    command += ["-d", str(root), "--profile", str(PROJECT_ROOT / "profiles" / "default")]
    command += ["--configfile", configfile]
    return command + (["--config", *overrides] if overrides else [])


def shown_command(root: Path, configfile: str, overrides: list[str]) -> str:
    """The command to type, as the README gives it when run from the project itself."""
    if root.resolve() == PROJECT_ROOT and configfile == "config/config.yaml" and not overrides:
        return ".venv/bin/snakemake --profile profiles/default"
    return shlex.join(snakemake_command(root, configfile, overrides))


class Run:
    def __init__(self, root: Path, command: list[str]):
        self.root = root
        self.command = command
        self.process: subprocess.Popen | None = None
        self.log: Path | None = None

    def start(self) -> None:
        if self.running:
            return
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        self.log = self.root / "logs" / "review-desk" / f"{stamp}.log"
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                self.command, cwd=self.root, stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def status(self) -> dict:
        if self.process is None or self.log is None:
            return {"state": "idle"}
        text = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        progress = _PROGRESS.findall(text)
        code = self.process.poll()
        state = "running" if code is None else ("done" if code == 0 else "failed")
        return {
            "state": state,
            "returncode": code,
            "percent": int(progress[-1][2]) if progress else 0,
            "steps": f"{progress[-1][0]} of {progress[-1][1]}" if progress else "",
            "log": str(self.log.relative_to(self.root)),
            "tail": text.splitlines()[-TAIL_LINES:],
        }
