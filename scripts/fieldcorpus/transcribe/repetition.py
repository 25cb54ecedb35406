"""Whisper repetition loops: a segment that repeats a token or an n-gram far past anything said
('90,000,000,000,000,…', 'the the the the …') is cut where the loop starts; the audio it
swallowed is decoded again on its own, and marked [inaudible] when that loops too."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import groupby

# Tokens are words and single punctuation marks, so '000,000,000' is the bigram ('000', ',')
# repeated. Speech repeats a word or phrase a few times ('no, no, no, no'); a decoder loop
# goes on far longer, so a repeat counts only past both thresholds.
LOOP_MIN_REPEATS = 6
LOOP_MIN_TOKENS = 12
LOOP_MAX_NGRAM = 8
INAUDIBLE = "[inaudible]"
# Segments in a row with one text, this many or more: Whisper saying one sentence again and again
# over the speech after it (tiny.en, greedy, no VAD: 15 times over 20 s of a demo interview).
REPEATED_SEGMENTS = 3
_TOKEN = re.compile(r"\w+|[^\w\s]")


@dataclass(frozen=True)
class Loop:
    cut: int  # character offset where the loop's second occurrence starts (text before it stays)
    end: int  # character offset where the loop ends
    ngram: int
    repeats: int


def repeated_segments(texts: Iterable[str]) -> int:
    """Segments that repeat the one before them word for word, in runs of REPEATED_SEGMENTS
    or more (case and punctuation aside)."""
    count = 0
    for words, run in groupby(tuple(re.findall(r"\w+", text.casefold())) for text in texts):
        length = sum(1 for _ in run)
        if words and length >= REPEATED_SEGMENTS:
            count += length - 1
    return count


def find_loop(text: str) -> Loop | None:
    """The first run of one n-gram repeated back to back past the thresholds, or None."""
    tokens = [(m.group().casefold(), m.start(), m.end()) for m in _TOKEN.finditer(text)]
    words = [t for t, _, _ in tokens]
    for start in range(len(words)):
        for n in range(1, LOOP_MAX_NGRAM + 1):
            if start + 2 * n > len(words):
                break
            gram = words[start : start + n]
            if n > 1 and len(set(gram)) == 1:
                continue  # 'the the' is the unigram loop, found at n = 1
            repeats = 1
            while words[start + repeats * n : start + (repeats + 1) * n] == gram:
                repeats += 1
            if repeats >= LOOP_MIN_REPEATS and repeats * n >= LOOP_MIN_TOKENS:
                last = start + repeats * n - 1
                return Loop(tokens[start + n][1], tokens[last][2], n, repeats)
    return None


def cut_time(text: str, cut: int, start: float, end: float, words: list[dict]) -> float:
    """Seconds where the character offset `cut` of a segment's text is spoken: from its word
    timings where it has them, else in proportion to the characters."""
    position = 0
    for word in words:
        found = text.find(word.get("word", ""), position)
        if found < 0:
            break
        if found >= cut and word.get("start") is not None:
            return float(word["start"])
        position = found + len(word.get("word", ""))
    if not text:
        return start
    return start + (end - start) * cut / len(text)


def words_before(text: str, cut: int, words: list[dict]) -> list[dict]:
    """The word timings of the text before `cut`."""
    kept, position = [], 0
    for word in words:
        found = text.find(word.get("word", ""), position)
        if found < 0 or found >= cut:
            break
        kept.append(word)
        position = found + len(word.get("word", ""))
    return kept


def mend(before: str, redecoded: str) -> str:
    """The cut text followed by the decoded-again span, or [inaudible] where that is empty or
    loops too."""
    again = redecoded.strip()
    if not again or find_loop(again) is not None:
        again = INAUDIBLE
    return f"{before.rstrip()} {again}".strip()
