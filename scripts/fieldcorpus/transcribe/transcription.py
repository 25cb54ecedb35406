"""Recording -> speech units: two Whisper engines on the same offline weights, speaker turns,
bounded memory on long recordings, progress in the rule's log (never transcript text)."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import cache

from fieldcorpus.errors import FieldcorpusError
from fieldcorpus.transcribe.decode import SAMPLE_RATE, AudioWindow, audio_windows, ends_early
from fieldcorpus.transcribe.repetition import (
    INAUDIBLE,
    cut_time,
    find_loop,
    mend,
    repeated_segments,
    words_before,
)
from fieldcorpus.transcribe.whisper_models import (
    ModelInfo,
    load_openai_model,
    openai_checkpoint,
    resolve_model,
)

log = logging.getLogger(__name__)

ENGINES = ("faster-whisper", "openai-whisper")
# Speech that no decoded word overlaps, for this long or longer, counts as skipped: Whisper's
# beam search can emit one sentence with a timestamp 20-30 s later and jump past what was said.
SKIPPED_SPEECH_SECONDS = 2.0
WORD_TOLERANCE_SECONDS = 0.5
# A clip decoded on its own (a speech region, a stretch between bleeps) holds at most this many
# tokens a second, timestamps included: about twice the fastest speech. A decoder that goes on
# is looping or making speech up, and without a cap it runs to Whisper's 448-token context,
# which on a 0.2-s sliver between two bleeps costs more than a 30-s clip of speech. Caps are
# rounded up to these steps (one engine call per step); longer clips keep Whisper's own limit.
CLIP_TOKENS_PER_SECOND = 12
CLIP_TOKENS_AT_LEAST = 16
CLIP_TOKEN_CAPS = (32, 64, 128)
# Skipped speech is decoded again in clips of consecutive speech regions spanning at most this
# long: a decoder cannot jump past more than one clip, and every clip costs a 30-s encoder pass,
# so one clip per region (often 1-3 s each) cost two to three times as much. A clip that still
# misses speech, or repeats itself, is decoded once more one region at a time.
RECOVERY_CLIP_SECONDS = 10.0
TRUNCATED_WARNING = (
    "the recording ends early ({decoded:.0f} s of the {header:.0f} s its header gives): "
    "the transcript covers what decodes; supply the complete file and rerun for the rest"
)
__all__ = ["ModelInfo", "resolve_model"]  # re-exported: callers resolve models through here


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 3)


@dataclass(frozen=True)
class TranscriptionOptions:
    """Decoding settings shared by both engines (config `transcription:`)."""

    beam_size: int = 1
    language: str | None = None
    vad_filter: bool = False
    word_timestamps: bool = True
    condition_on_previous_text: bool = False
    initial_prompt: str | None = None
    hotwords: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, settings: dict) -> TranscriptionOptions:
        return cls(
            beam_size=int(settings.get("beam_size", 1)),
            language=settings.get("language") or None,
            vad_filter=bool(settings.get("vad_filter", False)),
            word_timestamps=bool(settings.get("word_timestamps", True)),
            condition_on_previous_text=bool(settings.get("condition_on_previous_text", False)),
            initial_prompt=settings.get("initial_prompt") or None,
            hotwords=tuple(settings.get("hotwords") or ()),
        )

    def record(self) -> dict:
        return {
            "beam_size": self.beam_size,
            "language": self.language,
            "vad_filter": self.vad_filter,
            "word_timestamps": self.word_timestamps,
            "condition_on_previous_text": self.condition_on_previous_text,
            "initial_prompt": self.initial_prompt,
            "hotwords": list(self.hotwords),
            "temperature": 0.0,
        }


@dataclass
class Segment:
    start: float
    end: float
    text: str
    words: list[dict] = field(default_factory=list)
    repetition: bool = False  # a decoder loop was cut out of it (see repetition.py)


def _speech_clips(window: AudioWindow, regions: list[tuple[float, float]]) -> list[float]:
    """Speech regions as window-relative [start, end, start, end, ...] seconds."""
    return [t - window.offset for region in regions for t in region]


class FasterWhisperEngine:
    name = "faster-whisper"

    def __init__(self, model: ModelInfo, device: str, compute_type: str, threads: int):
        import faster_whisper

        self.model_info = model
        self.version = faster_whisper.__version__
        self.device, self.compute_type = device, compute_type
        self.model = _faster_whisper_model(str(model.path), device, compute_type, threads)

    def identity(self) -> dict:
        return {"model": {"id": self.model_info.id, "sha256": self.model_info.sha256}}

    @staticmethod
    def without_prompt(options: TranscriptionOptions) -> TranscriptionOptions:
        """What a call's later decodes see once the prompt is reset: hotwords, no prompt."""
        return replace(options, initial_prompt=None)

    def transcribe(
        self,
        window: AudioWindow,
        options: TranscriptionOptions,
        regions: list[tuple[float, float]],
        clip_to_speech: bool = False,
        max_new_tokens: int | None = None,
    ) -> Iterator[Segment]:
        extra = {}
        if clip_to_speech:
            extra["clip_timestamps"] = _speech_clips(window, regions) or [0.0, 0.0]
        if max_new_tokens is not None:
            extra["max_new_tokens"] = max_new_tokens
        segments, _ = self.model.transcribe(
            window.samples,
            beam_size=options.beam_size,
            language=options.language,
            word_timestamps=options.word_timestamps,
            condition_on_previous_text=options.condition_on_previous_text,
            initial_prompt=options.initial_prompt,
            hotwords=", ".join(options.hotwords) or None,
            temperature=0.0,
            vad_filter=options.vad_filter and not clip_to_speech,  # Silero cuts out silence
            **extra,
        )
        for segment in segments:
            yield Segment(
                window.offset + segment.start,
                window.offset + segment.end,
                segment.text,
                [
                    {
                        "word": w.word.strip(),
                        "start": _round(window.offset + w.start),
                        "end": _round(window.offset + w.end),
                        "probability": _round(w.probability),
                    }
                    for w in (segment.words or [])
                ],
            )


