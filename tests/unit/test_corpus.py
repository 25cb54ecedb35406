import datetime as dt
import json

import pandas as pd
import pyarrow.parquet as pq
from fieldcorpus.corpus.tables import CORPUS_SCHEMA, build_corpus, data_dictionary, write_corpus

from tests.support.items import small_study, write_items


def written(tmp_path):
    paths = write_items(tmp_path, small_study())
    frame = build_corpus(paths)
    out = tmp_path / "corpus"
    write_corpus(
        frame,
        out / "corpus.parquet",
        out / "corpus.csv",
        True,
        out / "corpus.jsonl",
        out / "data-dictionary.md",
    )
    return frame, out


def test_rows_are_ordered_by_date_item_and_sequence(tmp_path):
    frame, _ = written(tmp_path)
    assert list(frame["item_id"].unique()) == [
        "P01-W1-DOC-01",
        "P01-W1-INT-01",
        "P02-W1-OBS-01",
        "P01-W2-INT-01",
    ]
    assert list(frame.loc[frame["item_id"] == "P01-W1-INT-01", "sequence"]) == [1, 2, 3]
    assert frame["word_count"].tolist()[:2] == [6, 2]


def test_parquet_is_typed_with_documented_columns(tmp_path):
    _, out = written(tmp_path)
    schema = pq.read_schema(out / "corpus.parquet")
    assert schema.names == CORPUS_SCHEMA.names
    assert str(schema.field("collected_on").type) == "date32[day]"
    assert str(schema.field("kind").type).startswith("dictionary<values=string")
    assert all(field.metadata and field.metadata[b"description"] for field in schema)
    frame = pd.read_parquet(out / "corpus.parquet")
    assert isinstance(frame["kind"].dtype, pd.CategoricalDtype)
    assert "clinic_review" in frame["kind"].cat.categories
    assert str(frame["wave"].dtype) == "Int32" and str(frame["page"].dtype) == "Int32"
    assert frame["collected_on"].iloc[0] == dt.date(2025, 3, 10)
    assert frame["ocr"].tolist()[:2] == [False, True]
    speech = frame[frame["item_id"] == "P01-W1-INT-01"]
    assert speech["start_s"].tolist() == [0.0, 8.88, 65.2]
    assert speech["page"].isna().all() and speech["speaker"].tolist() == ["S1", "S2", "S1"]


def test_csv_has_bom_quotes_and_round_trips_text(tmp_path):
    frame, out = written(tmp_path)
    raw = (out / "corpus.csv").read_bytes()
    assert raw.startswith(b'\xef\xbb\xbf"practice",')
    again = pd.read_csv(out / "corpus.csv", encoding="utf-8-sig", keep_default_na=False)
    assert again["text"].tolist() == frame["text"].tolist()
    assert "café owner's son" in " ".join(again["text"])


def test_jsonl_has_one_object_per_unit_with_iso_dates_and_nulls(tmp_path):
    frame, out = written(tmp_path)
    records = [json.loads(line) for line in (out / "corpus.jsonl").read_text().splitlines()]
    assert len(records) == len(frame)
    assert list(records[0]) == CORPUS_SCHEMA.names
    assert records[0]["collected_on"] == "2025-03-10" and records[0]["start_s"] is None
    assert [r["text"] for r in records] == frame["text"].tolist()
    speech = [r for r in records if r["item_id"] == "P01-W1-INT-01"]
    assert speech[1]["start_s"] == 8.88 and speech[1]["page"] is None


def test_data_dictionary_documents_every_column(tmp_path):
    _, out = written(tmp_path)
    text = (out / "data-dictionary.md").read_text()
    assert text == data_dictionary()
    for field in CORPUS_SCHEMA:
        row = next(line for line in text.splitlines() if line.startswith(f"| `{field.name}` |"))
        assert field.metadata[b"description"].decode() in row


def test_rewriting_gives_identical_bytes(tmp_path):
    _, first = written(tmp_path / "a")
    _, second = written(tmp_path / "b")
    for name in ("corpus.parquet", "corpus.csv", "corpus.jsonl", "data-dictionary.md"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
