"""Who speaks when, offline: Silero voice activity (shipped in faster-whisper), resemblyzer
speaker embeddings (weights in its wheel) and agglomerative clustering; then every word gets the
speaker of the embedding windows it falls in."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache

import numpy as np

from fieldcorpus.transcribe.decode import SAMPLE_RATE
from fieldcorpus.transcribe.voice_encoder import embed_mels

log = logging.getLogger(__name__)

WINDOW_SECONDS = 1.6  # resemblyzer's partial utterance length
HOP_SECONDS = 1.2  # voice prints are the costly part of diarization: a third overlap
MIN_REGION_SECONDS = 0.4  # shorter bursts (coughs, clicks) carry no usable voice print
MAX_ESTIMATED_SPEAKERS = 8
MAX_CLUSTERED = 3000  # windows clustered directly (pairwise distances: 3000^2 doubles = 72 MB)
# Below this silhouette score the voices are taken as one speaker. On the demo voices one speaker
# scores 0.18-0.35 and two speakers 0.53-0.59 (resemblyzer, 1.6 s windows).
SINGLE_SPEAKER_SILHOUETTE = 0.45
NORM_TARGET_DBFS = -30.0  # resemblyzer's audio_norm_target_dBFS: quiet regions are raised to it
EMBED_BATCH = 64


@dataclass(frozen=True)
class VoiceWindow:
    start: float
    end: float
    region: int  # index of the speech region the window lies in
    embedding: np.ndarray


def speech_regions(samples: np.ndarray, offset: float = 0.0) -> list[tuple[float, float]]:
    """Speech regions (seconds, absolute) by Silero VAD, split at pauses of 0.3 s or more."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(min_silence_duration_ms=300, speech_pad_ms=100)
    return [
        (offset + r["start"] / SAMPLE_RATE, offset + r["end"] / SAMPLE_RATE)
        for r in get_speech_timestamps(samples, vad_options=options, sampling_rate=SAMPLE_RATE)
    ]


# resemblyzer's mel front end (hparams): 25 ms windows every 10 ms, 40 mel channels.
MEL_FFT = SAMPLE_RATE * 25 // 1000
MEL_HOP = SAMPLE_RATE * 10 // 1000
MEL_CHANNELS = 40


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale: linear below 1 kHz, logarithmic above."""
    hz = np.asarray(hz, dtype=np.float64)
    linear = hz / (200.0 / 3)
    log_part = 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / (np.log(6.4) / 27.0)
    return np.where(hz >= 1000.0, log_part, linear)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    linear = mel * (200.0 / 3)
    log_part = 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel - 15.0))
    return np.where(mel >= 15.0, log_part, linear)


@cache
def _mel_filters() -> np.ndarray:
    """Slaney-normalised triangular mel filters (librosa.filters.mel's defaults)."""
    edges = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(SAMPLE_RATE / 2), MEL_CHANNELS + 2))
    bins = np.fft.rfftfreq(MEL_FFT, 1.0 / SAMPLE_RATE)
    widths = np.diff(edges)
    ramps = np.subtract.outer(edges, bins)
    filters = np.zeros((MEL_CHANNELS, len(bins)), dtype=np.float32)
    for i in range(MEL_CHANNELS):
        rising = -ramps[i] / widths[i]
        falling = ramps[i + 2] / widths[i + 1]
        filters[i] = np.maximum(0, np.minimum(rising, falling))
    filters *= (2.0 / (edges[2 : MEL_CHANNELS + 2] - edges[:MEL_CHANNELS]))[:, None]
    return filters


def mel_spectrogram(samples: np.ndarray) -> np.ndarray:
    """The power mel spectrogram resemblyzer's encoder reads, (frames, 40) float32: what
    resemblyzer computes through librosa (centred, zero-padded, periodic Hann), in numpy, since
    importing librosa's feature module costs 2 s in every transcription job."""
    samples = np.asarray(samples, dtype=np.float32)
    padded = np.pad(samples, MEL_FFT // 2)
    count = 1 + (len(padded) - MEL_FFT) // MEL_HOP
    frames = np.lib.stride_tricks.sliding_window_view(padded, MEL_FFT)[::MEL_HOP][:count]
    window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(MEL_FFT) / MEL_FFT)).astype(np.float32)
    power = np.abs(np.fft.rfft(frames * window, axis=1)).astype(np.float32) ** 2
    return (power @ _mel_filters().T).astype(np.float32)


def louder_to(samples: np.ndarray, target_dbfs: float) -> np.ndarray:
    """Samples raised (never lowered) to `target_dbfs` RMS, in float32 as resemblyzer's
    normalize_volume(increase_only=True) computes it."""
    full_scale = 32767
    rms = np.sqrt(np.mean((samples * full_scale) ** 2))
    change = np.float32(target_dbfs) - 20 * np.log10(rms / full_scale)
    return samples if change < 0 else samples * (10 ** (change / 20))


