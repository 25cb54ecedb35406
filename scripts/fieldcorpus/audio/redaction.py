"""Shareable audio: a copy of a recording with every pseudonymised word bleeped, proven by ear.

The spans come from the restricted transcript's word timestamps (never segment times), found
through the anonymisation log's character offsets; each is widened by `padding_ms` on both sides
and replaced by silence (or a tone). Everything outside the spans is the decoded original sample for
sample: the copy is written losslessly (FLAC or WAV) at the source's rate and channels, and no
metadata (ID3, Vorbis comments, RIFF INFO) is carried over. An optional pitch shift disguises the
voice; it changes every sample, so sample equality outside the spans then no longer holds.

Before padding, each replaced word's timing is widened to the voiced signal around it (Whisper's
word timings can end before the word does).

The closed-loop check listens to the redacted copy with several ears (`audio.check_ears`: the
configured engine and an independent decode, another model, beam search, no VAD) and searches
what each heard for every ledger original and register name or alias of the practice, with the
leak check's matching (plus single capitalised words of registered names). Where an ear hears
one, the nearest bleep is widened over what it heard, the copy rendered again and heard again,
for at most `audio.repair_rounds` rounds; a name heard far from every bleep (the word timings do
not fit the audio) is not patched. The first ear also decodes the stretches between the bleeps
one by one, and the item fails when too few of the original's words outside the bleeps are heard
there. The copy reaches shareable/ only after every ear passed."""

from __future__ import annotations

import logging
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fieldcorpus.errors import FieldcorpusError
from fieldcorpus.files import RESTRICTED_FILE_MODE, atomic_copy, read_tsv, sha256_file, tsv_text

log = logging.getLogger(__name__)

SHARE_MODES = ("none", "redacted")
FORMATS = {"flac": "FLAC", "wav": "WAV"}
REPLACEMENTS = ("tone", "silence")
# Without a word timing for a pseudonymised stretch of text, its whole unit goes (fail closed).
UNIT_FALLBACK = "unit"
# Seconds a replaced word's span may reach into the silence towards its neighbouring words.
NEIGHBOUR_REACH = 0.5
# Seconds a replaced word's timing may grow into the voiced signal around it, and the share of
# the loudest 10 ms frame nearby that counts as voiced (-20 dB).
REFINE_REACH = 0.2
VOICED_SHARE = 0.1
FRAME_SECONDS = 0.01
SPAN_COLUMNS = ("item_id", "unit_id", "start", "end", "reason", "timing", "refined_ms", "round")
# One row per span (record "span") and per ear and round (record "ear": its settings in
# `reason`, what it heard in `check`).
REDACTION_LOG_COLUMNS = ("record", *SPAN_COLUMNS, "check")
# An ear's model "other": the other bundled model (tiny.en beside base, base beside any other).
OTHER_MODEL = "other"
DEFAULT_EARS = (
    {"vad_filter": True},
    {"model": OTHER_MODEL, "beam_size": 5, "vad_filter": False},
)


def share_mode(settings: dict | None, item_id: str) -> str:
    """'redacted' or 'none' for one item: `audio.items` overrides the global `audio.share`."""
    settings = settings or {}
    mode = (settings.get("items") or {}).get(item_id, settings.get("share", "none"))
    if mode not in SHARE_MODES:
        raise FieldcorpusError(item_id, f"unknown audio share mode '{mode}'", f"use {SHARE_MODES}")
    return mode


def unknown_items(settings: dict | None, item_ids) -> list[str]:
    """Item ids `audio.items` names that the manifest does not have."""
    return sorted(set((settings or {}).get("items") or {}) - set(item_ids))


# config `audio.format` (its schema's enum).
AUDIO_FORMATS = ("flac", "wav")


def audio_extension(settings: dict | None) -> str:
    return (settings or {}).get("format", AUDIO_FORMATS[0])


