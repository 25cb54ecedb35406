"""Per-practice and study-wide corpora: one row per unit, ordered by date, item and sequence.

Written as typed parquet, an Excel-friendly CSV and JSONL, with a Markdown data dictionary that is
generated from the same schema, so the three files and their documentation never drift apart."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from fieldcorpus.corpus.columns import KINDS, SHARED_ROLES, SORT_KEY, corpus_rows
from fieldcorpus.files import (
    SHAREABLE_FILE_MODE,
    atomic_output_path,
    atomic_write_text,
    commit_output,
    read_json,
)


def _field(name: str, arrow_type: pa.DataType, nullable: bool, description: str) -> pa.Field:
    return pa.field(name, arrow_type, nullable=nullable, metadata={"description": description})


_CATEGORY = pa.dictionary(pa.int32(), pa.string())
# Descriptions travel inside the parquet file (field metadata) and into the data dictionary.
CORPUS_SCHEMA = pa.schema(
    [
        _field("practice", _CATEGORY, False, "Pseudonymous practice code (the case), e.g. P01."),
        _field("wave", pa.int32(), False, "Fieldwork wave the item belongs to (1, 2, ...)."),
        _field("collected_on", pa.date32(), False, "Date the item was collected (ISO date)."),
        _field("item_id", pa.string(), False, "Stable item identifier from the manifest."),
        _field("kind", _CATEGORY, False, "Item kind: " + ", ".join(KINDS) + "."),
        _field("role", _CATEGORY, False, "Participant role: " + ", ".join(SHARED_ROLES) + "."),
        _field("unit_id", pa.string(), False, "Unit identifier within the item."),
        _field("sequence", pa.int32(), False, "Position of the unit within its item, from 1."),
        _field("speaker", pa.string(), True, "Speaker label of a speech turn (S1, S2, ...)."),
        _field("start_s", pa.float64(), True, "Start of a speech unit, seconds from the start."),
        _field("end_s", pa.float64(), True, "End of a speech unit, seconds from the start."),
        _field("page", pa.int32(), True, "Page of a document unit, from 1."),
        _field("text", pa.string(), False, "Pseudonymised text of the unit."),
        _field("word_count", pa.int32(), False, "Number of whitespace-separated words in text."),
        _field("ocr", pa.bool_(), False, "True when the text was read from an image by OCR."),
    ]
)
_PANDAS_DTYPES = {
    "practice": "category",
    "wave": "Int32",
    "collected_on": "object (datetime.date)",
    "item_id": "string",
    "kind": "category",
    "role": "category",
    "unit_id": "string",
    "sequence": "Int32",
    "speaker": "string",
    "start_s": "float64",
    "end_s": "float64",
    "page": "Int32",
    "text": "string",
    "word_count": "Int32",
    "ocr": "bool",
}


def build_corpus(item_paths: list[str | Path]) -> pd.DataFrame:
    rows = [row for path in item_paths for row in corpus_rows(read_json(path))]
    frame = pd.DataFrame(rows, columns=CORPUS_SCHEMA.names)
    frame["collected_on"] = pd.to_datetime(frame["collected_on"], format="%Y-%m-%d").dt.date
    frame = frame.sort_values(SORT_KEY, kind="stable").reset_index(drop=True)
    frame["practice"] = pd.Categorical(frame["practice"], categories=sorted(set(frame["practice"])))
    frame["kind"] = pd.Categorical(frame["kind"], categories=KINDS)
    frame["role"] = pd.Categorical(frame["role"], categories=SHARED_ROLES)
    for column in ("wave", "sequence", "word_count", "page"):
        frame[column] = frame[column].astype("Int32")
    for column in ("item_id", "unit_id", "speaker", "text"):
        frame[column] = frame[column].astype("string")
    frame["start_s"] = frame["start_s"].astype("float64")
    frame["end_s"] = frame["end_s"].astype("float64")
    frame["ocr"] = frame["ocr"].astype("bool")
    return frame


def _json_value(value):
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value


def corpus_jsonl(frame: pd.DataFrame) -> str:
    """One JSON object per unit and line, columns in schema order, dates as ISO strings."""
    columns = list(frame.columns)
    lines = []
    for values in frame.itertuples(index=False, name=None):
        record = {c: _json_value(v) for c, v in zip(columns, values, strict=True)}
        lines.append(json.dumps(record, ensure_ascii=False))
    return "".join(line + "\n" for line in lines)


def data_dictionary(schema: pa.Schema = CORPUS_SCHEMA) -> str:
    """The data dictionary in Markdown, generated from the parquet schema."""
    lines = [
        "# Corpus data dictionary",
        "",
        "One row per unit (a speech turn of a recording, or a text block of a document), "
        "pseudonymised, ordered by `collected_on`, then `item_id`, then `sequence`.",
        "",
        "| file | how to open it |",
        "|---|---|",
        "| `corpus.parquet` | `pandas.read_parquet` or R `arrow::read_parquet`; types below |",
        "| `corpus.csv` | Excel, or `pandas.read_csv(path, encoding='utf-8-sig', "
        "keep_default_na=False)`; UTF-8 with BOM, every field quoted, "
        "CRLF line ends, empty field = no value |",
        "| `corpus.jsonl` | one JSON object per line; `null` = no value; dates as `YYYY-MM-DD` |",
        "",
        "| column | parquet type | pandas dtype | may be empty | description |",
        "|---|---|---|---|---|",
    ]
    for field in schema:
        description = (field.metadata or {}).get(b"description", b"").decode("utf-8")
        arrow_type = (
            "category (dictionary of string)"
            if pa.types.is_dictionary(field.type)
            else (str(field.type))
        )
        lines.append(
            f"| `{field.name}` | {arrow_type} | {_PANDAS_DTYPES.get(field.name, '')} | "
            f"{'yes' if field.nullable else 'no'} | {description} |"
        )
    lines += [
        "",
        "Speech units have `speaker`, `start_s` and `end_s` and no `page`; document units have "
        "`page` and no timings. Pseudonyms are bracketed (`[GP 1]`, `[Town 1]`, `[NHS number]`) "
        "and mean the same person or place in every wave of a practice.",
        "",
    ]
    return "\n".join(lines)


def write_corpus(
    frame: pd.DataFrame,
    parquet_path: str | Path,
    csv_path: str | Path,
    excel_bom: bool = True,
    jsonl_path: str | Path | None = None,
    dictionary_path: str | Path | None = None,
) -> None:
    """Typed parquet, an Excel-friendly CSV (UTF-8 with BOM, every field quoted), JSONL and the
    data dictionary; each written atomically."""
    table = pa.Table.from_pandas(frame, schema=CORPUS_SCHEMA, preserve_index=False)
    tmp, final = atomic_output_path(parquet_path)
    pq.write_table(table, tmp, compression="zstd", write_statistics=False)
    commit_output(tmp, final, SHAREABLE_FILE_MODE)
    tmp, final = atomic_output_path(csv_path)
    frame.to_csv(
        tmp,
        index=False,
        encoding="utf-8-sig" if excel_bom else "utf-8",
        quoting=1,
        lineterminator="\r\n",
    )
    commit_output(tmp, final, SHAREABLE_FILE_MODE)
    if jsonl_path is not None:
        atomic_write_text(jsonl_path, corpus_jsonl(frame), SHAREABLE_FILE_MODE)
    if dictionary_path is not None:
        atomic_write_text(dictionary_path, data_dictionary(), SHAREABLE_FILE_MODE)
