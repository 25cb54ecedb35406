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
    r"|\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4})",
    re.IGNORECASE,
)
_DOB_CUE = re.compile(r"\b(?:born|d\.?o\.?b\.?|date of birth|birthday)\b", re.IGNORECASE)
_TITLED_NAME = re.compile(
    r"\b(?:Dr|Doctor|Nurse|Sister|Mr|Mrs|Ms|Miss)\.?\s+([A-Z][a-z]+(?:[-'’][A-Z]?[a-z]+)?)"
)
_PRACTICE_NAME = re.compile(
    r"\b((?:[A-Z][a-z]+\s){1,3})(?:Surgery|Medical Centre|Health Centre|Medical Practice)\b"
)


def find_identifiers(text: str) -> list[PatternHit]:
    hits: list[PatternHit] = []
    for match in _DIGIT_RUN.finditer(text):
        start, end = match.start(), match.end()
        while text[end - 1] in " \t,.-–/(":
            end -= 1
        digits = "".join(ch for ch in match.group() if ch.isdigit())
        context = text[max(0, start - 40) : start].lower()
        if len(digits) == 10 and nhs_number_is_valid(digits):
            hits.append(PatternHit(start, end, "NHS number", 0.99))
        elif len(digits) == 10 and "nhs" in context:
            hits.append(PatternHit(start, end, "NHS number", 0.7))
        elif (digits.startswith("0") and len(digits) in (10, 11)) or (
            digits.startswith("44") and len(digits) in (11, 12) and "+" in match.group()
        ):
            hits.append(PatternHit(start, end, "Phone", 0.9))
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


def find_practice_names(text: str) -> list[PatternHit]:
    return [
        PatternHit(m.start(), m.end(), "Organisation", 0.85, "organisation")
        for m in _PRACTICE_NAME.finditer(text)
    ]