@cache
def _faster_whisper_model(path: str, device: str, compute_type: str, threads: int):
    from faster_whisper import WhisperModel

    return WhisperModel(path, device=device, compute_type=compute_type, cpu_threads=threads)


class OpenAIWhisperEngine:
    """openai-whisper (PyTorch) on a checkpoint converted from the same CTranslate2 weights."""

    name = "openai-whisper"

    def __init__(self, model: ModelInfo, device: str, threads: int, models_dir: str | None):
        import torch
        import whisper

        self.model_info = model
        self.version = whisper.__version__
        self.device, self.compute_type = device, "float16" if device == "cuda" else "float32"
        checkpoint, self.checkpoint_sha256 = openai_checkpoint(model, models_dir)
        if device == "cpu":
            import numba

            torch.set_num_threads(max(1, threads))
            # Word alignment runs a numba-parallel kernel whose OpenMP pool is torch's: left at
            # numba's default, its first run widens torch to every core of the machine.
            numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
        self.model = _openai_model(str(checkpoint), device)

    def identity(self) -> dict:
        return {
            "model": {"id": self.model_info.id, "sha256": self.model_info.sha256},
            "converted_checkpoint_sha256": self.checkpoint_sha256,
        }

    @staticmethod
    def without_prompt(options: TranscriptionOptions) -> TranscriptionOptions:
        """What a call's later decodes see once the prompt is reset: nothing (the hotwords
        only ever ride in the initial prompt here)."""
        return replace(options, initial_prompt=None, hotwords=())

    def transcribe(
        self,
        window: AudioWindow,
        options: TranscriptionOptions,
        regions: list[tuple[float, float]],
        clip_to_speech: bool = False,
        max_new_tokens: int | None = None,
    ) -> Iterator[Segment]:
        import whisper

        prompt = " ".join(p for p in (options.initial_prompt, ", ".join(options.hotwords)) if p)
        extra = {}
        if options.vad_filter or clip_to_speech:
            # openai-whisper has no VAD of its own: it decodes only our Silero regions.
            extra["clip_timestamps"] = _speech_clips(window, regions) or [0.0, 0.0]
        if max_new_tokens is not None:
            extra["sample_len"] = max_new_tokens
        result = whisper.transcribe(
            self.model,
            window.samples,
            verbose=None,
            temperature=0.0,
            beam_size=options.beam_size if options.beam_size > 1 else None,
            language=options.language,
            word_timestamps=options.word_timestamps,
            condition_on_previous_text=options.condition_on_previous_text,
            initial_prompt=prompt or None,
            fp16=self.device == "cuda",
            **extra,
        )
        for segment in result["segments"]:
            yield Segment(
                window.offset + segment["start"],
                window.offset + segment["end"],
                segment["text"],
                [
                    {
                        "word": w["word"].strip(),
                        "start": _round(window.offset + w["start"]),
                        "end": _round(window.offset + w["end"]),
                        "probability": _round(w["probability"]),
                    }
                    for w in segment.get("words", [])
                ],
            )


