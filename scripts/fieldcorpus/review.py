"""The per-practice review queue: detections a person should confirm (restricted)."""

from __future__ import annotations

import csv
import io

REVIEW_COLUMNS = (
    "item_id",
    "unit_id",
    "start",
    "end",
    "text",
    "source",
    "score",
    "reason",
    "resolve",
)


def review_rows(detections_by_item: list[tuple[str, list[dict]]], threshold: float) -> list[dict]:
    rows = []
    for item_id, detections in detections_by_item:
        for detection in detections:
            if detection.get("ambiguous"):
                reason = "ambiguous: matches more than one register entry"
                resolve = "add a distinguishing alias to the register, or a fixed pseudonym"
            elif detection["score"] < threshold:
                reason = f"uncertain {detection['source']} detection"
                resolve = "add it to the register (to keep replacing it) or to the allow-list"
            else:
                continue
            rows.append(
                {
                    "item_id": item_id,
                    "unit_id": detection["unit_id"],
                    "start": detection["start"],
                    "end": detection["end"],
                    "text": detection["text"],
                    "source": detection["source"],
                    "score": detection["score"],
                    "reason": reason,
                    "resolve": resolve,
                }
            )
    return rows


def review_to_tsv(rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, REVIEW_COLUMNS, delimiter="\t", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()