@dataclass(frozen=True)
class Span:
    start: float
    end: float
    reason: str
    unit_id: str
    timing: str  # "word", UNIT_FALLBACK, or "heard" (placed by a repair round)
    refined_ms: int = 0  # how far the signal moved its word timings out (see refine_timing)
    round: int = 0  # the repair round that last widened it (0: as first redacted)

    def row(self, item_id: str) -> dict:
        return {
            "item_id": item_id,
            "unit_id": self.unit_id,
            "start": f"{self.start:.3f}",
            "end": f"{self.end:.3f}",
            "reason": self.reason,
            "timing": self.timing,
            "refined_ms": str(self.refined_ms),
            "round": str(self.round),
        }


def word_offsets(text: str, words: list[dict]) -> list[tuple[int, int] | None]:
    """Character range of each word in the unit text (words appear in order; None when a word
    cannot be found, e.g. a text edited after transcription)."""
    offsets: list[tuple[int, int] | None] = []
    cursor = 0
    for word in words:
        token = str(word.get("word", "")).strip()
        position = text.find(token, cursor) if token else -1
        if position < 0:
            offsets.append(None)
            continue
        offsets.append((position, position + len(token)))
        cursor = position + len(token)
    return offsets


def redaction_spans(
    units: list[dict], log_rows: list[dict], padding: float, envelope: np.ndarray | None = None
) -> list[Span]:
    """Time spans to bleep: each anonymisation-log replacement, through the words whose characters
    it overlaps (reaching towards their neighbours, see `_reach`), refined against the signal's
    `envelope` when given (see `refine_timing`), widened by `padding` seconds; overlapping spans
    merge (reasons joined)."""
    by_id = {unit["id"]: unit for unit in units}
    offsets = {
        unit["id"]: word_offsets(unit.get("text", ""), unit.get("words") or []) for unit in units
    }
    # The nearest timed word before and after each unit: a unit's first word may start before
    # the unit's own (segment) start, so its reach goes to the words of the units around it.
    timed_units = {unit["id"]: _timed_words(unit) for unit in units}
    before_unit, after_unit, last_end = {}, {}, 0.0
    for unit in units:
        before_unit[unit["id"]] = last_end
        last_end = next((t[1] for t in reversed(timed_units[unit["id"]]) if t), last_end)
    next_start = float("inf")
    for unit in reversed(units):
        after_unit[unit["id"]] = next_start
        next_start = next((t[0] for t in timed_units[unit["id"]] if t), next_start)
    raw: list[Span] = []
    for row in log_rows:
        unit = by_id.get(row["unit_id"])
        if unit is None or unit.get("start") is None:
            continue
        first, last = int(row["start"]), int(row["end"])
        timed = timed_units[unit["id"]]
        hit = [
            index
            for index, (word, where) in enumerate(zip(timed, offsets[unit["id"]], strict=True))
            if word is not None and where is not None and where[0] < last and where[1] > first
        ]
        refined = 0
        if hit:
            edges = (before_unit[unit["id"]], after_unit[unit["id"]])
            start, end = _reach(edges, timed, hit[0], hit[-1])
            if envelope is not None:
                start, end, refined = refine_timing(start, end, envelope)
            timing = "word"
        else:
            start, end, timing = float(unit["start"]), float(unit["end"]), UNIT_FALLBACK
        raw.append(
            Span(
                max(0.0, start - padding),
                end + padding,
                row["replacement"],
                unit["id"],
                timing,
                refined,
            )
        )
    return merge_spans(raw)


def merge_spans(spans: list[Span]) -> list[Span]:
    """Overlapping spans as one (reasons joined, refinements summed, the latest round kept),
    rounded to milliseconds as the redaction log writes them: it says exactly which samples
    changed."""
    merged: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, s.end)):
        if merged and span.start <= merged[-1].end:
            previous = merged[-1]
            reasons = previous.reason.split(";")
            timings = (previous.timing, span.timing)
            merged[-1] = Span(
                previous.start,
                max(previous.end, span.end),
                ";".join(reasons + [span.reason] * (span.reason not in reasons)),
                previous.unit_id,
                next((t for t in (UNIT_FALLBACK, "word") if t in timings), span.timing),
                previous.refined_ms + span.refined_ms,
                max(previous.round, span.round),
            )
        else:
            merged.append(span)
    return [
        Span(
            round(s.start, 3), round(s.end, 3), s.reason, s.unit_id, s.timing, s.refined_ms, s.round
        )
        for s in merged
    ]


