"""The per-item detection cache: one restricted file per item (restricted/entities/<practice>/
<item_id>.json) holding its detections and the key they were made under.

Detection runs once per practice with the NER model loaded once; an item whose key is unchanged
is taken from its file, so a new wave reads only its new items. The key covers everything a
detection depends on: the item's metadata and units, the register, the allow-list, the detection
settings, the spaCy model and the detection code itself."""

from __future__ import annotations

import hashlib
import json
import logging
from functools import cache
from importlib import metadata
from pathlib import Path

from fieldcorpus.deid import entities
from fieldcorpus.deid.ledger import order_key
from fieldcorpus.files import read_json, sha256_file, write_restricted_json
from fieldcorpus.manifest import load_allow_list, load_register

log = logging.getLogger("fieldcorpus")

PACKAGE = Path(__file__).resolve().parents[1]
# The code detection runs: the de-identification stage and the core modules it reads.
DETECTION_CODE = ("deid/*.py", "manifest.py", "units.py", "files.py", "models.py")


@cache
def detection_code_digest() -> str:
    files = sorted({p for pattern in DETECTION_CODE for p in PACKAGE.glob(pattern)})
    listing = "".join(f"{sha256_file(p)}  {p.relative_to(PACKAGE).as_posix()}\n" for p in files)
    return hashlib.sha256(listing.encode("utf-8")).hexdigest()


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution) if distribution else None
    except (metadata.PackageNotFoundError, ValueError):
        return None


def settings_key(register: str, allow_list: str, settings: dict) -> dict:
    """What every item's key shares: register, allow-list, settings, model and code."""
    model = str(settings.get("spacy_model", ""))
    return {
        "register_sha256": sha256_file(register),
        "allow_list_sha256": sha256_file(allow_list),
        "settings": settings,
        "spacy": _version("spacy"),
        "spacy_model": [model, _version(model.replace("_", "-")) or _version(model)],
        "code_sha256": detection_code_digest(),
    }


def cache_key(document: dict, shared: dict) -> str:
    """sha256 of an item's metadata and units together with the shared part of the key."""
    payload = {"item": document["item"], "units": document["units"], **shared}
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cached_detections(path: str, key: str) -> dict | None:
    """The cached detection document at `path` when it was made under `key`, else None."""
    try:
        cached = read_json(path)
    except (OSError, ValueError):
        return None
    return cached if isinstance(cached, dict) and cached.get("cache_key") == key else None


def detect_practice(
    units: list[str],
    detections: list[str],
    register: str,
    allow_list: str,
    settings: dict,
    models_dir: str | None = None,
) -> list[dict]:
    """Detection documents of a practice's items (`units[i]` -> `detections[i]`), read from the
    cache where the key matches; the rest detected with one NER model and written back."""
    shared = settings_key(register, allow_list, settings)
    documents: list[dict] = []
    missing: list[tuple[int, dict, str]] = []
    for index, (units_path, detections_path) in enumerate(zip(units, detections, strict=True)):
        document = read_json(units_path)
        key = cache_key(document, shared)
        cached = cached_detections(detections_path, key)
        documents.append(cached or {})
        if cached is None:
            missing.append((index, document, key))
    if missing:
        use_ner = settings.get("sources", {}).get("ner", True)
        nlp = entities.load_ner(settings["spacy_model"], models_dir) if use_ner else None
        entries = load_register(register)
        allowed = load_allow_list(allow_list)
        for index, document, key in missing:
            item = document["item"]
            found = entities.detect_entities(
                document["units"], item["practice"], entries, allowed, settings, nlp, item
            )
            documents[index] = {
                "item_id": item["item_id"],
                "order_key": order_key(item),
                "cache_key": key,
                "detections": found,
            }
            write_restricted_json(detections[index], documents[index])
            log.info("item %s: %d detections", item["item_id"], len(found))
    log.info(
        "detection cache: %d item(s) read, %d taken from the cache",
        len(missing),
        len(documents) - len(missing),
    )
    return documents
