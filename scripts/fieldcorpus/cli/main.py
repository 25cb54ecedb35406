"""The `fieldcorpus` command.

Each subcommand lives in its own module, which provides `add_arguments(parser)` and
`run(args) -> int`; add it to SUBCOMMANDS to make it available here."""

from __future__ import annotations

import argparse
import importlib
import sys

from fieldcorpus.errors import FieldcorpusError

# name -> (module, one-line help)
SUBCOMMANDS = {
    "audit": (
        "fieldcorpus.cli.audit",
        "check raw inputs and shareable outputs against lineage",
    ),
    "scan": ("fieldcorpus.cli.scan", "propose manifest rows for new files in the fieldwork"),
    "status": ("fieldcorpus.cli.status", "what is done, failed, waiting or under review"),
    "review": ("fieldcorpus.cli.review", "find the review pages; check register edits"),
    "fetch-models": (
        "fieldcorpus.cli.models",
        "cache the hub models the config names, for compute nodes without network",
    ),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fieldcorpus", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        module = importlib.import_module(module_name)
        sub = commands.add_parser(name, help=help_text, description=module.__doc__)
        module.add_arguments(sub)
        sub.set_defaults(handler=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except FieldcorpusError as error:
        print(f"fieldcorpus: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
