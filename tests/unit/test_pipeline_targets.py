"""pipeline.layout spells every output path DESIGN.md names; pipeline.targets lists what the
workflow makes for the demo manifest; pipeline.startup tells a run from a dry run, a lint and a
job's re-read."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from types import SimpleNamespace

import pytest
import yaml
from fieldcorpus.audio.redaction import AUDIO_FORMATS
from fieldcorpus.config import load_config
from fieldcorpus.manifest import load_manifest
from fieldcorpus.pipeline.layout import Layout
from fieldcorpus.pipeline.startup import MALLOC_TUNABLES, job_environment, run_mode
from fieldcorpus.pipeline.targets import Targets

from tests.conftest import REPO

ZONES = {"restricted_dir": "results/restricted", "shareable_dir": "results/shareable"}
CONFIG = {**load_config(REPO, "config/config.yaml", []), **ZONES}
MANIFEST = load_manifest(REPO / CONFIG["manifest"], REPO / CONFIG["fieldwork_dir"])


def test_the_layout_spells_the_paths_design_md_names():
    layout = Layout("R", "S")
    assert layout.transcript("P01", "I") == "R/transcripts/P01/I.json"
    assert layout.document_text("P01", "I") == "R/text/P01/I.json"
    assert layout.ledger("P01") == "R/ledger/P01.tsv"
    assert layout.anonymisation_log("P01", "I") == "R/anonymisation-log/P01/I.tsv"
    assert layout.review("P01") == "R/review/P01.tsv"
    assert layout.restricted_audio("P01", "I") == "R/audio/P01/I.flac"
    assert layout.redaction_log("P01", "I") == "R/redaction-log/P01/I.tsv"
    assert layout.shareable_audio("P01", "I") == "S/audio/P01/I.flac"
    assert layout.shareable_item("P01", "I", "vtt") == "S/items/P01/I.vtt"
    assert layout.corpus("all", "corpus.csv") == "S/corpus/all/corpus.csv"
    assert layout.qdpx("P01") == "S/qda/P01.qdpx"
    assert layout.lineage("I") == "S/provenance/I.json"
    assert layout.leak_check == "S/leak-check.tsv"
    # Without arguments, a method gives the rule's wildcard template.
    assert layout.shareable_item() == "S/items/{practice}/{item_id}.json"
    assert Layout.from_config(CONFIG, "/w").restricted == "/w/results/restricted"


def test_the_targets_of_the_demo():
    targets = Targets(MANIFEST, Layout.from_config(CONFIG), CONFIG)
    items = list(MANIFEST.items.values())
    recordings = [item for item in items if item.is_recording]
    outputs = targets.final_outputs()
    assert len(outputs) == len(set(outputs))
    assert len(targets.all_shareable_items()) == 6 * len(recordings) + 2 * (
        len(items) - len(recordings)
    )
    assert len(targets.all_lineage()) == len(items)
    assert targets.all_shareable_audio() == []  # audio stays restricted unless opted in
    shareable = [p for p in outputs if p.startswith("results/shareable/")]
    # The lineage records come with the leak check's TSV: rule all and the crate wait for it,
    # the crate lists them.
    assert targets.layout.leak_check in outputs
    assert not set(targets.all_lineage()) & set(outputs)
    assert targets.final_shareable_outputs() == [p for p in shareable if p != targets.layout.crate]
    assert set(targets.leak_check_inputs()) < set(outputs)
    assert set(targets.final_shareable_outputs()) == {
        *targets.leak_check_inputs(),
        targets.layout.leak_check,
    }
    assert targets.crate_files() == [
        *targets.final_shareable_outputs(),
        *targets.all_lineage(),
        targets.layout.lineage_marker,
    ]
    restricted = [p for p in outputs if not p.startswith("results/shareable/")]
    risk = [p for p in restricted if p.startswith("results/restricted/risk/")]
    assert risk == [f"results/restricted/risk/{g}.{ext}" for g in ("P01", "P02")
                    for ext in ("tsv", "html")]  # fmt: skip
    assert all(p.startswith("results/restricted/transcripts/") for p in restricted
               if p not in risk)  # fmt: skip
    item = recordings[0]
    made = targets.files_made_from_item(item)
    assert targets.layout.leak_check in made
    assert targets.layout.qdpx(item.practice) in made and targets.layout.qdpx("all") in made
    other = next(p for p in targets.by_practice if p != item.practice)
    assert not [path for path in made if f"/{other}" in path]
    # Per practice, detections follow the units in ledger order.
    units = targets.practice_units(item.practice)
    detections = targets.practice_detections(item.practice)
    assert [u.rsplit("/", 1)[1] for u in units] == [d.rsplit("/", 1)[1] for d in detections]


def workflow(main=True, lint=False, dryrun=False):
    return SimpleNamespace(
        is_main_process=main, check_envvars=not lint, output_settings=SimpleNamespace(dryrun=dryrun)
    )


def test_what_the_gate_removes_with_an_item_does_not_follow_the_audio_setting():
    # pseudonymise_item takes this list as a param: were it to change with `audio`, opting a
    # recording in to shareable audio would pseudonymise and render its text again.
    shared = {**CONFIG, "audio": {"share": "redacted", "format": "wav"}}
    plain, sharing = (Targets(MANIFEST, Layout.from_config(c), c) for c in (CONFIG, shared))
    recording = next(item for item in MANIFEST.items.values() if item.is_recording)
    document = next(item for item in MANIFEST.items.values() if not item.is_recording)
    made = plain.files_made_from_item(recording)
    assert made == sharing.files_made_from_item(recording)
    assert sharing.all_shareable_audio() and set(sharing.all_shareable_audio()) <= {
        path for item in MANIFEST.items.values() for path in sharing.files_made_from_item(item)
    }
    practice, item_id = recording.practice, recording.item_id
    assert {f"results/shareable/audio/{practice}/{item_id}.{ext}" for ext in AUDIO_FORMATS} <= set(
        made
    )
    assert not [p for p in plain.files_made_from_item(document) if "/audio/" in p]
    schema = yaml.safe_load((REPO / "config/schemas/config.schema.yaml").read_text())
    assert tuple(schema["properties"]["audio"]["properties"]["format"]["enum"]) == AUDIO_FORMATS


def test_jobs_get_allocator_settings_that_keep_whisper_sized_buffers_for_reuse():
    assert job_environment({}) == {"GLIBC_TUNABLES": MALLOC_TUNABLES}
    assert job_environment({"GLIBC_TUNABLES": "glibc.malloc.arena_max=2"}) == {}
    if platform.libc_ver()[0] != "glibc":
        pytest.skip("GLIBC_TUNABLES is read by glibc only; this C library ignores it")
    # 64 MB allocated, touched and freed 20 times: with the settings the pages are faulted in
    # once and reused; without them each round maps, zeroes and faults in fresh ones.
    churn = (
        "import resource\n"
        "for _ in range(20): bytearray(64 << 20)\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt)"
    )
    plain = {k: v for k, v in os.environ.items() if k != "GLIBC_TUNABLES"}

    def faults(env: dict) -> int:
        run = subprocess.run([sys.executable, "-c", churn], env=env, capture_output=True)
        return int(run.stdout)

    assert faults({**plain, **job_environment(plain)}) * 5 < faults(plain)


def test_the_run_mode():
    assert run_mode(workflow()) == "run"
    assert run_mode(workflow(dryrun=True)) == "dry-run"
    assert run_mode(workflow(lint=True)) == "lint"
    assert run_mode(workflow(main=False, dryrun=True)) == "job"
