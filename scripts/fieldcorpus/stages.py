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


def extract_job(
    raw: str, inventory: str, output: str, item: dict, settings: dict, threads: int = 1
) -> None:
    from .documents import extract_document
    from .units import unit_document

    record = Item(**item)
    extracted = extract_document(raw, record.item_id, {**settings, "threads": threads})
    write_restricted_json(output, unit_document(record, read_json(inventory), extracted))
    log.info("item %s: %d text units", record.item_id, len(extracted["units"]))


def detect_job(
    units: str,
    register: str,
    allow_list: str,
    output: str,
    settings: dict,
    models_dir: str | None = None,
) -> None:
    from .entities import detect_entities, load_ner
    from .ledger import order_key

    document = read_json(units)
    sources = settings.get("sources", {})
    nlp = load_ner(settings["spacy_model"], models_dir) if sources.get("ner", True) else None
    detections = detect_entities(
        document["units"],
        document["item"]["practice"],
        load_register(register),
        load_allow_list(allow_list),
        settings,
        nlp,
        document["item"],
    )
    item_id = document["item"]["item_id"]
    write_restricted_json(
        output,
        {"item_id": item_id, "order_key": order_key(document["item"]), "detections": detections},
    )
    log.info("item %s: %d detections", item_id, len(detections))


def detection_index_job(detections: list[str], output: str) -> None:
    """One line per detection file of a practice, in ledger order, with its sha256: the file
    update_ledger depends on instead of every detection file."""
    from .ledger import detection_index

    atomic_write_text(output, detection_index(detections), RESTRICTED_FILE_MODE)
    log.info("%d detection files indexed", len(detections))


def ledger_job(
    detection_index: str,
    detections: list[str],
    units: list[str],
    register: str,
    ledger: str,
    state: str,
    review: str,
    review_html: str,
    review_threshold: float,
) -> None:
    from .ledger import check_detection_index, ledger_version, update_ledger
    from .review import review_html as render_review_html
    from .review import review_rows, review_to_tsv

    documents = check_detection_index(detection_index, detections)
    loaded = sorted(documents, key=lambda d: d["order_key"])
    ordered = [(d["item_id"], d["order_key"], d["detections"]) for d in loaded]
    updated = update_ledger(ledger, ordered, load_register(register))
    texts = {
        read_json(path)["item"]["item_id"]: {
            u["id"]: u.get("text", "") for u in read_json(path)["units"]
        }
        for path in units
    }
    rows = review_rows(ordered, updated, texts, review_threshold)
    atomic_write_text(review, review_to_tsv(rows), RESTRICTED_FILE_MODE)
    atomic_write_text(review_html, render_review_html(rows), RESTRICTED_FILE_MODE)
    version = ledger_version(ledger)
    write_restricted_json(state, {"ledger": Path(ledger).name, **version})
    log.info("ledger has %d entries; %d to review", version["entries"], len(rows))


def pseudonymise_job(
    units: str,
    detections: str,
    ledger: str,
    allow_list: str,
    output_json: str,
    output_text: str,
    anonymisation_log: str,
    gate_hits: str,
    text_settings: dict | None = None,
    made_from_item: list[str] | None = None,
) -> None:
    """`text_settings`: the transcription settings that shape a transcript's .txt (pause marks).
    The residual-identifier gate runs before anything shareable is written: an item whose
    pseudonymised text still holds an identifier shape is withheld (no shareable output), and
    its hits go to the restricted `gate_hits` file, which is kept when the job fails. Shareable
    files an earlier run made from the item (`made_from_item`) are removed with it: they were
    made from text that may now be known to hold the identifier."""
    from .errors import FieldcorpusError
    from .ledger import Ledger, order_key
    from .pseudonymise import log_to_tsv, pseudonymise_units
    from .residual import Release, hits_to_tsv, scan_units, withheld_message
    from .units import render_text

    document = read_json(units)
    item_id = document["item"]["item_id"]
    new_units, log_rows = pseudonymise_units(
        item_id,
        document["units"],
        read_json(detections)["detections"],
        Ledger.read(ledger),
        order_key(document["item"]),
    )
    atomic_write_text(anonymisation_log, log_to_tsv(log_rows), RESTRICTED_FILE_MODE)
    hits = scan_units(
        item_id,
        new_units,
        document["item"].get("collected_on"),
        Release(load_allow_list(allow_list)),
    )
    atomic_write_text(gate_hits, hits_to_tsv(hits), RESTRICTED_FILE_MODE)
    if hits:
        withdrawn = [p for p in made_from_item or [] if Path(p).is_file()]
        for path in withdrawn:
            Path(path).unlink()
        log.info("item %s: %d earlier shareable files removed", item_id, len(withdrawn))
        raise FieldcorpusError(
            item_id,
            f"residual-identifier gate: {len(hits)} identifier shape(s) left after "
            f"pseudonymisation in {withheld_message(hits)}; the item is withheld from shareable/",
            "see the gate rows in the practice's review queue (fieldcorpus review); add the "
            "identifier to the register and rerun, or, if the shape is not identifying, add its "
            "exact text to the allow-list and rerun",
        )
    shareable = {**document, "units": new_units}
    write_shareable_json(output_json, shareable)
    atomic_write_text(output_text, render_text(shareable, text_settings), SHAREABLE_FILE_MODE)
    log.info("item %s: %d replacements; residual-identifier gate passed", item_id, len(log_rows))


