"""One function per rule of rules/provenance.smk, named after the rule: read the inputs, call the
stage's logic, write the outputs atomically."""

from __future__ import annotations

import logging
import platform
from pathlib import Path

from fieldcorpus.deid.leakcheck import raise_if_document_leaks
from fieldcorpus.deid.ledger import Ledger
from fieldcorpus.errors import FieldcorpusError
from fieldcorpus.files import (
    SHAREABLE_FILE_MODE,
    atomic_write_text,
    dump_json,
    sha256_file,
    write_restricted_json,
    write_shareable_json,
)
from fieldcorpus.manifest import load_register
from fieldcorpus.provenance.audit import audit_config, summary
from fieldcorpus.provenance.crate import build_crate
from fieldcorpus.provenance.lineage import build_lineage, pipeline_version, public_value
from fieldcorpus.provenance.runrecord import latest_run, utc_now

log = logging.getLogger("fieldcorpus")


def item_lineage(
    item: dict,
    inputs: dict,
    settings: dict,
    snakemake_version: str,
    restricted_dir: str,
    shareable_dir: str,
    output_shareable: str,
    output_restricted: str,
) -> None:
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


def ro_crate(
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


def audit(config: dict, output_tsv: str) -> None:
    result, path = audit_config(config, output_tsv)
    log.info("%s", summary(result).rstrip())
    if not result.passed:
        raise FieldcorpusError(None, summary(result).rstrip(), f"findings written to {path}")
