"""One function per rule: read inputs, call the stage's logic, write outputs atomically."""

from __future__ import annotations

import logging
from pathlib import Path

from .files import (
    RESTRICTED_FILE_MODE,
    SHAREABLE_FILE_MODE,
    atomic_write_bytes,
    atomic_write_text,
    read_json,
    write_restricted_json,
    write_shareable_json,
)
from .manifest import Item, load_allow_list, load_register

log = logging.getLogger("fieldcorpus")


def inventory_job(raw: str, output: str, item: dict) -> None:
    from .inventory import inventory_item

    record = Item(**item)
    facts = inventory_item(raw, record)
    write_restricted_json(
        output, {"item": record.public_metadata(), "raw_path": item["path"], **facts}
    )
    log.info("inventoried item %s (%s)", record.item_id, facts["media_type"])


def transcribe_job(
    raw: str,
    inventory: str,
    output: str,
    item: dict,
    settings: dict,
    threads: int,
    models_dir: str | None = None,
) -> None:
    from .transcription import speaker_roles, transcribe_recording
    from .units import unit_document

    record = Item(**item)
    item_settings = {**settings, "language": settings.get("language") or record.language}
    facts = read_json(inventory)
    transcript = transcribe_recording(
        raw,
        record.item_id,
        item_settings,
        threads,
        models_dir,
        speakers=record.speakers,
        duration_hint=facts.get("duration_s"),
        roles=speaker_roles(settings, record.kind),
    )
    write_restricted_json(output, unit_document(record, facts, transcript))
    log.info("item %s: %d speech units", record.item_id, len(transcript["units"]))


def transcript_formats_job(
    units: str, outputs: dict[str, str], settings: dict, shareable: bool
) -> None:
    """Render a transcript (restricted, or pseudonymised shareable) into analysis formats;
    `outputs` maps Snakemake output names (formats.output_key) to paths."""
    from .formats import PauseMarks, format_of, render

    document = read_json(units)
    mode = SHAREABLE_FILE_MODE if shareable else RESTRICTED_FILE_MODE
    pauses = PauseMarks.from_settings(settings)
    for key, path in outputs.items():
        atomic_write_bytes(path, render(document, format_of(key), pauses), mode)
    log.info("item %s: %d formats", document["item"]["item_id"], len(outputs))


def extract_job(raw: str, inventory: str, output: str, item: dict, settings: dict) -> None:
    from .documents import extract_document
    from .units import unit_document

    record = Item(**item)
    extracted = extract_document(raw, record.item_id, settings)
    write_restricted_json(output, unit_document(record, read_json(inventory), extracted))
    log.info("item %s: %d text units", record.item_id, len(extracted["units"]))


def detect_job(units: str, register: str, allow_list: str, output: str, settings: dict) -> None:
    from .entities import detect_entities, load_ner

    document = read_json(units)
    sources = settings.get("sources", {})
    nlp = load_ner(settings["spacy_model"]) if sources.get("ner", True) else None
    detections = detect_entities(
        document["units"],
        document["item"]["practice"],
        load_register(register),
        load_allow_list(allow_list),
        settings,
        nlp,
    )
    write_restricted_json(
        output, {"item_id": document["item"]["item_id"], "detections": detections}
    )
    log.info("item %s: %d detections", document["item"]["item_id"], len(detections))


def ledger_job(
    detections: list[str],
    register: str,
    ledger: str,
    state: str,
    review: str,
    review_threshold: float,
) -> None:
    from .ledger import ledger_version, update_ledger
    from .review import review_rows, review_to_tsv

    loaded = [read_json(path) for path in detections]
    ordered = [(d["item_id"], d["detections"]) for d in loaded]
    update_ledger(ledger, ordered, load_register(register))
    version = ledger_version(ledger)
    atomic_write_text(
        review, review_to_tsv(review_rows(ordered, review_threshold)), RESTRICTED_FILE_MODE
    )
    write_restricted_json(state, {"ledger": Path(ledger).name, **version})
    log.info("ledger has %d entries", version["entries"])


def pseudonymise_job(
    units: str,
    detections: str,
    ledger: str,
    output_json: str,
    output_text: str,
    anonymisation_log: str,
) -> None:
    from .ledger import Ledger
    from .pseudonymise import log_to_tsv, pseudonymise_units
    from .units import render_text

    document = read_json(units)
    item_id = document["item"]["item_id"]
    new_units, log_rows = pseudonymise_units(
        item_id, document["units"], read_json(detections)["detections"], Ledger.read(ledger)
    )
    shareable = {**document, "units": new_units}
    write_shareable_json(output_json, shareable)
    atomic_write_text(output_text, render_text(shareable), SHAREABLE_FILE_MODE)
    atomic_write_text(anonymisation_log, log_to_tsv(log_rows), RESTRICTED_FILE_MODE)
    log.info("item %s: %d replacements", item_id, len(log_rows))


def corpus_job(items: list[str], parquet: str, csv: str, settings: dict) -> None:
    from .corpus import build_corpus, write_corpus

    frame = build_corpus(items)
    write_corpus(frame, parquet, csv, bool(settings.get("csv_excel_bom", True)))
    log.info("corpus: %d units from %d items", len(frame), len(items))


def leak_check_job(
    shareable_dir: str, ledgers: list[str], register: str, manifest_ids: list[str], output: str
) -> None:
    from .leakcheck import check_tree, raise_on_leaks, rows_to_tsv
    from .ledger import Ledger

    by_practice = {Path(p).name.split(".")[0]: Ledger.read(p) for p in ledgers}
    rows = check_tree(shareable_dir, by_practice, load_register(register), set(manifest_ids))
    raise_on_leaks(rows)
    atomic_write_text(output, rows_to_tsv(rows), SHAREABLE_FILE_MODE)
    log.info("leak check: %d shareable files clean", len(rows))