@cache
def _openai_model(checkpoint: str, device: str):
    return load_openai_model(checkpoint, device)


def make_engine(settings: dict, threads: int = 1, models_dir: str | None = None):
    """The configured engine on the configured model (loaded once per process)."""
    engine = settings.get("engine", "faster-whisper")
    model = resolve_model(settings.get("model", "bundled:tiny.en"), models_dir)
    device = settings.get("device", "cpu")
    if device == "auto":
        import ctranslate2

        device = "cuda" if ctranslate2.get_cuda_device_count() else "cpu"
    if engine == "faster-whisper":
        compute_type = settings.get("compute_type") or ("float16" if device == "cuda" else "int8")
        return FasterWhisperEngine(model, device, compute_type, threads)
    if engine == "openai-whisper":
        return OpenAIWhisperEngine(model, device, threads, models_dir)
    raise FieldcorpusError(
        None, f"unknown transcription engine '{engine}'", f"use one of {ENGINES}"
    )


def clip_token_cap(seconds: float) -> int | None:
    """The most tokens one decode of a clip this long may generate (None: Whisper's own)."""
    wanted = CLIP_TOKENS_AT_LEAST + CLIP_TOKENS_PER_SECOND * min(seconds, 30.0)
    return next((cap for cap in CLIP_TOKEN_CAPS if wanted <= cap), None)


def transcribe_by_clip(
    engine, window: AudioWindow, options: TranscriptionOptions, clips: list[tuple[float, float]]
) -> list[Segment]:
    """Each clip decoded on its own (the decoder never sees the audio between them), with at
    most clip_token_cap(its length) tokens per decode.

    One engine call per cap. Whisper resets the prompt after every decode unless it conditions
    on previous text, so in one call for all clips only the first clip heard the initial
    prompt: that clip goes alone, with the prompt, and the others without it, hearing what
    they heard before. Conditioned on previous text, the clips stay in one call, uncapped."""
    if not clips:
        return []
    if options.condition_on_previous_text:
        return list(engine.transcribe(window, options, clips, clip_to_speech=True))
    calls: dict[tuple[bool, int | None], list[tuple[float, float]]] = {}
    for number, (start, end) in enumerate(clips):
        calls.setdefault((number == 0, clip_token_cap(end - start)), []).append((start, end))
    segments: list[Segment] = []
    for (prompted, cap), group in calls.items():
        settings = options if prompted else engine.without_prompt(options)
        segments += engine.transcribe(
            window, settings, group, clip_to_speech=True, max_new_tokens=cap
        )
    return sorted(segments, key=lambda segment: segment.start)