def _window_bounds(start: float, end: float) -> list[tuple[float, float]]:
    if end - start <= WINDOW_SECONDS:
        return [(start, end)]
    count = int(np.ceil((end - start - WINDOW_SECONDS) / HOP_SECONDS)) + 1
    starts = np.linspace(start, end - WINDOW_SECONDS, count)
    return [(float(s), float(s) + WINDOW_SECONDS) for s in starts]


def embed_regions(
    samples: np.ndarray,
    offset: float,
    regions: list[tuple[float, float]],
    first_region: int = 0,
    threads: int = 1,
) -> list[VoiceWindow]:
    """One L2-normalised voice embedding per 1.6 s window (hop 1.2 s) of each speech region."""
    frames_per_second = 100  # resemblyzer's mel hop is 10 ms
    pending: list[tuple[float, float, int, np.ndarray]] = []
    for number, (start, end) in enumerate(regions, start=first_region):
        if end - start < MIN_REGION_SECONDS:
            continue
        region = samples[int((start - offset) * SAMPLE_RATE) : int((end - offset) * SAMPLE_RATE)]
        region = louder_to(region.astype(np.float32), NORM_TARGET_DBFS)
        mel = mel_spectrogram(region)  # once per region; windows are slices of it
        for w_start, w_end in _window_bounds(start, end):
            first = int(round((w_start - start) * frames_per_second))
            last = first + int(round((w_end - w_start) * frames_per_second))
            pending.append((w_start, w_end, number, mel[first : min(last, len(mel))]))
    windows: list[VoiceWindow] = []
    by_length: dict[int, list[int]] = {}
    for index, item in enumerate(pending):
        by_length.setdefault(len(item[3]), []).append(index)
    embeddings: dict[int, np.ndarray] = {}
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=max(1, threads)):  # the rule's threads, not every core
        for indices in by_length.values():
            for batch_start in range(0, len(indices), EMBED_BATCH):
                batch = indices[batch_start : batch_start + EMBED_BATCH]
                vectors = embed_mels(np.stack([pending[i][3] for i in batch]))
                embeddings.update(zip(batch, vectors, strict=True))
    for index, (start, end, region, _) in enumerate(pending):
        windows.append(VoiceWindow(start, end, region, embeddings[index]))
    return windows


def cluster_voices(embeddings: np.ndarray, speakers: int | None) -> np.ndarray:
    """Cluster labels 0..k-1; k = `speakers` when known, else estimated by silhouette score.

    Clustering needs all pairwise distances, so a long recording clusters an evenly spread
    sample of at most MAX_CLUSTERED windows and gives every window its nearest centroid:
    memory stays bounded however long the recording."""
    count = len(embeddings)
    if count <= MAX_CLUSTERED:
        return _cluster(embeddings, speakers)
    sample = embeddings[np.linspace(0, count - 1, MAX_CLUSTERED).astype(int)]
    sample_labels = _cluster(sample, speakers)
    centroids = np.stack(
        [sample[sample_labels == k].mean(axis=0) for k in range(max(sample_labels) + 1)]
    )
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    return np.argmax(embeddings @ centroids.T, axis=1)


def _agglomerative(embeddings: np.ndarray, k: int) -> np.ndarray:
    """Average-linkage clustering on cosine distance cut at `k` clusters: scikit-learn's
    AgglomerativeClustering (the same SciPy tree, cut by undoing the latest merges) without
    importing scikit-learn (1 s in every transcription job)."""
    from scipy.cluster.hierarchy import linkage

    count = len(embeddings)
    children = linkage(embeddings, method="average", metric="cosine")[:, :2].astype(int)
    clusters = [count + len(children) - 1]
    while len(clusters) < k:
        latest = max(clusters)
        clusters.remove(latest)
        clusters.extend(int(child) for child in children[latest - count])
    labels = np.empty(count, dtype=int)
    for label, node in enumerate(clusters):
        pending = [node]
        while pending:
            current = pending.pop()
            if current < count:
                labels[current] = label
            else:
                pending.extend(children[current - count])
    return labels


