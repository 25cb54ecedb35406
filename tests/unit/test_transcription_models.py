"""Offline Whisper weights: model resolution, the bundled base model, CTranslate2 -> openai-whisper
conversion and its checksum cache, and the engine options both engines share."""

from __future__ import annotations

import json

import numpy as np
import pytest
from fieldcorpus.errors import FieldcorpusError
from fieldcorpus.files import sha256_file
from fieldcorpus.transcribe.transcription import TranscriptionOptions, speaker_roles
from fieldcorpus.transcribe.whisper_models import (
    _openai_state_dict,
    load_openai_model,
    openai_checkpoint,
    read_ctranslate2_weights,
    resolve_model,
)


@pytest.fixture(scope="module")
def tiny():
    return resolve_model("bundled:tiny.en")


def test_bundled_tiny_resolves_with_its_checksum(tiny):
    assert tiny.id == "bundled:tiny.en"
    assert tiny.sha256 == sha256_file(tiny.path / "model.bin")


def test_unknown_model_names_say_how_to_fetch(tmp_path):
    with pytest.raises(FieldcorpusError, match="not available offline.*models directory"):
        resolve_model("large-v3", tmp_path)


def test_bundled_base_is_joined_once_from_its_two_parts(tmp_path):
    base = resolve_model("bundled:base", tmp_path)
    config = json.loads((base.path / "config.json").read_text())
    assert len(config["lang_ids"]) == 99  # multilingual base
    assert base.path.is_relative_to(tmp_path)
    assert (base.path / "assembled.sha256").read_text().strip() == base.sha256
    variables, _ = read_ctranslate2_weights(base.path / "model.bin")
    assert variables["encoder/conv1/weight"].shape == (512, 80, 3)
    mtime = (base.path / "model.bin").stat().st_mtime_ns
    assert resolve_model("bundled:base", tmp_path).sha256 == base.sha256
    assert (base.path / "model.bin").stat().st_mtime_ns == mtime


def test_conversion_maps_every_parameter_with_the_fused_projections_split(tiny):
    import torch
    from whisper.model import ModelDimensions, Whisper

    variables, aliases = read_ctranslate2_weights(tiny.path / "model.bin")
    assert aliases == {"decoder/projection/weight": "decoder/embeddings/weight"}
    state, dims = _openai_state_dict(variables)
    model = Whisper(ModelDimensions(**dims))
    expected = set(model.state_dict())
    assert set(state) == expected  # strict: nothing missing, nothing extra
    fused = variables["decoder/layer_2/self_attention/linear_0/weight"]
    d = dims["n_text_state"]
    assert np.array_equal(state["decoder.blocks.2.attn.key.weight"], fused[d : 2 * d])
    assert not variables["decoder/layer_2/self_attention/linear_0/bias"][d : 2 * d].any()
    cross = variables["decoder/layer_1/attention/linear_1/weight"]
    assert np.array_equal(state["decoder.blocks.1.cross_attn.value.weight"], cross[d:])
    model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in state.items()})


def test_checkpoint_is_cached_by_sha256_and_rebuilt_when_damaged(tiny, tmp_path):
    path, digest = openai_checkpoint(tiny, tmp_path)
    assert path.parent == tmp_path / "openai-whisper" and path.name.startswith(tiny.sha256[:16])
    assert digest == sha256_file(path)
    assert path.with_name(path.name + ".sha256").read_text().split()[0] == digest
    mtime = path.stat().st_mtime_ns
    assert openai_checkpoint(tiny, tmp_path) == (path, digest)
    assert path.stat().st_mtime_ns == mtime
    path.write_bytes(b"damaged")
    repaired, repaired_digest = openai_checkpoint(tiny, tmp_path)
    assert repaired_digest == sha256_file(repaired)
    assert repaired.with_name(repaired.name + ".sha256").read_text().split()[0] == repaired_digest
    model = load_openai_model(repaired, "cpu")
    heads = model.alignment_heads.to_dense().nonzero().tolist()
    config = json.loads((tiny.path / "config.json").read_text())
    assert sorted(heads) == sorted(config["alignment_heads"])
    assert model.dims.n_vocab == 51864 and not model.is_multilingual


def test_quantized_weights_are_refused_with_a_fix():
    with pytest.raises(ValueError, match="quantized"):
        _openai_state_dict({"encoder/conv1/weight_scale": np.zeros(1)})


def test_options_come_from_config_and_are_recorded():
    options = TranscriptionOptions.from_settings(
        {"beam_size": 1, "language": "", "hotwords": ["salbutamol", "peak flow"]}
    )
    assert options.language is None and options.hotwords == ("salbutamol", "peak flow")
    assert options.record()["hotwords"] == ["salbutamol", "peak flow"]
    roles = {"speaker_roles": {"interview": ["Interviewer", "Participant"]}}
    assert speaker_roles(roles, "interview") == ["Interviewer", "Participant"]
    assert speaker_roles(roles, "clinic_review") is None
