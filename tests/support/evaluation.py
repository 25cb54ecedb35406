"""Transcript quality against a scripted reference: word error rate and speaker attribution."""

from __future__ import annotations

import itertools
import warnings
from functools import cache


@cache
def _english_normaliser():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from whisper.normalizers import EnglishTextNormalizer

    return EnglishTextNormalizer()


def normalise(text: str) -> str:
    """Whisper's English normaliser (spelling, numbers, punctuation, contractions)."""
    return _english_normaliser()(text)


def word_error_rate(reference: str, hypothesis: str) -> float:
    import jiwer

    return float(jiwer.wer(normalise(reference), normalise(hypothesis) or "<empty>"))


def attribution_accuracy(reference_turns: list[dict], units: list[dict]) -> tuple[float, float]:
    """Share of speech time whose hypothesis speaker is the scripted one.

    Time counts where a scripted turn overlaps a transcribed word; hypothesis labels are mapped
    to reference labels one to one, by the mapping that agrees most. Returns (accuracy,
    coverage); coverage is the share of scripted speech time that some word overlaps."""
    words = [
        (w["start"], w["end"], str(unit.get("speaker")))
        for unit in units
        for w in (unit.get("words") or [{"start": unit["start"], "end": unit["end"]}])
    ]
    overlap: dict[tuple[str, str], float] = {}
    scripted = 0.0
    for turn in reference_turns:
        scripted += turn["end"] - turn["start"]
        for start, end, speaker in words:
            shared = min(end, turn["end"]) - max(start, turn["start"])
            if shared > 0:
                key = (turn["speaker"], speaker)
                overlap[key] = overlap.get(key, 0.0) + shared
    total = sum(overlap.values())
    if not total:
        return 0.0, 0.0
    references = sorted({r for r, _ in overlap})
    hypotheses = sorted({h for _, h in overlap})
    if len(hypotheses) >= len(references):
        mappings = (
            zip(references, chosen, strict=True)
            for chosen in itertools.permutations(hypotheses, len(references))
        )
    else:
        mappings = (
            zip(chosen, hypotheses, strict=True)
            for chosen in itertools.permutations(references, len(hypotheses))
        )
    best = max(sum(overlap.get(pair, 0.0) for pair in mapping) for mapping in mappings)
    return best / total, min(1.0, total / scripted) if scripted else 0.0
