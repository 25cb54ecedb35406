"""Identifiers read from a unit's neighbours: answers to identity questions, numbers a
speaker's turn splits across units, table columns named by their header, and full dates
settled by their surroundings (dates of birth, `event_dates`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from fieldcorpus.deid.identifiers import (
    STREET_ADDRESS_ANY_CASE,
    PatternHit,
    answer_postcodes,
    classify_number,
    find_identifiers,
    number_runs,
    reduce_date,
)
from fieldcorpus.deid.textmatch import normalise
from fieldcorpus.deid.truecase import is_name_word, is_ordinary_word, stop_words

# What a question asks for, by the words that name it ("day to birth" is Whisper's "date of
# birth"; "your name's of birth" a misheard one).
QUESTION_TYPES = (
    ("Date of birth", re.compile(r"\b(?:birth|born|d\.?o\.?b|birthday)\b", re.I)),
    ("NHS number", re.compile(r"\bn\.?\s?h\.?\s?s\b", re.I)),
    ("Postcode", re.compile(r"\bpost[\s-]?code\b", re.I)),
    ("Address", re.compile(r"\baddress\b|\bwhere (?:do )?you live\b", re.I)),
    (
        "Phone",
        re.compile(
            r"\b(?:phone|mobile|telephone|landline|contact number|number to (?:call|ring|text))\b"
            r"|\byour (?:new )?number\b",
            re.I,
        ),
    ),
    (
        "Name",
        re.compile(
            r"\b(?:your|full|first|second|sur|last|family|maiden)\s?name\b"
            r"|\bwho am i (?:speaking|talking) to\b",
            re.I,
        ),
    ),
)
_ASKS = re.compile(
    r"\?|\b(?:can|could|would|will|may) (?:you|i|we)\b|\b(?:tell|give|confirm|check|spell)\b"
    r"|\bwhat(?:'s| is)\b|^\W*(?:and\s+)?your\b|\band your\b",
    re.I,
)
# An answer ends at most this many units after its question.
MAX_ANSWER_UNITS = 3
# Digits an answer must hold to be replaced as the number asked for: fewer would enter the
# ledger as a string replaced (and leak-checked) in every item of the practice.
MIN_ANSWER_DIGITS = 6
# Table headers that name an identifier: every cell below them is replaced.
COLUMN_TYPES = (
    ("Email", re.compile(r"\be-?mail\b")),
    ("NHS number", re.compile(r"\bnhs\b|\bchi (?:no|number)\b")),
    ("Date of birth", re.compile(r"\bd ?o ?b\b|\bdate of birth\b|\bbirth ?date\b|\bborn\b")),
    ("Postcode", re.compile(r"\bpost ?code\b|\bpostal code\b")),
    ("Address", re.compile(r"\baddress\b|\baddr\b|\bstreet\b")),
    ("Phone", re.compile(r"\btel\b|\bteleph|\bphone\b|\bmobile\b|\bmob\b|\bcontact no")),
    (
        "Person",
        re.compile(
            r"\bname\b|\bpatient\b|\bpatients\b|\bsurname\b|\bforename\b|\bfirst names?\b"
            r"|\bnext of kin\b|\bcarer\b|\bclient\b"
        ),
    ),
)
_EMPTY_CELL = re.compile(r"^(?:|-+|—|–|n/?a|none|nil|unknown|\[[^\]]*\])$", re.I)
_TABLE_ROW = re.compile(r"^\s*\|(.*)\|\s*$")
_DELIMITER_ROW = re.compile(r"^\s*\|(?:\s*:?-{3,}:?\s*\|)+\s*$")
_CELL_SEPARATOR = re.compile(r"(?<!\\)\|")
_NAME_WORD = re.compile(r"[A-Za-z][A-Za-z'’\-]*[A-Za-z]")
# What may stand between a person's name and their date of birth.
_BESIDE = re.compile(r"[\s,;:()\[\]\-–—/]*(?:(?:born|b\.|dob|d\.o\.b\.?)[\s,;:()\-–—/]*)?", re.I)


@dataclass(frozen=True)
class ContextHit:
    """A hit found from a unit's context: `unit_id` names the unit it lies in."""

    unit_id: str
    hit: PatternHit
    # The whole number as said across units: what the ledger records, so that no fragment
    # ('883') becomes a string replaced and leak-checked everywhere.
    surface: str


def asked_types(text: str) -> list[tuple[str, int]]:
    """(identifier type, offset where its answer may start in the same unit) for each thing a
    unit asks for."""
    if not _ASKS.search(text):
        return []
    asked = []
    for label, pattern in QUESTION_TYPES:
        found = pattern.search(text)
        if found:
            mark = text.find("?", found.end())
            asked.append((label, mark + 1 if mark >= 0 else len(text)))
    return asked


