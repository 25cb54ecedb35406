"""Per practice and wave: items in the manifest, done, failed (with the one-line reason),
running, waiting, open review-queue entries, the last leak-check result and, beside it, the
residual-identifier gate's (items withheld), and the re-identification risk report's high and
medium rows and k-anonymity figure. Read from outputs, logs and Snakemake's markers;
colour on a terminal, plain when piped, TSV with --tsv."""

from __future__ import annotations

import argparse
import base64
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from fieldcorpus.cli.common import add_workspace_arguments, workspace_from
from fieldcorpus.files import read_tsv, tsv_text
from fieldcorpus.manifest import Manifest, load_manifest
from fieldcorpus.pipeline.layout import Layout
from fieldcorpus.pipeline.workspace import Workspace

STATUS_COLUMNS = ("practice", "wave", "items", "done", "failed", "running", "waiting",
                  "review_open", "leak_check", "gate", "risk_high", "risk_medium",
                  "k_anonymity", "failures", "in_progress")  # fmt: skip
_ERROR_LINE = re.compile(r"^fieldcorpus: item ([A-Za-z0-9_-]+): (.*)$")
_PROGRESS_LINE = re.compile(r"item [A-Za-z0-9_-]+: (\d+% of the audio|\d+ s of audio) done")


@dataclass
class WaveStatus:
    practice: str
    wave: int
    items: int = 0
    done: int = 0
    failed: int = 0
    running: int = 0
    waiting: int = 0
    review_open: int = 0
    leak_check: str = "not run"
    gate: str = "not run"
    risk_high: int = 0
    risk_medium: int = 0
    k_anonymity: str = "not run"
    gated: int = 0
    withheld: int = 0
    failures: list[str] = field(default_factory=list)
    in_progress: list[str] = field(default_factory=list)

    def as_row(self) -> dict:
        fields = {k: v for k, v in self.__dict__.items() if k not in ("gated", "withheld")}
        return {
            **fields,
            "failures": "; ".join(self.failures),
            "in_progress": "; ".join(self.in_progress),
        }


