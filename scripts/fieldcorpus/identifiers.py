"""UK direct identifiers found by pattern: NHS number (mod-11), postcode, phone, email, NI
number, dates of birth, plus titled names and practice names."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class PatternHit:
    start: int
    end: int
    label: str
    score: float
    entity_type: str = "identifier"


def nhs_number_is_valid(digits: str) -> bool:
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


# Digits with the separators people and ASR put between them: "999 308 4212", "0-77-0-0, 9-0-0".
_DIGIT_RUN = re.compile(r"(?<![\w+])(?:\+\s?)?\d(?:[ \t,.\-–/()]{0,3}\d)+(?![\d])")
_POSTCODE = re.compile(
    r"(?<![A-Za-z0-9])(?:GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?[0-9][A-Z0-9]? ?[0-9][ABD-HJLNP-UW-Z]{2})"
    r"(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
_NI_NUMBER = re.compile(
    r"(?<![A-Za-z0-9])[A-CEGHJ-PR-TW-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![A-Za-z0-9])",
    re.IGNORECASE,
)
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_DATE = re.compile(
    rf"(?:\d{{1,2}}(?:st|nd|rd|th)?(?:\s+of)?\s+(?:{_MONTHS})\.?,?\s+\d{{2,4}}"
    rf"|(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    r"|\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}"
    r"|(?:19|20)\d\d-\d\d-\d\d"
    rf"|(?:{_MONTHS})\.?\s+(?:19|20)\d\d)",
    re.IGNORECASE,
)
_DOB_CUE = re.compile(r"\b(?:born|d\.?o\.?b\.?|date of birth|birthday)\b", re.IGNORECASE)
# One capitalised name word: "Patel", "O'Brien", "McDonald", "Jones-Davies".
NAME_WORD = r"(?:Ma?c|O['’]|D['’])?[A-Z][a-z]+(?:[-'’](?!s\b)[A-Z]?[a-z]+)*"
_TITLED_NAME = re.compile(
    rf"\b(?:Dr|Doctor|Nurse|Sister|Mr|Mrs|Ms|Miss|Mx|Prof|Professor)\.?\s+"
    rf"{NAME_WORD}(?:\s+{NAME_WORD}){{0,2}}(?![A-Za-z])"
)
_PRACTICE_NAME = re.compile(
    r"\b(?:(?:[A-Z][a-z]+|St\.?)\s){1,3}"
    r"(?:Surgery|Medical Centre|Health Centre|Medical Practice|Family Practice|Group Practice"
    r"|Medical Group)\b"
)
_LOWER_PRACTICE_NAME = re.compile(
    r"\b([A-Za-z]{3,}) (?i:medical centre|health centre|medical practice|family practice"
    r"|group practice|medical group)\b"
    r"|\b([A-Za-z]{4,}) (?i:surgery)\b"
)
# Words before "surgery" that make it an operation, not a practice.
_GENERIC_PRACTICE_WORDS = frozenset(
    [
        "knee",
        "hip",
        "heart",
        "eye",
        "brain",
        "back",
        "spine",
        "spinal",
        "bowel",
        "keyhole",
        "laser",
        "minor",
        "major",
        "day",
        "emergency",
        "cosmetic",
        "dental",
        "plastic",
        "weight",
        "loss",
        "cancer",
        "cardiac",
        "chest",
        "lung",
        "lungs",
        "foot",
        "hand",
        "shoulder",
        "wrist",
        "ankle",
        "neck",
        "breast",
        "cataract",
        "elective",
        "urgent",
        "routine",
        "recent",
        "after",
        "before",
        "since",
        "having",
        "needs",
        "needed",
        "more",
        "further",
        "previous",
    ]
) | frozenset(
    [
        "the",
        "our",
        "your",
        "their",
        "his",
        "her",
        "my",
        "a",
        "an",
        "this",
        "that",
        "local",
        "new",
        "old",
        "main",
        "branch",
        "other",
        "village",
        "town",
        "city",
        "nearby",
        "nhs",
        "gp",
        "each",
        "every",
        "any",
        "some",
        "one",
        "two",
    ]
)
# Digits said as words, as ASR engines write NHS and phone numbers: "nine nine nine, oh one two".
_DIGIT_WORDS = {
    "zero": "0", "oh": "0", "o": "0", "nought": "0", "one": "1", "two": "2", "three": "3",
    "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
}  # fmt: skip
_SPOKEN_TOKEN = re.compile(
    r"\b(?:(?:double|treble|triple)\s+)?(?:zero|oh|o|nought|one|two|three|four|five|six|seven|"
    r"eight|nine)\b|\d",
    re.IGNORECASE,
)
_SPOKEN_GAP = re.compile(r"^[\s,.\-–]{0,3}$")
# A postcode spelt out or split by ASR: "PR-1, 5-L-T", "p r one five l t".
_POSTCODE_FULL = re.compile(
    r"(?:GIR0AA|[A-PR-UWYZ][A-HK-Y]?[0-9][A-Z0-9]?[0-9][ABD-HJLNP-UW-Z]{2})", re.IGNORECASE
)
_CHUNK = re.compile(r"[A-Za-z0-9]+")
_CHUNK_GAP = re.compile(r"^[\s,.\-]{1,3}$")
_AGE = re.compile(
    r"\b(?:aged?\s+(?:is\s+)?(?P<a>\d{2,3})|(?P<b>\d{2,3})(?:\s*|-)(?:years?|yrs?)(?:\s*|-)old"
    r"|(?P<c>\d{2,3})-year-old)\b",
    re.IGNORECASE,
)


def _spoken_runs(text: str):
    """(start, end, digits) of runs of spoken digits (digit words, 'double', figures)."""
    run: list = []
    for match in _SPOKEN_TOKEN.finditer(text):
        if run and not _SPOKEN_GAP.match(text[run[-1].end() : match.start()]):
            yield run
            run = []
        run.append(match)
    if run:
        yield run


def _digits_of(run) -> str:
    digits = []
    for match in run:
        words = match.group().lower().split()
        digit = _DIGIT_WORDS.get(words[-1], words[-1])
        digits.append(digit * {"double": 2, "treble": 3, "triple": 3}.get(words[0], 1))
    return "".join(digits)


def _number_hit(text: str, start: int, end: int, digits: str, spoken: bool) -> PatternHit | None:
    context = text[max(0, start - 40) : start].lower()
    if len(digits) == 10 and nhs_number_is_valid(digits):
        return PatternHit(start, end, "NHS number", 0.95 if spoken else 0.99)
    if len(digits) == 10 and "nhs" in context:
        return PatternHit(start, end, "NHS number", 0.7)
    if (digits.startswith("0") and len(digits) in (10, 11)) or (
        digits.startswith("44") and len(digits) in (11, 12) and "+" in text[start:end]
    ):
        return PatternHit(start, end, "Phone", 0.9)
    return None


def _split_postcodes(text: str) -> list[PatternHit]:
    """Postcodes split into pieces ('PR-1, 5-L-T') or spelt with digit words ('p r one five l
    t'): consecutive short pieces that join into a full postcode."""
    chunks = list(_CHUNK.finditer(text))
    hits, index = [], 0
    while index < len(chunks):
        joined, found = "", None
        for last in range(index, min(index + 7, len(chunks))):
            if last > index and not _CHUNK_GAP.match(
                text[chunks[last - 1].end() : chunks[last].start()]
            ):
                break
            piece = chunks[last].group()
            joined += _DIGIT_WORDS.get(piece.lower(), piece) if len(piece) > 2 else piece
            if len(joined) > 7:
                break
            if last > index and _POSTCODE_FULL.fullmatch(joined):
                found = last
        if found is None:
            index += 1
            continue
        hits.append(PatternHit(chunks[index].start(), chunks[found].end(), "Postcode", 0.85))
        index = found + 1
    return hits


def find_identifiers(text: str) -> list[PatternHit]:
    hits: list[PatternHit] = []
    for match in _DIGIT_RUN.finditer(text):
        start, end = match.start(), match.end()
        while text[end - 1] in " \t,.-–/(":
            end -= 1
        digits = "".join(ch for ch in match.group() if ch.isdigit())
        hit = _number_hit(text, start, end, digits, False)
        if hit:
            hits.append(hit)
    for run in _spoken_runs(text):
        if len(run) < 3 or all(m.group().isdigit() for m in run):
            continue
        hit = _number_hit(text, run[0].start(), run[-1].end(), _digits_of(run), True)
        if hit:
            hits.append(hit)
    hits += _split_postcodes(text)
    for match in _AGE.finditer(text):
        age = int(match.group("a") or match.group("b") or match.group("c"))
        if 90 <= age <= 125:
            hits.append(PatternHit(match.start(), match.end(), "Age over 89", 0.9))
    for match in _POSTCODE.finditer(text):
        hits.append(PatternHit(match.start(), match.end(), "Postcode", 0.9))
    for match in _EMAIL.finditer(text):
        hits.append(PatternHit(match.start(), match.end(), "Email", 0.99))
    for match in _URL.finditer(text):
        hits.append(PatternHit(match.start(), match.end(), "URL", 0.9))
    for match in _NI_NUMBER.finditer(text):
        hits.append(PatternHit(match.start(), match.end(), "NI number", 0.9))
    for match in _DATE.finditer(text):
        window = text[max(0, match.start() - 60) : match.start()]
        if _DOB_CUE.search(window):
            hits.append(PatternHit(match.start(), match.end(), "Date of birth", 0.9))
    return hits


def find_titled_names(text: str) -> list[PatternHit]:
    return [
        PatternHit(m.start(), m.end(), "Person", 0.85, "person")
        for m in _TITLED_NAME.finditer(text)
    ]


def find_practice_names(text: str, lowercase: bool = False) -> list[PatternHit]:
    """'<Words> Surgery' and the like; in (truecased) lowercase text also '<word> medical
    centre', where only the name word may have been capitalised."""
    hits = [
        PatternHit(m.start(), m.end(), "Other practice", 0.85, "organisation")
        for m in _PRACTICE_NAME.finditer(text)
    ]
    if lowercase:
        hits += [
            PatternHit(m.start(), m.end(), "Other practice", 0.8, "organisation")
            for m in _LOWER_PRACTICE_NAME.finditer(text)
            if (m.group(1) or m.group(2)).lower() not in _GENERIC_PRACTICE_WORDS
        ]
    return hits
