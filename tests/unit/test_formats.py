"""Transcript formats rendered from speech units: parsers accept them, turns and times hold."""

from __future__ import annotations

import io
import re

import docx
import pytest
import webvtt
from fieldcorpus.formats import (
    TRANSCRIPT_FORMATS,
    PauseMarks,
    clock,
    format_of,
    output_key,
    render,
    render_maxqda,
    render_srt,
    render_turn_text,
    render_vtt,
    turns,
)
from fieldcorpus.units import render_text


def unit(number: int, start: float, end: float, speaker: str | None, text: str) -> dict:
    return {"id": f"u{number:05d}", "start": start, "end": end, "speaker": speaker, "text": text}


@pytest.fixture
def document() -> dict:
    return {
        "item": {"item_id": "P01-W1-INT-01"},
        "units": [
            unit(1, 0.5, 3.2, "S1", "Thank you for talking to me."),
            unit(2, 3.4, 6.0, "S1", "How are reviews organised?"),
            unit(3, 7.1, 12.25, "S2", "A clinic every <Tuesday> & Thursday."),
            unit(4, 25.0, 3700.5, "S1", "And the [GP 1] agrees?"),
            unit(5, 3701.0, 3702.0, "S2", "Yes."),
        ],
    }


def test_clock_formats():
    assert clock(3723.4567) == "01:02:03.457"
    assert clock(3723.4567, ",") == "01:02:03,457"
    assert clock(59.9996, millis=False) == "00:01:00"
    assert clock(None) == "00:00:00.000"


def test_turns_join_consecutive_units_of_one_speaker(document):
    result = turns(document)
    assert [(t.speaker, t.start) for t in result] == [
        ("S1", 0.5),
        ("S2", 7.1),
        ("S1", 25.0),
        ("S2", 3701.0),
    ]
    assert result[0].text == "Thank you for talking to me. How are reviews organised?"


def test_txt_has_one_timestamped_line_per_turn(document):
    lines = render_turn_text(document).splitlines()
    assert lines == [
        "[00:00:00] S1: Thank you for talking to me. How are reviews organised?",
        "[00:00:07] S2: A clinic every <Tuesday> & Thursday.",
        "[00:00:25] S1: And the [GP 1] agrees?",
        "[01:01:41] S2: Yes.",
    ]
    assert render_text(document) == render_turn_text(document)


def test_pause_marks_in_noscribe_style(document):
    pauses = PauseMarks(enabled=True, min_seconds=1.0)
    text = render_turn_text(document, pauses)
    assert "talking to me. How" in text  # 0.2 s: no mark
    assert "organised? (.)" in text  # 1.1 s before the next turn
    assert "Thursday. (13 seconds pause)" in text
    assert pauses.mark(2.6) == "(...)"
    assert PauseMarks().mark(30) == ""


def test_vtt_parses_with_voices_and_escaped_text(document):
    captions = list(webvtt.from_string(render_vtt(document)))
    assert [c.voice for c in captions] == ["S1", "S1", "S2", "S1", "S2"]
    assert captions[2].text == "A clinic every &lt;Tuesday&gt; &amp; Thursday."
    assert captions[3].start == "00:00:25.000" and captions[3].end == "01:01:40.500"
    starts = [c.start_in_seconds for c in captions]
    assert starts == sorted(starts)


def test_srt_indices_and_times_are_monotonic(document, tmp_path):
    document["units"].insert(2, unit(9, 3.3, 3.1, "S2", "Hm."))  # out of order, end < start
    blocks = render_srt(document).strip().split("\n\n")
    indices, times = [], []
    for block in blocks:
        number, timing, text = block.split("\n", 2)
        indices.append(int(number))
        start, end = re.fullmatch(r"(\S+) --> (\S+)", timing).groups()
        times.append((start, end))
        assert start <= end
        assert re.match(r"S[12]: ", text)
    assert indices == list(range(1, len(blocks) + 1))
    assert [s for s, _ in times] == sorted(s for s, _ in times)
    srt_file = tmp_path / "item.srt"
    srt_file.write_text(render_srt(document), encoding="utf-8")
    assert len(webvtt.from_srt(srt_file)) == len(blocks)  # webvtt-py's SRT reader accepts it


def test_docx_has_one_timestamped_paragraph_per_turn(document):
    data = render(document, "docx")
    paragraphs = [p.text for p in docx.Document(io.BytesIO(data)).paragraphs]
    assert len(paragraphs) == len(turns(document))
    for paragraph, turn in zip(paragraphs, turns(document), strict=True):
        assert paragraph.startswith(f"[{clock(turn.start, millis=False)}] {turn.speaker}: ")
    assert render(document, "docx") == data  # no timestamps of its own: reruns are identical


def test_maxqda_speaker_line_then_timestamped_segments(document):
    text = render_maxqda(document)
    first = text.split("\n\n")[0].splitlines()
    assert first == [
        "S1:",
        "[00:00:00] - Thank you for talking to me.",
        "[00:00:03] - How are reviews organised?",
    ]
    assert text.count("\n\n") == len(turns(document)) - 1


def test_units_without_speaker_and_empty_transcripts():
    plain = {"units": [unit(1, 1.0, 2.0, None, "Hello.")]}
    assert render_turn_text(plain) == "[00:00:01] Hello.\n"
    assert "<v" not in render_vtt(plain)
    empty = {"item": {"item_id": "X"}, "units": []}
    assert render_vtt(empty).startswith("WEBVTT")
    assert render_srt(empty) == ""
    assert docx.Document(io.BytesIO(render(empty, "docx"))).paragraphs == []


def test_every_format_has_an_output_key():
    assert {format_of(output_key(f)) for f in TRANSCRIPT_FORMATS} == set(TRANSCRIPT_FORMATS)
    assert all("." not in output_key(f) for f in TRANSCRIPT_FORMATS)