def signal_envelope(recording: Recording) -> np.ndarray:
    """RMS of the channels' mean per FRAME_SECONDS frame, as a share of full scale."""
    hop = max(1, int(round(recording.rate * FRAME_SECONDS)))
    mono = recording.samples.astype(np.float32).mean(axis=1) / _full_scale(recording.samples.dtype)
    count = len(mono) // hop
    frames = mono[: count * hop].reshape(count, hop)
    return np.sqrt(np.mean(frames**2, axis=1))


def refine_timing(
    start: float, end: float, envelope: np.ndarray, reach: float = REFINE_REACH
) -> tuple[float, float, int]:
    """(start, end, milliseconds moved) of a word widened, by at most `reach` on each side, to
    the voiced frames that continue it (frames above VOICED_SHARE of the loudest frame within a
    second around it). Never narrower: a timing the signal cannot confirm stays as Whisper gave
    it."""
    frames = len(envelope)
    first = min(frames, max(0, int(np.floor(start / FRAME_SECONDS))))
    last = min(frames, max(first, int(np.ceil(end / FRAME_SECONDS))))
    around = int(1.0 / FRAME_SECONDS)
    local = envelope[max(0, first - around) : min(frames, last + around)]
    if not local.size:
        return start, end, 0
    threshold = max(float(local.max()) * VOICED_SHARE, 1e-3)  # -60 dBFS: hiss is not a voice
    steps = int(round(reach / FRAME_SECONDS))
    low = first
    while low > 0 and first - low < steps and envelope[low - 1] >= threshold:
        low -= 1
    high = last
    while high < frames and high - last < steps and envelope[high] >= threshold:
        high += 1
    new_start = min(start, low * FRAME_SECONDS)
    new_end = max(end, high * FRAME_SECONDS)
    return new_start, new_end, int(round((start - new_start + new_end - end) * 1000))


def _timed_words(unit: dict) -> list[tuple[float, float] | None]:
    return [
        (float(w["start"]), float(w["end"]))
        if w.get("start") is not None and w.get("end") is not None
        else None
        for w in unit.get("words") or []
    ]


def _reach(
    edges: tuple[float, float], timed: list[tuple[float, float] | None], first: int, last: int
) -> tuple[float, float]:
    """From the first to the last replaced word, reaching into the gaps to the neighbouring
    words (in the units around, at the unit's edges), at most NEIGHBOUR_REACH beyond the word's
    own timing: Whisper's word timings can be short, even zero-length, while the word is heard
    in the gap."""
    start, end = timed[first][0], timed[last][1]
    before = next((t[1] for t in reversed(timed[:first]) if t is not None), edges[0])
    after = next((t[0] for t in timed[last + 1 :] if t is not None), edges[1])
    start = min(start, max(float(before), start - NEIGHBOUR_REACH))
    end = max(end, min(float(after), end + NEIGHBOUR_REACH))
    return start, end


@dataclass
class Recording:
    samples: np.ndarray  # (frames, channels): int16, int32 or float32, as decoded
    rate: int

    @property
    def duration(self) -> float:
        return len(self.samples) / self.rate


_UNDECODABLE = (
    "the recording cannot be decoded for shareable audio",
    "check the file plays, or re-export it as WAV/FLAC and update the manifest",
)


def read_recording(path: str | os.PathLike, item_id: str) -> Recording:
    """The recording at its own rate and channels: PCM WAV/FLAC exactly as stored (integer
    samples), anything else (MP3, M4A, ...) as the decoder's float32 samples."""
    import soundfile

    try:
        info = soundfile.info(str(path))
    except (RuntimeError, soundfile.LibsndfileError):
        info = None
    if info is not None:
        dtype = {"PCM_16": "int16", "PCM_U8": "int16", "PCM_S8": "int16"}.get(
            info.subtype, "int32" if info.subtype in ("PCM_24", "PCM_32") else "float32"
        )
        samples, rate = soundfile.read(str(path), dtype=dtype, always_2d=True)
        return Recording(samples, int(rate))
    return _decode_with_av(path, item_id)


