"""Shareable audio: spans from word timings, sample-exact redaction, no tags, atomic publishing."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
import soundfile
from fieldcorpus.audio.redaction import (
    CheckOutcome,
    EarResult,
    Recording,
    Span,
    between_spans,
    check_ears,
    check_record,
    coverage,
    describe_ear,
    heard_passages,
    merge_passages,
    pitch_shift,
    practice_needles,
    publish,
    read_recording,
    redact,
    redaction_log_tsv,
    redaction_spans,
    refine_timing,
    repair_spans,
    share_mode,
    spans_from_tsv,
    spans_to_tsv,
    unknown_items,
    word_offsets,
    write_recording,
)
from fieldcorpus.deid.ledger import Ledger
from fieldcorpus.errors import FieldcorpusError
from fieldcorpus.files import RESTRICTED_FILE_MODE, SHAREABLE_FILE_MODE
from fieldcorpus.manifest import RegisterEntry

from tests.support.media import DEMO_RECORDING

UNIT = {
    "id": "u00001",
    "text": "I'm Dr Sarah Mitchell, the asthma lead.",
    "start": 1.0,
    "end": 4.0,
    "words": [
        {"word": "I'm", "start": 1.0, "end": 1.2},
        {"word": "Dr", "start": 1.2, "end": 1.5},
        {"word": "Sarah", "start": 1.5, "end": 1.9},
        {"word": "Mitchell,", "start": 1.9, "end": 2.4},
        {"word": "the", "start": 2.4, "end": 2.6},
        {"word": "asthma", "start": 2.6, "end": 3.1},
        {"word": "lead.", "start": 3.1, "end": 3.6},
    ],
}


def log_row(unit_id: str, start: int, end: int, replacement: str) -> dict:
    return {"unit_id": unit_id, "start": str(start), "end": str(end), "replacement": replacement}


def test_share_mode_is_off_by_default_and_items_override_it():
    assert share_mode({}, "A") == "none"
    assert share_mode(None, "A") == "none"
    settings = {"share": "redacted", "items": {"B": "none"}}
    assert share_mode(settings, "A") == "redacted"
    assert share_mode(settings, "B") == "none"
    assert share_mode({"items": {"A": "redacted"}}, "A") == "redacted"
    assert unknown_items({"items": {"A": "none", "Z": "none"}}, ["A", "B"]) == ["Z"]
    with pytest.raises(FieldcorpusError, match="item A: unknown audio share mode"):
        share_mode({"share": "raw"}, "A")


def test_word_offsets_follow_the_text_in_order():
    text = UNIT["text"]
    offsets = word_offsets(text, UNIT["words"])
    assert [text[a:b] for a, b in offsets] == [w["word"] for w in UNIT["words"]]
    assert word_offsets("a b", [{"word": "a"}, {"word": "zz"}, {"word": "b"}]) == [
        (0, 1),
        None,
        (2, 3),
    ]


def test_spans_come_from_word_timestamps_with_padding_not_from_the_segment():
    start = UNIT["text"].index("Dr Sarah Mitchell")
    rows = [log_row("u00001", start, start + len("Dr Sarah Mitchell"), "[GP 1]")]
    spans = redaction_spans([UNIT], rows, padding=0.15)
    assert spans == [Span(1.05, 2.55, "[GP 1]", "u00001", "word")]
    assert spans[0].start > UNIT["start"] and spans[0].end < UNIT["end"]


def test_overlapping_spans_merge_and_keep_both_reasons():
    text = UNIT["text"]
    rows = [
        log_row("u00001", text.index("Dr"), text.index("Dr") + 2, "[GP 1]"),
        log_row("u00001", text.index("Sarah"), text.index("Sarah") + 5, "[Person 2]"),
        log_row("u00001", text.index("lead"), text.index("lead") + 4, "[GP 1]"),
    ]
    spans = redaction_spans([UNIT], rows, padding=0.1)
    assert [(round(s.start, 3), round(s.end, 3), s.reason) for s in spans] == [
        (1.1, 2.0, "[GP 1];[Person 2]"),
        (3.0, 4.2, "[GP 1]"),  # the recording's last word reaches half a second on
    ]


def test_a_word_with_a_zero_length_timing_reaches_into_the_gaps_around_it():
    # Whisper gave "Mark," no duration; the name is heard somewhere between its neighbours.
    words = [
        {"word": "again.", "start": 1.62, "end": 2.1},
        {"word": "Mark,", "start": 2.54, "end": 2.54},
        {"word": "could", "start": 2.76, "end": 2.94},
        {"word": "you", "start": 2.94, "end": 3.1},
    ]
    unit = {"id": "u1", "text": "again. Mark, could you", "start": 1.62, "end": 3.1, "words": words}
    (span,) = redaction_spans([unit], [log_row("u1", 7, 11, "[Practice manager 1]")], 0.15)
    assert (round(span.start, 3), round(span.end, 3)) == (1.95, 2.91)
    # A long pause is not swallowed whole: at most half a second beyond the word.
    words[0]["end"], words[2]["start"] = 0.5, 6.0
    (span,) = redaction_spans([unit], [log_row("u1", 7, 11, "[Practice manager 1]")], 0.0)
    assert (round(span.start, 3), round(span.end, 3)) == (2.04, 3.04)


def test_a_stretch_without_word_timings_takes_its_whole_unit():
    unit = {**UNIT, "words": []}
    spans = redaction_spans([unit], [log_row("u00001", 4, 21, "[GP 1]")], padding=0.15)
    assert spans == [Span(0.85, 4.15, "[GP 1]", "u00001", "unit")]


def test_a_units_first_word_reaches_back_to_the_unit_before():
    # "James" got a zero-length timing at its unit's start, but was heard before it.
    before = {
        "id": "u1",
        "text": "templates?",
        "start": 47.0,
        "end": 49.6,
        "words": [{"word": "templates?", "start": 48.9, "end": 49.6}],
    }
    unit = {
        "id": "u2",
        "text": "James Turner, our practice manager.",
        "start": 50.0,
        "end": 51.7,
        "words": [
            {"word": "James", "start": 50.0, "end": 50.0},
            {"word": "Turner,", "start": 50.0, "end": 50.38},
            {"word": "our", "start": 50.72, "end": 50.92},
            {"word": "practice", "start": 50.92, "end": 51.28},
            {"word": "manager.", "start": 51.28, "end": 51.7},
        ],
    }
    (span,) = redaction_spans([before, unit], [log_row("u2", 0, 12, "[Practice manager 1]")], 0)
    assert (round(span.start, 3), round(span.end, 3)) == (49.6, 50.72)


def test_span_log_round_trips_and_the_redaction_log_carries_each_ears_result(tmp_path):
    spans = [Span(1.05, 2.55, "[GP 1]", "u00001", "word", 40, 2)]
    (tmp_path / "spans.tsv").write_text(spans_to_tsv("P01-W1-INT-01", spans))
    assert spans_from_tsv(tmp_path / "spans.tsv") == spans
    rounds = [
        [EarResult("faster-whisper bundled:base beam 5 VAD", [(1.0, 1.4)], 0.95)],
        [EarResult("faster-whisper bundled:base beam 5 VAD", [], 0.9)],
    ]
    outcome = CheckOutcome("pass", spans, tmp_path / "copy.flac", rounds)
    (tmp_path / "log.tsv").write_text(redaction_log_tsv("P01-W1-INT-01", outcome, 0.8))
    assert (tmp_path / "log.tsv").read_text().splitlines() == [
        "record\titem_id\tunit_id\tstart\tend\treason\ttiming\trefined_ms\tround\tcheck",
        "span\tP01-W1-INT-01\tu00001\t1.050\t2.550\t[GP 1]\tword\t40\t2\tpass",
        "ear\tP01-W1-INT-01\t\t\t\tfaster-whisper bundled:base beam 5 VAD\t\t\t0\t"
        "fail: a name heard in 1 passage(s): 1.0-1.4 s; 95% of the words heard",
        "ear\tP01-W1-INT-01\t\t\t\tfaster-whisper bundled:base beam 5 VAD\t\t\t1\t"
        "pass; 90% of the words heard",
    ]
    # The redaction log reads back as its spans only.
    assert spans_from_tsv(tmp_path / "log.tsv") == spans


def test_the_check_record_names_the_bytes_heard_and_what_each_ear_heard_in_them(tmp_path):
    copy = tmp_path / "copy.flac"
    copy.write_bytes(b"the last round's copy")
    units = [{"id": "u00001", "text": "Hello [GP 1].", "start": 0.0, "end": 1.2, "words": []}]
    decoder = {"name": "faster-whisper", "model": {"id": "bundled:base"}, "compute_type": "int8"}
    first = EarResult("faster-whisper bundled:base beam 5 VAD", [(0.5, 1.0)], 0.9, units, decoder)
    rounds = [
        [first, EarResult("faster-whisper bundled:tiny.en beam 5 no VAD", [], None, [], decoder)],
        [EarResult(first.ear, [], 0.95, units, decoder),
         EarResult("faster-whisper bundled:tiny.en beam 5 no VAD", [], None, units[:0], decoder)],
    ]  # fmt: skip
    ears = check_ears({"model": "bundled:base", "beam_size": 5}, {})
    record = check_record(CheckOutcome("pass", [], copy, rounds), ears, 0.8, threads=1)
    assert record["audio_sha256"] == hashlib.sha256(copy.read_bytes()).hexdigest()
    assert record["threads"] == 1 and len(record["rounds"]) == 2
    assert [h["ear"] for h in record["heard"]] == [first.ear, rounds[1][1].ear]
    assert record["heard"][0] == {
        "ear": first.ear,
        "decoder": decoder,
        "units": [{"id": "u00001", "text": "Hello [GP 1].", "start": 0.0, "end": 1.2}],
    }
    assert record["heard"][1]["units"] == [] and record["units"] == record["heard"][0]["units"]


def demo_recording() -> Recording:
    return read_recording(DEMO_RECORDING, "test")


@pytest.mark.parametrize("replacement", ["tone", "silence"])
def test_redaction_is_sample_exact_outside_the_spans(tmp_path, replacement):
    original = demo_recording()
    assert original.samples.dtype == np.int16 and original.rate == 16000
    spans = [Span(2.0, 2.5, "[GP 1]", "u1", "word"), Span(10.25, 11.0, "[Town 1]", "u2", "word")]
    redacted = redact(original, spans, replacement)
    written = write_recording(tmp_path / "copy.flac", redacted, SHAREABLE_FILE_MODE)
    assert written.stat().st_mode & 0o777 == SHAREABLE_FILE_MODE
    back, rate = soundfile.read(written, dtype="int16", always_2d=True)
    assert rate == original.rate and back.shape == original.samples.shape
    inside = np.zeros(len(back), dtype=bool)
    for span in spans:
        inside[int(span.start * rate) : int(np.ceil(span.end * rate))] = True
    assert np.array_equal(back[~inside], original.samples[~inside])
    assert not np.array_equal(back[inside], original.samples[inside])
    if replacement == "silence":
        assert not back[inside].any()
    else:
        assert np.abs(back[inside]).max() == pytest.approx(0.1 * 32767, rel=0.01)


def test_no_tag_of_the_raw_file_reaches_the_copy(tmp_path):
    original = demo_recording()
    tagged = tmp_path / "tagged.wav"
    with soundfile.SoundFile(tagged, "w", original.rate, 1, "PCM_16") as handle:
        handle.title = "Interview Sarah Mitchell"
        handle.artist = "Dr Sarah Mitchell"
        handle.write(original.samples)
    assert b"Sarah Mitchell" in tagged.read_bytes()
    for fmt in ("flac", "wav"):
        out = write_recording(
            tmp_path / f"copy.{fmt}", redact(read_recording(tagged, "t"), []), SHAREABLE_FILE_MODE
        )
        assert b"Sarah" not in out.read_bytes() and b"Mitchell" not in out.read_bytes()
        with soundfile.SoundFile(out) as handle:
            assert not handle.title and not handle.artist
    assert not list(tmp_path.glob("*.partial"))


def test_lossy_sources_decode_to_float_and_wav_keeps_them_exactly(tmp_path):
    from tests.support.media import demo_speech
    from tests.support.media import write_audio as encode

    mp3 = encode(tmp_path / "speech.mp3", demo_speech(5.0), "mp3")
    decoded = read_recording(mp3, "test")
    assert decoded.samples.dtype == np.float32 and decoded.samples.shape[1] == 1
    out = write_recording(tmp_path / "copy.wav", decoded, RESTRICTED_FILE_MODE)
    back, _ = soundfile.read(out, dtype="float32", always_2d=True)
    assert np.array_equal(back, decoded.samples)
    flac = write_recording(tmp_path / "copy.flac", decoded, RESTRICTED_FILE_MODE)
    back, _ = soundfile.read(flac, dtype="float32", always_2d=True)
    assert np.abs(back - decoded.samples).max() <= 2.0**-23  # the documented 24-bit tolerance


def test_pitch_shift_keeps_the_duration_and_changes_the_voice():
    original = Recording(demo_recording().samples[: 16000 * 3], 16000)
    shifted = pitch_shift(original, 3)
    assert shifted.samples.shape == original.samples.shape
    assert shifted.samples.dtype == original.samples.dtype
    assert not np.array_equal(shifted.samples, original.samples)
    assert pitch_shift(original, 0) is original


def test_publish_replaces_atomically_with_shareable_permissions(tmp_path):
    source = tmp_path / "restricted.flac"
    source.write_bytes(b"checked copy")
    target = tmp_path / "shareable" / "audio" / "P01" / "X.flac"
    publish(source, target, SHAREABLE_FILE_MODE)
    assert target.read_bytes() == b"checked copy"
    assert target.stat().st_mode & 0o777 == SHAREABLE_FILE_MODE
    assert [p.name for p in target.parent.iterdir()] == ["X.flac"]


def test_the_check_hears_ledger_originals_and_register_aliases_of_the_practice_only():
    ledger = Ledger(
        [
            {
                "original": "Kingfisher Surgery",
                "canonical": "register:P01:practice:Kingfisher Surgery",
                "entity_type": "practice",
                "pseudonym": "[Practice]",
                "source": "register",
                "first_item": "x",
                "since": "",
            }
        ]
    )
    register = [
        RegisterEntry("P01", "person", "Sarah Mitchell", ("Dr Mitchell",)),
        RegisterEntry("P02", "person", "Peter Hughes", ("Dr Hughes",)),
    ]
    pattern = practice_needles("P01", ledger, register)
    units = [
        {"id": "u1", "text": "Welcome to kingfisher surgery.", "start": 0.0, "end": 2.0},
        {"id": "u2", "text": "I see doctor mitchell on Tuesdays.", "start": 2.0, "end": 4.0},
        {"id": "u3", "text": "Your salbutamol inhaler, and Dr Hughes.", "start": 4.0, "end": 6.0},
        {"id": "u4", "text": "I'm [bleep] at the practice.", "start": 6.0, "end": 8.0},
    ]
    assert heard_passages(units, pattern) == [(0.0, 2.0)]
    units[1]["text"] = "I see Dr. Mitchell on Tuesdays."
    assert heard_passages(units, pattern) == [(0.0, 2.0), (2.0, 4.0)]
    # A single word of a registered name counts when capitalised (half a name left audible).
    units[1]["text"] = "Sarah is away."
    assert heard_passages(units, pattern) == [(0.0, 2.0), (2.0, 4.0)]
    units[1]["text"] = "I see a mitchell on Tuesdays."
    assert heard_passages(units, pattern) == [(0.0, 2.0)]
    # With word timings, each string heard is placed by the words that said it.
    units[1]["text"] = "Sarah, and Dr Mitchell."
    units[1]["words"] = [
        {"word": "Sarah,", "start": 2.1, "end": 2.4},
        {"word": "and", "start": 2.4, "end": 2.6},
        {"word": "Dr", "start": 2.6, "end": 2.8},
        {"word": "Mitchell.", "start": 2.8, "end": 3.3},
    ]
    assert heard_passages(units, pattern) == [(0.0, 2.0), (2.1, 2.4), (2.6, 3.3)]


@pytest.mark.parametrize("fmt", ["flac", "wav"])
def test_the_leak_check_reads_audio_tags(tmp_path, fmt):
    from fieldcorpus.deid.leakcheck import content_text

    samples = demo_recording().samples[:16000]
    tagged = tmp_path / f"tagged.{fmt}"
    with soundfile.SoundFile(tagged, "w", 16000, 1, "PCM_16", format=fmt.upper()) as handle:
        handle.title = "Interview Sarah Mitchell"
        handle.write(samples)
    assert "Interview Sarah Mitchell" in content_text(tagged.name, tagged.read_bytes())
    clean = write_recording(tmp_path / f"clean.{fmt}", Recording(samples, 16000), 0o644)
    assert "Sarah" not in content_text(clean.name, clean.read_bytes())


def test_the_leak_check_reads_id3_tags():
    from fieldcorpus.deid.leakcheck import content_text

    title = "Interview Sarah Mitchell".encode("utf-16")
    frame = b"TIT2" + (len(title) + 1).to_bytes(4, "big") + b"\x00\x00\x01" + title
    tag = b"ID3\x03\x00\x00" + bytes([0, 0, len(frame) >> 7, len(frame) & 0x7F]) + frame
    assert "Sarah Mitchell" in content_text("a.mp3", tag + b"\xff\xfb" + bytes(4000))


def test_a_check_that_heard_too_little_of_the_copy_cannot_pass():
    spans = [Span(1.05, 2.55, "[GP 1]", "u00001", "word")]
    # Outside the span: I'm, the, asthma, lead. (4 words); Dr Sarah Mitchell are bleeped.
    heard = [{"text": "I'm [bleep], the asthma lead."}]
    assert coverage([UNIT], spans, heard) == 1.0
    assert coverage([UNIT], spans, [{"text": "the asthma"}]) == 0.5
    assert coverage([UNIT], spans, []) == 0.0
    assert coverage([], spans, []) == 1.0
    assert EarResult("ear", [], 1.0).result(0.8) == "pass; 100% of the words heard"
    assert EarResult("ear", []).result(0.8) == "pass"
    assert (
        EarResult("ear", [], 0.5).result(0.8)
        == "fail: only 50% of the words outside the spans heard again"
    )
    assert EarResult("ear", [(0.0, 2.0)]).result(0.8) == (
        "fail: a name heard in 1 passage(s): 0.0-2.0 s"
    )


def test_coverage_is_decoded_between_the_bleeps():
    spans = [Span(1.0, 2.0, "[GP 1]", "u1", "word"), Span(1.5, 3.0, "[Town 1]", "u2", "word")]
    assert between_spans(spans, 10.0) == [(0.0, 1.0), (3.0, 10.0)]
    assert between_spans([Span(0.0, 4.0, "[GP 1]", "u1", "word")], 4.0) == []


def test_one_name_heard_by_two_decodes_is_one_passage():
    heard = [(20.3, 21.0), (2.0, 2.2), (20.4, 21.1), (2.0, 2.24), (5.1, 5.9)]
    assert merge_passages(heard) == [(2.0, 2.24), (5.1, 5.9), (20.3, 21.1)]


def test_the_default_ears_are_the_configured_one_and_an_independent_one():
    transcription = {"engine": "faster-whisper", "model": "bundled:base", "beam_size": 5}
    ears = check_ears(transcription, {})
    assert [describe_ear(ear) for ear in ears] == [
        "faster-whisper bundled:base beam 5 VAD",
        "faster-whisper bundled:tiny.en beam 5 no VAD",
    ]
    assert all(ear["diarization"] is False for ear in ears)
    tiny = check_ears({**transcription, "model": "bundled:tiny.en", "beam_size": 1}, {})
    assert [describe_ear(ear) for ear in tiny] == [
        "faster-whisper bundled:tiny.en greedy VAD",
        "faster-whisper bundled:base beam 5 no VAD",
    ]
    own = check_ears(transcription, {"check_ears": [{"model": "large-v3", "vad_filter": False}]})
    assert [describe_ear(ear) for ear in own] == ["faster-whisper large-v3 beam 5 no VAD"]


def speech_envelope() -> np.ndarray:
    # 10 ms frames: silence, a word voiced from 1.00 s to 1.50 s, silence.
    envelope = np.full(300, 0.001)
    envelope[100:150] = 0.2
    return envelope


def test_a_word_timing_grows_to_the_voiced_signal_around_it_but_never_shrinks():
    envelope = speech_envelope()
    # Whisper said 1.10-1.30 s; the voice runs 1.00-1.50 s: 100 + 200 ms moved.
    start, end, moved = refine_timing(1.1, 1.3, envelope)
    assert (round(start, 3), round(end, 3), moved) == (1.0, 1.5, 300)
    # A timing already wider than the voice stays as it is.
    assert refine_timing(0.8, 1.7, envelope) == (0.8, 1.7, 0)
    # At most REFINE_REACH (0.2 s) each way, however long the voice goes on.
    envelope[50:250] = 0.2
    start, end, moved = refine_timing(1.1, 1.3, envelope)
    assert (round(start, 3), round(end, 3), moved) == (0.9, 1.5, 400)


def test_refinement_is_reported_in_the_spans():
    envelope = np.full(500, 0.001)
    envelope[145:260] = 0.3  # "Dr Sarah Mitchell," said from 1.45 s to 2.60 s
    start = UNIT["text"].index("Dr Sarah Mitchell")
    rows = [log_row("u00001", start, start + len("Dr Sarah Mitchell"), "[GP 1]")]
    (span,) = redaction_spans([UNIT], rows, padding=0.0, envelope=envelope)
    assert (span.start, span.end, span.refined_ms) == (1.2, 2.6, 200)


def test_repair_widens_the_nearest_bleep_and_leaves_a_far_name_alone():
    spans = [Span(1.0, 1.5, "[GP 1]", "u1", "word"), Span(10.0, 10.5, "[Town 1]", "u2", "word")]
    envelope = np.zeros(2000)  # silence: the heard timings stand as they are
    repaired, far = repair_spans(spans, [(1.6, 1.9), (15.0, 15.4)], 0.1, 2.0, envelope, 1)
    assert repaired == [
        Span(1.0, 2.0, "[GP 1]", "u1", "word", 0, 1),
        Span(10.0, 10.5, "[Town 1]", "u2", "word"),
    ]
    assert far == [(15.0, 15.4)]
    # Heard inside a bleep's own bounds: the name leaks at its edges, so both widen.
    repaired, far = repair_spans(spans, [(1.1, 1.3)], 0.1, 2.0, envelope, 2)
    assert repaired[0] == Span(0.9, 1.6, "[GP 1]", "u1", "word", 0, 2) and not far
