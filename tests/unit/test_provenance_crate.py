"""The RO-Crate: loadable with rocrate, complete, raw inputs by checksum only, stable."""

from __future__ import annotations

import json

from fieldcorpus.files import sha256_file
from fieldcorpus.provenance.crate import (
    CRATE_NAME,
    RUN_ACTION,
    build_crate,
    listed_files,
    without_run_specific,
    write_crate,
)
from rocrate.rocrate import ROCrate

from tests.support.provenance_study import ITEMS, crate_for, make_study


def test_crate_loads_and_lists_every_shareable_file_with_its_sha256(tmp_path):
    study = make_study(tmp_path)
    write_crate(str(study["shareable"] / CRATE_NAME), crate_for(study))
    crate = ROCrate(study["shareable"])
    files = {entity.id: entity for entity in crate.data_entities}
    expected = {
        p.relative_to(study["shareable"]).as_posix()
        for p in study["shareable"].rglob("*")
        if p.is_file() and p.name != CRATE_NAME
    }
    assert set(files) == expected
    for relative, entity in files.items():
        assert entity["sha256"] == sha256_file(study["shareable"] / relative)
    assert crate.mainEntity.id == "#fieldcorpus-workflow"
    assert "ComputationalWorkflow" in crate.mainEntity.type
    profiles = {p.id for p in crate.root_dataset["conformsTo"]}
    assert "https://w3id.org/ro/wfrun/workflow/0.6" in profiles
    action = crate.get(RUN_ACTION)
    assert action.type == "CreateAction" and action["instrument"] is crate.mainEntity
    assert {e.id for e in action["result"]} == expected


def test_raw_inputs_appear_by_checksum_only(tmp_path):
    study = make_study(tmp_path)
    metadata = crate_for(study)
    raw = {e["@id"]: e for e in metadata["@graph"] if e["@id"].startswith("#raw-")}
    assert set(raw) == {f"#raw-{item_id}" for item_id, *_ in ITEMS}
    for item_id, practice, _, name in ITEMS:
        assert raw[f"#raw-{item_id}"]["sha256"] == sha256_file(study["fieldwork"] / practice / name)
    text = json.dumps(metadata)
    for _, practice, _, name in ITEMS:
        assert name not in text and f"{practice}/{name}" not in text
    item_file = next(e for e in metadata["@graph"] if e["@id"] == "items/P01/P01-W1-INT-01.txt")
    assert item_file["isBasedOn"] == {"@id": "#raw-P01-W1-INT-01"}


def test_only_run_specific_fields_differ_between_runs(tmp_path):
    study = make_study(tmp_path)
    first = crate_for(study, run={"run_id": "aaa", "started": "2026-01-01T00:00:00+00:00"})
    second = crate_for(
        study,
        run={"run_id": "bbb", "started": "2026-02-01T00:00:00+00:00"},
        ended="2026-02-01T01:00:00+00:00",
    )
    assert first != second
    assert without_run_specific(first) == without_run_specific(second)
    (study["shareable"] / "items/P01/P01-W1-INT-01.txt").write_text("edited\n")
    third = crate_for(study, run={"run_id": "aaa", "started": "2026-01-01T00:00:00+00:00"})
    assert without_run_specific(third) != without_run_specific(first)


def test_the_report_is_listed_when_present(tmp_path):
    study = make_study(tmp_path)
    report = study["shareable"] / "report.html"
    report.write_text("<html>report</html>")
    metadata = crate_for(study, report=str(report))
    assert listed_files(metadata)["report.html"] == sha256_file(report)
    entry = next(e for e in metadata["@graph"] if e["@id"] == "report.html")
    assert entry["about"] == {"@id": RUN_ACTION}


def test_config_values_become_property_values_of_the_run(tmp_path):
    study = make_study(tmp_path)
    metadata = build_crate(
        shareable_dir=str(study["shareable"]),
        files=study["files"],
        lineage_files=study["lineage"],
        manifest_sha256="0" * 64,
        settings={"transcription": {"beam_size": 5, "vad_filter": False}},
        pipeline={"version": "0.1.0", "commit": None, "dirty": None, "code_sha256": "c" * 64},
        snakemake_version="9.27.1",
        python_version="3.11.7",
        run=None,
        ended="2026-01-01T00:00:00+00:00",
    )
    values = {e["name"]: e["value"] for e in metadata["@graph"] if e["@type"] == "PropertyValue"}
    assert values["transcription.beam_size"] == 5
    assert values["transcription.vad_filter"] is False
