"""Arguments every data-manager subcommand shares: where the pipeline runs and its config."""

from __future__ import annotations

import argparse

from fieldcorpus.config import load_config
from fieldcorpus.pipeline.workspace import Workspace


def add_workspace_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-d", "--directory", default=".", help="the pipeline's working directory (default: .)"
    )
    parser.add_argument(
        "--configfile", default="config/config.yaml", help="config file, relative to -d"
    )
    parser.add_argument(
        "--config", nargs="*", default=[], metavar="KEY=VALUE",
        help="override config keys, as with snakemake --config",
    )  # fmt: skip


def workspace_from(args: argparse.Namespace) -> Workspace:
    return Workspace.load(
        args.directory, config=load_config(args.directory, args.configfile, args.config)
    )
