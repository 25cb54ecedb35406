"""Decoding: every container the users bring, bounded windows cut in quiet moments, bad files."""

from __future__ import annotations

import numpy as np
import pytest
from fieldcorpus.errors import FieldcorpusError
from fieldcorpus.transcribe.decode import (
    SAMPLE_RATE,
    audio_windows,
    ends_early,
    load_audio,
    quietest_cut,
    recording_duration,
)

from tests.support.media import demo_speech, write_audio, write_wav

CONTAINERS = [
    ("clip.mp3", "mp3", {}),
    ("clip.m4a", "aac", {"rate": 44100}),
    ("clip.ogg", "libopus", {"rate": 48000}),
    ("clip.wma", "wmav2", {}),
    ("clip.flac", "flac", {}),
    ("clip.mp4", "aac", {"video": True}),
    ("clip.mov", "aac", {"video": True}),
]


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    return demo_speech(6)


@pytest.mark.parametrize(("name", "codec", "options"), CONTAINERS)
def test_every_container_decodes_to_the_same_speech(tmp_path, speech, name, codec, options):
    path = write_audio(tmp_path / name, speech, codec, **options)
    decoded = load_audio(path, "P01-W1-INT-09")
    assert decoded.dtype == np.float32
    assert abs(len(decoded) - len(speech)) < 0.05 * SAMPLE_RATE  # encoder padding at most
    loudness = np.sqrt(np.mean(np.square(decoded)))
    assert loudness == pytest.approx(np.sqrt(np.mean(np.square(speech))), rel=0.1)
    assert recording_duration(path, "P01-W1-INT-09") == pytest.approx(6.0, abs=0.1)


