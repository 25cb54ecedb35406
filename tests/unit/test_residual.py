"""The residual-identifier gate: identifier shapes as ASR and documents write them, found in
text and never in structure, whatever shareable format carries the text."""

import copy
import json

import pytest
from fieldcorpus.corpus.jobs import (
    assemble_study_corpus,
    build_casebook,
    export_practice_qdpx,
    summarise_practice,
)
from fieldcorpus.deid.jobs import pseudonymise_item
from fieldcorpus.deid.residual import Release, find_shapes, read_hits, scan_tree, scan_units
from fieldcorpus.errors import FieldcorpusError
from fieldcorpus.transcribe.jobs import render_shareable_transcript

from tests.support.items import document_item, speech_item, write_items

NOTHING = Release(frozenset())

# Every shape the issue lists, as Whisper (or a document) writes it; fictional identifiers only.
PLANTED = [
    ("My NHS number is 999 -7900749.", "NHS number shape"),
    ("It's 999 790 0749, I think.", "NHS number shape"),
    ("Yes, it's 077009080. 883.", "phone shape"),
    ("Call me on 077009023? 3.", "phone shape"),
    ("It's 07700, 9000, 419.", "phone shape"),
    ("Ring +44(0)20 74960338 any time.", "phone shape"),
    ("Mobile +44(0)7700900947.", "phone shape"),
    ("The desk is +44 (0)116 4960418.", "phone shape"),
    ("Or 0044 1632 960 123 from abroad.", "phone shape"),
    ("It's I-99-096-6540.", "digit run"),
    ("low 7 7 O O, I know, low, 2 8 7", "spoken digit run"),
    ("It's seven, seven, er, zero zero, you know, nine oh oh one", "spoken digit run"),
    ("I read 9.9, 0.9, 1.615 off the card.", "digit run"),
    ("seven seven oh oh nine double oh one two three", "NHS number shape"),
    ("It's the 12th of April 1983.", "birth-plausible date"),
    ("The first of August, 1960.", "birth-plausible date"),
    ("| DOB | 23 May 1991 |", "birth-plausible date"),
    ("Born 12/04/1983.", "birth-plausible date"),
    ("April 12, 1983 it was.", "birth-plausible date"),
    ("My NI number is QQ 12 34 56 C.", "NI number shape"),
    ("We live at LS1 4AB now.", "postcode shape"),
    ("Thanks. Post-COPR1 5LT.", "postcode shape"),
    ("Yes, 14 [Address], VL3, 5HT.", "postcode shape"),
    ("Email amy.fry@example.com please.", "email shape"),
    ("See www.example-surgery.co.uk for it.", "URL shape"),
]


@pytest.mark.parametrize(("text", "kind"), PLANTED)
def test_each_planted_form_is_one_hit_of_its_kind(text, kind):
    shapes = find_shapes(text, 2025)
    assert [shape.kind for shape in shapes] == [kind]


ORDINARY = [
    "[00:01:02] S1: we changed it in 2019, 2020 and 2021.",
    "We met at 10:30, 11:45 and 12:00 on 14 March 2025.",
    "A £1,250,000 budget for the PCN.",
    "HbA1c went 48, 52, 55 and then 49.",
    "[Nurse 1], [Nurse 2], [Nurse 3], [Nurse 4], [Nurse 5], [Nurse 6], [Nurse 7] came.",
    "Vitamin B12 6MG daily, salbutamol 100 micrograms, 2 puffs.",
    "Of 312 patients, 41 had a review; 7 of 10 used a spacer.",
    "Review due 03/04/2024; audit week 12.",
    "sha256 9f3a1234567bc0de",
    "Take 2 puffs, 1 in the morning and 1 at night, for 3 to 4 weeks, then 2.",
    "Page 3 of 8; items 1, 2 and 5 done.",
    "Hold it, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, and breathe out.",
    "Ten, nine, eight, seven, six, five, four, three, go.",
]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_text_holds_no_shape(text):
    assert find_shapes(text, 2025) == []


