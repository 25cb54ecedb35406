"""Test recordings made on the fly from demo audio: other containers, long and broken files."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from tests.conftest import DEMO

DEMO_RECORDING = DEMO / "fieldwork/P01/wave1/clinic-review-2025-03-13.wav"


def demo_speech(seconds: float | None = None, path: Path = DEMO_RECORDING) -> np.ndarray:
    """Demo speech, 16 kHz mono float32 (the first `seconds`, or all)."""
    from fieldcorpus.transcribe.decode import load_audio

    audio = load_audio(path, "test")
    return audio if seconds is None else audio[: int(seconds * 16000)]


def write_audio(
    path: Path,
    samples: np.ndarray,
    codec: str,
    rate: int = 16000,
    video: bool = False,
    audio: bool = True,
) -> Path:
    """Encode mono float samples (16 kHz) with PyAV; optionally with a video track, or only one."""
    with av.open(str(path), "w") as container:
        picture = container.add_stream("mpeg4", rate=5) if video else None
        if picture is not None:
            picture.width, picture.height, picture.pix_fmt = 64, 48, "yuv420p"
        sound = container.add_stream(codec, rate=rate, layout="mono") if audio else None
        if sound is not None:
            sound.bit_rate = 64000
            resampler = av.AudioResampler(format=sound.format.name, layout="mono", rate=rate)
            frame_size = sound.codec_context.frame_size or 1024
            pcm = (np.clip(samples, -1, 1) * 32767).astype(np.int16)
            for start in range(0, len(pcm), frame_size):
                frame = av.AudioFrame.from_ndarray(
                    pcm[None, start : start + frame_size], format="s16", layout="mono"
                )
                frame.sample_rate, frame.pts, frame.time_base = 16000, start, Fraction(1, 16000)
                for converted in resampler.resample(frame):
                    container.mux(sound.encode(converted))
            for converted in resampler.resample(None):
                container.mux(sound.encode(converted))
            container.mux(sound.encode(None))
        if picture is not None:
            seconds = max(1, int(len(samples) / 16000))
            for index in range(seconds * 5):
                image = av.VideoFrame.from_ndarray(
                    np.full((48, 64, 3), index % 255, dtype=np.uint8), format="rgb24"
                )
                image.pts = index
                container.mux(picture.encode(image))
            container.mux(picture.encode(None))
    return path


def write_wav(path: Path, samples: np.ndarray) -> Path:
    """16-bit PCM WAV, written in blocks (a 60-minute file never exists as one int16 array)."""
    import wave

    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(16000)
        for start in range(0, len(samples), 1 << 20):
            block = samples[start : start + (1 << 20)]
            handle.writeframes((np.clip(block, -1, 1) * 32767).astype(np.int16).tobytes())
    return path


def synthetic_recording(path: Path, minutes: float) -> Path:
    """Every demo WAV recording in turn, one second apart, repeated up to `minutes` (a long
    interview with the demo's two voices)."""
    recordings = sorted((DEMO / "fieldwork").rglob("*.wav"))
    gap = np.zeros(16000, dtype=np.float32)
    one_round = np.concatenate([x for p in recordings for x in (demo_speech(None, p), gap)])
    repeats = int(np.ceil(minutes * 60 * 16000 / len(one_round)))
    return write_wav(path, np.tile(one_round, repeats)[: int(minutes * 60 * 16000)])
