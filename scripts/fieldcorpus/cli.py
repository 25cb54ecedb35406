"""The `fieldcorpus` command: maintenance tasks around the Snakemake workflow."""

from __future__ import annotations

import argparse

from .cli_models import add_fetch_models_parser


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fieldcorpus")
    subparsers = parser.add_subparsers(required=True, metavar="COMMAND")
    add_fetch_models_parser(subparsers)
    args = parser.parse_args(argv)
    return args.command(args)


if __name__ == "__main__":
    raise SystemExit(main())
