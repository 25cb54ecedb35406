"""Beam search must not skip speech: on the demo clinic review where tiny.en with beam 5 and the
study prompt once decoded the first 28 s as one sentence and jumped past five turns (a name, a
date of birth and an NHS number among them), every 10-second stretch with speech has words."""

from __future__ import annotations

import pytest
import yaml
from fieldcorpus.transcribe.decode import audio_windows
from fieldcorpus.transcribe.diarization import speech_regions
from fieldcorpus.transcribe.transcription import transcribe_recording

from tests.conftest import DEMO, REPO

pytestmark = pytest.mark.integration

ITEM, RECORDING = "P02-W2-CLN-01", DEMO / "fieldwork/P02/wave2/clinic-review-2025-09-25.m4a"
SHIPPED = yaml.safe_load((REPO / "config/config.yaml").read_text())["transcription"]


@pytest.fixture(scope="module")
def regions():
    found = []
    for window in audio_windows(RECORDING, ITEM, 300):
        found += speech_regions(window.samples, window.offset)
    return found


def stretches_without_words(units: list[dict], regions, span: float = 10.0) -> list[float]:
    words = [w for u in units for w in u["words"]]
    end = max(b for _, b in regions)
    holes = []
    for k in range(int(end // span) + 1):
        a, b = k * span, (k + 1) * span
        speech = sum(max(0.0, min(b, e) - max(a, s)) for s, e in regions)
        if speech >= 3.0 and not any(w["start"] < b and w["end"] > a for w in words):
            holes.append(a)
    return holes


@pytest.mark.parametrize(
    "engine, model",
    [
        ("faster-whisper", "bundled:tiny.en"),
        ("faster-whisper", "bundled:base"),
        ("openai-whisper", "bundled:tiny.en"),
    ],
)
def test_beam_5_leaves_no_stretch_of_speech_without_words(engine, model, regions, tmp_path_factory):
    settings = {
        **SHIPPED,
        "engine": engine,
        "model": model,
        "beam_size": 5,
        "language": "en",
        "diarization": False,
    }
    models_dir = str(tmp_path_factory.getbasetemp() / "models")
    result = transcribe_recording(RECORDING, ITEM, settings, 1, models_dir)
    assert stretches_without_words(result["units"], regions) == []
    text = " ".join(u["text"] for u in result["units"]).lower()
    # The turns the skip lost: the NHS-number question and the reliever question after it.
    assert "nhs number" in text
    assert "salbut" in text
