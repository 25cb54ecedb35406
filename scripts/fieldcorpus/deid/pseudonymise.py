"""Apply ledger pseudonyms to units and log every replacement.

Replacement spans are the item's own detections plus every ledger original found in the text,
so a name detected in one item is replaced in every item of the practice.
"""

from __future__ import annotations

from fieldcorpus.deid.ledger import Ledger
from fieldcorpus.deid.truecase import case_style
from fieldcorpus.files import tsv_text
from fieldcorpus.units import Unit

# Unit fields that may reach shareable/ (whitelist: anything new stays restricted until listed).
SHAREABLE_UNIT_FIELDS = frozenset(
    {"id", "text", "start", "end", "speaker", "page", "block", "kind", "ocr", "confidence"}
)
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
    """Non-overlapping spans, longest first (a ledger 'marie harding' beats a detected
    'marie'); neighbours with the same pseudonym and only spaces between them ('Sarah' +
    misspelt 'Mitchel') become one replacement."""
    ranked = sorted(spans, key=lambda s: (-(s["end"] - s["start"]), s["rank"], s["start"]))
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


def _ledger_spans(text: str, ledger: Ledger, patterns: dict, key: str) -> list[dict]:
    """Every ledger original in `text`: a name found in one item is replaced in all of them."""
    pattern = patterns[case_style(text) == "lower"]
    spans = []
    for match in pattern.finditer(text) if pattern is not None else ():
        pseudonym = ledger.by_original(match.group(), key)
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
    return spans


def _apply(text: str, spans: list[dict]) -> tuple[str, list[dict]]:
    pieces, cursor, chosen = [], 0, _choose(spans, text)
    for span in chosen:
        pieces.append(text[cursor : span["start"]])
        pieces.append(span["replacement"])
        cursor = span["end"]
    pieces.append(text[cursor:])
    return "".join(pieces), chosen


def pseudonymise_units(
    item_id: str,
    units: list[Unit],
    detections: list[dict],
    ledger: Ledger,
    key: str = "~",
    applied: Ledger | None = None,
) -> tuple[list[Unit], list[dict]]:
    """Return (pseudonymised units, anonymisation log rows) for the item at order key `key`.

    The item's detections take their pseudonyms from `ledger`; the originals replaced wherever
    they stand come from `applied` (default: `ledger`), which may lack rows the allow-list
    released. Only the unit fields in SHAREABLE_UNIT_FIELDS reach the shareable copy (word
    timings never do); table cells are pseudonymised one by one against the ledger."""
    applied = ledger if applied is None else applied
    by_unit: dict[str, list[dict]] = {}
    for detection in detections:
        by_unit.setdefault(detection["unit_id"], []).append(detection)
    patterns = {False: applied.pattern(), True: applied.pattern(lowercase_text=True)}
    out_units, log = [], []
    for unit in units:
        text = unit.get("text", "")
        spans = []
        for detection in by_unit.get(unit["id"], []):
            pseudonym = ledger.lookup(detection, key)
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
        new_text, chosen = _apply(text, spans + _ledger_spans(text, applied, patterns, key))
        for span in chosen:
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
        new_unit = {k: v for k, v in unit.items() if k in SHAREABLE_UNIT_FIELDS}
        new_unit["text"] = new_text
        if isinstance(unit.get("cells"), list):
            new_unit["cells"] = [
                [_apply(str(c), _ledger_spans(str(c), applied, patterns, key))[0] for c in row]
                if isinstance(row, list)
                else _apply(str(row), _ledger_spans(str(row), applied, patterns, key))[0]
                for row in unit["cells"]
            ]
        out_units.append(new_unit)
    return out_units, log


def log_to_tsv(rows: list[dict]) -> str:
    return tsv_text(rows, ANONYMISATION_LOG_COLUMNS)