def test_a_number_split_across_a_speakers_units_is_one_hit_naming_both_units():
    units = speech_item(
        "P01-W1-CLN-01",
        "P01",
        1,
        "2025-03-13",
        turns=[
            (0.0, 2.0, "S1", "And your mobile?"),
            (2.0, 4.0, "S2", "It's 07700."),
            (4.0, 6.0, "S2", "900, 419."),
            (6.0, 8.0, "S1", "Thanks, 9 0 0."),
        ],
    )["units"]
    hits = scan_units("P01-W1-CLN-01", units, "2025-03-13", NOTHING)
    assert [(h["unit_id"], h["kind"]) for h in hits] == [("u00002+u00003", "phone shape")]
    assert hits[0]["text"] == "07700. 900, 419" and "[[07700. 900, 419]]" in hits[0]["context"]


def test_a_birth_plausible_year_is_measured_from_the_items_collection():
    units = [{"id": "p1", "text": "Started on 2 May 2019.", "page": 1}]
    assert scan_units("I1", units, "2025-03-13", NOTHING)[0]["kind"] == "birth-plausible date"
    assert scan_units("I1", units, "2020-03-13", NOTHING) == []


def test_the_allow_list_releases_a_reviewed_shape_however_it_is_spaced():
    units = [{"id": "p1", "text": "Helpline 01632 960 000, postcode LS1 4AB.", "page": 1}]
    release = Release(frozenset({"01632960000", "ls1 4ab"}))
    assert scan_units("I1", units, "2025-03-13", release) == []
    assert len(scan_units("I1", units, "2025-03-13", Release(frozenset({"01632960000"})))) == 1
    assert Release(frozenset({"077009080. 883"})).releases("077009080")
    assert not Release(frozenset({"077009080. 883"})).releases("077009080 884")


CLEAN_TURNS = [
    (3723.5, 3727.25, "S1", "Can you tell me about the review in 2019, 2020 and 2021?"),
    (3727.25, 3731.0, "S2", "[Patient 1] comes at 10:30; [Nurse 1] checks 3 inhalers."),
    (3731.0, 3735.0, "S1", "Thank you, [Nurse 1]."),
]


def shareable_tree(root, planted: str | None = None):
    """Every shareable format of one recording and one document, made by the shipped jobs;
    `planted` is put into the recording's second unit and the document's table."""
    recording = speech_item("P01-W1-INT-01", "P01", 1, "2019-05-01", turns=CLEAN_TURNS)
    table = "| Name | DOB | Role |\n|---|---|---|\n| [Person 1] | [Date of birth] | patient |"
    document = document_item(
        "P01-W1-DOC-01",
        "P01",
        1,
        "2019-05-02",
        blocks=[(1, "Audit 2019-04-30: 312 patients.", False), (1, table, False)],
    )
    if planted:
        recording = copy.deepcopy(recording)
        recording["units"][1]["text"] += f" It's {planted}."
        document["units"][1]["text"] = table.replace("patient |", f"{planted} |")
    items = [str(p) for p in write_items(root, [recording, document])]
    stem = root / "items" / "P01" / "P01-W1-INT-01"
    outputs = {
        key: f"{stem}.{fmt}"
        for key, fmt in (("txt", "txt"), ("vtt", "vtt"), ("srt", "srt"), ("docx", "docx"))
    }
    outputs["maxqda_txt"] = f"{stem}.maxqda.txt"
    render_shareable_transcript(items[0], outputs, {"pause_marks": True})
    corpus = root / "corpus" / "P01"
    assemble_study_corpus(
        items,
        str(corpus / "corpus.parquet"),
        str(corpus / "corpus.csv"),
        {},
        str(corpus / "corpus.jsonl"),
        str(corpus / "data-dictionary.md"),
    )
    casebook = root / "casebook" / "P01"
    build_casebook(items, "P01", str(casebook / "casebook.md"), str(casebook / "casebook.html"))
    export_practice_qdpx(items, [outputs["docx"]], str(root / "qda" / "P01.qdpx"), "Study P01")
    summary = root / "summaries" / "P01"
    summarise_practice(items, "P01", str(summary / "summary.tsv"), str(summary / "t.png"), 50)
    return root


