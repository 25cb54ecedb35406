"""openai-whisper beside faster-whisper on the same converted weights (real inference on demo
audio; kept to short clips because openai-whisper on CPU is several times slower)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from fieldcorpus.transcribe.transcription import transcribe_recording
from fieldcorpus.transcribe.whisper_models import resolve_model

from tests.conftest import DEMO, REPO
from tests.support.evaluation import normalise, word_error_rate
from tests.support.media import demo_speech, write_wav

pytestmark = pytest.mark.integration

GREEDY = {"model": "bundled:tiny.en", "beam_size": 1, "language": "en", "diarization": False}
# (item, recording, seconds): an interview (MP3, 22.05 kHz) and a clinic review (M4A, AAC)
CLIPS = [
    ("P02-W1-INT-01", "P02/wave1/interview-gp-2025-03-18.mp3", 40),
    ("P02-W2-CLN-01", "P02/wave2/clinic-review-2025-09-25.m4a", 40),
]


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("models"))


def clip(tmp_path, item: str, recording: str, seconds: float):
    """The first `seconds` of a demo recording, ending at a scripted turn boundary."""
    turns = json.loads((DEMO / "reference" / f"{item}.json").read_text())["turns"]
    kept = [t for t in turns if t["end"] <= seconds]
    end = (kept[-1]["end"] + turns[len(kept)]["start"]) / 2
    audio = demo_speech(end, DEMO / "fieldwork" / recording)
    return write_wav(tmp_path / f"{item}.wav", audio), " ".join(t["text"] for t in kept)


def run(path, item: str, models_dir: str, **settings) -> dict:
    return transcribe_recording(path, item, {**GREEDY, **settings}, 1, models_dir)


def text_of(result: dict) -> str:
    return " ".join(u["text"] for u in result["units"])


@pytest.fixture(scope="module")
def openai_clips(tmp_path_factory, models_dir) -> dict[str, tuple]:
    """Each clip transcribed once by openai-whisper: {item: (clip path, script, result)}."""
    folder = tmp_path_factory.mktemp("clips")
    results = {}
    for item, recording, seconds in CLIPS:
        path, scripted = clip(folder, item, recording, seconds)
        results[item] = (path, scripted, run(path, item, models_dir, engine="openai-whisper"))
    return results


def test_same_weights_and_greedy_decoding_give_the_same_text(openai_clips, models_dir):
    item = CLIPS[0][0]
    path, _, openai = openai_clips[item]
    faster = run(path, item, models_dir, engine="faster-whisper", compute_type="float32")
    assert len(text_of(faster).split()) > 60
    assert normalise(text_of(openai)) == normalise(text_of(faster))
    tiny = resolve_model("bundled:tiny.en")
    assert (
        openai["engine"]["model"]
        == faster["engine"]["model"]
        == {
            "id": "bundled:tiny.en",
            "sha256": tiny.sha256,
        }
    )
    assert openai["engine"]["name"] == "openai-whisper"
    assert len(openai["engine"]["converted_checkpoint_sha256"]) == 64
    starts = [u["start"] for u in openai["units"]]
    assert starts == sorted(starts) and all(u["words"] for u in openai["units"])


THREADS_AFTER_DECODING = """
import json, sys
sys.path.insert(0, sys.argv[1])
import torch
from fieldcorpus.transcribe.transcription import transcribe_recording
result = transcribe_recording(sys.argv[2], "X", json.loads(sys.argv[3]), 1, sys.argv[4])
print(json.dumps({"units": len(result["units"]), "torch_threads": torch.get_num_threads()}))
"""


def test_openai_whisper_keeps_to_the_threads_it_was_given(tmp_path, models_dir):
    """Word alignment's numba kernel shares torch's OpenMP pool: a job given one thread must
    not find torch on every core after its first aligned window. A fresh process, so that
    nothing this one ran has set numba up already."""
    item, recording, _ = CLIPS[0]
    path, _ = clip(tmp_path, item, recording, 12)
    settings = json.dumps({**GREEDY, "engine": "openai-whisper"})
    result = subprocess.run(
        [sys.executable, "-c", THREADS_AFTER_DECODING, str(REPO / "scripts"), str(path),
         settings, models_dir],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    facts = json.loads(result.stdout.strip().splitlines()[-1])
    assert facts["units"] > 0
    assert facts["torch_threads"] == 1


@pytest.mark.parametrize("item", [item for item, _, _ in CLIPS])
def test_openai_whisper_wer_is_at_most_10_percent(openai_clips, item):
    _, scripted, result = openai_clips[item]
    assert word_error_rate(scripted, text_of(result)) <= 0.10
