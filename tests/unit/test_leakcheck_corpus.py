"""The leak check on the corpus stage's own formats: JSONL, .qdpx, casebooks and summaries, and
practice scoping of study-wide files (a word NER took for a name in one practice is innocent in
another practice's text)."""

import json

import pytest
from fieldcorpus.corpus.qdpx import write_qdpx
from fieldcorpus.deid.leakcheck import check_tree
from fieldcorpus.deid.ledger import Ledger
from fieldcorpus.manifest import RegisterEntry

from tests.support.items import small_study

REGISTER = [RegisterEntry("P01", "person", "Sarah Mitchell", ("Dr Mitchell",), "gp")]
# "Watch" was mistaken for a name in P01 and replaced there; P02 may say "watch" innocently.
LEDGERS = {
    "P01": Ledger(
        [
            {
                "original": "Watch",
                "canonical": "watch",
                "entity_type": "person",
                "pseudonym": "[Person 1]",
                "source": "ner",
                "first_item": "P01-W1-INT-01",
            }
        ]
    ),
    "P02": Ledger([]),
}


def leaks(root):
    ids = {d["item"]["item_id"] for d in small_study()}
    return {r["file"] for r in check_tree(root, LEDGERS, REGISTER, ids) if r["result"] != "clean"}


def study(practice_text: dict[str, str]):
    documents = small_study()
    for document in documents:
        extra = practice_text.get(document["item"]["practice"])
        if extra:
            document["units"][0]["text"] += " " + extra
    return documents


def jsonl(documents):
    return "".join(
        json.dumps({"practice": d["item"]["practice"], "text": u["text"]}) + "\n"
        for d in documents
        for u in d["units"]
    )


@pytest.mark.parametrize(
    ("where", "leaked"),
    [({"P02": "we Watch her inhaler technique"}, False), ({"P01": "we met Watch"}, True)],
)
def test_study_wide_jsonl_and_qdpx_are_checked_per_practice(tmp_path, where, leaked):
    documents = study(where)
    (tmp_path / "corpus" / "all").mkdir(parents=True)
    (tmp_path / "corpus" / "all" / "corpus.jsonl").write_text(jsonl(documents))
    write_qdpx(tmp_path / "qda" / "all.qdpx", documents, "x")
    p02 = [d for d in documents if d["item"]["practice"] == "P02"]
    write_qdpx(tmp_path / "qda" / "P02.qdpx", p02, "x")
    found = leaks(tmp_path)
    expected = {"corpus/all/corpus.jsonl", "qda/all.qdpx"} if leaked else set()
    assert found == expected


def test_a_register_name_is_found_in_any_practice_of_a_study_file(tmp_path):
    documents = study({"P02": "asked SARAH  mitchell"})
    (tmp_path / "corpus" / "all").mkdir(parents=True)
    (tmp_path / "corpus" / "all" / "corpus.jsonl").write_text(jsonl(documents))
    write_qdpx(tmp_path / "qda" / "P02.qdpx", documents[-1:], "x")
    assert leaks(tmp_path) == {"corpus/all/corpus.jsonl", "qda/P02.qdpx"}


def test_a_practice_file_named_by_its_practice_uses_that_practices_words(tmp_path):
    write_qdpx(tmp_path / "qda" / "P01.qdpx", study({"P01": "a Watch"})[:3], "x")
    assert leaks(tmp_path) == {"qda/P01.qdpx"}