def _without_loop(
    segment: Segment, engine, window: AudioWindow, options: TranscriptionOptions, item_id: str
) -> Segment:
    """The segment cut where a repetition loop starts, the swallowed audio decoded again on
    its own (a window without the looping context) or marked [inaudible]."""
    loop = find_loop(segment.text)
    if loop is None:
        return segment
    resume = cut_time(segment.text, loop.cut, segment.start, segment.end, segment.words)
    first = int(max(0.0, resume - window.offset) * SAMPLE_RATE)
    last = int(max(0.0, segment.end - window.offset) * SAMPLE_RATE)
    again: list[Segment] = []
    if last - first >= SAMPLE_RATE // 2:
        span = AudioWindow(window.offset + first / SAMPLE_RATE, window.samples[first:last])
        again = list(engine.transcribe(span, options, [(span.offset, span.end)]))
    text = mend(segment.text[: loop.cut], " ".join(s.text.strip() for s in again))
    words = words_before(segment.text, loop.cut, segment.words)
    if text.endswith(INAUDIBLE):
        words.append({"word": INAUDIBLE, "start": _round(resume), "end": _round(segment.end),
                      "probability": None})  # fmt: skip
    else:
        words += [w for s in again for w in s.words]
    log.warning(
        "item %s: a repetition loop (%d x %d-gram) at %.1f s was cut and decoded again",
        item_id,
        loop.repeats,
        loop.ngram,
        resume,
    )
    return Segment(segment.start, segment.end, text, words, repetition=True)


def _units_from_segments(segments: list[Segment]) -> list[dict]:
    units = []
    for segment in segments:
        text = segment.text.strip()
        if not text:
            continue
        unit = {
            "id": "",
            "text": text,
            "start": _round(segment.start),
            "end": _round(segment.end),
            "speaker": None,
            "words": segment.words,
        }
        if segment.repetition:
            unit["repetition"] = True  # read into flags.repetition, then dropped
        units.append(unit)
    for number, unit in enumerate(units, start=1):
        unit["id"] = f"u{number:05d}"
    return units


def transcribe_recording(
    audio_path: str | os.PathLike,
    item_id: str,
    settings: dict,
    threads: int = 1,
    models_dir: str | None = None,
    speakers: int | None = None,
    duration_hint: float | None = None,
    roles: list[str] | None = None,
) -> dict:
    """Transcribe one recording into the shared unit shape.

    The recording is decoded window by window (`window_seconds`), so memory does not grow with
    its length; only the units and the voice embeddings (256 numbers per 1.2 s) accumulate."""
    from fieldcorpus.transcribe.diarization import (
        assign_speakers,
        embed_regions,
        role_names,
        speaker_timeline,
    )

    clock = time.perf_counter()
    engine = make_engine(settings, threads, models_dir or settings.get("models_dir"))
    log.info("item %s: %s model ready in %.1f s", item_id, engine.name, time.perf_counter() - clock)
    spent = {"decoding": 0.0, "speech detection": 0.0, "transcription": 0.0, "voice prints": 0.0}
    options = TranscriptionOptions.from_settings(settings)
    diarize = bool(settings.get("diarization", True))
    window_seconds = float(settings.get("window_seconds", 300))
    segments: list[Segment] = []
    voice_windows = []
    recovered: list[dict] = []
    region_count = 0
    decoded = 0.0
    total = duration_hint
    clock = time.perf_counter()
    for window in audio_windows(audio_path, item_id, window_seconds):
        clock = _spent(spent, "decoding", clock)
        decoded = window.end
        regions = _regions(window)
        clock = _spent(spent, "speech detection", clock)
        if regions:
            decoded_segments = []
            for segment in engine.transcribe(window, options, regions):
                decoded_segments.append(_without_loop(segment, engine, window, options, item_id))
                _progress(item_id, segment.end, total)
            segments += _recover_skipped_speech(
                engine, window, options, regions, decoded_segments, item_id, recovered
            )
            clock = _spent(spent, "transcription", clock)
            if diarize:
                voice_windows += embed_regions(
                    window.samples, window.offset, regions, region_count, threads
                )
                clock = _spent(spent, "voice prints", clock)
        region_count += len(regions)
        _progress(item_id, window.end, total)
    if decoded == 0:
        raise FieldcorpusError(item_id, "the recording has no audio samples", "re-export it")
    units = _units_from_segments(segments)
    speaker_count = None
    if diarize and units:
        timeline = speaker_timeline(voice_windows, speakers)
        units = assign_speakers(units, timeline)
        speaker_count = len({u["speaker"] for u in units if u["speaker"]})
        if roles:
            units = role_names(units, roles)
        _spent(spent, "speaker clustering", clock)
    log.info(
        "item %s: %.0f s of audio; %s",
        item_id,
        decoded,
        ", ".join(f"{phase} {seconds:.1f} s" for phase, seconds in spent.items()),
    )
    if not units:
        log.warning("item %s: no speech found; the transcript is empty", item_id)
    # Units whose text a repetition loop had filled: cut, the span decoded again (see above).
    flags = {
        "no_speech": not units,
        "repetition": [u["id"] for u in units if u.pop("repetition", False)],
    }
    if recovered:
        flags["skipped_speech_redecoded"] = recovered
    if ends_early(decoded, duration_hint):
        # What decodes is kept: a recorder that died mid-interview leaves no better copy.
        flags["truncated"] = True
        log.warning(
            "item %s: %s",
            item_id,
            TRUNCATED_WARNING.format(decoded=decoded, header=duration_hint),
        )
    return {
        "source": {"duration_s": _round(decoded), "sample_rate": SAMPLE_RATE},
        "engine": {
            "name": engine.name,
            "version": engine.version,
            **engine.identity(),
            "device": engine.device,
            "compute_type": engine.compute_type,
            "parameters": options.record(),
            "diarization": {
                "enabled": diarize,
                "method": "silero-vad + resemblyzer + agglomerative (cosine)" if diarize else None,
                "speakers_given": speakers,
                "speakers_found": speaker_count,
            },
        },
        "flags": flags,
        "units": units,
        # Seconds per phase, for benchmarks; unit_document leaves it out of the transcript.
        "timings": {phase: round(seconds, 3) for phase, seconds in spent.items()},
    }