def answers(units: list[dict]) -> dict[str, list[tuple[str, int]]]:
    """Unit id -> (identifier type, offset) for every unit (or part of one) that answers an
    identity question: the other speaker's units up to the asker's next unit, or the next unit
    when there are no speaker labels."""
    found: dict[str, list[tuple[str, int]]] = {}
    for index, unit in enumerate(units):
        asked = asked_types(unit.get("text", ""))
        if not asked:
            continue
        for label, offset in asked:
            if offset < len(unit.get("text", "")):
                found.setdefault(unit["id"], []).append((label, offset))
        asker = unit.get("speaker") or ""
        for following in units[index + 1 : index + 1 + MAX_ANSWER_UNITS]:
            speaker = following.get("speaker") or ""
            if asker and speaker == asker:
                break
            for label, _ in asked:
                found.setdefault(following["id"], []).append((label, 0))
            if not (asker and speaker) or asked_types(following.get("text", "")):
                break
    return found


def answer_hits(text: str, label: str, offset: int, allow_list: frozenset[str]) -> list:
    """(PatternHit, source) for what an answer of type `label` holds, from `offset` on."""
    part = text[offset:]
    hits: list[tuple[PatternHit, str]] = []
    if label in ("NHS number", "Phone"):
        for run in number_runs(part):
            hit = classify_number(part, run, label)
            if hit and len(run.digits) >= MIN_ANSWER_DIGITS:
                hits.append((hit, "pattern"))
    elif label == "Date of birth":
        for hit in find_identifiers(part, answer=label):
            if hit.label == "Date of birth":
                hits.append((hit, "pattern"))
    elif label == "Address":
        for match in STREET_ADDRESS_ANY_CASE.finditer(part):
            hits.append((PatternHit(match.start(), match.end(), "Address", 0.8), "pattern"))
        hits += [(hit, "pattern") for hit in answer_postcodes(part)]
    elif label == "Postcode":
        for hit in find_identifiers(part):
            if hit.label == "Postcode":
                hits.append((hit, "pattern"))
        hits += [(hit, "pattern") for hit in answer_postcodes(part)]
    elif label == "Name":
        hits += [(hit, "answer") for hit in _name_words(part, allow_list)]
    return [(replace(h, start=h.start + offset, end=h.end + offset), s) for h, s in hits]


def _name_words(text: str, allow_list: frozenset[str]) -> list[PatternHit]:
    """Names in an answer to 'what is your name?': words that are not ordinary English (or are
    capitalised mid-sentence), not stop words, not allowed; neighbours form one name."""
    stop = stop_words()
    spans: list[list[int]] = []
    for match in _NAME_WORD.finditer(text):
        word, folded = match.group(), normalise(match.group())
        if folded in stop or folded in allow_list:
            continue
        sentence_start = (
            not text[: match.start()].strip() or text[: match.start()].rstrip()[-1] in ".?!"
        )
        capitalised = word[0].isupper() and not sentence_start
        if not (capitalised or is_name_word(word) or not is_ordinary_word(word)):
            continue
        if spans and not text[spans[-1][1] : match.start()].strip():
            spans[-1][1] = match.end()
        else:
            spans.append([match.start(), match.end()])
    return [PatternHit(s, e, "Person", 0.8, "person") for s, e in spans]


def turn_number_hits(units: list[dict]) -> list[ContextHit]:
    """Numbers a speaker's turn splits across units ('07700 900' | '883.'): the units of one
    turn are read as one text and each run that crosses a unit boundary is cut at it."""
    hits: list[ContextHit] = []
    for turn in _turns(units):
        if len(turn) < 2:
            continue
        pieces, starts, cursor = [], [], 0
        for unit in turn:
            starts.append(cursor)
            pieces.append(unit.get("text", ""))
            cursor += len(pieces[-1]) + 1
        joined = " ".join(pieces)
        for run in number_runs(joined):
            first = max(i for i, s in enumerate(starts) if s <= run.start)
            last = max(i for i, s in enumerate(starts) if s < run.end)
            if first == last:
                continue
            hit = classify_number(joined, run)
            if hit is None:
                continue
            for index in range(first, last + 1):
                begin = max(run.start, starts[index]) - starts[index]
                end = min(run.end, starts[index] + len(pieces[index])) - starts[index]
                piece = pieces[index]
                while end > begin and not piece[end - 1].isalnum():
                    end -= 1
                while begin < end and not (piece[begin].isalnum() or piece[begin] == "+"):
                    begin += 1
                if end > begin:
                    part = replace(hit, start=begin, end=end)
                    hits.append(ContextHit(turn[index]["id"], part, joined[run.start : run.end]))
    return hits


def _turns(units: list[dict]) -> list[list[dict]]:
    """Consecutive speech units of one speaker; unlabelled speech units join their unlabelled
    neighbours (the speaker is unknown: fail closed)."""
    turns: list[list[dict]] = []
    for unit in units:
        speaker = unit.get("speaker") or ""
        speech = "start" in unit
        last = turns[-1][-1] if turns else {}
        if speech and "start" in last and (last.get("speaker") or "") == speaker:
            turns[-1].append(unit)
        else:
            turns.append([unit])
    return turns


def turn_text_before(units: list[dict]) -> dict[str, str]:
    """Unit id -> the text of the same turn (and the question before it) that precedes it: an
    'NHS number' said in one unit explains the digits of the next."""
    before: dict[str, str] = {}
    previous = ""
    for unit in units:
        before[unit["id"]] = previous[-160:]
        previous = previous + " " + unit.get("text", "") if "start" in unit else ""
    return before


