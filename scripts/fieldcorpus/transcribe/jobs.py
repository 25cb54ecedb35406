"""One function per rule of rules/transcribe.smk, named after the rule: read the inputs, call the
stage's logic, write the outputs atomically."""

from __future__ import annotations

import logging

from fieldcorpus.files import (
    RESTRICTED_FILE_MODE,
    SHAREABLE_FILE_MODE,
    atomic_write_bytes,
    read_json,
    write_restricted_json,
)
from fieldcorpus.formats import PauseMarks, format_of, render
from fieldcorpus.manifest import Item
from fieldcorpus.transcribe import transcription
from fieldcorpus.units import unit_document

log = logging.getLogger("fieldcorpus")


def transcribe_recording(
    raw: str,
    inventory: str,
    output: str,
    item: dict,
    settings: dict,
    threads: int,
    models_dir: str | None = None,
) -> None:
    record = Item(**item)
    item_settings = {**settings, "language": settings.get("language") or record.language}
    facts = read_json(inventory)
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
    write_restricted_json(output, unit_document(record, facts, transcript))
    log.info("item %s: %d speech units", record.item_id, len(transcript["units"]))


def render_restricted_transcript(
    units: str, outputs: dict[str, str], settings: dict, shareable: bool
) -> None:
    """Render a transcript (restricted, or pseudonymised shareable) into analysis formats;
    `outputs` maps Snakemake output names (formats.output_key) to paths."""
    document = read_json(units)
    mode = SHAREABLE_FILE_MODE if shareable else RESTRICTED_FILE_MODE
    pauses = PauseMarks.from_settings(settings)
    for key, path in outputs.items():
        atomic_write_bytes(path, render(document, format_of(key), pauses), mode)
    log.info("item %s: %d formats", document["item"]["item_id"], len(outputs))


render_shareable_transcript = render_restricted_transcript
