"""Recompute the checksums of raw inputs and shareable outputs and compare them with the lineage
records and the RO-Crate. Prints a summary, writes a TSV of findings, exits 1 on any finding."""

from __future__ import annotations

import argparse

from fieldcorpus.cli.common import add_workspace_arguments
from fieldcorpus.config import load_config
from fieldcorpus.provenance.audit import AUDIT_TSV, audit_config, summary


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_workspace_arguments(parser)
    parser.add_argument(
        "--tsv", help=f"where to write the findings (default: <restricted_dir>/{AUDIT_TSV})"
    )


def run(args: argparse.Namespace) -> int:
    config = load_config(args.directory, args.configfile, args.config)
    result, path = audit_config(config, args.tsv)
    print(summary(result), end="")
    print(f"findings: {path}")
    return 0 if result.passed else 1
