"""The demo's identifiers as Whisper and the document extractors write them: answers to the
clinic's identity questions, numbers split by Whisper's punctuation and the audit table's
identifier columns never reach shareable/ (checked with scans written here, not the
pipeline's own patterns)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

# Seven or more digits with anything Whisper puts between them.
DIGIT_RUN = re.compile(r"\d(?:[\s,.\-–?()/+]{0,3}\d){6,}")
MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
FULL_DATE = re.compile(
    rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTH}\.?,?\s+(?P<a>\d{{4}})\b"
    rf"|\b{MONTH}\s+(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?P<b>\d{{4}})\b"
    r"|\b\d{1,2}[/.]\d{1,2}[/.](?P<c>\d{4})\b",
    re.IGNORECASE,
)


def shareable_items(workdir: Path) -> list[dict]:
    items = sorted((workdir / "results" / "shareable" / "items").glob("*/*.json"))
    assert items, "the demo run wrote no shareable items"
    return [json.loads(path.read_text(encoding="utf-8")) for path in items]


def unit_texts(item: dict) -> list[tuple[str, str]]:
    return [(unit["id"], unit.get("text", "")) for unit in item["units"]]


def test_no_digit_run_of_seven_or_more_reaches_shareable(demo_run):
    for item in shareable_items(demo_run):
        for unit_id, text in unit_texts(item):
            found = DIGIT_RUN.search(text)
            assert not found, f"{item['item']['item_id']} {unit_id}: a 7+ digit run survived"


def test_no_birth_plausible_full_date_reaches_a_clinic_review(demo_run):
    for item in shareable_items(demo_run):
        if item["item"]["kind"] != "clinic_review":
            continue
        collected = dt.date.fromisoformat(item["item"]["collected_on"])
        for unit_id, text in unit_texts(item):
            for match in FULL_DATE.finditer(text):
                year = int(match.group("a") or match.group("b") or match.group("c"))
                assert year > collected.year - 5, f"{item['item']['item_id']} {unit_id}"


def test_every_clinic_review_replaces_the_date_of_birth_it_asks_for(demo_run):
    clinics = [i for i in shareable_items(demo_run) if i["item"]["kind"] == "clinic_review"]
    assert len(clinics) == 4
    for item in clinics:
        text = " ".join(t for _, t in unit_texts(item))
        assert "[Date of birth]" in text, item["item"]["item_id"]
        assert "[NHS number]" in text, item["item"]["item_id"]


def test_the_audit_tables_identifier_columns_hold_only_pseudonyms(demo_run):
    from fieldcorpus.units import table_cells

    (item,) = [i for i in shareable_items(demo_run) if i["item"]["item_id"] == "P01-W2-DOC-01"]
    (table,) = [u for u in item["units"] if u.get("kind") == "table"]
    header, *rows = table_cells(table["text"])
    assert rows
    for column, name in enumerate(header):
        if name in ("Patient", "NHS number", "Date of birth"):
            assert all(re.fullmatch(r"\[[A-Za-z ]+\d*\]", row[column]) for row in rows), name
