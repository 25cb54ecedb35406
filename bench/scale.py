"""How planning cost grows with the size of a study.

Builds synthetic studies of 4 practices x 8 waves with 250, 1,000 and 2,000 items (documents
and a few recordings, copied from the demo; nothing is transcribed), then measures for each:
the dry run (DAG build), a no-op rerun once every output exists (outputs created empty and
marked up to date with --touch), and the Snakemake process's peak memory. Prints the figures
side by side with their growth relative to the 250-item anchor, and, as a floor, the no-op of a
bare Snakemake workflow with the same number of jobs (a chain of one-line rules per item, no
input functions, params or conda): what Snakemake itself costs for a DAG that size. A second
floor, "2-job", is a bare workflow with only the per-item files DESIGN.md names (restricted
units; shareable JSON and text, anonymisation log, lineage) made by the fewest jobs that data
flow allows, two per item, with no log, benchmark, conda or params: what any layout with
per-item files and per-item jobs would cost at best.

    .venv/bin/python bench/scale.py [--sizes 250 1000 2000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import csv
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from fieldcorpus.pipeline.layout import Layout  # noqa: E402

DEMO = REPO / "demo"
PRACTICES = ("P01", "P02", "P03", "P04")
WAVES = 8
HEADER = ["item_id", "practice", "wave", "collected_on", "kind", "role", "path", "language",
          "notes", "speakers"]  # fmt: skip


def build_study(root: Path, size: int) -> None:
    (root / "demo").mkdir(parents=True)
    shutil.copytree(REPO / "config", root / "config")
    shutil.copy(DEMO / "register.tsv", root / "demo" / "register.tsv")
    docx = next((DEMO / "fieldwork").rglob("*.docx"))
    pdf = next((DEMO / "fieldwork").rglob("*.pdf"))
    wav = next((DEMO / "fieldwork").rglob("*.wav"))
    rows = []
    for number in range(size):
        practice = PRACTICES[number % len(PRACTICES)]
        wave = 1 + (number // len(PRACTICES)) % WAVES
        if number % 20 == 0:
            kind, source, role = "interview", wav, "nurse"
        elif number % 2:
            kind, source, role = "observation", docx, "researcher"
        else:
            kind, source, role = "document", pdf, "practice_manager"
        relative = Path(practice) / f"wave{wave}" / f"item-{number:05d}{source.suffix}"
        target = root / "demo" / "fieldwork" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, target)
        month = 1 + (wave - 1) * 3 // 2
        rows.append([f"{practice}-W{wave}-{number:05d}", practice, str(wave),
                     f"202{5 + (month > 12)}-{(month - 1) % 12 + 1:02d}-{1 + number % 28:02d}",
                     kind, role, relative.as_posix(), "en", "", ""])  # fmt: skip
    with open(root / "demo" / "manifest.tsv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(rows)


# Snakemake's touch executor pauses 0.1 s before each job it touches: 20 minutes of setup for
# the 12,000 jobs of the 2,000-item study and its floors. The setup touches without the pause;
# every timed run is a plain `python -m snakemake`.
TOUCH_WITHOUT_PAUSE = (
    "import snakemake.executors.touch as touch; touch.Executor.SLEEPING_TIME = 0; "
    "from snakemake.cli import main; main()"
)


def snakemake_command(*args: str) -> list[str]:
    if "--touch" in args:
        return [sys.executable, "-c", TOUCH_WITHOUT_PAUSE, *args]
    return [sys.executable, "-m", "snakemake", *args]


def snakemake(root: Path, *args: str) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MiB) of the Snakemake process, and its output."""
    command = snakemake_command("-s", str(REPO / "Snakefile"), "-d", str(root), "--cores", "2",
                                *args)  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if result.returncode != 0:
        raise SystemExit(f"snakemake {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return wall, max(peak, before) / 1024, result.stdout + result.stderr


def create_outputs(root: Path) -> int:
    """Create every planned output empty, then let Snakemake record every job as done (with
    --forceall, so that each output has its metadata record, as after a real run)."""
    _, _, summary = snakemake(root, "--detailed-summary")
    outputs = [line.split("\t", 1)[0] for line in summary.splitlines()[1:] if "\t" in line]
    config = yaml.safe_load((root / "config" / "config.yaml").read_text(encoding="utf-8"))
    layout = Layout.from_config(config)
    folders = {layout.lineage_dir, layout.restricted_lineage_dir}  # directory() outputs
    for output in outputs:
        path = root / output
        if output in folders:
            path.mkdir(parents=True, exist_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
    snakemake(root, "--touch", "--forceall")
    return len(outputs)


BARE_RULE = """
rule step{step}:
    input: "step{previous}/{{item}}"
    output: "step{step}/{{item}}"
    shell: "cp {{input}} {{output}}"
"""


TWO_JOB_RULES = """
rule units:
    input: "raw/{item}"
    output: "restricted/{item}.json"
    shell: "touch {output}"
rule pseudonymise:
    input: "restricted/{item}.json"
    output: "shareable/{item}.json", "shareable/{item}.txt", "restricted/{item}.tsv",
            "provenance/{item}.json"
    shell: "touch {output}"
"""
TWO_JOB_FILES = (
    "raw/{item}",
    "restricted/{item}.json",
    "shareable/{item}.json",
    "shareable/{item}.txt",
    "restricted/{item}.tsv",
    "provenance/{item}.json",
)


def bare_noop(root: Path, items: int, jobs: int) -> float:
    """No-op seconds of a bare workflow with `jobs` jobs: a chain of rules per item."""
    steps = max(1, round(jobs / items))
    rules = "".join(BARE_RULE.format(step=s, previous=s - 1) for s in range(1, steps + 1))
    files = [f"step{step}/{{item}}" for step in range(steps + 1)]
    return bare_workflow_noop(root, items, f"step{steps}/{{item}}", rules, files)


def two_job_noop(root: Path, items: int) -> float:
    """No-op seconds of a bare workflow with DESIGN's per-item files in two jobs per item."""
    return bare_workflow_noop(root, items, "shareable/{item}.json", TWO_JOB_RULES, TWO_JOB_FILES)


def bare_workflow_noop(root: Path, items: int, target: str, rules: str, files) -> float:
    """Create every file of a bare workflow, record it as up to date, then time its no-op."""
    (root / "Snakefile").write_text(
        f"ITEMS = [f'i{{n:05d}}' for n in range({items})]\n"
        f"rule all:\n    input: expand('{target}', item=ITEMS)\n{rules}"
    )
    for number in range(items):
        for pattern in files:
            path = root / pattern.format(item=f"i{number:05d}")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()
    command = ["-d", str(root), "-s", str(root / "Snakefile"), "--cores", "2"]
    subprocess.run(
        snakemake_command(*command, "--touch", "--forceall"), capture_output=True, check=True
    )
    command = snakemake_command(*command)
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    if "Nothing to be done" not in result.stdout + result.stderr:
        raise SystemExit("the bare workflow's rerun was not a no-op")
    return time.perf_counter() - start


def progress(size: int, step: str, started: float) -> None:
    print(f"{size} items: {step} ({time.perf_counter() - started:.0f} s)", file=sys.stderr)


def measure(size: int, keep: Path | None) -> dict:
    started = time.perf_counter()
    root = Path(tempfile.mkdtemp(prefix=f"scale-{size}-", dir=keep))
    build_study(root, size)
    dry_wall, dry_rss, plan = snakemake(root, "--dry-run", "--quiet", "rules")
    jobs = int(re.search(r"^total\s+(\d+)", plan, re.MULTILINE).group(1))
    progress(size, f"dry run {dry_wall:.1f} s, {jobs} jobs", started)
    outputs = create_outputs(root)
    progress(size, f"{outputs} outputs created and touched", started)
    noop_wall, noop_rss, noop_out = snakemake(root)
    if "Nothing to be done" not in noop_out:
        raise SystemExit(f"{size} items: the rerun was not a no-op")
    progress(size, f"no-op {noop_wall:.1f} s", started)
    bare = Path(tempfile.mkdtemp(prefix=f"bare-{size}-", dir=keep))
    bare_wall = bare_noop(bare, size, jobs)
    two_job = Path(tempfile.mkdtemp(prefix=f"two-job-{size}-", dir=keep))
    two_job_wall = two_job_noop(two_job, size)
    progress(size, f"floors: bare {bare_wall:.1f} s, 2-job {two_job_wall:.1f} s", started)
    if keep is None:
        for folder in (root, bare, two_job):
            shutil.rmtree(folder)
    return {"items": size, "jobs": jobs, "outputs": outputs, "dry_run_s": dry_wall,
            "noop_s": noop_wall, "bare_noop_s": bare_wall, "two_job_noop_s": two_job_wall,
            "peak_rss_mib": max(dry_rss, noop_rss)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[250, 1000, 2000])
    parser.add_argument("--keep", type=Path, help="keep the synthetic studies under this folder")
    args = parser.parse_args()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    results = [measure(size, args.keep) for size in args.sizes]
    anchor = results[0]
    print(f"{'items':>6} {'jobs':>6} {'outputs':>8} {'dry-run s':>10} {'x':>6} {'no-op s':>8} "
          f"{'x':>6} {'bare s':>7} {'/bare':>6} {'2-job s':>8} {'/2-job':>7} {'peak MiB':>9} "
          f"{'x':>6}")  # fmt: skip
    for row in results:
        print(
            f"{row['items']:>6} {row['jobs']:>6} {row['outputs']:>8} {row['dry_run_s']:>10.2f} "
            f"{row['dry_run_s'] / anchor['dry_run_s']:>6.2f} {row['noop_s']:>8.2f} "
            f"{row['noop_s'] / anchor['noop_s']:>6.2f} {row['bare_noop_s']:>7.2f} "
            f"{row['noop_s'] / row['bare_noop_s']:>6.2f} {row['two_job_noop_s']:>8.2f} "
            f"{row['noop_s'] / row['two_job_noop_s']:>7.2f} {row['peak_rss_mib']:>9.0f} "
            f"{row['peak_rss_mib'] / anchor['peak_rss_mib']:>6.2f}"
        )
    growth = ", ".join(f"{row['items'] / anchor['items']:.0f}x" for row in results)
    print(f"item growth vs anchor: {growth}")


if __name__ == "__main__":
    main()
