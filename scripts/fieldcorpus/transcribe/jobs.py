"""One function per rule of rules/transcribe.smk, named after the rule: read the inputs, call the
stage's logic, write the outputs atomically."""

from __future__ import annotations

import logging

from fieldcorpus.files import (
    RESTRICTED_FILE_MODE,
    SHAREABLE_FILE_MODE,
    read_json,
    write_restricted_json,
)
from fieldcorpus.formats import write_formats
from fieldcorpus.intake.jobs import write_inventory
from fieldcorpus.manifest import Item
from fieldcorpus.transcribe import transcription
from fieldcorpus.units import unit_document

log = logging.getLogger("fieldcorpus")


def transcribe_recording(
    raw: str,
    inventory: str,
    output: str,
    formats: dict[str, str],
    item: dict,
    settings: dict,
    threads: int,
    models_dir: str | None = None,
) -> None:
    """Inventory the raw recording, transcribe it, and render the restricted analysis copies
    (`formats`: output key -> path) for checking the transcript against the audio."""
    record = Item(**item)
    facts = write_inventory(raw, inventory, item)
    item_settings = {**settings, "language": settings.get("language") or record.language}
    transcript = transcription.transcribe_recording(
        raw,
        record.item_id,
        item_settings,
        threads,
        models_dir,
        speakers=record.speakers,
        duration_hint=facts.get("duration_s"),
        roles=transcription.speaker_roles(settings, record.kind),
    )
    document = unit_document(record, facts, transcript)
    write_restricted_json(output, document)
    write_formats(document, formats, settings, RESTRICTED_FILE_MODE)
    log.info(
        "item %s: %d speech units, %d formats",
        record.item_id,
        len(transcript["units"]),
        len(formats),
    )


def render_shareable_transcript(
    units: str,
    outputs: dict[str, str],
    settings: dict,
) -> None:
    """Render the pseudonymised transcript (never the restricted one) into analysis formats
    (`outputs`: output key -> path)."""
    document = read_json(units)
    write_formats(document, outputs, settings, SHAREABLE_FILE_MODE)
    log.info("item %s: %d formats", document["item"]["item_id"], len(outputs))
