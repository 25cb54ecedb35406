"""One function per rule of rules/audio.smk, named after the rule: read the inputs, call the
stage's logic, write the outputs atomically."""

from __future__ import annotations

import logging

from fieldcorpus.audio.redaction import (
    check_and_repair,
    check_ears,
    check_record,
    make_redacted_copy,
    practice_needles,
    publish,
    redaction_log_tsv,
    spans_from_tsv,
    spans_to_tsv,
)
from fieldcorpus.deid.ledger import Ledger
from fieldcorpus.files import (
    RESTRICTED_FILE_MODE,
    SHAREABLE_FILE_MODE,
    atomic_write_text,
    read_json,
    write_restricted_json,
)
from fieldcorpus.manifest import Item, load_register

log = logging.getLogger("fieldcorpus")


def redact_audio(
    recording: str,
    transcript: str,
    anonymisation_log: str,
    output_audio: str,
    output_spans: str,
    item: dict,
    settings: dict,
) -> None:
    """Restricted redacted copy of a recording: every pseudonymised word's span bleeped."""
    item_id = item["item_id"]
    units = read_json(transcript)["units"]
    spans, original = make_redacted_copy(
        recording, units, anonymisation_log, output_audio, item_id, settings
    )
    atomic_write_text(output_spans, spans_to_tsv(item_id, spans), RESTRICTED_FILE_MODE)
    log.info(
        "item %s: %d spans, %.1f s of %.1f s redacted (%d without word timings); word timings "
        "moved out by the signal: %d ms in all",
        item_id,
        len(spans),
        sum(min(s.end, original.duration) - s.start for s in spans),
        original.duration,
        sum(span.timing != "word" for span in spans),
        sum(span.refined_ms for span in spans),
    )


def publish_redacted_audio(
    recording: str,
    audio: str,
    spans: str,
    transcript: str,
    ledger: str,
    register: str,
    item: dict,
    settings: dict,
    audio_settings: dict,
    threads: int,
    output_audio: str,
    output_check: str,
    redaction_log: str,
    work_audio: str,
) -> None:
    """The closed-loop check with repair (see redaction.check_and_repair): the copy reaches
    shareable/ only when no ear hears a ledger or register string of the practice."""
    record = Item(**item)
    ears = check_ears({**settings, "language": settings.get("language") or record.language},
                      audio_settings)  # fmt: skip
    outcome = check_and_repair(
        audio,
        recording,
        spans_from_tsv(spans),
        read_json(transcript)["units"],
        practice_needles(record.practice, Ledger.read(ledger), load_register(register)),
        ears,
        audio_settings,
        record.item_id,
        work_audio,
        threads,
    )
    minimum = float(audio_settings.get("check_min_coverage", 0.8))
    write_restricted_json(
        output_check,
        {"item": record.public_metadata(), **check_record(outcome, ears, minimum, threads)},
    )
    # The redaction log is a param, not an output, so that a failed check keeps its record.
    atomic_write_text(
        redaction_log, redaction_log_tsv(record.item_id, outcome, minimum), RESTRICTED_FILE_MODE
    )
    log.info("item %s: closed-loop check %s after %d round(s)", record.item_id, outcome.result,
             len(outcome.rounds))  # fmt: skip
    if outcome.failure is not None:
        raise outcome.failure
    publish(outcome.audio, output_audio, SHAREABLE_FILE_MODE)