IDS = {"P01-W1-INT-01", "P01-W1-DOC-01"}


def test_no_format_fires_on_its_structure(tmp_path):
    """Cue timings, turn stamps, item ids, ISO collection dates, numeric corpus columns,
    summary counts and markup are structure: a clean study has no hit in any file."""
    root = shareable_tree(tmp_path / "shareable")
    assert scan_tree(root, IDS, NOTHING) == []


@pytest.mark.parametrize("planted", ["999 -7900749", "the 12th of April 1983", "07700, 9000, 419"])
def test_a_planted_shape_is_found_in_every_shareable_format(tmp_path, planted):
    root = shareable_tree(tmp_path / "shareable", planted)
    flagged = {row["file"] for row in scan_tree(root, IDS, NOTHING)}
    expected = {
        *(f"items/P01/P01-W1-INT-01.{f}" for f in ("json", "vtt", "srt", "docx", "maxqda.txt")),
        "items/P01/P01-W1-INT-01.txt",
        "items/P01/P01-W1-DOC-01.json",
        *(f"corpus/P01/corpus.{f}" for f in ("parquet", "csv", "jsonl")),
        "casebook/P01/casebook.md",
        "casebook/P01/casebook.html",
        "qda/P01.qdpx",
    }
    assert flagged == expected
    rows = scan_tree(root, IDS, NOTHING)
    assert all(planted not in json.dumps(row) for row in rows)


def test_pseudonymisation_withholds_an_item_with_a_residual_shape(tmp_path):
    from fieldcorpus.deid.ledger import update_ledger

    item = speech_item(
        "P02-W1-CLN-01",
        "P02",
        1,
        "2025-03-20",
        turns=[
            (0.0, 2.0, "S1", "Can I have your NHS number?"),
            (2.0, 5.0, "S2", "Yes, 999 -7900749."),
        ],
    )
    (tmp_path / "units.json").write_text(json.dumps(item))
    (tmp_path / "detections.json").write_text(json.dumps({"detections": []}))
    update_ledger(tmp_path / "P02.tsv", [("P02-W1-CLN-01", "k", [])], [])
    out = tmp_path / "shareable"
    arguments = dict(
        units=str(tmp_path / "units.json"),
        detections=str(tmp_path / "detections.json"),
        ledger=str(tmp_path / "P02.tsv"),
        allow_list=str(tmp_path / "allow_list.txt"),
        output_json=str(out / "P02-W1-CLN-01.json"),
        output_text=str(out / "P02-W1-CLN-01.txt"),
        anonymisation_log=str(tmp_path / "log.tsv"),
        gate_hits=str(tmp_path / "gate" / "P02-W1-CLN-01.tsv"),
    )
    earlier = tmp_path / "earlier.vtt"
    earlier.write_text("made from the item's earlier text")
    arguments["made_from_item"] = [str(earlier), str(tmp_path / "never-made.csv")]
    with pytest.raises(FieldcorpusError) as caught:
        pseudonymise_item(**arguments)
    message = str(caught.value)
    assert "item P02-W1-CLN-01" in message and "unit u00002 (NHS number shape)" in message
    assert "7900749" not in message and "withheld" in message
    assert not out.exists() and not earlier.exists()
    hits = read_hits(arguments["gate_hits"])
    assert [(h["item_id"], h["unit_id"], h["text"]) for h in hits] == [
        ("P02-W1-CLN-01", "u00002", "999 -7900749")
    ]
    (tmp_path / "allow_list.txt").write_text("999 790 0749  # reviewed: a test-range number\n")
    earlier.write_text("kept when the item passes")
    pseudonymise_item(**arguments)
    assert read_hits(arguments["gate_hits"]) == [] and earlier.exists()
    assert json.loads((out / "P02-W1-CLN-01.json").read_text())["units"][1]["text"].endswith(
        "0749."
    )