def uncovered_speech(
    segments: list[Segment], regions: list[tuple[float, float]]
) -> list[tuple[float, float]]:
    """Stretches of detected speech that no decoded word (or, without word timings, no
    segment) overlaps, merged, at least SKIPPED_SPEECH_SECONDS long."""
    covered = sorted(
        (w["start"] - WORD_TOLERANCE_SECONDS, w["end"] + WORD_TOLERANCE_SECONDS)
        for segment in segments
        for w in (segment.words or [{"start": segment.start, "end": segment.end}])
        if w["start"] is not None and w["end"] is not None
    )
    gaps: list[tuple[float, float]] = []
    for start, end in regions:
        cursor = start
        for c_start, c_end in covered:
            if c_end <= cursor or c_start >= end:
                continue
            if c_start > cursor:
                gaps.append((cursor, c_start))
            cursor = max(cursor, c_end)
        if cursor < end:
            gaps.append((cursor, end))
    merged: list[list[float]] = []
    for start, end in gaps:
        if merged and start - merged[-1][1] <= WORD_TOLERANCE_SECONDS:
            merged[-1][1] = end
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged if b - a >= SKIPPED_SPEECH_SECONDS]


def _skipped_seconds(segments: list[Segment], regions: list[tuple[float, float]]) -> float:
    return sum(end - start for start, end in uncovered_speech(segments, regions))


def _recover_skipped_speech(
    engine,
    window: AudioWindow,
    options: TranscriptionOptions,
    regions: list[tuple[float, float]],
    segments: list[Segment],
    item_id: str,
    recovered: list[dict],
) -> list[Segment]:
    """When the decoder jumped past speech, or said one sentence again and again over it,
    decode the window again in short clips of speech (see _decode_again) and keep whichever
    decode repeats less, then misses less."""
    skipped = _skipped_seconds(segments, regions)
    repeats = repeated_segments(s.text for s in segments)
    if not skipped and not repeats:
        return segments
    again = _decode_again(engine, window, options, regions, item_id)
    still = _skipped_seconds(again, regions)
    still_repeats = repeated_segments(s.text for s in again)
    log.warning(
        "item %s: %.1f s of speech in %.0f-%.0f s had no words and %d segment(s) repeated the "
        "one before; decoded again in clips of speech: %.1f s without words, %d repeated",
        item_id,
        skipped,
        window.offset,
        window.end,
        repeats,
        still,
        still_repeats,
    )
    better = (still_repeats, still) < (repeats, skipped)
    record = {
        "window": [_round(window.offset), _round(window.end)],
        "skipped_s": _round(skipped),
        "after_s": _round(still if better else skipped),
    }
    if repeats:
        record |= {"repeated": repeats, "repeated_after": still_repeats if better else repeats}
    recovered.append(record)
    return again if better else segments


