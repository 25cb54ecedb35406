"""Speaker turns: clustering, word-level assignment, the attribution metric, real demo voices."""

from __future__ import annotations

import json

import numpy as np
import pytest
from fieldcorpus.transcribe.decode import SAMPLE_RATE, load_audio
from fieldcorpus.transcribe.diarization import (
    NORM_TARGET_DBFS,
    SpeakerTimeline,
    _agglomerative,
    _silhouette,
    assign_speakers,
    cluster_voices,
    embed_regions,
    louder_to,
    mel_spectrogram,
    role_names,
    speaker_timeline,
    speech_regions,
)
from fieldcorpus.transcribe.voice_encoder import embed_mels, encoder_weights

from tests.conftest import DEMO
from tests.support.evaluation import attribution_accuracy


def word(text: str, start: float, end: float) -> dict:
    return {"word": text, "start": start, "end": end, "probability": 0.9}


def voices(rng, centre: np.ndarray, count: int) -> np.ndarray:
    points = centre + rng.normal(scale=0.05, size=(count, len(centre)))
    return points / np.linalg.norm(points, axis=1, keepdims=True)


def test_clustering_uses_the_given_count_and_estimates_it_otherwise():
    rng = np.random.default_rng(7)
    a, b = rng.random(32), rng.random(32)
    embeddings = np.vstack([voices(rng, a, 20), voices(rng, b - a, 15)])
    labels = cluster_voices(embeddings, None)
    assert len(set(labels[:20])) == 1 and len(set(labels[20:])) == 1
    assert labels[0] != labels[-1]
    assert len(set(cluster_voices(embeddings, 3))) == 3
    assert set(cluster_voices(voices(rng, a, 25), None)) == {0}
    assert list(cluster_voices(np.zeros((0, 32)), None)) == []


def test_clustering_and_its_score_equal_scikit_learns():
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.metrics import adjusted_rand_score, silhouette_score

    rng = np.random.default_rng(3)
    centres = rng.normal(size=(4, 256))
    embeddings = np.vstack(
        [voices(rng, centre, n) for centre, n in zip(centres, (30, 9, 17, 1), strict=True)]
    )
    embeddings = embeddings.astype(np.float32)
    for k in range(2, 9):
        ours = _agglomerative(embeddings, k)
        theirs = AgglomerativeClustering(
            n_clusters=k, metric="cosine", linkage="average"
        ).fit_predict(embeddings)
        assert len(set(ours)) == k
        assert adjusted_rand_score(theirs, ours) == 1.0, k
        expected = silhouette_score(embeddings, theirs, metric="cosine")
        assert _silhouette(embeddings, ours) == pytest.approx(expected, abs=1e-5), k


def test_the_mel_spectrogram_is_resemblyzers():
    from resemblyzer.audio import wav_to_mel_spectrogram

    rng = np.random.default_rng(5)
    samples = load_audio(next((DEMO / "fieldwork").rglob("*.wav")), "test")
    for wave in (samples[: SAMPLE_RATE * 3], rng.normal(scale=0.1, size=1234), np.zeros(400)):
        wave = wave.astype(np.float32)
        expected = wav_to_mel_spectrogram(wave)
        ours = mel_spectrogram(wave)
        assert ours.shape == expected.shape and ours.dtype == np.float32
        assert np.allclose(ours, expected, rtol=1e-4, atol=1e-6 * max(np.abs(expected).max(), 1))


def test_voice_prints_are_resemblyzers_without_torch():
    """The NumPy encoder reads the wheel's weights exactly and embeds as resemblyzer's PyTorch
    VoiceEncoder does, on real demo speech; and a transcription job never imports torch."""
    import subprocess
    import sys

    import torch
    from resemblyzer import VoiceEncoder
    from resemblyzer.audio import normalize_volume

    reference = VoiceEncoder("cpu", verbose=False)
    weights = encoder_weights()
    for name, tensor in reference.state_dict().items():
        assert np.array_equal(weights[name], tensor.numpy()), name
    samples = load_audio(next((DEMO / "fieldwork").rglob("*.wav")), "test")[: SAMPLE_RATE * 8]
    quiet = (samples * 0.05).astype(np.float32)
    louder = louder_to(quiet, NORM_TARGET_DBFS)
    assert np.allclose(louder, normalize_volume(quiet, NORM_TARGET_DBFS, True), rtol=1e-5)
    loud = samples * 4
    assert louder_to(loud, NORM_TARGET_DBFS) is loud  # raised, never lowered
    mel = mel_spectrogram(louder)
    mels = np.stack([mel[start : start + 160] for start in range(0, len(mel) - 160, 120)])
    with torch.no_grad():
        expected = reference(torch.from_numpy(mels)).numpy()
    ours = embed_mels(mels)
    assert ours.shape == expected.shape == (len(mels), 256)
    assert np.abs(ours - expected).max() < 1e-5
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-6)
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, fieldcorpus.transcribe.jobs, "
         "fieldcorpus.transcribe.diarization as d; import numpy as n; "
         "d.embed_mels(n.zeros((1, 160, 40), n.float32)); print('torch' in sys.modules)"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert loaded.stdout.strip() == "False"