def item_failures(logs: Path) -> dict[str, tuple[float, str]]:
    """Latest error reported in any job log, per item: (log mtime, one-line reason)."""
    failures: dict[str, tuple[float, str]] = {}
    if not logs.is_dir():
        return failures
    for log in logs.rglob("*.log"):
        mtime = log.stat().st_mtime
        with open(log, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                found = _ERROR_LINE.match(line.strip())
                if found and mtime >= failures.get(found.group(1), (0.0, ""))[0]:
                    failures[found.group(1)] = (mtime, found.group(2))
    return failures


def running_outputs(root: Path) -> set[str]:
    """Outputs of jobs in progress. While Snakemake runs it holds lock files and marks each
    output being made with a file named by the path in URL-safe base64 (long names split
    into '@'-prefixed folders)."""
    locks = root / ".snakemake" / "locks"
    markers = root / ".snakemake" / "incomplete"
    if not locks.is_dir() or not any(locks.iterdir()) or not markers.is_dir():
        return set()
    outputs = set()
    for marker in markers.rglob("*"):
        if not marker.is_file():
            continue
        encoded = "".join(part.lstrip("@") for part in marker.relative_to(markers).parts)
        try:
            outputs.add(base64.urlsafe_b64decode(encoded.encode()).decode())
        except (ValueError, UnicodeDecodeError):
            continue
    return outputs


def transcription_progress(root: Path, practice: str, item_id: str) -> str | None:
    """The last progress line of a recording's transcription log, e.g. '42% of the audio'."""
    log = root / Layout.job_log("transcribe_recording", practice, item_id)
    if not log.is_file():
        return None
    latest = None
    with open(log, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            found = _PROGRESS_LINE.search(line)
            if found:
                latest = found.group(1)
    return latest


def open_reviews(layout: Layout) -> dict[str, int]:
    counts: dict[str, int] = {}
    for path in sorted(Path(layout.review_dir).glob("*.tsv")):
        for row in read_tsv(path):
            counts[row.get("item_id", "")] = counts.get(row.get("item_id", ""), 0) + 1
    return counts


def leak_check_result(workspace: Workspace) -> str:
    report = Path(workspace.layout.leak_check)
    log = workspace.root / Layout.job_log("leak_check")
    failed = log.is_file() and "leak check failed" in log.read_text(
        encoding="utf-8", errors="replace"
    )
    if failed and (not report.exists() or log.stat().st_mtime >= report.stat().st_mtime):
        return "FAILED"
    return "passed" if report.exists() else "not run"


def gate_results(layout: Layout) -> tuple[dict[str, int], int]:
    """Identifier shapes the residual-identifier gate left open, per item it has checked (0:
    passed; each check rewrites its item's file, so a fixed item reads 0 again), and the number
    of shareable files in which the leak check's run of the gate last found shapes."""
    gate = Path(layout.gate_dir)
    results: dict[str, int] = {}
    for path in sorted(gate.glob("*/*.tsv")):
        results[path.stem] = len(read_tsv(path))
    files = 0
    if Path(layout.shareable_gate_hits).is_file():
        files = len(read_tsv(layout.shareable_gate_hits))
    return results, files


def gate_summary(row: WaveStatus, files_with_shapes: int) -> str:
    if row.withheld:
        return f"WITHHELD {row.withheld}"
    if files_with_shapes:
        return f"FAILED in {files_with_shapes} file(s)"
    if row.gated == row.items:
        return "passed"
    return f"passed {row.gated} of {row.items}" if row.gated else "not run"


def risk_results(layout: Layout) -> dict[tuple[str, int], dict]:
    """Per practice and wave, from the risk reports: high and medium rows, and the k-anonymity
    figure (metadata combinations held by fewer than k items, of all combinations)."""
    results: dict[tuple[str, int], dict] = {}
    for path in sorted(Path(layout.risk("*")).parent.glob("*.tsv")):
        for row in read_tsv(path):
            wave = results.setdefault(
                (path.stem, int(row["wave"])),
                {"high": 0, "medium": 0, "combinations": set(), "below_k": set()},
            )
            if row["kind"] == "k_anonymity":
                wave["combinations"].add(row["detail"])
                if row["level"] == "high":
                    wave["below_k"].add(row["detail"])
            if row["level"] in ("high", "medium"):
                wave[row["level"]] += 1
    return results


def collect_status(workspace: Workspace, manifest: Manifest) -> list[WaveStatus]:
    failures = item_failures(workspace.logs)
    running = running_outputs(workspace.root)
    reviews = open_reviews(workspace.layout)
    leak = leak_check_result(workspace)
    gate, files_with_shapes = gate_results(workspace.layout)
    risks = risk_results(workspace.layout)
    table: dict[tuple[str, int], WaveStatus] = {}
    for item in sorted(manifest.items.values(), key=lambda i: (i.practice, i.wave, i.item_id)):
        if (item.practice, item.wave) not in table:
            row = table[(item.practice, item.wave)] = WaveStatus(item.practice, item.wave)
            risk = risks.get((item.practice, item.wave))
            if risk:
                row.risk_high, row.risk_medium = risk["high"], risk["medium"]
                below, combinations = len(risk["below_k"]), len(risk["combinations"])
                row.k_anonymity = f"{below} of {combinations} below k"
        row = table[(item.practice, item.wave)]
        row.items += 1
        row.review_open += reviews.get(item.item_id, 0) + gate.get(item.item_id, 0)
        row.leak_check = leak
        row.gated += item.item_id in gate
        row.withheld += bool(gate.get(item.item_id))
        row.gate = gate_summary(row, files_with_shapes)
        output = Path(workspace.layout.shareable_item(item.practice, item.item_id))
        failure = failures.get(item.item_id)
        newer_failure = failure and (not output.exists() or failure[0] >= output.stat().st_mtime)
        if any(f"/{item.item_id}." in path for path in running):
            row.running += 1
            progress = transcription_progress(workspace.root, item.practice, item.item_id)
            row.in_progress.append(
                f"{item.item_id}: transcribing, {progress} done" if progress else item.item_id
            )
        elif newer_failure:
            row.failed += 1
            row.failures.append(f"{item.item_id}: {failure[1]}")
        elif output.exists():
            row.done += 1
        else:
            row.waiting += 1
    return list(table.values())


def status_tsv(rows: list[WaveStatus]) -> str:
    return tsv_text((row.as_row() for row in rows), STATUS_COLUMNS)


def status_table(rows: list[WaveStatus], colour: bool) -> str:
    def paint(text: str, code: str, condition: bool) -> str:
        return f"\033[{code}m{text}\033[0m" if colour and condition else text

    header = f"{'practice':<8} {'wave':>4} {'items':>5} {'done':>5} {'failed':>6} {'running':>7} " \
             f"{'waiting':>7} {'review':>6}  {'leak check':<10}  {'gate':<10}  " \
             f"{'risk high/medium':<16}  k-anonymity"  # fmt: skip
    lines = [header, "-" * len(header)]
    for row in rows:
        risk = f"{row.risk_high}/{row.risk_medium}" if row.k_anonymity != "not run" else "not run"
        lines.append(
            f"{row.practice:<8} {row.wave:>4} {row.items:>5} "
            f"{paint(f'{row.done:>5}', '32', row.done == row.items)} "
            f"{paint(f'{row.failed:>6}', '31', row.failed > 0)} {row.running:>7} "
            f"{paint(f'{row.waiting:>7}', '33', row.waiting > 0)} "
            f"{paint(f'{row.review_open:>6}', '33', row.review_open > 0)}  "
            f"{paint(f'{row.leak_check:<10}', '31', row.leak_check == 'FAILED')}  "
            f"{paint(f'{row.gate:<10}', '31', row.gate.startswith(('WITHHELD', 'FAILED')))}  "
            f"{paint(f'{risk:<16}', '31', row.risk_high > 0)}  {row.k_anonymity}"
        )
    in_progress = [line for row in rows for line in row.in_progress]
    if in_progress:
        lines += ["", "running now:", *(f"  {line}" for line in in_progress)]
    failures = [line for row in rows for line in row.failures]
    if failures:
        lines += ["", "failed items:", *(f"  {line}" for line in failures)]
    return "\n".join(lines) + "\n"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_workspace_arguments(parser)
    parser.add_argument("--tsv", action="store_true", help="print tab-separated values")


def run(args: argparse.Namespace) -> int:
    workspace = workspace_from(args)
    rows = collect_status(workspace, load_manifest(workspace.manifest, workspace.fieldwork))
    if args.tsv:
        sys.stdout.write(status_tsv(rows))
    else:
        sys.stdout.write(status_table(rows, colour=sys.stdout.isatty()))
    return 0