def recovery_clips(
    regions: list[tuple[float, float]], seconds: float = RECOVERY_CLIP_SECONDS
) -> list[list[tuple[float, float]]]:
    """Consecutive speech regions packed into clips spanning at most `seconds` (a longer
    region is a clip of its own)."""
    clips: list[list[tuple[float, float]]] = []
    for region in regions:
        if clips and region[1] - clips[-1][0][0] <= seconds:
            clips[-1].append(region)
        else:
            clips.append([region])
    return clips


def _decode_again(
    engine,
    window: AudioWindow,
    options: TranscriptionOptions,
    regions: list[tuple[float, float]],
    item_id: str,
) -> list[Segment]:
    """The window decoded again clip by clip (recovery_clips), neither a jump nor a loop can
    cross a clip's end; a clip that still misses speech or repeats a segment, once more region
    by region."""
    clips = recovery_clips(regions)
    bounds = [(clip[0][0], clip[-1][1]) for clip in clips]
    decoded = _decode_clips(engine, window, options, bounds, item_id)
    missed = uncovered_speech(decoded, regions)
    again: list[tuple[list[tuple[float, float]], tuple[float, float]]] = []
    for clip, (start, end) in zip(clips, bounds, strict=True):
        inside = [s for s in decoded if _within(s, start, end)]
        if len(clip) > 1 and (
            any(a < end and b > start for a, b in missed)
            or repeated_segments(s.text for s in inside)
        ):
            again.append((clip, (start, end)))
    if not again:
        return decoded
    kept = [s for s in decoded if not any(_within(s, *span) for _, span in again)]
    regions_again = [region for clip, _ in again for region in clip]
    redone = _decode_clips(engine, window, options, regions_again, item_id)
    return sorted(kept + redone, key=lambda segment: segment.start)


def _within(segment: Segment, start: float, end: float) -> bool:
    # A clip's segments start at its first frame or later (10 ms frames).
    return start - 0.05 <= segment.start < end


def _decode_clips(engine, window, options, clips, item_id: str) -> list[Segment]:
    return [
        _without_loop(segment, engine, window, options, item_id)
        for segment in transcribe_by_clip(engine, window, options, clips)
    ]


def _spent(spent: dict[str, float], phase: str, since: float) -> float:
    now = time.perf_counter()
    spent[phase] = spent.get(phase, 0.0) + now - since
    return now


def _regions(window: AudioWindow) -> list[tuple[float, float]]:
    from fieldcorpus.transcribe.diarization import speech_regions

    return speech_regions(window.samples, window.offset)


def _progress(item_id: str, position: float, total: float | None) -> None:
    if total:
        log.info("item %s: %.0f%% of the audio done", item_id, min(100.0, 100 * position / total))
    else:
        log.info("item %s: %.0f s of audio done", item_id, position)


def speaker_roles(settings: dict, kind: str) -> list[str] | None:
    """Role names for an item kind from config `speaker_roles` (None: keep S1, S2, ...)."""
    roles = (settings.get("speaker_roles") or {}).get(kind)
    return list(roles) if roles else None


def transcribe_clips(
    audio_path: str | os.PathLike,
    item_id: str,
    settings: dict,
    clips: list[tuple[float, float]],
    threads: int = 1,
    models_dir: str | None = None,
) -> list[dict]:
    """Units heard in the given stretches only, each decoded on its own (the decoder never sees
    the audio between them): the closed-loop check's coverage, where a bleep between two clips
    must not make Whisper lose the speech after it."""
    engine = make_engine(settings, threads, models_dir or settings.get("models_dir"))
    options = TranscriptionOptions.from_settings({**settings, "vad_filter": False})
    segments: list[Segment] = []
    for window in audio_windows(audio_path, item_id, float(settings.get("window_seconds", 300))):
        inside = [
            (max(start, window.offset), min(end, window.end))
            for start, end in clips
            if min(end, window.end) - max(start, window.offset) > 0
        ]
        segments += transcribe_by_clip(engine, window, options, inside)
    return _units_from_segments(segments)
