"""The intake step every item's first job starts with (rules/transcribe.smk and
rules/extract.smk fold it in): the raw file's checksum and media facts."""

from __future__ import annotations

import logging

from fieldcorpus.files import write_restricted_json
from fieldcorpus.intake import inventory
from fieldcorpus.manifest import Item

log = logging.getLogger("fieldcorpus")


def write_inventory(raw: str, output: str, item: dict) -> dict:
    """Inventory one raw item into `output` (restricted: it names the raw path); its facts."""
    record = Item(**item)
    facts = inventory.inventory_item(raw, record)
    write_restricted_json(
        output, {"item": record.public_metadata(), "raw_path": item["path"], **facts}
    )
    log.info("inventoried item %s (%s)", record.item_id, facts["media_type"])
    return facts
