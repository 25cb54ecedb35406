"""One function per rule of rules/inventory.smk, named after the rule: read the inputs, call the
stage's logic, write the outputs atomically."""

from __future__ import annotations

import logging

from fieldcorpus.files import (
    write_restricted_json,
)
from fieldcorpus.intake import inventory
from fieldcorpus.manifest import Item

log = logging.getLogger("fieldcorpus")


def inventory_item(raw: str, output: str, item: dict) -> None:
    record = Item(**item)
    facts = inventory.inventory_item(raw, record)
    write_restricted_json(
        output, {"item": record.public_metadata(), "raw_path": item["path"], **facts}
    )
    log.info("inventoried item %s (%s)", record.item_id, facts["media_type"])
