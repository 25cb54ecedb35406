"""The per-practice review queue (restricted): ambiguous aliases, uncertain detections and
capitalised words nothing recognised, each with its context and a one-line way to resolve it.

Rerunning after the data manager edits the register or the allow-list applies the decision."""

from __future__ import annotations

import html

from fieldcorpus.deid.ledger import NEUTRAL_PSEUDONYM, Ledger
from fieldcorpus.files import html_page, tsv_text

REVIEW_COLUMNS = (
    "item_id",
    "unit_id",
    "start",
    "end",
    "text",
    "pseudonym",
    "source",
    "score",
    "reason",
    "context",
    "resolve",
)
CONTEXT_CHARS = 40
TABLE_CSS = (
    "body{font-family:sans-serif}table{border-collapse:collapse}"
    "td,th{border:1px solid #ccc;padding:4px;vertical-align:top;text-align:left}"
)


def quote_context(text: str, start: int, end: int) -> str:
    before = text[max(0, start - CONTEXT_CHARS) : start]
    after = text[end : end + CONTEXT_CHARS]
    return " ".join(f"…{before}[[{text[start:end]}]]{after}…".split())


def _why(detection: dict, pseudonym: str | None, threshold: float) -> tuple[str, str] | None:
    text = " ".join(detection["text"].split())
    to_register = f"add a register row: <practice>\tperson\t<full name>\t{text}\t<role>\t"
    if pseudonym == NEUTRAL_PSEUDONYM:
        return (
            "ambiguous alias: fits more than one person, replaced by a neutral placeholder",
            f"{to_register} (the alias under the one person it means)",
        )
    if detection["source"] == "capitalised":
        return (
            "capitalised word nothing recognised; replaced to be safe",
            f"not identifying: add the line '{text}' to the allow-list; a name: {to_register}",
        )
    if detection["score"] < threshold:
        return (
            f"uncertain {detection['source']} detection, replaced",
            f"keep replacing it: {to_register}; not identifying: add '{text}' to the allow-list",
        )
    return None


def review_rows(
    detections_by_item: list[tuple[str, str, list[dict]]],
    ledger: Ledger,
    texts: dict[str, dict[str, str]],
    threshold: float,
) -> list[dict]:
    """One row per detection a person should look at, in ledger order."""
    rows = []
    for item_id, key, detections in detections_by_item:
        for detection in detections:
            pseudonym = ledger.lookup(detection, key)
            why = _why(detection, pseudonym, threshold)
            if why is None:
                continue
            unit_text = texts.get(item_id, {}).get(detection["unit_id"], "")
            rows.append(
                {
                    "item_id": item_id,
                    "unit_id": detection["unit_id"],
                    "start": detection["start"],
                    "end": detection["end"],
                    "text": detection["text"],
                    "pseudonym": pseudonym or "",
                    "source": detection["source"],
                    "score": detection["score"],
                    "reason": why[0],
                    "context": quote_context(unit_text, detection["start"], detection["end"]),
                    "resolve": why[1],
                }
            )
    return rows


def review_to_tsv(rows: list[dict]) -> str:
    return tsv_text(rows, REVIEW_COLUMNS)


def review_html(rows: list[dict]) -> str:
    """The same queue as a page to read in a browser (restricted: it quotes the text)."""
    shown = ("item_id", "unit_id", "text", "pseudonym", "reason", "context", "resolve")
    head = "".join(f"<th>{html.escape(c)}</th>" for c in shown)
    body = "\n".join(
        "<tr>" + "".join(f"<td>{html.escape(str(row[c]))}</td>" for c in shown) + "</tr>"
        for row in rows
    )
    return html_page(
        "Review queue (restricted)",
        TABLE_CSS,
        [
            "<h1>Review queue (restricted: do not share)</h1>",
            f"<p>{len(rows)} item(s). Edit the register or the allow-list as suggested, then rerun."
            "</p>",
            f"<table><tr>{head}</tr>",
            body,
            "</table>",
        ],
    )