def _silhouette(embeddings: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette on cosine distance (scikit-learn's silhouette_score; a window alone in
    its cluster scores 0)."""
    norms = np.linalg.norm(embeddings, axis=1, keepdims=True)
    unit = embeddings / np.where(norms == 0, 1, norms)
    distances = np.clip(1.0 - unit @ unit.T, 0.0, 2.0)
    np.fill_diagonal(distances, 0.0)
    names, own = np.unique(labels, return_inverse=True)
    sizes = np.bincount(own)
    sums = np.stack([distances[:, own == c].sum(axis=1) for c in range(len(names))], axis=1)
    rows = np.arange(len(labels))
    inside = sums[rows, own] / np.maximum(sizes[own] - 1, 1)
    between = sums / sizes
    between[rows, own] = np.inf
    nearest = between.min(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = (nearest - inside) / np.maximum(inside, nearest)
    scores[sizes[own] == 1] = 0.0
    return float(np.mean(np.nan_to_num(scores)))


def _cluster(embeddings: np.ndarray, speakers: int | None) -> np.ndarray:
    count = len(embeddings)
    if count == 0:
        return np.zeros(0, dtype=int)
    if speakers is not None:
        k = max(1, min(int(speakers), count))
        if k == 1:
            return np.zeros(count, dtype=int)
        return _agglomerative(embeddings, k)
    best_labels, best_score = np.zeros(count, dtype=int), SINGLE_SPEAKER_SILHOUETTE
    for k in range(2, min(MAX_ESTIMATED_SPEAKERS, count - 1) + 1):
        labels = _agglomerative(embeddings, k)
        score = _silhouette(embeddings, labels)
        if score > best_score:
            best_labels, best_score = labels, score
    return best_labels


def _smooth(windows: list[VoiceWindow], labels: np.ndarray) -> np.ndarray:
    """Majority of each window and its neighbours in the same speech region (kernel 3)."""
    smoothed = labels.copy()
    for i in range(len(windows)):
        neighbours = [
            labels[j]
            for j in (i - 1, i, i + 1)
            if 0 <= j < len(windows) and windows[j].region == windows[i].region
        ]
        values, counts = np.unique(neighbours, return_counts=True)
        if counts.max() > 1:
            smoothed[i] = values[np.argmax(counts)]
    return smoothed


@dataclass
class SpeakerTimeline:
    """Labelled voice windows; answers 'who speaks between t0 and t1'."""

    starts: np.ndarray
    ends: np.ndarray
    labels: np.ndarray

    def speaker_at(self, start: float, end: float) -> int | None:
        if not len(self.labels):
            return None
        overlap = np.minimum(self.ends, end) - np.maximum(self.starts, start)
        covering = overlap > 0
        if covering.any():
            totals = np.bincount(self.labels[covering], weights=overlap[covering])
            return int(np.argmax(totals))
        middle = (start + end) / 2
        distance = np.minimum(np.abs(self.starts - middle), np.abs(self.ends - middle))
        return int(self.labels[int(np.argmin(distance))])


def speaker_timeline(windows: list[VoiceWindow], speakers: int | None) -> SpeakerTimeline:
    if not windows:
        return SpeakerTimeline(np.zeros(0), np.zeros(0), np.zeros(0, dtype=int))
    labels = cluster_voices(np.stack([w.embedding for w in windows]), speakers)
    labels = _smooth(windows, np.asarray(labels, dtype=int))
    return SpeakerTimeline(
        np.array([w.start for w in windows]), np.array([w.end for w in windows]), labels
    )


def assign_speakers(units: list[dict], timeline: SpeakerTimeline) -> list[dict]:
    """Give every word a speaker and split units where the speaker changes mid-unit.

    Speakers are named S1, S2, ... in order of first appearance."""
    names: dict[int, str] = {}

    def name(label: int | None) -> str | None:
        if label is None:
            return None
        return names.setdefault(label, f"S{len(names) + 1}")

    result: list[dict] = []
    for unit in units:
        words = unit.get("words") or []
        if not words:
            result.append(
                {**unit, "speaker": name(timeline.speaker_at(unit["start"], unit["end"]))}
            )
            continue
        labelled = [(word, name(timeline.speaker_at(word["start"], word["end"]))) for word in words]
        runs: list[list[tuple[dict, str | None]]] = []
        for word, speaker in labelled:
            if runs and runs[-1][-1][1] == speaker:
                runs[-1].append((word, speaker))
            else:
                runs.append([(word, speaker)])
        for run in runs:
            run_words = [w for w, _ in run]
            text = "".join(
                (" " if i and not w["word"].startswith(("'", ",", ".", "?", "!")) else "")
                + w["word"]
                for i, w in enumerate(run_words)
            ).strip()
            result.append(
                {
                    **unit,
                    "text": text if len(runs) > 1 else unit["text"],
                    "start": unit["start"] if run is runs[0] else run_words[0]["start"],
                    "end": unit["end"] if run is runs[-1] else run_words[-1]["end"],
                    "speaker": run[0][1],
                    "words": run_words,
                }
            )
    for number, unit in enumerate(result, start=1):
        unit["id"] = f"u{number:05d}"
    return result


def role_names(units: list[dict], roles: list[str]) -> list[dict]:
    """Replace S1, S2, ... by configured role names (S1 = the first voice heard)."""
    mapping = {f"S{i}": role for i, role in enumerate(roles, start=1)}
    return [{**u, "speaker": mapping.get(u["speaker"], u["speaker"])} for u in units]
