"""Clips decoded on their own (speech when skipped speech is recovered, the stretches between
bleeps in the closed-loop check): one engine call per token cap, and what each clip hears is
what one call for all of them heard, on the real tiny.en engine; recovery packs speech regions
into clips of at most 10 s and decodes a clip that still misses speech region by region."""

from __future__ import annotations

import pytest
from fieldcorpus.transcribe import transcription
from fieldcorpus.transcribe.decode import AudioWindow
from fieldcorpus.transcribe.transcription import (
    Segment,
    TranscriptionOptions,
    _decode_again,
    clip_token_cap,
    make_engine,
    recovery_clips,
    transcribe_by_clip,
)

from tests.support.media import demo_speech

PROMPT = "Asthma review in general practice: salbutamol, preventer inhaler, IMP2ART."
# Long and short stretches, and slivers like those left between two close bleeps.
CLIPS = [(0.0, 5.2), (5.9, 6.1), (6.6, 14.0), (14.3, 15.5), (16.0, 16.3), (17.0, 29.5)]


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    models = tmp_path_factory.mktemp("models")
    return make_engine({"model": "bundled:tiny.en", "language": "en"}, 1, str(models))


@pytest.fixture(scope="module")
def window() -> AudioWindow:
    return AudioWindow(0.0, demo_speech(30.0))


@pytest.mark.parametrize(
    "seconds, cap",
    [(0.2, 32), (1.3, 32), (2.5, 64), (4.0, 64), (9.0, 128), (9.5, None), (45, None)],
)
def test_the_cap_allows_twice_the_fastest_speech_in_steps(seconds, cap):
    assert clip_token_cap(seconds) == cap


def as_tuples(segments) -> list[tuple]:
    return [(s.start, s.end, s.text, s.words) for s in segments]


def test_split_by_cap_each_clip_hears_what_one_call_for_all_heard(engine, window, monkeypatch):
    """Whisper resets the prompt after each decode: in one call only the first clip hears it."""
    options = TranscriptionOptions(language="en", initial_prompt=PROMPT)
    together = list(engine.transcribe(window, options, CLIPS, clip_to_speech=True))
    assert len({clip_token_cap(b - a) for a, b in CLIPS}) > 2, "a weak test: one call"
    monkeypatch.setattr(transcription, "CLIP_TOKEN_CAPS", ())
    assert as_tuples(transcribe_by_clip(engine, window, options, CLIPS)) == as_tuples(together)
    starts = [s.start for s in together]
    assert starts == sorted(starts) and len(together) >= 4


def test_a_capped_decode_stops_at_the_cap(engine, window):
    options = TranscriptionOptions(language="en", word_timestamps=False)
    clip = [(0.0, 12.0)]
    full = " ".join(s.text for s in engine.transcribe(window, options, clip, clip_to_speech=True))
    capped = engine.transcribe(window, options, clip, clip_to_speech=True, max_new_tokens=6)
    capped_text = " ".join(s.text for s in capped)
    assert len(full.split()) > 12
    assert 0 < len(capped_text.split()) <= 6
    assert full.strip().startswith(capped_text.strip().rstrip(".,"))


def test_no_clips_no_decode(engine, window):
    assert transcribe_by_clip(engine, window, TranscriptionOptions(), []) == []


def test_conditioned_on_previous_text_the_clips_stay_in_one_uncapped_call(window):
    calls = []

    class Recorder:
        def transcribe(self, window, options, regions, clip_to_speech=False, max_new_tokens=None):
            calls.append((list(regions), max_new_tokens))
            return iter([])

        @staticmethod
        def without_prompt(options):
            return options

    options = TranscriptionOptions(condition_on_previous_text=True)
    transcribe_by_clip(Recorder(), window, options, CLIPS)
    assert calls == [(CLIPS, None)]
    calls.clear()
    transcribe_by_clip(Recorder(), window, TranscriptionOptions(), CLIPS)
    assert sorted(c for regions, _ in calls for c in regions) == CLIPS
    assert calls[0][0] == CLIPS[:1]  # the first clip alone: the only one the prompt reaches


def test_speech_regions_are_packed_into_clips_of_at_most_ten_seconds():
    regions = [(0.0, 2.0), (2.5, 5.0), (5.4, 9.8), (10.2, 12.0), (12.4, 13.0), (30.0, 45.0)]
    assert recovery_clips(regions) == [
        [(0.0, 2.0), (2.5, 5.0), (5.4, 9.8)],
        [(10.2, 12.0), (12.4, 13.0)],
        [(30.0, 45.0)],
    ]
    assert recovery_clips([]) == []


def test_a_clip_that_still_misses_speech_is_decoded_again_region_by_region(window):
    """Recovery decodes packed clips; where one still jumps past speech, its regions alone."""
    regions = [(0.0, 3.0), (3.5, 7.0), (7.4, 9.5), (12.0, 14.0), (14.5, 18.0)]

    def said(a, b):
        return Segment(a, b, f"words {a:g}", [{"word": "words", "start": a, "end": b}])

    class JumpsInTheFirstClip:
        calls: list[list[tuple[float, float]]] = []

        def transcribe(self, window, options, regions, clip_to_speech=False, max_new_tokens=None):
            self.calls.append(list(regions))
            if regions == [(0.0, 9.5)]:  # the first packed clip: one sentence, then a jump
                return iter([said(0.0, 3.0)])
            return iter([said(a, b) for a, b in regions])

        @staticmethod
        def without_prompt(options):
            return options

    engine = JumpsInTheFirstClip()
    segments = _decode_again(engine, window, TranscriptionOptions(), regions, "X1")
    assert [(s.start, s.end) for s in segments] == [*regions[:3], (12.0, 18.0)]
    decoded = sorted(r for call in engine.calls for r in call)
    assert decoded == sorted([(0.0, 9.5), (12.0, 18.0), *regions[:3]])
