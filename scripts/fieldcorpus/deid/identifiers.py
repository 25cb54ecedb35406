"""UK direct identifiers found by pattern: NHS number (mod-11), postcode, phone, email, NI
number, dates of birth, street addresses, numbers as ASR writes them, plus titled names and
practice names."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class PatternHit:
    start: int
    end: int
    label: str
    score: float
    entity_type: str = "identifier"
    birth_plausible: bool = False


def nhs_number_is_valid(digits: str) -> bool:
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


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
_MONTH_NAMES = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)  # fmt: skip
_MONTHS = "|".join([*_MONTH_NAMES, "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sept", "sep"])
_MONTHS += "|oct|nov|dec"
_ORDINAL_WORDS = (
    "first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|"
    "thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|"
    "twenty[- ](?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)|thirtieth|"
    "thirty[- ]first"
)
_DAY = rf"(?:\d{{1,2}}(?:st|nd|rd|th)?|{_ORDINAL_WORDS})"
_SPOKEN_YEAR = re.compile(
    r"\b(nineteen|twenty)[\s-]+((?:oh[\s-]+)?(?:one|two|three|four|five|six|seven|eight|nine)\b"
    r"|(?:ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen)\b"
    r"|(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)"
    r"(?:[\s-]+(?:one|two|three|four|five|six|seven|eight|nine)\b)?)",
    re.IGNORECASE,
)
_YEAR = rf"(?:(?:19|20)\d\d(?!\d)|'?\d\d(?!\d)|{_SPOKEN_YEAR.pattern})"
# A full date: day, month and year, as written or said ("the 12th of April 1983", "April the
# 12th, 1983", "the first of August, 1960", "12/04/83", "1983-04-12").
_FULL_DATE_TEXT = (
    rf"(?:the\s+)?{_DAY}(?:\s+of\s+|[\s\-/.]+)(?:{_MONTHS})\.?(?:,?\s+|[\-/.]){_YEAR}"
    rf"|(?:{_MONTHS})\.?\s+(?:the\s+)?{_DAY},?\s+{_YEAR}"
    r"|(?:0?[1-9]|[12]\d|3[01])(?P<sep>[/.\-])(?:0?[1-9]|1[0-2])(?P=sep)(?:\d{4}|\d\d)(?!\d)"
    r"|(?:19|20)\d\d-\d\d-\d\d"
)
_FULL_DATE = re.compile(_FULL_DATE_TEXT, re.IGNORECASE)
_DATE = re.compile(
    rf"(?<![\w/.\-])(?:{_FULL_DATE_TEXT}|(?:the\s+)?{_DAY}(?:\s+of)\s+(?:{_MONTHS})\b"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTHS})\b|(?:{_MONTHS})\.?\s+(?:19|20)\d\d)",
    re.IGNORECASE,
)
# Dates of birth are at least this many years before the collection date (younger children
# are not clinic interviewees; later full dates are events).
MIN_AGE_YEARS = 5
# "14 Meadow Road", "3a St John's Close": a house number, up to four name words, a street word.
_STREET_WORDS = (
    "Road|Rd|Street|St|Lane|Ln|Avenue|Ave|Close|Drive|Way|Crescent|Court|Place|Gardens|Terrace"
    "|Grove|Hill|Park|Row|Walk|Square|Mews|Rise|View|Parade|Green|Gate|Fold|Brow|Croft|Meadows"
)
_STREET_ADDRESS = re.compile(
    rf"\b\d{{1,4}}[A-Za-z]?,?\s+(?:(?:St\.?\s+)?[A-Z][A-Za-z'’\-]+\s+){{1,4}}(?:{_STREET_WORDS})\b"
)
STREET_ADDRESS_ANY_CASE = re.compile(_STREET_ADDRESS.pattern, re.IGNORECASE)
_DOB_CUE = re.compile(
    r"\b(?:born|d\.?o\.?b\.?|(?:of|to) birth|birth ?date|birthday)\b",
    re.IGNORECASE,
)
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
# Numbers as people say them and ASR writes them: figures, digit words ("oh", "O", "double
# seven"), teens, tens and hundreds ("seven hundred", "fifty four").
_UNIT_WORDS = {
    "zero": "0", "oh": "0", "o": "0", "nought": "0", "one": "1", "two": "2", "three": "3",
    "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
}  # fmt: skip
_TEEN_WORDS = {
    "ten": "10", "eleven": "11", "twelve": "12", "thirteen": "13", "fourteen": "14",
    "fifteen": "15", "sixteen": "16", "seventeen": "17", "eighteen": "18", "nineteen": "19",
}  # fmt: skip
_TENS_WORDS = {
    "twenty": "2", "thirty": "3", "forty": "4", "fifty": "5", "sixty": "6", "seventy": "7",
    "eighty": "8", "ninety": "9",
}  # fmt: skip
_REPEATS = {"double": 2, "treble": 3, "triple": 3}
# An age in figures or words ("47", "forty-seven", "nine"), stated as one.
_AGE_NUMBER = (
    rf"\d{{1,3}}|(?:{'|'.join(_TENS_WORDS)})(?:[\s-]+(?:{'|'.join(list(_UNIT_WORDS)[4:])}))?"
    rf"|{'|'.join(_TEEN_WORDS)}|{'|'.join(list(_UNIT_WORDS)[4:])}"
)
_AGE = re.compile(
    rf"\b(?:aged?\s+(?:is\s+)?(?P<a>{_AGE_NUMBER})"
    rf"|(?P<b>{_AGE_NUMBER})\s*-?\s*(?:years?|yrs?)\s*-?\s*old|turned\s+(?P<d>{_AGE_NUMBER})"
    r"|(?P<e>\d{1,3})(?:st|nd|rd|th)\s+birthday)\b",
    re.IGNORECASE,
)
_NUMBER_WORDS = "|".join([*_UNIT_WORDS, *_TEEN_WORDS, *_TENS_WORDS, *_REPEATS, "hundred"])
_NUMBER_TOKEN = re.compile(rf"(?<![A-Za-z\d])\d+(?![A-Za-z\d])|\b(?:{_NUMBER_WORDS})\b", re.I)
# What Whisper puts between the digits of one number: spaces, commas, full stops, hyphens,
# question marks, brackets ("077009023? 3.", "999 -7900749", "+44 (0)116 4960418").
_NUMBER_GAP = re.compile(r"[\s,.\-–—/()?!+]{0,4}")
# In speech a few filler words may fall between the groups of one number ("7 7 O O, I know,
# low, 2 8 7"), but only with punctuation around them.
_FILLER_GAP = re.compile(
    r"(?=.*[,.\-–?])[\s,.\-–—?!]*(?:(?:um|uh|er|erm|sorry|i know|low|it's|that's|so|then)"
    r"[\s,.\-–—?!]+){1,2}",
    re.I,
)
_AND_GAP = re.compile(r"\s+and\s+", re.I)
# Letters that stand for digits when glued to figures: "O7700 900123", "07700 9OO123".
_LETTER_DIGITS = str.maketrans("OoIl", "0011")
_GLUED_LETTER = re.compile(
    r"(?<=\d)[OoIl]+(?=\d)|(?<![A-Za-z])[Oo](?=\d{2})|(?<=\d{2})[Oo](?![A-Za-z])"
)
# Digits that are not one identifier: dates, clock times and year ranges are read first.
_TIME = re.compile(
    r"\b\d{1,2}(?:[:.]\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)|\b\d{1,2}:\d{2}\b"
    r"|\b(?:[01]?\d|2[0-3])[.:][0-5]\d\s?[-–]\s?(?:[01]?\d|2[0-3])[.:][0-5]\d\b"
    r"|\b(?:19|20)\d\d\s?[-–/]\s?(?:(?:19|20)\d\d|\d\d)\b",
    re.I,
)
_YEARS_ONLY = re.compile(r"(?:(?:19|20)\d\d[\s,.\-–/]*)+")
_CURRENCY = re.compile(r"[£$€]\s?$")
# Where the digits of an NHS number may be announced.
_NHS_CUE = re.compile(r"\bn\.?\s?h\.?\s?s\b|\bhealth (?:service|care) number\b", re.I)
# Bare 7+ digit runs in speech nothing explains are replaced: fail closed, review.
MIN_UNEXPLAINED_DIGITS = 7
# A postcode glued to the word before it by ASR ("Post-COPR1 5LT"): the inward code is uppercase.
_GLUED_POSTCODE = re.compile(r"\b[A-Z]*[A-Z]{1,2}\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2}\b")
# A postcode spelt out or split by ASR: "PR-1, 5-L-T", "p r one five l t", "VL3, 5HT" (ASR
# mishears the outward letters, so any letter stands there; the inward code keeps its shape).
_POSTCODE_FULL = re.compile(
    r"(?:GIR0AA|[A-Z][A-Z]?[0-9][A-Z0-9]?[0-9][ABD-HJLNP-UW-Z]{2})", re.IGNORECASE
)
# In an answer to "what's your postcode / address?": what is left of one that ASR garbled
# ("L-S-6-2-B" for LS6 2AB): an outward code, then perhaps part of the inward code.
_POSTCODE_PART = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]?(?:[0-9][A-Z]{0,2})?", re.IGNORECASE)
_CHUNK = re.compile(r"[A-Za-z0-9]+")
_CHUNK_GAP = re.compile(r"^[\s,.\-]{1,3}$")


@dataclass(frozen=True)
class NumberRun:
    start: int
    end: int
    digits: str
    spoken: bool


def _number_tokens(text: str, speech: bool):
    """Runs of number tokens that belong to one number, each as a list of (match, gap before)."""
    run: list = []
    for match in _NUMBER_TOKEN.finditer(text):
        if run:
            gap = text[run[-1][0].end() : match.start()]
            joined = (
                _NUMBER_GAP.fullmatch(gap)
                or (speech and _FILLER_GAP.fullmatch(gap))
                or (run[-1][0].group().lower() == "hundred" and _AND_GAP.fullmatch(gap))
            )
            if not joined:
                yield run
                run = []
        run.append((match, text[run[-1][0].end() : match.start()] if run else ""))
    if run:
        yield run


def _digits_of(run) -> str:
    """The digits a run of tokens says: 'double seven' 77, 'fifty four' 54, 'nine hundred' 900."""
    words = [(m.group().lower(), gap) for m, gap in run]
    digits, repeat, index = [], 1, 0
    while index < len(words):
        word = words[index][0]
        following = words[index + 1] if index + 1 < len(words) else ("", "")
        if word in _REPEATS:
            repeat = _REPEATS[word]
            index += 1
            continue
        if word.isdigit():
            piece = word
        elif word in _UNIT_WORDS:
            piece = _UNIT_WORDS[word]
        elif word in _TEEN_WORDS:
            piece = _TEEN_WORDS[word]
        elif word in _TENS_WORDS:
            unit = following[0] if following[1].strip(" -") == "" else ""
            if unit in _UNIT_WORDS and _UNIT_WORDS[unit] != "0":
                piece = _TENS_WORDS[word] + _UNIT_WORDS[unit]
                index += 1
            else:
                piece = _TENS_WORDS[word] + "0"
        else:  # hundred: 'nine hundred' 900, 'nine hundred and five' 905, 'hundred' 100
            if not digits:
                digits.append("1")
            rest = following[0]
            if rest in _TENS_WORDS or rest in _TEEN_WORDS:
                piece = ""
            elif rest in _UNIT_WORDS and _AND_GAP.fullmatch(following[1]):
                piece = "0"
            else:
                piece = "00"
        digits.append(piece * repeat if len(piece) == 1 else piece)
        repeat = 1
        index += 1
    return "".join(digits)


def _masked(text: str) -> str:
    """`text` with dates and clock times blanked and the letters ASR writes for digits inside
    numbers read as digits ('O7700' 07700, 'l5' 15), all in place, so offsets stay."""
    for pattern in (_DATE, _TIME):
        text = pattern.sub(lambda m: "#" * len(m.group()), text)
    return _GLUED_LETTER.sub(lambda m: m.group().translate(_LETTER_DIGITS), text)


def number_runs(text: str, speech: bool = True) -> list[NumberRun]:
    """Every run of figures and number words that reads as one number."""
    runs = []
    for run in _number_tokens(_masked(text), speech):
        spoken = any(not m.group().isdigit() for m, _ in run)
        if spoken and len(run) < 3:
            continue
        start, end = run[0][0].start(), run[-1][0].end()
        if start and text[start - 1] == "+" or text[max(0, start - 2) : start] == "+ ":
            start = text.rindex("+", 0, start)
        if start and text[start - 1] == "(" and ")" in text[start:end]:
            start -= 1  # the bracket of '(01632) 960 578' goes with the number
        runs.append(NumberRun(start, end, _digits_of(run), spoken))
    return runs


def classify_number(
    text: str, run: NumberRun, answer: str = "", before: str = ""
) -> PatternHit | None:
    """What a run of digits is: an NHS number (valid, or in an NHS context whatever the mod-11
    result: a misheard digit must not release it), a UK phone number in any written or
    international form, or, from 7 digits, an unexplained number to replace and review."""
    digits, surface = run.digits, text[run.start : run.end]
    context = (before + " " + text[max(0, run.start - 80) : run.start])[-120:]
    nhs_context = answer == "NHS number" or bool(_NHS_CUE.search(context))
    national = digits
    if surface.startswith("+") and digits.startswith("44"):
        national = "0" + digits[2:].removeprefix("0")
    elif digits.startswith("0044"):
        national = "0" + digits[4:].removeprefix("0")
    hit = None
    if len(digits) == 10 and nhs_number_is_valid(digits):
        hit = ("NHS number", 0.95 if run.spoken else 0.99)
    elif national.startswith("0") and len(national) in (10, 11) and answer != "NHS number":
        hit = ("Phone", 0.9)
    elif nhs_context and 9 <= len(digits) <= 11:
        hit = ("NHS number", 0.85 if len(digits) == 10 else 0.8)
    elif answer in ("Phone", "NHS number") and len(digits) >= 4:
        hit = (answer, 0.85)
    elif national.startswith("0") and 9 <= len(national) <= 13 and national[1] in "12378":
        hit = ("Phone", 0.8)
    elif (
        len(digits) >= MIN_UNEXPLAINED_DIGITS
        and not _YEARS_ONLY.fullmatch(surface)
        and not _CURRENCY.search(text[max(0, run.start - 2) : run.start])
    ):
        hit = ("Number", 0.6)
    if hit is None:
        return None
    return PatternHit(run.start, run.end, hit[0], hit[1])


def _split_postcodes(text: str, answer: bool = False) -> list[PatternHit]:
    """Postcodes split into pieces ('PR-1, 5-L-T') or spelt with digit words ('p r one five l
    t'): consecutive short pieces that join into a full postcode (in an answer to a postcode or
    address question, into part of one)."""
    shape = _POSTCODE_PART if answer else _POSTCODE_FULL
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
            joined += _UNIT_WORDS.get(piece.lower(), piece) if len(piece) > 2 else piece
            if len(joined) > 7:
                break
            if (last > index or answer) and shape.fullmatch(joined):
                found = last
        if found is None:
            index += 1
            continue
        hits.append(PatternHit(chunks[index].start(), chunks[found].end(), "Postcode", 0.85))
        index = found + 1
    return hits


def full_date_year(text: str) -> int | None:
    """The year of a date as written ('12th of April 1983', '12/04/83', 'nineteen sixty')."""
    found = re.search(r"(?<!\d)((?:19|20)\d\d)(?!\d)", text)
    if found:
        return int(found.group(1))
    spoken = _SPOKEN_YEAR.search(text)
    if spoken:
        century = 1900 if spoken.group(1).lower() == "nineteen" else 2000
        tokens = [(m, " ") for m in _NUMBER_TOKEN.finditer(spoken.group(2))]
        return century + int(_digits_of(tokens)[-2:] or 0)
    short = re.search(r"(?<!\d)'?(\d\d)\s*$", text)
    if short:
        value = int(short.group(1))
        return 2000 + value if value <= 25 else 1900 + value
    return None


def birth_plausible(year: int | None, collected_on: str = "") -> bool:
    """A year that makes a person at least 5 years old on the collection date (and alive)."""
    if year is None:
        return False
    reference = _reference_year(collected_on)
    return reference - 115 <= year <= reference - MIN_AGE_YEARS


def _after_collection(year: int | None, collected_on: str) -> bool:
    return year is not None and year > _reference_year(collected_on)


def _reference_year(collected_on: str) -> int:
    try:
        return dt.date.fromisoformat(collected_on).year
    except ValueError:
        return dt.date.today().year


def find_identifiers(
    text: str,
    before: str = "",
    answer: str = "",
    collected_on: str = "",
    speech: bool = True,
) -> list[PatternHit]:
    """Identifiers in one unit. `before` is the text of the turn before it, `answer` the
    identifier a question just asked for; full dates with no birth cue come back labelled
    'Date' (birth_plausible set when the year allows) for the caller to settle."""
    hits: list[PatternHit] = []
    for run in number_runs(text, speech):
        hit = classify_number(text, run, answer, before)
        if hit:
            hits.append(hit)
    hits += _split_postcodes(text)
    for age in find_ages(text):
        if 90 <= age.age <= 125:
            hits.append(PatternHit(age.start, age.end, "Age over 89", 0.9))
    for match in _POSTCODE.finditer(text):
        hits.append(PatternHit(match.start(), match.end(), "Postcode", 0.9))
    for match in _GLUED_POSTCODE.finditer(text):
        hits.append(PatternHit(match.start(), match.end(), "Postcode", 0.85))
    for match in _EMAIL.finditer(text):
        hits.append(PatternHit(match.start(), match.end(), "Email", 0.99))
    for match in _URL.finditer(text):
        hits.append(PatternHit(match.start(), match.end(), "URL", 0.9))
    for match in _NI_NUMBER.finditer(text):
        hits.append(PatternHit(match.start(), match.end(), "NI number", 0.9))
    for match in _STREET_ADDRESS.finditer(text):
        hits.append(PatternHit(match.start(), match.end(), "Address", 0.85))
    for match in _DATE.finditer(text):
        window = (before + " " + text[max(0, match.start() - 60) : match.start()])[-80:]
        year = full_date_year(match.group()) if _FULL_DATE.fullmatch(match.group()) else None
        cued = _DOB_CUE.search(window) and not _after_collection(year, collected_on)
        if cued or answer == "Date of birth":
            hits.append(PatternHit(match.start(), match.end(), "Date of birth", 0.9))
        elif year is not None:
            plausible = birth_plausible(year, collected_on)
            hits.append(PatternHit(match.start(), match.end(), "Date", 0.9, "date", plausible))
    return hits


@dataclass(frozen=True)
class AgeHit:
    """A stated age: the phrase (start, end), the age, and where its number stands."""

    start: int
    end: int
    age: int
    number_start: int
    number_end: int

    def generalised(self, text: str, band: str) -> str:
        """The phrase with its age as `band`: 'aged 47' and '47 years old' become the band
        alone, 'turned 52' keeps its verb, 'her 47th birthday' its noun."""
        if text[self.number_end : self.end].lower().replace("-", " ").split()[:2] in (
            ["years", "old"],
            ["year", "old"],
            ["yrs", "old"],
            ["yr", "old"],
        ) or text[self.start : self.number_start].lower().startswith("age"):
            return band
        suffix = re.sub(r"^(?:st|nd|rd|th)", "", text[self.number_end : self.end])
        return text[self.start : self.number_start] + band + suffix


def find_ages(text: str) -> list[AgeHit]:
    """Every stated age: 'aged 47', '47 years old', 'a 47-year-old', 'forty-seven years old',
    'turned 47', 'her 47th birthday'. The phrase is what the ledger keeps, so that it is replaced
    wherever it recurs, never a bare number."""
    found = []
    for match in _AGE.finditer(text):
        group = match.lastgroup
        found.append(
            AgeHit(
                match.start(),
                match.end(),
                _age_value(match.group(group)),
                match.start(group),
                match.end(group),
            )  # fmt: skip
        )
    return found


def _age_value(said: str) -> int:
    if said.isdigit():
        return int(said)
    words = re.split(r"[\s-]+", said.lower())
    if words[0] in _TENS_WORDS:
        return int(_TENS_WORDS[words[0]]) * 10 + (int(_UNIT_WORDS[words[1]]) if words[1:] else 0)
    return int(_TEEN_WORDS.get(words[0]) or _UNIT_WORDS[words[0]])


def find_full_dates(text: str) -> list[tuple[int, int]]:
    """(start, end) of every date given to the day, with its year ('12 April 2021')."""
    return [
        (m.start(), m.end())
        for m in _DATE.finditer(text)
        if _FULL_DATE.fullmatch(m.group()) and full_date_year(m.group()) is not None
    ]


def reduce_date(text: str, keep: str) -> str:
    """A full date cut to its month and year ('April 2021') or its year ('2021')."""
    year = full_date_year(text)
    if year is None:
        return "[Date]"
    if keep == "year":
        return str(year)
    month = re.search(rf"\b({_MONTHS})\b", text, re.I)
    if month:
        name = month.group(1).lower()
        full = next(m for m in _MONTH_NAMES if m.startswith(name[:3]))
        return f"{full.capitalize()} {year}"
    numeric = re.match(r"\s*(?:(19|20)\d\d-(\d\d)|\d{1,2}[/.\-](\d{1,2}))", text)
    if numeric:
        number = int(numeric.group(2) or numeric.group(3))
        if 1 <= number <= 12:
            return f"{_MONTH_NAMES[number - 1].capitalize()} {year}"
    return str(year)


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


def answer_postcodes(text: str) -> list[PatternHit]:
    """Postcodes, whole or garbled, in the answer to a postcode or address question."""
    return _split_postcodes(text, answer=True)
