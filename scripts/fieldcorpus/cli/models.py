"""Download every Whisper model and spaCy pipeline the config names that is not bundled, into
the config's models directory (transcription.models_dir). Run it once on a login node with
internet, from the directory you run Snakemake in; compute nodes then need no network."""

from __future__ import annotations

import argparse
import sys

import yaml

from fieldcorpus.errors import FieldcorpusError
from fieldcorpus.models import fetch_models


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--configfile",
        default="config/config.yaml",
        help="the workflow config (default: %(default)s)",
    )
    parser.add_argument("--models-dir", help="override transcription.models_dir")
    parser.add_argument(
        "--spacy-requirement",
        help="what pip installs for the spaCy pipeline when its name is not on the package index "
        "(a wheel URL or file)",
    )


def run(args: argparse.Namespace) -> int:
    with open(args.configfile, encoding="utf-8") as handle:
        config = yaml.safe_load(handle)
    if args.models_dir:
        config.setdefault("transcription", {})["models_dir"] = args.models_dir
    try:
        fetch_models(config, args.spacy_requirement, log=lambda line: print(line, flush=True))
    except FieldcorpusError as error:
        print(f"fieldcorpus: {error}", file=sys.stderr)
        return 1
    return 0