def corpus_job(
    items: list[str],
    parquet: str,
    csv: str,
    settings: dict,
    jsonl: str | None = None,
    dictionary: str | None = None,
) -> None:
    from .corpus import build_corpus, write_corpus

    frame = build_corpus(items)
    write_corpus(frame, parquet, csv, bool(settings.get("csv_excel_bom", True)), jsonl, dictionary)
    log.info("corpus: %d units from %d items", len(frame), len(items))


def casebook_job(items: list[str], practice: str, markdown: str, html: str) -> None:
    from .casebook import casebook_html, casebook_markdown, load_documents

    documents = load_documents(items)
    atomic_write_text(markdown, casebook_markdown(practice, documents), SHAREABLE_FILE_MODE)
    atomic_write_text(html, casebook_html(practice, documents), SHAREABLE_FILE_MODE)
    log.info("casebook %s: %d items", practice, len(documents))


def qdpx_job(
    items: list[str], docx: list[str], output: str, name: str, audio: list[str] | None = None
) -> None:
    from .qdpx import docx_by_item, write_qdpx

    documents = [read_json(path) for path in items]
    # Shareable audio is named <item_id>.<ext> like the DOCX transcripts.
    write_qdpx(output, documents, name, docx_by_item(docx), docx_by_item(audio or []))
    log.info(
        "qdpx %s: %d sources, %d with a DOCX transcript, %d with redacted audio",
        name,
        len(documents),
        len(docx),
        len(audio or []),
    )


def summary_practice_job(items: list[str], practice: str, tsv: str, png: str, dpi: int) -> None:
    from .summaries import write_practice_summary

    rows = write_practice_summary(practice, [read_json(p) for p in items], tsv, png, dpi)
    log.info("summary %s: %d practice-wave-kind rows", practice, len(rows))


def summary_study_job(practice_tsvs: list[str], tsv: str, html: str) -> None:
    from .summaries import write_study_summary

    rows = write_study_summary(practice_tsvs, tsv, html)
    log.info("study summary: %d practice-wave-kind rows", len(rows))


def leak_check_job(
    shareable_dir: str,
    ledgers: list[str],
    register: str,
    allow_list: str,
    manifest_ids: list[str],
    output: str,
    gate_hits: str,
) -> None:
    """Two scans of the shareable tree: every ledger and register string (the leak check), and
    identifier shapes in every shareable text (the residual-identifier gate, which needs no
    ledger: it catches what detection missed in corpora, casebooks, QDA sources and summaries
    too). The gate's findings (file, item, kinds; never the strings) go to `gate_hits`."""
    from .leakcheck import check_tree, raise_on_leaks, rows_to_tsv
    from .ledger import Ledger
    from .residual import Release, raise_on_shapes, scan_tree, tree_rows_to_tsv

    by_practice = {Path(p).name.split(".")[0]: Ledger.read(p) for p in ledgers}
    rows = check_tree(shareable_dir, by_practice, load_register(register), set(manifest_ids))
    raise_on_leaks(rows)
    shapes = scan_tree(shareable_dir, set(manifest_ids), Release(load_allow_list(allow_list)))
    atomic_write_text(gate_hits, tree_rows_to_tsv(shapes), RESTRICTED_FILE_MODE)
    raise_on_shapes(shapes)
    atomic_write_text(output, rows_to_tsv(rows), SHAREABLE_FILE_MODE)
    log.info("leak check: %d shareable files clean; residual-identifier gate passed", len(rows))


