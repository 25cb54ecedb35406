"""Lineage: where each shareable item came from, by checksum, engine, model, config and code.

Every item gets two records. The shareable half names the raw input by checksum only; the
restricted half adds the raw path. Neither holds a timestamp or a host name, so two runs of the
same code on the same data produce the same bytes (run-specific facts live in run records).
"""

from __future__ import annotations

import hashlib
import os
import platform
import subprocess
from functools import cache
from pathlib import Path

from fieldcorpus import __version__
from fieldcorpus.deid.generalise import shareable_item
from fieldcorpus.files import (
    read_json,
    sha256_file,
    write_restricted_json,
    write_shareable_json,
)
from fieldcorpus.paths import PROJECT_ROOT

LINEAGE_FORMAT = "fieldcorpus-lineage/1"

# The files whose content is the pipeline: a change to any of them is a new pipeline version.
# config/config.yaml is not here: the config values that shape an output are recorded separately.
CODE_PATTERNS = (
    "Snakefile",
    "rules/*.smk",
    "scripts/*.py",
    "scripts/fieldcorpus/*.py",
    "config/schemas/*.yaml",
    "envs/*.yaml",
    "report/*",
    "pyproject.toml",
    "constraints.txt",
)

# Config keys that decide where a job reads from, not what it writes. `threads` is not one: on
# a CPU, Whisper's int8 sums change with the thread count, and with them a few words (demo: 1 vs
# 2 threads changed punctuation or a turn boundary in all 8 transcripts).
NOT_SHAPING = frozenset({"models_dir"})
# Facts the workflow adds to its config for the report's landing page (not a user setting).
REPORT_FACTS_KEY = "report_facts"
# Top-level config sections that are not stage settings.
NOT_STAGE_SECTIONS = frozenset({"provenance", REPORT_FACTS_KEY})
LOCAL_PATH = "(local path)"


def code_files(root: Path = PROJECT_ROOT) -> list[Path]:
    found = {path for pattern in CODE_PATTERNS for path in root.glob(pattern) if path.is_file()}
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


def code_digest(root: Path = PROJECT_ROOT) -> tuple[str, dict[str, str]]:
    """sha256 over the pipeline's own files (path and content), and each file's sha256."""
    files = {p.relative_to(root).as_posix(): sha256_file(p) for p in code_files(root)}
    listing = "".join(f"{digest}  {path}\n" for path, digest in files.items())
    return hashlib.sha256(listing.encode("utf-8")).hexdigest(), files


def _git(root: Path, *args: str) -> str | None:
    try:
        result = subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout if result.returncode == 0 else None


def pipeline_version(root: Path = PROJECT_ROOT) -> dict:
    """Package version, git commit and dirtiness (None outside a git checkout), code digest."""
    commit = _git(root, "rev-parse", "HEAD")
    status = _git(root, "status", "--porcelain") if commit else None
    digest, _ = code_digest(root)
    return {
        "name": "fieldcorpus",
        "version": __version__,
        "commit": commit.strip() if commit else None,
        "dirty": bool(status.strip()) if status is not None else None,
        "code_sha256": digest,
    }


def report_facts(config: dict) -> dict:
    """What the report's landing page shows: pipeline version and the manifest checksum."""
    manifest = Path(config["manifest"])
    return {
        **pipeline_version(),
        "manifest_sha256": sha256_file(manifest) if manifest.is_file() else None,
        "crate": "ro-crate-metadata.json",
    }


def _tree_digest(root: Path) -> str:
    listing = "".join(
        f"{sha256_file(p)}  {p.relative_to(root).as_posix()}\n"
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    )
    return hashlib.sha256(listing.encode("utf-8")).hexdigest()


@cache
def spacy_model_facts(model: str) -> dict:
    """Name, version and content digest of a spaCy pipeline (an installed package or a path)."""
    from importlib import metadata, util

    facts: dict = {"id": model, "version": None, "sha256": None}
    try:
        facts["spacy_version"] = metadata.version("spacy")
    except metadata.PackageNotFoundError:
        facts["spacy_version"] = None
    path = Path(model)
    if not path.is_dir():
        spec = util.find_spec(model) if model.isidentifier() else None
        locations = list(spec.submodule_search_locations or []) if spec else []
        if not locations:
            return facts
        path = Path(locations[0])
    meta_path = path / "meta.json"
    if meta_path.is_file():
        meta = read_json(meta_path)
        facts["version"] = meta.get("version")
        facts["name"] = f"{meta.get('lang', '')}_{meta.get('name', '')}".strip("_")
    facts["sha256"] = _tree_digest(path)
    if Path(model).is_absolute():
        facts["id"] = LOCAL_PATH
    return facts


