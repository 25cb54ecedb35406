"""One function per rule of rules/pseudonymise.smk, named after the rule: read the inputs, call the
stage's logic, write the outputs atomically."""

from __future__ import annotations

import logging
from pathlib import Path

from fieldcorpus.deid.decisions import without_released
from fieldcorpus.deid.detectcache import detect_practice
from fieldcorpus.deid.generalise import shareable_item
from fieldcorpus.deid.leakcheck import check_tree, raise_on_leaks, rows_to_tsv
from fieldcorpus.deid.ledger import Ledger, ledger_version, order_key, update_ledger
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
    create_directory_marker,
    make_restricted_dirs,
    read_json,
    sha256_file,
    write_restricted_json,
    write_shareable_json,
)
from fieldcorpus.manifest import load_allow_list, load_register
from fieldcorpus.provenance.lineage import pipeline_version, write_item_lineage
from fieldcorpus.units import render_text

log = logging.getLogger("fieldcorpus")


def detect_entities(
    units: list[str],
    detections: list[str],
    register: str,
    allow_list: str,
    ledger: str,
    state: str,
    review: str,
    review_html: str,
    settings: dict,
    models_dir: str | None = None,
) -> None:
    """A practice's detections (each item from the detection cache where its key is unchanged),
    then its ledger: new entities appended in ledger order, the review queue rewritten, and the
    state file recording the ledger version and the sha256 of each item's detections."""
    documents = detect_practice(units, detections, register, allow_list, settings, models_dir)
    loaded = sorted(documents, key=lambda d: d["order_key"])
    ordered = [(d["item_id"], d["order_key"], d["detections"]) for d in loaded]
    updated = update_ledger(ledger, ordered, load_register(register))
    texts = {
        document["item"]["item_id"]: {u["id"]: u.get("text", "") for u in document["units"]}
        for document in map(read_json, units)
    }
    rows = review_rows(ordered, updated, texts, float(settings["review_threshold"]))
    atomic_write_text(review, review_to_tsv(rows), RESTRICTED_FILE_MODE)
    atomic_write_text(review_html, render_review_html(rows), RESTRICTED_FILE_MODE)
    version = ledger_version(ledger)
    digests = {
        d["item_id"]: sha256_file(path) for d, path in zip(documents, detections, strict=True)
    }
    write_restricted_json(
        state, {"ledger": Path(ledger).name, **version, "detections": dict(sorted(digests.items()))}
    )
    log.info("ledger has %d entries; %d to review", version["entries"], len(rows))


def checked_detections(detections: str, state: str, item_id: str) -> list[dict]:
    """An item's detections, failing closed when the file is not the one its practice's ledger
    was updated from (changed or remade in between)."""
    recorded = read_json(state).get("detections", {}).get(item_id)
    if recorded is None or recorded != sha256_file(detections):
        raise FieldcorpusError(
            item_id,
            "the item's detections changed after its practice's ledger was updated",
            "rerun snakemake (detection and the ledger update run first)",
        )
    return read_json(detections)["detections"]


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
    ledger_state: str | None = None,
    settings: dict | None = None,
) -> None:
    """`text_settings`: the transcription settings that shape a transcript's text renderings
    (pause marks). The residual-identifier gate runs before anything
    shareable is written: an item whose pseudonymised text still holds an identifier shape is
    withheld (no shareable output), and its hits go to the restricted `gate_hits` file, which
    is kept when the job fails. Shareable files an earlier run made from the item
    (`made_from_item`) are removed with it: they were made from text that may now be known to
    hold the identifier. With `ledger_state`, the detections must be those the practice's
    ledger was updated from. `settings` (pseudonymisation) may coarsen the shared role
    (generalise.roles)."""
    document = read_json(units)
    item_id = document["item"]["item_id"]
    found = (
        checked_detections(detections, ledger_state, item_id)
        if ledger_state
        else read_json(detections)["detections"]
    )
    allowed = load_allow_list(allow_list)
    practice_ledger = Ledger.read(ledger)
    new_units, log_rows = pseudonymise_units(
        item_id,
        document["units"],
        found,
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
    item = shareable_item(document["item"], settings or {})
    shareable = {**document, "item": item, "units": new_units}
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
    lineage: list[dict] | None = None,
    lineage_shared: dict | None = None,
    lineage_dirs: tuple[str, str] | None = None,
) -> None:
    """Every item's lineage records first (`lineage`: pipeline.targets.lineage_targets, into
    `lineage_dirs`, the shareable and the restricted folder), so that they are scanned with the
    rest; then two scans of the shareable tree: every ledger and
    register string (the leak check), and
    identifier shapes in every shareable text (the residual-identifier gate, which needs no
    ledger: it catches what detection missed in corpora, casebooks, QDA sources and summaries
    too). The gate's findings (file, item, kinds; never the strings) go to `gate_hits`."""
    pipeline = pipeline_version()
    for target in lineage or []:
        write_item_lineage(target, lineage_shared or {}, pipeline)
    if lineage_dirs:
        shareable_lineage, restricted_lineage = lineage_dirs
        create_directory_marker(shareable_lineage, SHAREABLE_FILE_MODE)
        create_directory_marker(make_restricted_dirs(restricted_lineage), RESTRICTED_FILE_MODE)
    log.info("lineage of %d items written", len(lineage or []))
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