def _decode_with_av(path: str | os.PathLike, item_id: str) -> Recording:
    import av

    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise FieldcorpusError(item_id, "the file has no audio track")
            stream = container.streams.audio[0]
            rate, channels = stream.rate, stream.channels
            layout = stream.layout.name
            resampler = av.AudioResampler(format="flt", layout=layout, rate=rate)
            blocks = []
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    blocks.append(out.to_ndarray().reshape(-1, channels))
            for out in resampler.resample(None):
                blocks.append(out.to_ndarray().reshape(-1, channels))
    except FieldcorpusError:
        raise
    except Exception as exc:  # PyAV raises many error types for broken containers
        raise FieldcorpusError(item_id, *_UNDECODABLE) from exc
    samples = np.concatenate(blocks) if blocks else np.zeros((0, channels), np.float32)
    return Recording(samples.astype(np.float32, copy=False), int(rate))


def _full_scale(dtype: np.dtype) -> float:
    return float(np.iinfo(dtype).max) if np.issubdtype(dtype, np.integer) else 1.0


def redact(
    recording: Recording,
    spans: list[Span],
    replacement: str = "silence",
    tone_hz: float = 1000.0,
    tone_level: float = 0.1,
) -> Recording:
    """A copy with every span replaced by silence or a sine tone (`tone_level` of full scale);
    samples outside the spans are untouched."""
    if replacement not in REPLACEMENTS:
        raise FieldcorpusError(None, f"unknown audio replacement '{replacement}'", "tone/silence")
    samples = recording.samples.copy()
    frames, rate = len(samples), recording.rate
    for span in spans:
        first = max(0, int(np.floor(span.start * rate)))
        last = min(frames, int(np.ceil(span.end * rate)))
        if last <= first:
            continue
        if replacement == "silence":
            samples[first:last] = 0
            continue
        t = np.arange(first, last) / rate
        tone = tone_level * _full_scale(samples.dtype) * np.sin(2 * np.pi * tone_hz * t)
        samples[first:last] = tone.astype(samples.dtype)[:, None]
    return Recording(samples, rate)


def pitch_shift(recording: Recording, semitones: float) -> Recording:
    """Voice disguise: every channel shifted by `semitones`, duration kept (so timestamps still
    hold). It lowers, not removes, the chance a listener recognises a voice."""
    if not semitones:
        return recording
    import librosa

    scale = _full_scale(recording.samples.dtype)
    floats = recording.samples.astype(np.float32) / scale
    shifted = np.stack(
        [
            librosa.effects.pitch_shift(floats[:, c], sr=recording.rate, n_steps=semitones)
            for c in range(floats.shape[1])
        ],
        axis=1,
    )
    shifted = np.clip(shifted[: len(floats)], -1.0, 1.0) * scale
    if np.issubdtype(recording.samples.dtype, np.integer):
        shifted = np.round(shifted)
    return Recording(shifted.astype(recording.samples.dtype), recording.rate)


def _subtype(dtype: np.dtype, fmt: str) -> str:
    if dtype == np.int16:
        return "PCM_16"
    if fmt == "flac":
        return "PCM_24"  # FLAC holds at most 24 bits: float sources are quantised (see README)
    return "PCM_32" if dtype == np.int32 else "FLOAT"