def test_windows_cover_the_recording_and_cut_in_quiet_moments(tmp_path):
    speech = demo_speech(30)
    long = np.concatenate([speech] * 5)  # 150 s
    path = write_wav(tmp_path / "long.wav", long)
    windows = list(audio_windows(path, "P01-W1-INT-09", window_seconds=40, search_seconds=8))
    assert len(windows) >= 4
    assert all(w.duration <= 40 for w in windows)
    assert windows[0].offset == 0
    for before, after in zip(windows, windows[1:], strict=False):
        assert after.offset == pytest.approx(before.end)
    joined = np.concatenate([w.samples for w in windows])
    assert len(joined) == len(long)
    assert np.allclose(joined, load_audio(path, "P01-W1-INT-09"))
    frame = SAMPLE_RATE // 10
    loudness = np.sqrt(np.mean(np.square(long[: len(long) // frame * frame].reshape(-1, frame)), 1))
    for window in windows[:-1]:
        at_cut = loudness[int(window.end * 10) - 1 : int(window.end * 10) + 1].min()
        assert at_cut <= np.percentile(loudness, 25)


def test_quietest_cut_finds_the_gap():
    samples = np.ones(SAMPLE_RATE * 10, dtype=np.float32)
    samples[int(7.3 * SAMPLE_RATE) : int(7.6 * SAMPLE_RATE)] = 0
    cut = quietest_cut(samples, 5 * SAMPLE_RATE)
    assert 7.3 <= cut / SAMPLE_RATE <= 7.6


def test_video_without_audio_is_refused_with_the_item_id(tmp_path, speech):
    path = write_audio(tmp_path / "silent-film.mp4", speech, "aac", video=True, audio=False)
    with pytest.raises(FieldcorpusError, match="item P02-W1-INT-09: the file has no audio track"):
        load_audio(path, "P02-W1-INT-09")


@pytest.mark.parametrize("content", [b"", b"These are my interview notes, not audio.\n" * 50])
def test_empty_and_non_audio_files_are_refused(tmp_path, content):
    path = tmp_path / "Interview Jane Doe.mp3"
    path.write_bytes(content)
    with pytest.raises(FieldcorpusError) as caught:
        list(audio_windows(path, "P02-W1-INT-09"))
    assert str(caught.value).startswith("item P02-W1-INT-09: ")
    assert "Jane" not in str(caught.value) and str(tmp_path) not in str(caught.value)


def test_an_mp3_cut_short_decodes_to_less_than_its_header_gives(tmp_path):
    whole = write_audio(tmp_path / "whole.mp3", demo_speech(20), "mp3")
    cut = tmp_path / "cut.mp3"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    header = recording_duration(cut, "P01-W1-INT-09")
    decoded = len(load_audio(cut, "P01-W1-INT-09")) / SAMPLE_RATE
    assert header == pytest.approx(20, abs=0.1) and decoded < 11
    assert ends_early(decoded, header)
    whole_decoded = len(load_audio(whole, "P01-W1-INT-09")) / SAMPLE_RATE
    assert not ends_early(whole_decoded, recording_duration(whole, "P01-W1-INT-09"))
    assert not ends_early(decoded, None)


def test_uncovered_speech_finds_speech_that_no_word_overlaps():
    from fieldcorpus.transcribe.transcription import Segment, uncovered_speech

    regions = [(0.4, 6.0), (6.7, 10.6), (11.4, 13.7), (20.0, 28.5)]
    # One sentence whose words the aligner placed 20-28 s in: 0.4-13.7 s was skipped.
    skipped = [Segment(20.4, 28.6, "Hi", [{"word": "Hi", "start": 20.4, "end": 28.5}])]
    assert uncovered_speech(skipped, regions) == [(0.4, 6.0), (6.7, 10.6), (11.4, 13.7)]
    words = [{"word": "w", "start": a, "end": b} for a, b in regions]
    assert uncovered_speech([Segment(0.0, 30.0, "all", words)], regions) == []
    # A short unworded breath between words is not a skip.
    breath = [(0.0, 5.0)]
    two = [{"word": "a", "start": 0.0, "end": 1.5}, {"word": "b", "start": 3.4, "end": 5.0}]
    assert uncovered_speech([Segment(0.0, 5.0, "a b", two)], breath) == []
    # Without word timings the segment's own span counts.
    assert uncovered_speech([Segment(0.0, 14.0, "text")], regions[:3]) == []


def test_a_window_that_skipped_speech_is_decoded_again_by_speech_region():
    from fieldcorpus.transcribe.decode import AudioWindow
    from fieldcorpus.transcribe.transcription import (
        Segment,
        TranscriptionOptions,
        _recover_skipped_speech,
    )

    regions = [(1.0, 6.0), (7.0, 12.0)]
    full = [Segment(a, b, "said", [{"word": "said", "start": a, "end": b}]) for a, b in regions]

    class RegionByRegion:
        """Decodes whole windows with a skip, region by region without one (as beam 5 did)."""

        calls: list[bool] = []

        def transcribe(self, window, options, regions, clip_to_speech=False, max_new_tokens=None):
            self.calls.append(clip_to_speech)
            if not clip_to_speech:
                return iter(full[1:])
            return iter([s for s in full if any(a <= s.start < b for a, b in regions)])

        @staticmethod
        def without_prompt(options):
            return options

    engine, recovered = RegionByRegion(), []
    window = AudioWindow(0.0, np.zeros(16000 * 13, dtype=np.float32))
    kept = _recover_skipped_speech(
        engine, window, TranscriptionOptions(), regions, full[1:], "X1", recovered
    )
    assert kept == full and engine.calls == [True, True]  # the first region alone, then the rest
    assert recovered == [{"window": [0.0, 13.0], "skipped_s": 5.0, "after_s": 0.0}]
    engine.calls.clear()
    assert _recover_skipped_speech(engine, window, TranscriptionOptions(), regions, full, "X1", [])
    assert engine.calls == []


def test_one_sentence_said_again_and_again_is_decoded_again_by_speech_region():
    from fieldcorpus.transcribe.decode import AudioWindow
    from fieldcorpus.transcribe.repetition import repeated_segments
    from fieldcorpus.transcribe.transcription import (
        Segment,
        TranscriptionOptions,
        _recover_skipped_speech,
    )

    def said(text: str, a: float, b: float) -> Segment:
        return Segment(a, b, text, [{"word": text, "start": a, "end": b}])

    looped = [said("Start small.", 0.0, 2.0)] + [
        said(" It was hard in the summer." if n % 2 else "it was hard in the summer", n, n + 1)
        for n in range(2, 12)
    ]
    assert repeated_segments(s.text for s in looped) == 9
    # Twice in a row is speech (an echo, a repeated answer); three times is a loop.
    twice = [said("Yes.", 0, 1), said("yes", 1, 2), said("No.", 2, 3)]
    assert repeated_segments(s.text for s in twice) == 0
    assert repeated_segments(s.text for s in [*twice, said("No", 3, 4), said("no!", 4, 5)]) == 2
    regions = [(0.0, 12.0)]
    heard = [said("Start small.", 0.0, 2.0), said("Pick one thing.", 2.0, 12.0)]

    class RegionByRegion:
        def transcribe(self, window, options, regions, clip_to_speech=False, max_new_tokens=None):
            assert clip_to_speech
            return iter(heard)

        @staticmethod
        def without_prompt(options):
            return options

    recovered: list[dict] = []
    window = AudioWindow(0.0, np.zeros(16000 * 12, dtype=np.float32))
    kept = _recover_skipped_speech(
        RegionByRegion(), window, TranscriptionOptions(), regions, looped, "X1", recovered
    )
    assert kept == heard
    assert recovered == [{"window": [0.0, 12.0], "skipped_s": 0.0, "after_s": 0.0,
                          "repeated": 9, "repeated_after": 0}]  # fmt: skip
