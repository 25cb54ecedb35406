"""Per-practice and study-wide corpora: one row per unit, ordered by date, item and sequence."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .files import SHAREABLE_FILE_MODE, atomic_output_path, commit_output, read_json

KINDS = ["interview", "clinic_review", "observation", "document", "workshop", "meeting"]
ROLES = [
    "gp",
    "nurse",
    "practice_manager",
    "receptionist",
    "pharmacist",
    "patient",
    "facilitator",
    "researcher",
    "other",
]
CORPUS_SCHEMA = pa.schema(
    [
        ("practice", pa.dictionary(pa.int32(), pa.string())),
        ("wave", pa.int32()),
        ("collected_on", pa.date32()),
        ("item_id", pa.string()),
        ("kind", pa.dictionary(pa.int32(), pa.string())),
        ("role", pa.dictionary(pa.int32(), pa.string())),
        ("unit_id", pa.string()),
        ("sequence", pa.int32()),
        ("speaker", pa.string()),
        ("start_s", pa.float64()),
        ("end_s", pa.float64()),
        ("page", pa.int32()),
        ("text", pa.string()),
        ("word_count", pa.int32()),
        ("ocr", pa.bool_()),
    ]
)
_WORDS = re.compile(r"\S+")


def corpus_rows(document: dict) -> list[dict]:
    item = document["item"]
    rows = []
    for sequence, unit in enumerate(document["units"], start=1):
        rows.append(
            {
                "practice": item["practice"],
                "wave": item["wave"],
                "collected_on": item["collected_on"],
                "item_id": item["item_id"],
                "kind": item["kind"],
                "role": item["role"],
                "unit_id": unit["id"],
                "sequence": sequence,
                "speaker": unit.get("speaker"),
                "start_s": unit.get("start"),
                "end_s": unit.get("end"),
                "page": unit.get("page"),
                "text": unit["text"],
                "word_count": len(_WORDS.findall(unit["text"])),
                "ocr": bool(unit.get("ocr", False)),
            }
        )
    return rows


def build_corpus(item_paths: list[str | Path]) -> pd.DataFrame:
    rows = [row for path in item_paths for row in corpus_rows(read_json(path))]
    frame = pd.DataFrame(rows, columns=CORPUS_SCHEMA.names)
    frame["collected_on"] = pd.to_datetime(frame["collected_on"], format="%Y-%m-%d").dt.date
    frame = frame.sort_values(["collected_on", "item_id", "sequence"], kind="stable")
    frame = frame.reset_index(drop=True)
    frame["practice"] = pd.Categorical(frame["practice"], categories=sorted(set(frame["practice"])))
    frame["kind"] = pd.Categorical(frame["kind"], categories=KINDS)
    frame["role"] = pd.Categorical(frame["role"], categories=ROLES)
    for column in ("wave", "sequence", "word_count", "page"):
        frame[column] = frame[column].astype("Int32")
    frame["speaker"] = frame["speaker"].astype("string")
    frame["text"] = frame["text"].astype("string")
    return frame


def write_corpus(
    frame: pd.DataFrame, parquet_path: str | Path, csv_path: str | Path, excel_bom: bool = True
) -> None:
    """Typed parquet and an Excel-friendly CSV (UTF-8 with BOM, every field quoted)."""
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
