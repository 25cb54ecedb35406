"""Recordings decoded to 16 kHz mono float32 in bounded pieces, whatever the container.

A 90-minute interview is never held in memory whole: `audio_windows` yields windows of a few
minutes, each cut at the quietest moment near its end so that no word is split between two."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from fieldcorpus.errors import FieldcorpusError

SAMPLE_RATE = 16000
log = logging.getLogger(__name__)

_UNDECODABLE = (
    "the recording cannot be decoded (corrupt, truncated, or not audio)",
    "check the file plays, or re-export it as WAV/MP3/M4A and update the manifest",
)


@dataclass(frozen=True)
class AudioWindow:
    offset: float  # seconds from the start of the recording
    samples: np.ndarray  # float32, mono, SAMPLE_RATE

    @property
    def duration(self) -> float:
        return len(self.samples) / SAMPLE_RATE

    @property
    def end(self) -> float:
        return self.offset + self.duration


def recording_duration(path: str | os.PathLike, item_id: str) -> float | None:
    """Container duration in seconds (None when the container does not say)."""
    import av

    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise FieldcorpusError(
                    item_id, "the file has no audio track", "supply a file with audio"
                )
            if container.duration:
                return container.duration / 1_000_000
            stream = container.streams.audio[0]
            if stream.duration and stream.time_base:
                return float(stream.duration * stream.time_base)
    except FieldcorpusError:
        raise
    except Exception as exc:  # PyAV raises many error types for broken containers
        raise FieldcorpusError(item_id, *_UNDECODABLE) from exc
    return None


def decode_blocks(path: str | os.PathLike, item_id: str) -> Iterator[np.ndarray]:
    """16 kHz mono float32 blocks straight from the decoder (audio track of a video included)."""
    import av

    try:
        container = av.open(str(path))
    except Exception as exc:
        raise FieldcorpusError(item_id, *_UNDECODABLE) from exc
    with container:
        if not container.streams.audio:
            raise FieldcorpusError(
                item_id, "the file has no audio track", "supply a file with audio"
            )
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        try:
            for frame in container.decode(stream):
                for resampled in resampler.resample(frame):
                    yield resampled.to_ndarray().reshape(-1).astype(np.float32, copy=False)
            for resampled in resampler.resample(None):
                yield resampled.to_ndarray().reshape(-1).astype(np.float32, copy=False)
        except av.error.FFmpegError as exc:
            raise FieldcorpusError(item_id, *_UNDECODABLE) from exc


def ends_early(decoded_s: float, header_s: float | None) -> bool:
    """True when a recording decodes to clearly less audio than its header gives: a copy cut
    short (a recorder that died, an interrupted transfer). Encoder padding and container
    rounding stay well inside the tolerance."""
    return bool(header_s) and header_s - decoded_s > max(1.0, 0.02 * header_s)


def quietest_cut(samples: np.ndarray, search_from: int, frame: int = SAMPLE_RATE // 10) -> int:
    """Sample index of the start of the quietest `frame` at or after `search_from`."""
    region = samples[search_from:]
    count = len(region) // frame
    if count < 2:
        return len(samples)
    energy = np.square(region[: count * frame].reshape(count, frame)).mean(axis=1)
    return search_from + int(np.argmin(energy)) * frame + frame // 2


def audio_windows(
    path: str | os.PathLike,
    item_id: str,
    window_seconds: float = 300.0,
    search_seconds: float = 15.0,
) -> Iterator[AudioWindow]:
    """Consecutive windows covering the whole recording, each at most `window_seconds` long."""
    window = int(window_seconds * SAMPLE_RATE)
    search = int(min(search_seconds, window_seconds / 2) * SAMPLE_RATE)
    pending: list[np.ndarray] = []
    pending_length = 0
    offset = 0
    for block in decode_blocks(path, item_id):
        pending.append(block)
        pending_length += len(block)
        if pending_length < window:
            continue
        buffer = np.concatenate(pending)
        while len(buffer) >= window:
            cut = quietest_cut(buffer[:window], window - search)
            yield AudioWindow(offset / SAMPLE_RATE, buffer[:cut].copy())
            offset += cut
            buffer = buffer[cut:]
        pending, pending_length = [buffer], len(buffer)
    if pending_length:
        yield AudioWindow(offset / SAMPLE_RATE, np.concatenate(pending))


def load_audio(path: str | os.PathLike, item_id: str) -> np.ndarray:
    """A whole (short) recording in memory: for tests, benchmarks and clips."""
    blocks = list(decode_blocks(path, item_id))
    return np.concatenate(blocks) if blocks else np.zeros(0, dtype=np.float32)
