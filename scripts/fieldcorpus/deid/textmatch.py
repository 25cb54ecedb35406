"""Case- and whitespace-tolerant matching of known strings, shared by detection, pseudonym
application and the leak check so that all three agree on what 'the same string' means."""

from __future__ import annotations

import re
from collections.abc import Iterable

_POSSESSIVE = re.compile(r"(?:'s|’s|'|’)$")
_EDGE_PUNCT = re.compile(r"^[\W_]+|[\W_]+$")


def normalise(text: str) -> str:
    """casefold, collapse whitespace, drop a trailing possessive and edge punctuation."""
    text = " ".join(text.casefold().split())
    text = _POSSESSIVE.sub("", text)
    return _EDGE_PUNCT.sub("", text)


def is_numeric_identifier(text: str) -> bool:
    digits = sum(ch.isdigit() for ch in text)
    return digits >= 6 and digits >= 0.6 * sum(ch.isalnum() for ch in text)


def string_pattern(text: str) -> str:
    """Regex source matching `text` case-insensitively with any (or no) whitespace between its
    tokens; digit identifiers match with any spacing, dashes or dots between their digits."""
    if is_numeric_identifier(text):
        core = r"[\s\-.,/()–]*".join(re.escape(ch) for ch in text if ch.isalnum())
        return rf"(?<![0-9]){core}(?![0-9])"
    tokens = [re.escape(t) for t in normalise(text).split()]
    # "Dr Mitchell" also matches "Dr. Mitchell" and "Dr-Mitchell".
    core = r"\.?[\s\-]*".join(tokens)
    return rf"(?<![\w]){core}(?![\w])"


def compile_alternation(
    strings: Iterable[str], capitalised: Iterable[str] = ()
) -> re.Pattern | None:
    """One regex for many strings, longest first so 'Dr Sarah Mitchell' wins over 'Sarah'.
    Strings in `capitalised` (ordinary words guessed to be names: 'Will', 'Watch') match only
    with a capital first letter, so 'will' and 'watch' elsewhere stay."""
    capitalised = {s for s in capitalised if normalise(s)}
    unique = sorted({s for s in strings if normalise(s)} | capitalised, key=lambda s: (-len(s), s))
    if not unique:
        return None
    parts = []
    for string in unique:
        if string in capitalised:
            word = normalise(string)
            parts.append(
                rf"(?<![\w])(?-i:{re.escape(word[0].upper())}){re.escape(word[1:])}(?![\w])"
            )
        else:
            parts.append(f"(?:{string_pattern(string)})")
    return re.compile("|".join(parts), re.IGNORECASE)


def within_one_edit(a: str, b: str) -> bool:
    """True when a and b differ by at most one insertion, deletion or substitution."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la > lb:
        a, b, la, lb = b, a, lb, la
    i = j = edits = 0
    while i < la and j < lb:
        if a[i] != b[j]:
            edits += 1
            if edits > 1:
                return False
            if la == lb:
                i += 1
            j += 1
        else:
            i += 1
            j += 1
    return edits + (lb - j) + (la - i) <= 1
