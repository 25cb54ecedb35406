"""The pipeline config outside Snakemake (for `fieldcorpus` subcommands): the same file, the
same `KEY=VALUE` overrides as `snakemake --config`, the same schema."""

from __future__ import annotations

import os
from pathlib import Path

import jsonschema
import yaml

from fieldcorpus.errors import FieldcorpusError
from fieldcorpus.paths import SCHEMA_DIR

PATH_KEYS = (
    "manifest",
    "fieldwork_dir",
    "register",
    "allow_list",
    "restricted_dir",
    "shareable_dir",
)


def parse_overrides(pairs: list[str]) -> dict:
    overrides = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise FieldcorpusError(None, f"bad --config value {pair!r}", "write KEY=VALUE")
        overrides[key.strip()] = yaml.safe_load(value) if value else ""
    return overrides


def load_config(directory: str | os.PathLike, configfile: str, overrides: list[str]) -> dict:
    """Load and validate the config; path keys become absolute, relative to `directory`."""
    directory = Path(directory)
    path = Path(configfile)
    path = path if path.is_absolute() else directory / path
    try:
        with open(path, encoding="utf-8") as handle:
            config = yaml.safe_load(handle) or {}
    except OSError as exc:
        raise FieldcorpusError(
            None, f"cannot read the config file {configfile}", "check -d and --configfile"
        ) from exc
    config.update(parse_overrides(overrides))
    with open(SCHEMA_DIR / "config.schema.yaml", encoding="utf-8") as handle:
        schema = yaml.safe_load(handle)
    try:
        jsonschema.validate(config, schema)
    except jsonschema.ValidationError as exc:
        where = "/".join(map(str, exc.absolute_path)) or "(top level)"
        raise FieldcorpusError(None, f"config {where}: {exc.message}", "fix config.yaml") from None
    for key in PATH_KEYS:
        if config.get(key):
            config[key] = str(directory / config[key])
    return config
