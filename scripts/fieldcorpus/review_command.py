"""Show where each practice's review queue is (its readable HTML page, opened in a browser with
--open), or with --apply check that the edited register and allow-list parse before the next
run."""

from __future__ import annotations

import argparse
import webbrowser

from .cli_common import add_workspace_arguments, workspace_from
from .manifest import load_allow_list, load_register


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
    pages = sorted((workspace.restricted / "review").glob(pattern))
    if not pages:
        print("review: no review page yet; run snakemake first")
        return 1
    for page in pages:
        print(page)
        if args.open:
            webbrowser.open(page.as_uri())
    return 0
