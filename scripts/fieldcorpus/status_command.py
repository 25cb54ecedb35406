"""Per practice and wave: items in the manifest, done, failed (with the one-line reason),
running, waiting, open review-queue entries, the last leak-check result and, beside it, the
residual-identifier gate's (items withheld). Read from outputs, logs and Snakemake's markers;
colour on a terminal, plain when piped, TSV with --tsv."""

from __future__ import annotations

import argparse
import sys

from .cli_common import add_workspace_arguments, workspace_from
from .manifest import load_manifest
from .status import collect_status, status_table, status_tsv


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