def write_recording(path: str | os.PathLike, recording: Recording, mode: int) -> Path:
    """A lossless file with samples only (no tags), written atomically."""
    import soundfile

    from fieldcorpus.files import atomic_output_path, commit_output

    fmt = Path(path).suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise FieldcorpusError(None, f"unknown shareable audio format '{fmt}'", "flac or wav")
    tmp, final = atomic_output_path(path)
    try:
        soundfile.write(
            str(tmp),
            recording.samples,
            recording.rate,
            subtype=_subtype(recording.samples.dtype, fmt),
            format=FORMATS[fmt],
        )
        return commit_output(tmp, final, mode)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def publish(source: str | os.PathLike, target: str | os.PathLike, mode: int) -> Path:
    """Copy a checked file into place atomically (temporary file beside it, then rename)."""
    return atomic_copy(source, target, mode)


def render(recording: Recording, spans: list[Span], settings: dict) -> Recording:
    """The redacted copy as configured: voice disguise (if any), then every span replaced."""
    disguised = pitch_shift(recording, float(settings.get("pitch_semitones", 0)))
    return redact(
        disguised,
        spans,
        settings.get("replacement", "silence"),
        float(settings.get("tone_hz", 1000)),
        float(settings.get("tone_level", 0.1)),
    )


def spans_to_tsv(item_id: str, spans: list[Span]) -> str:
    return tsv_text([span.row(item_id) for span in spans], SPAN_COLUMNS)


def spans_from_tsv(path: str | os.PathLike) -> list[Span]:
    return [
        Span(
            float(r["start"]),
            float(r["end"]),
            r["reason"],
            r["unit_id"],
            r["timing"],
            int(r.get("refined_ms") or 0),
            int(r.get("round") or 0),
        )
        for r in read_tsv(path)
        if r.get("record", "span") == "span"
    ]


def make_redacted_copy(
    recording: str | os.PathLike,
    units: list[dict],
    anonymisation_log: str | os.PathLike,
    output_audio: str | os.PathLike,
    item_id: str,
    settings: dict,
) -> tuple[list[Span], Recording]:
    """The first redacted copy (written, restricted) and its spans, timings refined against the
    recording's own signal."""
    original = read_recording(recording, item_id)
    padding = float(settings.get("padding_ms", 150)) / 1000
    spans = redaction_spans(units, read_tsv(anonymisation_log), padding, signal_envelope(original))
    write_recording(output_audio, render(original, spans, settings), RESTRICTED_FILE_MODE)
    return spans, original


def heard_passages(units: list[dict], pattern) -> list[tuple[float, float]]:
    """(start, end) of every ledger or register string heard, from the words that said it (the
    whole unit where the decoder gave no word timings)."""
    passages = []
    for unit in units if pattern is not None else ():
        text = unit.get("text", "")
        words = unit.get("words") or []
        offsets = word_offsets(text, words)
        cursor = 0
        while (found := pattern.search(text[cursor:])) is not None:
            first, last = cursor + found.start(), cursor + found.end()
            cursor = max(last, first + 1)
            times = [
                (float(word["start"]), float(word["end"]))
                for word, where in zip(words, offsets, strict=True)
                if where is not None
                and where[0] < last
                and where[1] > first
                and word.get("start") is not None
                and word.get("end") is not None
            ]
            if times:
                passages.append((min(t[0] for t in times), max(t[1] for t in times)))
            else:
                passages.append((float(unit["start"]), float(unit["end"])))
    return passages


def other_bundled_model(model: str) -> str:
    return "bundled:tiny.en" if model == "bundled:base" else "bundled:base"


def check_ears(transcription: dict, audio: dict) -> list[dict]:
    """Each ear's decoding settings: the transcription settings with the ear's own on top
    (`model: other` = the other bundled model); speaker turns are not needed to hear a name."""
    ears = []
    for ear in audio.get("check_ears") or DEFAULT_EARS:
        settings = {**transcription, **ear, "diarization": False}
        if settings.get("model") == OTHER_MODEL:
            settings["model"] = other_bundled_model(transcription.get("model", "bundled:base"))
        ears.append(settings)
    return ears


def describe_ear(settings: dict) -> str:
    """One ear's settings in words, for the redaction log and the check record."""
    beam = int(settings.get("beam_size", 1))
    return (
        f"{settings.get('engine', 'faster-whisper')} {settings.get('model')} "
        f"{'greedy' if beam == 1 else f'beam {beam}'} "
        f"{'VAD' if settings.get('vad_filter') else 'no VAD'}"
    )


