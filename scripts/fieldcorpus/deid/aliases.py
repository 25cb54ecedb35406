"""Person-name aliases within a practice: "Dr Sarah Patel", "Dr Patel", "Sarah Patel", "Sarah"
and "sarah" are one person when exactly one known person fits, and ambiguous otherwise."""

from __future__ import annotations

import re

from fieldcorpus.deid.textmatch import normalise

TITLES = frozenset(
    {"dr", "doctor", "nurse", "sister", "mr", "mrs", "ms", "miss", "mx", "prof", "professor"}
)


def name_tokens(text: str) -> frozenset[str]:
    """The name words of a mention: case-folded, without titles, possessives or initials."""
    words = [re.sub(r"['’]s$|[.'’]$", "", w) for w in normalise(text).split()]
    return frozenset(w for w in words if len(w) > 1 and w not in TITLES)


def fits(mention: frozenset[str], known: frozenset[str]) -> bool:
    """A mention names a known person when one's name words contain the other's."""
    return bool(mention) and bool(known) and (mention <= known or known <= mention)


def candidates(mention: frozenset[str], people: dict[str, frozenset[str]]) -> list[str]:
    """Keys of every known person (key -> name words) the mention may refer to."""
    return sorted(key for key, known in people.items() if fits(mention, known))
