"""Apply ledger pseudonyms to units and log every replacement.

Replacement spans are the item's own detections plus every ledger original found in the text,
so a name detected in one item is replaced in every item of the practice.
"""

from __future__ import annotations

import csv
import io

from .ledger import Ledger
from .textmatch import compile_alternation

ANONYMISATION_LOG_COLUMNS = (
    "item_id",
    "unit_id",
    "start",
    "end",
    "original",
    "replacement",
    "source",
    "score",
)


def _choose(spans: list[dict], text: str) -> list[dict]:
    """Non-overlapping spans; neighbours with the same pseudonym and only spaces between them
    ('Sarah' + misspelt 'Mitchel') become one replacement."""
    ranked = sorted(spans, key=lambda s: (s["rank"], -(s["end"] - s["start"]), s["start"]))
    kept: list[dict] = []
    for span in ranked:
        if all(span["end"] <= k["start"] or span["start"] >= k["end"] for k in kept):
            kept.append(span)
    merged: list[dict] = []
    for span in sorted(kept, key=lambda s: s["start"]):
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and previous["replacement"] == span["replacement"]
            and not text[previous["end"] : span["start"]].strip()
        ):
            merged[-1] = {
                **previous,
                "end": span["end"],
                "score": min(previous["score"], span["score"]),
            }
        else:
            merged.append(span)
    return merged


def pseudonymise_units(
    item_id: str, units: list[dict], detections: list[dict], ledger: Ledger
) -> tuple[list[dict], list[dict]]:
    """Return (pseudonymised units without word lists, anonymisation log rows)."""
    by_unit: dict[str, list[dict]] = {}
    for detection in detections:
        by_unit.setdefault(detection["unit_id"], []).append(detection)
    ledger_pattern = compile_alternation(ledger.originals)
    out_units, log = [], []
    for unit in units:
        text = unit.get("text", "")
        spans = []
        for detection in by_unit.get(unit["id"], []):
            pseudonym = ledger.lookup(detection)
            if pseudonym is None:
                raise RuntimeError(
                    f"item {item_id}: unit {unit['id']} has a detection missing from the ledger; "
                    "rerun so the practice ledger is updated first"
                )
            spans.append(
                {
                    "start": detection["start"],
                    "end": detection["end"],
                    "replacement": pseudonym,
                    "source": detection["source"],
                    "score": detection["score"],
                    "rank": 0,
                }
            )
        if ledger_pattern is not None:
            for match in ledger_pattern.finditer(text):
                pseudonym = ledger.lookup({"canonical": "", "text": match.group()})
                if pseudonym:
                    spans.append(
                        {
                            "start": match.start(),
                            "end": match.end(),
                            "replacement": pseudonym,
                            "source": "ledger",
                            "score": 1.0,
                            "rank": 1,
                        }
                    )
        pieces, cursor = [], 0
        for span in _choose(spans, text):
            pieces.append(text[cursor : span["start"]])
            pieces.append(span["replacement"])
            cursor = span["end"]
            log.append(
                {
                    "item_id": item_id,
                    "unit_id": unit["id"],
                    "start": span["start"],
                    "end": span["end"],
                    "original": text[span["start"] : span["end"]],
                    "replacement": span["replacement"],
                    "source": span["source"],
                    "score": span["score"],
                }
            )
        pieces.append(text[cursor:])
        new_unit = {k: v for k, v in unit.items() if k != "words"}
        new_unit["text"] = "".join(pieces)
        out_units.append(new_unit)
    return out_units, log


def log_to_tsv(rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, ANONYMISATION_LOG_COLUMNS, delimiter="\t", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()