def between_spans(spans: list[Span], duration: float) -> list[tuple[float, float]]:
    """The stretches of the copy outside every bleep."""
    clips, cursor = [], 0.0
    for span in sorted(spans, key=lambda s: s.start):
        if span.start > cursor:
            clips.append((cursor, min(span.start, duration)))
        cursor = max(cursor, span.end)
    if cursor < duration:
        clips.append((cursor, duration))
    return [(a, b) for a, b in clips if b - a > FRAME_SECONDS]


@dataclass
class EarResult:
    ear: str
    passages: list[tuple[float, float]]
    coverage: float | None = None  # the first ear only: words heard between the bleeps
    units: list[dict] | None = None
    decoder: dict | None = None  # transcribe_recording's `engine` record: what decoded, how

    def result(self, min_coverage: float) -> str:
        where = ", ".join(f"{a:.1f}-{b:.1f} s" for a, b in self.passages[:10])
        heard = "" if self.coverage is None else f"; {self.coverage:.0%} of the words heard"
        if self.passages:
            return f"fail: a name heard in {len(self.passages)} passage(s): {where}{heard}"
        if self.coverage is not None and self.coverage < min_coverage:
            return f"fail: only {self.coverage:.0%} of the words outside the spans heard again"
        return f"pass{heard}"


def listen(
    audio: str | os.PathLike,
    item_id: str,
    ears: list[dict],
    spans: list[Span],
    original_units: list[dict],
    pattern,
    duration: float,
    threads: int = 1,
) -> list[EarResult]:
    """Every ear's decode of the copy, searched for names; the first ear also decodes the
    stretches between the bleeps one by one for coverage (a bleep cannot derail it there), and
    names heard in those count too."""
    from fieldcorpus.transcribe.transcription import transcribe_clips, transcribe_recording

    results = []
    for number, settings in enumerate(ears):
        decoded = transcribe_recording(audio, item_id, settings, threads)
        units = decoded["units"]
        passages = heard_passages(units, pattern)
        share = None
        if number == 0:
            clips = between_spans(spans, duration)
            clip_units = transcribe_clips(audio, item_id, settings, clips, threads)
            passages += heard_passages(clip_units, pattern)
            share = coverage(original_units, spans, clip_units)
        results.append(
            EarResult(
                describe_ear(settings), merge_passages(passages), share, units, decoded["engine"]
            )
        )
    return results


