"""One function per rule of rules/audio.smk, named after the rule: read the inputs, call the
stage's logic, write the outputs atomically."""

from __future__ import annotations

import csv
import logging

from fieldcorpus.audio.redaction import (
    check_failure,
    check_result,
    closed_loop_transcript,
    coverage,
    heard_names,
    pitch_shift,
    practice_needles,
    publish,
    read_recording,
    redact,
    redaction_spans,
    spans_from_tsv,
    spans_to_tsv,
    write_recording,
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
    document = read_json(transcript)
    with open(anonymisation_log, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    spans = redaction_spans(document["units"], rows, float(settings.get("padding_ms", 150)) / 1000)
    original = read_recording(recording, item_id)
    disguised = pitch_shift(original, float(settings.get("pitch_semitones", 0)))
    redacted = redact(
        disguised,
        spans,
        settings.get("replacement", "tone"),
        float(settings.get("tone_hz", 1000)),
        float(settings.get("tone_level", 0.1)),
    )
    write_recording(output_audio, redacted, RESTRICTED_FILE_MODE)
    atomic_write_text(output_spans, spans_to_tsv(item_id, spans), RESTRICTED_FILE_MODE)
    fallback = sum(span.timing != "word" for span in spans)
    log.info(
        "item %s: %d spans, %.1f s of %.1f s redacted (%d without word timings)",
        item_id,
        len(spans),
        sum(min(s.end, original.duration) - s.start for s in spans),
        original.duration,
        fallback,
    )


def publish_redacted_audio(
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
) -> None:
    """The closed-loop check: transcribe the redacted copy again, search it for every ledger and
    register string of the practice, and publish the copy only when none is heard and enough of
    its words were heard again to tell."""
    record = Item(**item)
    item_settings = {**settings, "language": settings.get("language") or record.language}
    heard = closed_loop_transcript(
        audio, record.item_id, item_settings, threads, bool(audio_settings.get("check_vad", True))
    )
    units = [{k: unit[k] for k in ("id", "text", "start", "end")} for unit in heard["units"]]
    write_restricted_json(output_check, {"item": record.public_metadata(), "units": units})
    pattern = practice_needles(record.practice, Ledger.read(ledger), load_register(register))
    hits = heard_names(units, pattern)
    redacted = spans_from_tsv(spans)
    share = coverage(read_json(transcript)["units"], redacted, units)
    minimum = float(audio_settings.get("check_min_coverage", 0.8))
    result = check_result(hits, share, minimum)
    # The redaction log is a param, not an output, so that a failed check keeps its record.
    atomic_write_text(
        redaction_log, spans_to_tsv(record.item_id, redacted, result), RESTRICTED_FILE_MODE
    )
    log.info(
        "item %s: closed-loop check %s (%d units heard, %d with a name, %.0f%% of the words)",
        record.item_id,
        result,
        len(units),
        len(hits),
        100 * share,
    )
    if result != "pass":
        raise check_failure(record.item_id, hits, share, minimum)
    publish(audio, output_audio, SHAREABLE_FILE_MODE)
