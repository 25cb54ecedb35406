"""Shareable audio: a copy of a recording with every pseudonymised word bleeped, proven by ear.

The spans come from the restricted transcript's word timestamps (never segment times), found
through the anonymisation log's character offsets; each is widened by `padding_ms` on both sides
and replaced by a tone or silence. Everything outside the spans is the decoded original sample for
sample: the copy is written losslessly (FLAC or WAV) at the source's rate and channels, and no
metadata (ID3, Vorbis comments, RIFF INFO) is carried over. An optional pitch shift disguises the
voice; it changes every sample, so sample equality outside the spans then no longer holds.

The closed-loop check transcribes the redacted copy again with the configured engine and searches
its text for every ledger original and register name or alias of the practice, with the leak
check's matching (plus single capitalised words of registered names). Any hit fails the item, and
so does a check that heard too few of the copy's words to vouch for it; the copy reaches
shareable/ only after it passed."""

from __future__ import annotations

import csv
import io
import logging
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fieldcorpus.errors import FieldcorpusError
from fieldcorpus.files import atomic_copy

log = logging.getLogger(__name__)

SHARE_MODES = ("none", "redacted")
FORMATS = {"flac": "FLAC", "wav": "WAV"}
REPLACEMENTS = ("tone", "silence")
# Without a word timing for a pseudonymised stretch of text, its whole unit goes (fail closed).
UNIT_FALLBACK = "unit"
# Seconds a replaced word's span may reach into the silence towards its neighbouring words.
NEIGHBOUR_REACH = 0.5
SPAN_COLUMNS = ("item_id", "unit_id", "start", "end", "reason", "timing")
REDACTION_LOG_COLUMNS = (*SPAN_COLUMNS, "check")


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


def audio_extension(settings: dict | None) -> str:
    return (settings or {}).get("format", "flac")


@dataclass(frozen=True)
class Span:
    start: float
    end: float
    reason: str
    unit_id: str
    timing: str  # "word" or UNIT_FALLBACK

    def row(self, item_id: str) -> dict:
        return {
            "item_id": item_id,
            "unit_id": self.unit_id,
            "start": f"{self.start:.3f}",
            "end": f"{self.end:.3f}",
            "reason": self.reason,
            "timing": self.timing,
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


def redaction_spans(units: list[dict], log_rows: list[dict], padding: float) -> list[Span]:
    """Time spans to bleep: each anonymisation-log replacement, through the words whose characters
    it overlaps (reaching towards their neighbours, see `_reach`), widened by `padding` seconds;
    overlapping spans merge (reasons joined)."""
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
        if hit:
            edges = (before_unit[unit["id"]], after_unit[unit["id"]])
            start, end = _reach(edges, timed, hit[0], hit[-1])
            timing = "word"
        else:
            start, end, timing = float(unit["start"]), float(unit["end"]), UNIT_FALLBACK
        raw.append(
            Span(max(0.0, start - padding), end + padding, row["replacement"], unit["id"], timing)
        )
    merged: list[Span] = []
    for span in sorted(raw, key=lambda s: (s.start, s.end)):
        if merged and span.start <= merged[-1].end:
            previous = merged[-1]
            reasons = previous.reason.split(";")
            merged[-1] = Span(
                previous.start,
                max(previous.end, span.end),
                ";".join(reasons + [span.reason] * (span.reason not in reasons)),
                previous.unit_id,
                UNIT_FALLBACK if UNIT_FALLBACK in (previous.timing, span.timing) else "word",
            )
        else:
            merged.append(span)
    # Milliseconds, as the redaction log writes them: the log says exactly which samples changed.
    return [Span(round(s.start, 3), round(s.end, 3), s.reason, s.unit_id, s.timing) for s in merged]


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
    replacement: str = "tone",
    tone_hz: float = 1000.0,
    tone_level: float = 0.1,
) -> Recording:
    """A copy with every span replaced by a sine tone (`tone_level` of full scale) or silence;
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


def spans_to_tsv(item_id: str, spans: list[Span], check: str | None = None) -> str:
    columns = REDACTION_LOG_COLUMNS if check is not None else SPAN_COLUMNS
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns, delimiter="\t", lineterminator="\n")
    writer.writeheader()
    for span in spans:
        row = span.row(item_id)
        if check is not None:
            row["check"] = check
        writer.writerow(row)
    return buffer.getvalue()


def spans_from_tsv(path: str | os.PathLike) -> list[Span]:
    with open(path, encoding="utf-8", newline="") as handle:
        return [
            Span(float(r["start"]), float(r["end"]), r["reason"], r["unit_id"], r["timing"])
            for r in csv.DictReader(handle, delimiter="\t")
        ]


def heard_names(units: list[dict], pattern) -> list[tuple[float, float]]:
    """(start, end) of every re-transcribed unit in which a ledger or register string is heard."""
    return [
        (float(unit["start"]), float(unit["end"]))
        for unit in units
        if pattern is not None and pattern.search(unit.get("text", "")) is not None
    ]


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


def closed_loop_transcript(
    audio: str | os.PathLike, item_id: str, settings: dict, threads: int = 1, vad: bool = True
) -> dict:
    """The redacted copy transcribed again with the configured engine and model. Speaker turns
    are not needed to hear a name, so diarization is off; with `vad` only what Silero VAD takes
    for speech is decoded: on a bleep Whisper tends to hallucinate and lose the speech after it."""
    from fieldcorpus.transcribe.transcription import transcribe_recording

    check = {**settings, "diarization": False, "vad_filter": bool(vad)}
    return transcribe_recording(audio, item_id, check, threads, settings.get("models_dir"))


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


def check_result(hits: list[tuple[float, float]], heard: float, min_coverage: float) -> str:
    """'pass', or 'fail' with why (no string found is ever named)."""
    if hits:
        return f"fail: a name heard in {len(hits)} passage(s)"
    if heard < min_coverage:
        return f"fail: only {heard:.0%} of the words outside the spans heard again"
    return "pass"


def check_failure(
    item_id: str, hits: list[tuple[float, float]], heard: float, min_coverage: float
) -> FieldcorpusError:
    if not hits:
        return FieldcorpusError(
            item_id,
            f"closed-loop check failed: the redacted audio, transcribed again, gave only "
            f"{heard:.0%} of the words outside the redacted spans (audio.check_min_coverage: "
            f"{min_coverage:.0%}), too little to show no name is heard; the copy was not placed "
            f"in shareable/",
            "try audio.replacement: silence, a larger transcription model, or leave this item "
            "out with audio.items",
        )
    where = ", ".join(f"{start:.1f}-{end:.1f} s" for start, end in hits[:10])
    return FieldcorpusError(
        item_id,
        f"closed-loop check failed: a ledger or register string is still heard in the redacted "
        f"audio ({len(hits)} passage(s): {where}); the copy was not placed in shareable/",
        "check the word timings and the review queue, raise audio.padding_ms, or leave this item "
        "out with audio.items; the strings are not printed here",
    )