def public_value(value):
    """A config value as it may appear in shareable/: absolute local paths are withheld."""
    if isinstance(value, dict):
        return {key: public_value(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [public_value(inner) for inner in value]
    if isinstance(value, str) and (os.path.isabs(value) or value.startswith("~")):
        return LOCAL_PATH
    return value


def stage_settings(config: dict) -> dict:
    """Every stage section of the config, without keys that cannot change an output."""
    return {
        section: {k: v for k, v in values.items() if k not in NOT_SHAPING}
        for section, values in sorted(config.items())
        if isinstance(values, dict) and section not in NOT_STAGE_SECTIONS
    }


def item_settings(config: dict, is_recording: bool, shares_audio: bool = False) -> dict:
    """The config values that shaped one item's outputs (`audio` where it has shareable audio)."""
    settings = stage_settings(config)
    source_stage = "transcription" if is_recording else "documents"
    stages = (source_stage, "pseudonymisation", *(("audio",) if shares_audio else ()))
    return {key: settings[key] for key in stages if key in settings}


def zone_path(path: str | os.PathLike, root: str | os.PathLike, zone: str) -> str:
    return f"{zone}:{Path(path).resolve().relative_to(Path(root).resolve()).as_posix()}"


def build_lineage(
    *,
    item: dict,
    inventory: str,
    units: str,
    detections: str,
    ledger_state: str,
    anonymisation_log: str,
    shareable_files: list[str],
    register: str,
    allow_list: str,
    settings: dict,
    snakemake_version: str,
    restricted_dir: str,
    shareable_dir: str,
    pipeline: dict | None = None,
) -> tuple[dict, dict]:
    """(shareable record, restricted record) for one item."""
    inventory_facts = read_json(inventory)
    document = read_json(units)
    ledger = read_json(ledger_state)
    is_recording = "transcription" in settings

    def restricted(path: str) -> dict:
        return {"file": zone_path(path, restricted_dir, "restricted"), "sha256": sha256_file(path)}

    pseudonymisation = settings.get("pseudonymisation", {})
    ner_used = pseudonymisation.get("sources", {}).get("ner", True)
    raw = {
        key: value
        for key, value in inventory_facts.items()
        if key not in ("item", "raw_path") and not isinstance(value, dict | list)
    }
    shareable_outputs = {
        Path(path).resolve().relative_to(Path(shareable_dir).resolve()).as_posix(): sha256_file(
            path
        )
        for path in sorted(shareable_files)
    }
    record = {
        "format": LINEAGE_FORMAT,
        "item": shareable_item(document["item"], pseudonymisation),
        "raw": raw,
        "stages": {
            "inventory": restricted(inventory),
            "transcription" if is_recording else "extraction": {
                **restricted(units),
                "engine": public_value(document.get("engine")),
            },
            "detection": {
                **restricted(detections),
                "register_sha256": sha256_file(register),
                "allow_list_sha256": sha256_file(allow_list),
                "spacy_model": (
                    spacy_model_facts(pseudonymisation["spacy_model"]) if ner_used else None
                ),
            },
            "pseudonymisation": {
                **restricted(anonymisation_log),
                "ledger": {
                    "practice": document["item"]["practice"],
                    "entries": ledger.get("entries"),
                    "sha256": ledger.get("sha256"),
                },
            },
        },
        "shareable_outputs": shareable_outputs,
        "config": public_value(settings),
        "pipeline": pipeline if pipeline is not None else pipeline_version(),
        "software": {"python": platform.python_version(), "snakemake": snakemake_version},
    }
    restricted_record = {**record, "raw": {**raw, "path": item["path"]}, "config": settings}
    return record, restricted_record


def software_of(record: dict) -> list[dict]:
    """The engines and models behind one lineage record.

    Engine facts are read generically (any dict with a name and a version, optionally a model),
    so a stage that records more or different facts is still described and compared."""
    found: list[dict] = []

    def visit(value) -> None:
        if not isinstance(value, dict):
            return
        name = value.get("name")
        if isinstance(name, str) and "version" in value:
            found.append({"kind": "engine", "name": name, "version": str(value["version"])})
        model = value.get("model")
        if isinstance(name, str) and model:
            model = model if isinstance(model, dict) else {"id": str(model)}
            found.append(
                {
                    "kind": "model",
                    "name": f"{name} model",
                    "id": model.get("id"),
                    "version": model.get("version"),
                    "sha256": model.get("sha256"),
                }
            )
        for key, inner in value.items():
            if key != "model":
                visit(inner)

    for stage in record.get("stages", {}).values():
        visit(stage.get("engine"))
    spacy = record.get("stages", {}).get("detection", {}).get("spacy_model")
    if spacy:
        found.append({"kind": "engine", "name": "spaCy", "version": spacy.get("spacy_version")})
        found.append(
            {
                "kind": "model",
                "name": "spaCy model",
                "id": spacy.get("id"),
                "version": spacy.get("version"),
                "sha256": spacy.get("sha256"),
            }
        )
    return found


def components(record: dict) -> dict[str, str]:
    """'component -> version' pairs of one record, for spotting outputs made differently."""
    pairs = {}
    for entry in software_of(record):
        if entry["kind"] == "engine":
            pairs[f"engine {entry['name']}"] = str(entry["version"])
        else:
            pairs[entry["name"]] = (
                f"{entry['id']} {entry.get('version') or ''} sha256:{entry['sha256']}"
            )
    return pairs


def effective_version(record: dict) -> str:
    """What 'pipeline version' means when comparing outputs: the code digest (commit for show)."""
    pipeline = record.get("pipeline", {})
    return str(pipeline.get("code_sha256"))


def write_item_lineage(target: dict, shared: dict, pipeline: dict) -> None:
    """Both lineage records of one item. `target`: the item's record and stage files and where
    its records go (pipeline.targets.lineage_targets); `shared`: register, allow-list, Snakemake
    version and zone roots; `pipeline`: pipeline_version(), computed once per job."""
    shareable, restricted = build_lineage(
        item=target["item"],
        inventory=target["inventory"],
        units=target["units"],
        detections=target["detections"],
        ledger_state=target["ledger_state"],
        anonymisation_log=target["anonymisation_log"],
        shareable_files=list(target["shareable_files"]),
        register=shared["register"],
        allow_list=shared["allow_list"],
        settings=target["settings"],
        snakemake_version=shared["snakemake_version"],
        restricted_dir=shared["restricted_dir"],
        shareable_dir=shared["shareable_dir"],
        pipeline=pipeline,
    )
    write_restricted_json(target["restricted"], restricted)
    write_shareable_json(target["shareable"], shareable)
