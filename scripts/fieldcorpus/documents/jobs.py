"""One function per rule of rules/extract.smk, named after the rule: read the inputs, call the
stage's logic, write the outputs atomically."""

from __future__ import annotations

import logging

from fieldcorpus.documents import extract
from fieldcorpus.files import (
    read_json,
    write_restricted_json,
)
from fieldcorpus.manifest import Item
from fieldcorpus.units import unit_document

log = logging.getLogger("fieldcorpus")


def extract_document(
    raw: str, inventory: str, output: str, item: dict, settings: dict, threads: int = 1
) -> None:
    record = Item(**item)
    extracted = extract.extract_document(raw, record.item_id, {**settings, "threads": threads})
    write_restricted_json(output, unit_document(record, read_json(inventory), extracted))
    log.info("item %s: %d text units", record.item_id, len(extracted["units"]))
