"""Find files under the fieldwork root that no manifest row points to, propose manifest rows
for them (practice and wave from the <practice>/wave<N>/ folders, kind from the file type and
names, collected_on from the file's own metadata, else its modification date), check them with
the pipeline's own manifest validation, and write them to a draft TSV to review and append.
Raw files are only read, never moved, renamed or written."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from fieldcorpus.cli.common import add_workspace_arguments, workspace_from
from fieldcorpus.files import RESTRICTED_FILE_MODE, atomic_write_text
from fieldcorpus.intake.scan import propose_rows, rows_to_tsv, validate_with_manifest


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", nargs="?", help="folder to scan (default: the fieldwork root)")
    add_workspace_arguments(parser)
    parser.add_argument(
        "--draft", default="manifest-draft.tsv", help="where to write the proposed rows"
    )


def run(args: argparse.Namespace) -> int:
    workspace = workspace_from(args)
    folder = Path(args.folder).resolve() if args.folder else None
    rows = propose_rows(workspace.manifest, workspace.fieldwork, folder)
    if not rows:
        print("scan: every file under the fieldwork root is already in the manifest")
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        validate_with_manifest(workspace.manifest, workspace.fieldwork, rows, Path(scratch))
    draft = Path(args.directory) / args.draft
    atomic_write_text(draft, rows_to_tsv(rows), RESTRICTED_FILE_MODE)
    print(f"scan: {len(rows)} proposed row(s) written to {draft}")
    print("check kind, role and collected_on, then append the rows (no header) to the manifest")
    return 0
