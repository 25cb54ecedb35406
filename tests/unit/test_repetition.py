"""Whisper repetition loops: found past the thresholds only, cut where the loop starts, the
swallowed span decoded again by the real engine or marked [inaudible]."""

from __future__ import annotations

import pytest
from fieldcorpus.transcribe.decode import AudioWindow
from fieldcorpus.transcribe.repetition import INAUDIBLE, cut_time, find_loop, mend
from fieldcorpus.transcribe.transcription import (
    Segment,
    TranscriptionOptions,
    _without_loop,
    make_engine,
)

from tests.support.media import demo_speech

LOOPS = [
    ("It was about 90,000,000,000,000,000,000,000,000,000,000,000 pounds", "It was about 90,000"),
    ("and then the the the the the the the the the the the the the", "and then the"),
    ("Thank you. Thank you. Thank you. Thank you. Thank you. Thank you. Thank you.", "Thank you."),
    ("I said one two three one two three one two three one two three one two three one two "
     "three one two three", "I said one two three"),
]  # fmt: skip
SPEECH = [
    "No, no, no, no, that's not what I meant.",
    "It's 999 000 0000, and the practice is on 01632 960001.",
    "Very, very, very good. We did it, we did it, we did it again.",
    "The ten, twenty, thirty, forty, fifty, sixty mark.",
    "Ha ha ha ha.",
]


@pytest.mark.parametrize(("text", "kept"), LOOPS)
def test_a_loop_is_cut_after_its_first_occurrence(text, kept):
    loop = find_loop(text)
    assert loop is not None
    assert text[: loop.cut].rstrip(" ,") == kept


@pytest.mark.parametrize("text", SPEECH)
def test_repeats_people_say_are_not_loops(text):
    assert find_loop(text) is None


def test_mend_keeps_a_clean_redecode_and_marks_a_looping_one():
    assert mend("It was about 90,000", "pounds a year.") == "It was about 90,000 pounds a year."
    assert mend("It was about 90,000", "") == f"It was about 90,000 {INAUDIBLE}"
    assert mend("It was", "the " * 20) == f"It was {INAUDIBLE}"


def test_cut_time_reads_word_timings_else_the_character_share():
    words = [
        {"word": "It", "start": 1.0},
        {"word": "was", "start": 1.2},
        {"word": "so", "start": 1.5},
    ]
    assert cut_time("It was so", 7, 1.0, 2.0, words) == 1.5
    assert cut_time("0123456789", 5, 10.0, 20.0, []) == 15.0


def test_a_looping_segment_is_decoded_again_by_the_real_engine(tmp_path):
    engine = make_engine({"model": "bundled:tiny.en", "language": "en"}, 1, str(tmp_path))
    options = TranscriptionOptions.from_settings({"language": "en", "word_timestamps": True})
    window = AudioWindow(0.0, demo_speech(12))
    looped = Segment(0.0, 12.0, "Okay " + "the, " * 40, [{"word": "Okay", "start": 0.0}])
    mended = _without_loop(looped, engine, window, options, "P01-W1-CLN-01")
    assert mended.repetition
    assert mended.text.startswith("Okay the")
    assert find_loop(mended.text) is None
    assert len(mended.text.split()) > 4 or mended.text.endswith(INAUDIBLE)
    assert mended.words[0]["word"] == "Okay"


def test_a_loop_too_short_to_decode_again_is_marked_inaudible(tmp_path):
    engine = make_engine({"model": "bundled:tiny.en", "language": "en"}, 1, str(tmp_path))
    options = TranscriptionOptions.from_settings({"language": "en"})
    window = AudioWindow(0.0, demo_speech(2))
    looped = Segment(0.0, 0.2, "9" + ",000" * 20, [])
    mended = _without_loop(looped, engine, window, options, "P01-W1-CLN-01")
    assert mended.text == f"9,000 {INAUDIBLE}"
    assert mended.words[-1]["word"] == INAUDIBLE
