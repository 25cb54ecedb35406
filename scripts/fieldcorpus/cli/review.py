"""Show where each practice's review queue is (its readable HTML page, opened in a browser with
--open, the re-identification risk report's page, and the residual-identifier gate's files of
withheld items), or with --apply check that the edited register and allow-list parse before
the next run."""

from __future__ import annotations

import argparse
import webbrowser
from pathlib import Path

from fieldcorpus.cli.common import add_workspace_arguments, workspace_from
from fieldcorpus.deid.residual import read_hits
from fieldcorpus.files import read_tsv
from fieldcorpus.manifest import load_allow_list, load_register
from fieldcorpus.pipeline.layout import Layout


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_workspace_arguments(parser)
    parser.add_argument("--practice", help="only this practice (e.g. P01)")
    parser.add_argument("--open", action="store_true", help="open the page(s) in a browser")
    parser.add_argument(
        "--apply", action="store_true",
        help="check the edited register and allow-list parse; then rerun snakemake",
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    workspace = workspace_from(args)
    if args.apply:
        entries = load_register(workspace.config.get("register"))
        terms = load_allow_list(workspace.config.get("allow_list"))
        print(
            f"review: register ({len(entries)} entries) and allow-list ({len(terms)} terms) parse"
        )
        print("run snakemake again to apply them")
        return 0
    pattern = f"{args.practice}.html" if args.practice else "*.html"
    pages = sorted(Path(workspace.layout.review_dir).glob(pattern))
    withheld = withheld_items(workspace.layout, args.practice)
    risk_pages = sorted(Path(workspace.layout.risk("*", "html")).parent.glob(pattern))
    if not pages and not withheld and not risk_pages:
        print("review: no review page yet; run snakemake first")
        return 1
    for page in pages:
        print(page)
        if args.open:
            webbrowser.open(page.as_uri())
    for page in risk_pages:
        entries = workspace.restricted / "review" / "risk" / f"{page.stem}.tsv"
        high = len(read_tsv(entries)) if entries.is_file() else 0
        print(f"{page}: re-identification risk report, {high} high row(s) to review")
        if args.open:
            webbrowser.open(page.as_uri())
    for path, count in withheld:
        print(f"{path}: {count} identifier shape(s) withheld this item (residual-identifier gate)")
    return 0


def withheld_items(layout: Layout, practice: str | None) -> list[tuple[Path, int]]:
    """The gate's files (restricted/review/gate/<practice>/<item_id>.tsv) that hold hits: each
    row quotes the shape, its unit and context, and how to resolve it."""
    found = []
    for path in sorted(Path(layout.gate_dir).glob(f"{practice or '*'}/*.tsv")):
        count = len(read_hits(path))
        if count:
            found.append((path, count))
    return found
