"""Settle the review queue: with --serve, open the review desk (a local web app, loopback only,
where each entry is decided in a few clicks and a recording's passage can be heard); otherwise
show where each practice's review queue is (its HTML page, opened with --open, the
re-identification risk report's page, and the residual-identifier gate's files of withheld
items), or with --apply check that a hand-edited register and allow-list parse before the next
run."""

from __future__ import annotations

import argparse
import webbrowser
from pathlib import Path

from fieldcorpus.cli.common import add_workspace_arguments, workspace_from
from fieldcorpus.deid.residual import read_hits
from fieldcorpus.files import read_tsv
from fieldcorpus.manifest import load_allow_list, load_register
from fieldcorpus.pipeline.layout import Layout
from fieldcorpus.pipeline.workspace import Workspace


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_workspace_arguments(parser)
    parser.add_argument("--practice", help="only this practice (e.g. P01)")
    parser.add_argument("--open", action="store_true", help="open the page(s) in a browser")
    parser.add_argument(
        "--apply", action="store_true",
        help="check the edited register and allow-list parse; then rerun snakemake",
    )  # fmt: skip
    parser.add_argument(
        "--serve", action="store_true",
        help="open the review desk: a local web app on 127.0.0.1 (a token in its URL)",
    )  # fmt: skip
    parser.add_argument("--port", type=int, default=0, help="the desk's port (default: a free one)")
    parser.add_argument(
        "--no-browser", action="store_true", help="print the desk's URL without opening it"
    )


def run(args: argparse.Namespace) -> int:
    workspace = workspace_from(args)
    if args.serve:
        return serve_desk(workspace, args)
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
        entries = Path(workspace.layout.risk_review(page.stem))
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


def serve_desk(workspace: Workspace, args: argparse.Namespace) -> int:
    """Serve the review desk until interrupted (Ctrl-C)."""
    from fieldcorpus.cli.desk.app import create_app, desk_url, new_token, serve
    from fieldcorpus.cli.desk.runner import Run, shown_command, snakemake_command
    from fieldcorpus.deid.decisions import Desk

    desk = Desk(workspace.restricted, workspace.path("register"), workspace.path("allow_list"))
    command = snakemake_command(workspace.root, args.configfile, args.config)
    token = new_token()
    app = create_app(
        desk,
        Run(workspace.root, command),
        shown_command(workspace.root, args.configfile, args.config),
        token,
    )
    server = serve(app, args.port)
    url = desk_url(server, token)
    print(f"review desk: {url}", flush=True)
    print("restricted: it shows identifiable text; stop it with Ctrl-C", flush=True)
    if not args.no_browser:
        webbrowser.open(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