def test_long_recordings_cluster_a_sample_and_assign_the_rest(monkeypatch):
    import fieldcorpus.transcribe.diarization as diarization

    monkeypatch.setattr(diarization, "MAX_CLUSTERED", 50)
    rng = np.random.default_rng(11)
    a, b = rng.random(32), rng.random(32)
    embeddings = np.vstack([voices(rng, a, 120), voices(rng, b - a, 80)])
    order = rng.permutation(200)
    labels = cluster_voices(embeddings[order], 2)
    truth = (order >= 120).astype(int)
    assert (labels == truth).all() or (labels == 1 - truth).all()


def test_words_get_speakers_and_units_split_where_the_voice_changes():
    timeline = SpeakerTimeline(
        starts=np.array([0.0, 1.0, 2.0, 3.0]),
        ends=np.array([1.5, 2.5, 3.5, 4.5]),
        labels=np.array([1, 1, 0, 0]),
    )
    units = [
        {
            "id": "u00001",
            "text": "Right. Yes, fine.",
            "start": 0.2,
            "end": 4.0,
            "speaker": None,
            "words": [word("Right.", 0.2, 0.9), word("Yes,", 2.6, 3.0), word("fine.", 3.1, 4.0)],
        },
        {"id": "u00002", "text": "Later.", "start": 9.0, "end": 9.5, "speaker": None, "words": []},
    ]
    result = assign_speakers(units, timeline)
    assert [(u["id"], u["speaker"], u["text"]) for u in result] == [
        ("u00001", "S1", "Right."),
        ("u00002", "S2", "Yes, fine."),
        ("u00003", "S2", "Later."),  # outside every window: the nearest one decides
    ]
    assert result[1]["start"] == 2.6 and result[1]["end"] == 4.0
    named = role_names(result, ["Interviewer", "Participant"])
    assert [u["speaker"] for u in named] == ["Interviewer", "Participant", "Participant"]


def test_attribution_accuracy_maps_labels_and_counts_time():
    reference = [
        {"speaker": "S1", "start": 0.0, "end": 2.0},
        {"speaker": "S2", "start": 2.0, "end": 4.0},
    ]

    def units(first: str, second: str) -> list[dict]:
        return [
            {"start": 0.0, "end": 2.0, "speaker": first, "words": [word("a", 0.0, 2.0)]},
            {"start": 2.0, "end": 4.0, "speaker": second, "words": [word("b", 2.0, 3.0)]},
        ]

    assert attribution_accuracy(reference, units("B", "A")) == (1.0, 0.75)
    accuracy, _ = attribution_accuracy(reference, units("A", "A"))
    assert accuracy == pytest.approx(2 / 3)
    assert attribution_accuracy(reference, []) == (0.0, 0.0)


def test_real_demo_voices_fall_into_two_clusters():
    """The first 45 s of a demo interview: windows inside each scripted turn share a label."""
    item = "P01-W1-INT-01"
    reference = json.loads((DEMO / "reference" / f"{item}.json").read_text())["turns"]
    audio = load_audio(DEMO / "fieldwork/P01/wave1/Interview Sarah Mitchell.wav", item)
    clip = audio[: 45 * SAMPLE_RATE]
    regions = speech_regions(clip)
    assert regions and all(0 <= s < e <= 45.01 for s, e in regions)
    timeline = speaker_timeline(embed_regions(clip, 0.0, regions), None)
    assert len(set(timeline.labels)) == 2
    agree = total = 0
    mapping: dict[str, int] = {}
    for turn in reference:
        if turn["end"] > 45:
            break
        label = timeline.speaker_at(turn["start"] + 0.3, turn["end"] - 0.3)
        mapping.setdefault(turn["speaker"], label)
        agree += mapping[turn["speaker"]] == label
        total += 1
    assert total >= 4 and agree == total
    assert len(set(mapping.values())) == 2