def lineage_job(
    item: dict,
    inputs: dict,
    settings: dict,
    snakemake_version: str,
    restricted_dir: str,
    shareable_dir: str,
    output_shareable: str,
    output_restricted: str,
) -> None:
    from .provenance import build_lineage

    shareable, restricted = build_lineage(
        item=item,
        inventory=inputs["inventory"],
        units=inputs["units"],
        detections=inputs["detections"],
        ledger_state=inputs["ledger_state"],
        anonymisation_log=inputs["anonymisation_log"],
        shareable_files=list(inputs["shareable"]),
        register=inputs["register"],
        allow_list=inputs["allow_list"],
        settings=settings,
        snakemake_version=snakemake_version,
        restricted_dir=restricted_dir,
        shareable_dir=shareable_dir,
    )
    write_restricted_json(output_restricted, restricted)
    write_shareable_json(output_shareable, shareable)
    log.info(
        "item %s: lineage of %d shareable files",
        item["item_id"],
        len(shareable["shareable_outputs"]),
    )


def crate_job(
    files: list[str],
    lineage: list[str],
    manifest: str,
    report: str | None,
    shareable_dir: str,
    restricted_dir: str,
    settings: dict,
    snakemake_version: str,
    crate_settings: dict,
    ledgers: list[str],
    register: str,
    output: str,
) -> None:
    import platform

    from .crate import build_crate
    from .files import dump_json, sha256_file
    from .leakcheck import raise_if_document_leaks
    from .ledger import Ledger
    from .provenance import pipeline_version, public_value
    from .runrecord import latest_run, utc_now

    metadata = build_crate(
        shareable_dir=shareable_dir,
        files=files,
        lineage_files=lineage,
        manifest_sha256=sha256_file(manifest),
        settings=public_value(settings),
        pipeline=pipeline_version(),
        snakemake_version=snakemake_version,
        python_version=platform.python_version(),
        run=latest_run(restricted_dir),
        ended=utc_now().isoformat(),
        report=report,
        name=crate_settings.get("name", ""),
        license_id=crate_settings.get("license", ""),
    )
    text = dump_json(metadata)
    raise_if_document_leaks(
        Path(output).name,
        text.encode("utf-8"),
        {Path(p).name.split(".")[0]: Ledger.read(p) for p in ledgers},
        load_register(register),
    )
    atomic_write_text(output, text, SHAREABLE_FILE_MODE)
    log.info("RO-Crate lists %d shareable files", len(files) + bool(report))


def audit_job(config: dict, output_tsv: str) -> None:
    from .audit import summary
    from .audit_command import audit_config
    from .errors import FieldcorpusError

    result, path = audit_config(config, output_tsv)
    log.info("%s", summary(result).rstrip())
    if not result.passed:
        raise FieldcorpusError(None, summary(result).rstrip(), f"findings written to {path}")


def redact_audio_job(
    recording: str,
    transcript: str,
    anonymisation_log: str,
    output_audio: str,
    output_spans: str,
    item: dict,
    settings: dict,
) -> None:
    """Restricted redacted copy of a recording: every pseudonymised word's span bleeped."""
    from .redaction import make_redacted_copy, spans_to_tsv

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


def publish_audio_job(
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
    from .ledger import Ledger
    from .redaction import (
        check_and_repair,
        check_ears,
        check_record,
        practice_needles,
        publish,
        redaction_log_tsv,
        spans_from_tsv,
    )

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
    write_restricted_json(output_check, check_record(outcome, ears, minimum))
    # The redaction log is a param, not an output, so that a failed check keeps its record.
    atomic_write_text(
        redaction_log, redaction_log_tsv(record.item_id, outcome, minimum), RESTRICTED_FILE_MODE
    )
    log.info("item %s: closed-loop check %s after %d round(s)", record.item_id, outcome.result,
             len(outcome.rounds))  # fmt: skip
    if outcome.failure is not None:
        raise outcome.failure
    publish(outcome.audio, output_audio, SHAREABLE_FILE_MODE)