def table_column_hits(text: str) -> list[PatternHit]:
    """Every cell of a Markdown table column whose header names an identifier ('DOB', 'NHS
    no.', 'Tel', 'Patient'), whatever the cell holds."""
    rows = _table_rows(text)
    if not rows:
        return []
    columns = {c: label for c, (cell, _, _) in enumerate(rows[0]) if (label := column_type(cell))}
    hits = []
    for row in rows[1:]:
        for column, label in columns.items():
            if column >= len(row):
                continue
            cell, start, end = row[column]
            if _EMPTY_CELL.match(cell.strip()):
                continue
            if label == "Person" and not any(ch.isalpha() for ch in cell):
                continue  # a count under 'Patients' is not a name
            entity_type = "person" if label == "Person" else "identifier"
            hits.append(PatternHit(start, end, label, 0.9, entity_type))
    return hits


def column_type(header: str) -> str:
    folded = " ".join(re.sub(r"[^a-z0-9/\- ]+", " ", header.lower().replace(".", " ")).split())
    for label, pattern in COLUMN_TYPES:
        if pattern.search(folded):
            return label
    return ""


def _table_rows(text: str) -> list[list[tuple[str, int, int]]]:
    """Rows of a Markdown pipe table as (cell text, start, end) with offsets into `text`."""
    rows, offset = [], 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        if _TABLE_ROW.match(body) and not _DELIMITER_ROW.match(body):
            inner_start = offset + body.index("|") + 1
            inner = body[body.index("|") + 1 : body.rindex("|")]
            cells, cursor = [], 0
            for piece in _CELL_SEPARATOR.split(inner):
                stripped = piece.strip()
                lead = len(piece) - len(piece.lstrip())
                start = inner_start + cursor + lead
                cells.append((stripped, start, start + len(stripped)))
                cursor += len(piece) + 1
            rows.append(cells)
        offset += len(line)
    return rows


def unit_identifiers(
    unit: dict,
    before: str,
    answered: list[tuple[str, int]],
    split_numbers: list[ContextHit],
    collected_on: str,
    allow_list: frozenset[str],
) -> tuple[list[tuple[PatternHit, str]], list[PatternHit]]:
    """(hit, source, surface) triples and the full dates still to settle of one unit: its own
    identifiers, what it answers, numbers its turn split (their surface is the whole number),
    and its table columns. Answers come first so that, span for span, their label wins."""
    text = unit.get("text", "")
    hits: list[tuple[PatternHit, str, str]] = []
    for label, offset in answered:
        hits += [
            (h, s, text[h.start : h.end]) for h, s in answer_hits(text, label, offset, allow_list)
        ]
    hits += [(c.hit, "pattern", c.surface) for c in split_numbers]
    if unit.get("kind") == "table":
        for hit in table_column_hits(text):
            source = "column" if hit.entity_type == "person" else "pattern"
            hits.append((hit, source, text[hit.start : hit.end]))
    dates = []
    for hit in find_identifiers(text, before, collected_on=collected_on, speech="start" in unit):
        if hit.label == "Date":
            dates.append(hit)
        else:
            hits.append((hit, "pattern", text[hit.start : hit.end]))
    # A reviewed shape released on the allow-list stays: a number, or an identifier found by its
    # own shape (a practice's published postcode), unless the unit answers a question for that
    # kind of identifier (a postcode answers an address question too).
    asked = {label for label, _ in answered}
    if "Address" in asked:
        asked.add("Postcode")
    kept = [
        (hit, source, surface)
        for hit, source, surface in hits
        if not (
            (hit.label == "Number" or (source == "pattern" and hit.label not in asked))
            and normalise(surface) in allow_list
        )
    ]
    return kept, dates


def settle_dates(
    dates: list[PatternHit],
    people: list[tuple[int, int]],
    text: str,
    clinical: bool,
    event_dates: str,
) -> list[tuple[PatternHit, str]]:
    """(hit, pseudonym) for full dates found without a birth cue: a birth-plausible one in a
    clinical exchange or beside a person is a date of birth; the others follow `event_dates`
    (keep: left as they are; month: 'April 2021'; year: '2021')."""
    settled = []
    for hit in dates:
        if hit.birth_plausible and (clinical or _person_near(hit, people, text)):
            born = replace(hit, label="Date of birth", entity_type="identifier", score=0.85)
            settled.append((born, "[Date of birth]"))
        elif event_dates in ("month", "year"):
            reduced = reduce_date(text[hit.start : hit.end], event_dates)
            settled.append((replace(hit, score=1.0), reduced))
    return settled


def _person_near(date: PatternHit, people: list[tuple[int, int]], text: str) -> bool:
    """A person's name right beside the date, nothing but punctuation or a birth word between
    ('Helen Carter, 4 July 1970', 'Price (b. 12/04/1983)'); 'saw Helen on 12 May' is an event."""
    for start, end in people:
        between = text[min(end, date.end) : max(start, date.start)]
        if _BESIDE.fullmatch(between):
            return True
    return False
