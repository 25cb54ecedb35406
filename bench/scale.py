"""How planning cost grows with the size of a study.

Builds synthetic studies of 4 practices x 8 waves with 250, 1,000 and 2,000 items (documents
and a few recordings, copied from the demo; nothing is transcribed), then measures for each:
the dry run (DAG build), a no-op rerun once every output exists (outputs created empty and
marked up to date with --touch), and the Snakemake process's peak memory. Prints the figures
side by side with their growth relative to the 250-item anchor.

    .venv/bin/python bench/scale.py [--sizes 250 1000 2000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import csv
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
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


def snakemake(root: Path, *args: str) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MiB) of the Snakemake process, and its output."""
    command = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-d", str(root),
               "--cores", "2", *args]  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if result.returncode != 0:
        raise SystemExit(f"snakemake {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return wall, max(peak, before) / 1024, result.stdout + result.stderr


def create_outputs(root: Path) -> int:
    """Create every planned output empty, then let Snakemake record them as up to date."""
    _, _, summary = snakemake(root, "--detailed-summary")
    outputs = [line.split("\t", 1)[0] for line in summary.splitlines()[1:] if "\t" in line]
    for output in outputs:
        path = root / output
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
    snakemake(root, "--touch")
    return len(outputs)


def measure(size: int, keep: Path | None) -> dict:
    root = Path(tempfile.mkdtemp(prefix=f"scale-{size}-", dir=keep))
    build_study(root, size)
    dry_wall, dry_rss, _ = snakemake(root, "--dry-run", "--quiet")
    outputs = create_outputs(root)
    noop_wall, noop_rss, noop_out = snakemake(root)
    if "Nothing to be done" not in noop_out:
        raise SystemExit(f"{size} items: the rerun was not a no-op")
    if keep is None:
        shutil.rmtree(root)
    return {"items": size, "outputs": outputs, "dry_run_s": dry_wall, "noop_s": noop_wall,
            "peak_rss_mib": max(dry_rss, noop_rss)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[250, 1000, 2000])
    parser.add_argument("--keep", type=Path, help="keep the synthetic studies under this folder")
    args = parser.parse_args()
    results = [measure(size, args.keep) for size in args.sizes]
    anchor = results[0]
    print(f"{'items':>6} {'outputs':>8} {'dry-run s':>10} {'x':>6} {'no-op s':>8} {'x':>6} "
          f"{'peak MiB':>9} {'x':>6}")  # fmt: skip
    for row in results:
        print(
            f"{row['items']:>6} {row['outputs']:>8} {row['dry_run_s']:>10.2f} "
            f"{row['dry_run_s'] / anchor['dry_run_s']:>6.2f} {row['noop_s']:>8.2f} "
            f"{row['noop_s'] / anchor['noop_s']:>6.2f} {row['peak_rss_mib']:>9.0f} "
            f"{row['peak_rss_mib'] / anchor['peak_rss_mib']:>6.2f}"
        )
    growth = ", ".join(f"{row['items'] / anchor['items']:.0f}x" for row in results)
    print(f"item growth vs anchor: {growth}")


if __name__ == "__main__":
    main()
