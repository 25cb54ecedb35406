"""One function per rule of rules/pseudonymise.smk, named after the rule: read the inputs, call the
stage's logic, write the outputs atomically."""

from __future__ import annotations

import logging
from pathlib import Path

from fieldcorpus.deid import entities
from fieldcorpus.deid.decisions import without_released
from fieldcorpus.deid.leakcheck import check_tree, raise_on_leaks, rows_to_tsv
from fieldcorpus.deid.ledger import (
    Ledger,
    check_detection_index,
    detection_index,
    ledger_version,
    order_key,
)
from fieldcorpus.deid.ledger import update_ledger as add_detections_to_ledger
from fieldcorpus.deid.pseudonymise import log_to_tsv, pseudonymise_units
from fieldcorpus.deid.residual import (
    Release,
    hits_to_tsv,
    raise_on_shapes,
    scan_tree,
    scan_units,
    tree_rows_to_tsv,
    withheld_message,
)
from fieldcorpus.deid.review import review_html as render_review_html
from fieldcorpus.deid.review import review_rows, review_to_tsv
from fieldcorpus.errors import FieldcorpusError
from fieldcorpus.files import (
    RESTRICTED_FILE_MODE,
    SHAREABLE_FILE_MODE,
    atomic_write_text,
    read_json,
    write_restricted_json,
    write_shareable_json,
)
from fieldcorpus.manifest import load_allow_list, load_register
from fieldcorpus.units import render_text

log = logging.getLogger("fieldcorpus")


def detect_entities(
    units: str,
    register: str,
    allow_list: str,
    output: str,
    settings: dict,
    models_dir: str | None = None,
) -> None:
    document = read_json(units)
    sources = settings.get("sources", {})
    use_ner = sources.get("ner", True)
    nlp = entities.load_ner(settings["spacy_model"], models_dir) if use_ner else None
    detections = entities.detect_entities(
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


def index_practice_detections(detections: list[str], output: str) -> None:
    """One line per detection file of a practice, in ledger order, with its sha256: the file
    update_ledger depends on instead of every detection file."""
    atomic_write_text(output, detection_index(detections), RESTRICTED_FILE_MODE)
    log.info("%d detection files indexed", len(detections))


def update_ledger(
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
    documents = check_detection_index(detection_index, detections)
    loaded = sorted(documents, key=lambda d: d["order_key"])
    ordered = [(d["item_id"], d["order_key"], d["detections"]) for d in loaded]
    updated = add_detections_to_ledger(ledger, ordered, load_register(register))
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


def pseudonymise_item(
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
    document = read_json(units)
    item_id = document["item"]["item_id"]
    allowed = load_allow_list(allow_list)
    practice_ledger = Ledger.read(ledger)
    new_units, log_rows = pseudonymise_units(
        item_id,
        document["units"],
        read_json(detections)["detections"],
        practice_ledger,
        order_key(document["item"]),
        without_released(practice_ledger, allowed),
    )
    atomic_write_text(anonymisation_log, log_to_tsv(log_rows), RESTRICTED_FILE_MODE)
    hits = scan_units(item_id, new_units, document["item"].get("collected_on"), Release(allowed))
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


def leak_check(
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
    allowed = load_allow_list(allow_list)
    by_practice = {
        Path(p).name.split(".")[0]: without_released(Ledger.read(p), allowed) for p in ledgers
    }
    rows = check_tree(shareable_dir, by_practice, load_register(register), set(manifest_ids))
    raise_on_leaks(rows)
    shapes = scan_tree(shareable_dir, set(manifest_ids), Release(allowed))
    atomic_write_text(gate_hits, tree_rows_to_tsv(shapes), RESTRICTED_FILE_MODE)
    raise_on_shapes(shapes)
    atomic_write_text(output, rows_to_tsv(rows), SHAREABLE_FILE_MODE)
    log.info("leak check: %d shareable files clean; residual-identifier gate passed", len(rows))
