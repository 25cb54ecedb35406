"""Recompute the checksums of raw inputs and shareable outputs and compare them with the lineage
records and the RO-Crate. Prints a summary, writes a TSV of findings, exits 1 on any finding."""

from __future__ import annotations

import argparse
from pathlib import Path

from .audit import findings_to_tsv, run_audit, summary
from .cli_common import add_workspace_arguments
from .config import load_config
from .files import RESTRICTED_FILE_MODE, atomic_write_text, make_restricted_dirs

AUDIT_TSV = "audit/audit.tsv"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_workspace_arguments(parser)
    parser.add_argument(
        "--tsv", help=f"where to write the findings (default: <restricted_dir>/{AUDIT_TSV})"
    )


def write_findings(path: str | Path, text: str) -> Path:
    make_restricted_dirs(Path(path).parent)
    return atomic_write_text(path, text, RESTRICTED_FILE_MODE)


def audit_config(config: dict, tsv: str | None = None):
    """Audit the study a config describes; returns (result, TSV path)."""
    report = config.get("provenance", {}).get("report", "")
    result = run_audit(
        config["manifest"],
        config["fieldwork_dir"],
        config["shareable_dir"],
        known_files=(report,) if report else (),
    )
    path = Path(tsv) if tsv else Path(config["restricted_dir"]) / AUDIT_TSV
    write_findings(path, findings_to_tsv(result.findings))
    return result, path


def run(args: argparse.Namespace) -> int:
    config = load_config(args.directory, args.configfile, args.config)
    result, path = audit_config(config, args.tsv)
    print(summary(result), end="")
    print(f"findings: {path}")
    return 0 if result.passed else 1