def merge_passages(passages: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Passages in time order, overlapping ones as one (two decodes hear one name twice)."""
    merged: list[tuple[float, float]] = []
    for start, end in sorted(passages):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def repair_spans(
    spans: list[Span],
    passages: list[tuple[float, float]],
    padding: float,
    reach: float,
    envelope: np.ndarray,
    round_number: int,
) -> tuple[list[Span], list[tuple[float, float]]]:
    """Spans widened over every passage heard (refined against the signal, padded), each by the
    nearest span; and the passages farther than `reach` seconds from every span, left alone: a
    name heard there means the word timings do not fit the audio (or a name was never
    pseudonymised), and patching only what the ears happened to hear would keep what none did."""
    spans, far = list(spans), []
    for start, end in passages:
        start, end, _ = refine_timing(start, end, envelope)
        low, high = max(0.0, start - padding), end + padding
        gaps = [max(0.0, span.start - high, low - span.end) for span in spans]
        if not gaps or min(gaps) > reach:
            far.append((start, end))
            continue
        nearest = spans[gaps.index(min(gaps))]
        if nearest.start <= low and high <= nearest.end:
            # Heard inside a bleep's own bounds: the name leaks at its edges; widen both.
            low, high = max(0.0, nearest.start - padding), nearest.end + padding
        spans[gaps.index(min(gaps))] = Span(
            min(nearest.start, low),
            max(nearest.end, high),
            nearest.reason,
            nearest.unit_id,
            nearest.timing,
            nearest.refined_ms,
            round_number,
        )
    return merge_spans(spans), far


@dataclass
class CheckOutcome:
    result: str  # "pass" or "fail: ..."
    spans: list[Span]
    audio: str | os.PathLike  # the copy the last round heard
    rounds: list[list[EarResult]]
    failure: FieldcorpusError | None = None


def check_and_repair(
    copy: str | os.PathLike,
    recording: str | os.PathLike,
    spans: list[Span],
    original_units: list[dict],
    pattern,
    ears: list[dict],
    settings: dict,
    item_id: str,
    work_audio: str | os.PathLike,
    threads: int = 1,
) -> CheckOutcome:
    """Listen with every ear; where a name is heard, widen the bleeps over it, render the copy
    again into `work_audio` and listen again, at most `repair_rounds` times."""
    min_coverage = float(settings.get("check_min_coverage", 0.8))
    padding = float(settings.get("padding_ms", 150)) / 1000
    reach = float(settings.get("repair_reach_s", 2.0))
    last_round = int(settings.get("repair_rounds", 3))
    original = read_recording(recording, item_id)
    envelope = signal_envelope(original)
    Path(work_audio).unlink(missing_ok=True)  # a repair of an earlier run is no longer true
    rounds: list[list[EarResult]] = []
    for number in range(last_round + 1):
        heard = listen(
            copy, item_id, ears, spans, original_units, pattern, original.duration, threads
        )
        rounds.append(heard)
        for ear in heard:
            log.info(
                "item %s: round %d, %s: %s", item_id, number, ear.ear, ear.result(min_coverage)
            )
        passages = merge_passages([p for ear in heard for p in ear.passages])
        share = heard[0].coverage if heard else 1.0
        if not passages and share >= min_coverage:
            return CheckOutcome("pass", spans, copy, rounds)
        if not passages:
            failure = coverage_failure(item_id, share, min_coverage)
            return CheckOutcome(heard[0].result(min_coverage), spans, copy, rounds, failure)
        if number == last_round:
            failure = heard_failure(
                item_id, passages, f"still heard after {number} repair round(s)"
            )
            return CheckOutcome(_failed(passages), spans, copy, rounds, failure)
        repaired, far = repair_spans(spans, passages, padding, reach, envelope, number + 1)
        if far:
            far = merge_passages(far)
            failure = heard_failure(
                item_id,
                far,
                f"heard more than {reach:g} s from every bleep (the word timings do not fit the "
                f"audio; such a copy is not patched)",
            )
            return CheckOutcome(_failed(far), spans, copy, rounds, failure)
        spans = repaired
        write_recording(work_audio, render(original, spans, settings), RESTRICTED_FILE_MODE)
        copy = work_audio
        log.info("item %s: repair round %d: %d span(s) widened", item_id, number + 1,
                 sum(span.round == number + 1 for span in spans))  # fmt: skip
    raise AssertionError("unreachable")


def _failed(passages: list[tuple[float, float]]) -> str:
    return f"fail: a name heard in {len(passages)} passage(s)"


def check_record(
    outcome: CheckOutcome, ears: list[dict], min_coverage: float, threads: int = 1
) -> dict:
    """What the check heard, for restricted/audio/<practice>/<item_id>.check.json: every ear's
    settings and result per round; the last round's audio (sha256) and what each ear heard in
    it, with the decoder that heard it (the first ear's units also as `units`)."""
    last = outcome.rounds[-1]
    return {
        "result": outcome.result,
        "audio_sha256": sha256_file(outcome.audio),
        "threads": threads,
        "ears": [
            {
                "ear": describe_ear(ear),
                **{k: ear.get(k) for k in ("engine", "model")},
                "beam_size": int(ear.get("beam_size", 1)),
                "vad_filter": bool(ear.get("vad_filter")),
            }
            for ear in ears
        ],  # fmt: skip
        "rounds": [
            [{"ear": e.ear, "result": e.result(min_coverage), "passages": e.passages} for e in r]
            for r in outcome.rounds
        ],
        "units": _unit_texts(last[0].units) if last else [],
        "heard": [
            {"ear": e.ear, "decoder": e.decoder, "units": _unit_texts(e.units)} for e in last
        ],
    }


def _unit_texts(units: list[dict] | None) -> list[dict]:
    return [{k: unit[k] for k in ("id", "text", "start", "end")} for unit in units or []]


def redaction_log_tsv(item_id: str, outcome: CheckOutcome, min_coverage: float) -> str:
    """The final spans with the check's result, then each ear's settings and result per round."""
    rows = [
        {"record": "span", **span.row(item_id), "check": outcome.result} for span in outcome.spans
    ]
    for number, heard in enumerate(outcome.rounds):
        rows += [
            {"record": "ear", "item_id": item_id, "round": str(number), "reason": ear.ear,
             "check": ear.result(min_coverage)}
            for ear in heard
        ]  # fmt: skip
    return tsv_text(rows, REDACTION_LOG_COLUMNS)


def practice_needles(practice: str, ledger, register: list):
    """The leak check's search for one practice (its ledger originals and register strings), and
    stricter: every single word of a registered person's name ('Turner' of 'James Turner') when
    heard capitalised, as a partly redacted name leaves one."""
    from fieldcorpus.deid.aliases import name_tokens
    from fieldcorpus.deid.leakcheck import Needles, PrefilteredSearch

    own = [entry for entry in register if entry.practice == practice]
    plain, capitalised = Needles({practice: ledger}, own).strings(practice)
    words = {
        word
        for entry in own
        if entry.entity_type == "person"
        for string in entry.strings
        for word in name_tokens(string)
        if len(word) > 2 and word.isalpha()
    }
    return PrefilteredSearch(plain - words, capitalised | words)


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.casefold().replace("'", ""))


def coverage(original_units: list[dict], spans: list[Span], heard_units: list[dict]) -> float:
    """Share of the original words outside the redacted spans that are heard again (as a bag of
    words, so a hallucinated loop adds nothing): a check that heard little of the copy (Whisper
    lost its way after a bleep) cannot vouch for it."""
    expected: Counter[str] = Counter()
    for unit in original_units:
        for word in unit.get("words") or []:
            if word.get("start") is None or word.get("end") is None:
                continue
            middle = (float(word["start"]) + float(word["end"])) / 2
            if not any(span.start <= middle <= span.end for span in spans):
                expected.update(_tokens(str(word.get("word", ""))))
    if not expected:
        return 1.0
    heard = Counter(t for unit in heard_units for t in _tokens(unit.get("text", "")))
    return sum((expected & heard).values()) / sum(expected.values())


_WHAT_TO_DO = (
    "read the times against the restricted transcript and review the item: add the name or alias "
    "to the register (a register row), fix the review queue, or leave the recording out with "
    "audio.items: {{{item_id}: none}}; the strings are not printed here"
)


def heard_failure(item_id: str, passages: list[tuple[float, float]], how: str) -> FieldcorpusError:
    where = ", ".join(f"{start:.1f}-{end:.1f} s" for start, end in passages[:10])
    return FieldcorpusError(
        item_id,
        f"closed-loop check failed: a ledger or register string is {how} in the redacted audio "
        f"({len(passages)} passage(s): {where}); the copy was not placed in shareable/",
        _WHAT_TO_DO.format(item_id=item_id),
    )


def coverage_failure(item_id: str, heard: float, min_coverage: float) -> FieldcorpusError:
    return FieldcorpusError(
        item_id,
        f"closed-loop check failed: the redacted audio, decoded between the bleeps, gave only "
        f"{heard:.0%} of the words outside the redacted spans (audio.check_min_coverage: "
        f"{min_coverage:.0%}), too little to show no name is heard; the copy was not placed "
        f"in shareable/",
        "with audio.replacement: tone, try silence; else a larger transcription model, or leave "
        f"the recording out with audio.items: {{{item_id}: none}}",
    )
