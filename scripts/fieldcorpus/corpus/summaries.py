"""Summaries per practice × wave × kind (a TSV, and an HTML table for the report) and a timeline
plot per practice: one mark per item on a date axis, by kind. Built from shareable items only."""

from __future__ import annotations

import datetime as dt
import html
import io
import re
from collections.abc import Iterable
from pathlib import Path

from fieldcorpus.corpus.columns import KINDS, word_count
from fieldcorpus.files import (
    SHAREABLE_FILE_MODE,
    atomic_write_bytes,
    atomic_write_text,
    html_page,
    read_tsv,
    tsv_text,
)
from fieldcorpus.units import UnitDocument

COLUMNS = (
    "practice",
    "wave",
    "kind",
    "items",
    "units",
    "recording_minutes",
    "words",
    "pages",
    "ocr_pages",
    "pseudonyms_introduced",
    "first_collected",
    "last_collected",
)
_CSS = (
    "body{font:14px/1.4 system-ui,sans-serif;margin:1rem}"
    "table{border-collapse:collapse}th,td{border:1px solid #aaa;padding:.2rem .5rem}"
    "th{background:#eef2f7}.num{text-align:right}.total{font-weight:bold}"
)
# A bracketed pseudonym as the ledger writes them: [GP 1], [Practice], [NHS number], [Town 2].
PSEUDONYM = re.compile(r"\[[A-Z][A-Za-z]*(?: [A-Za-z]+)*(?: \d+)?\]")
_KIND_STYLE = {
    "interview": ("o", "#1f77b4"),
    "clinic_review": ("s", "#d62728"),
    "observation": ("^", "#2ca02c"),
    "document": ("D", "#9467bd"),
    "workshop": ("P", "#ff7f0e"),
    "meeting": ("X", "#8c564b"),
}


def _order(document: UnitDocument) -> tuple:
    item = document["item"]
    return (item["practice"], int(item["wave"]), item["collected_on"], item["item_id"])


def _kind_rank(kind: str) -> int:
    return KINDS.index(kind) if kind in KINDS else len(KINDS)


def _is_recording(document: UnitDocument) -> bool:
    return "duration_s" in document.get("source", {}) or any(
        "start" in unit for unit in document["units"]
    )


def _ocr_pages(document: UnitDocument) -> int:
    source = document.get("source", {})
    if "ocr_pages" in source:
        return int(source["ocr_pages"] or 0)
    return len({u.get("page") for u in document["units"] if u.get("ocr")})


def summary_rows(documents: Iterable[UnitDocument]) -> list[dict]:
    """One row per practice × wave × kind, in practice, wave and kind order. A pseudonym counts
    as introduced in the cell of the first item (in ledger order) where it appears."""
    cells: dict[tuple, dict] = {}
    seen: dict[str, set[str]] = {}
    for document in sorted(documents, key=_order):
        item, source = document["item"], document.get("source", {})
        key = (item["practice"], int(item["wave"]), item["kind"])
        cell = cells.setdefault(
            key,
            {
                "practice": key[0],
                "wave": key[1],
                "kind": key[2],
                "items": 0,
                "units": 0,
                "recording_seconds": 0.0,
                "words": 0,
                "pages": 0,
                "ocr_pages": 0,
                "pseudonyms_introduced": 0,
                "first_collected": item["collected_on"],
                "last_collected": item["collected_on"],
            },
        )
        cell["items"] += 1
        cell["units"] += len(document["units"])
        cell["words"] += sum(word_count(unit["text"]) for unit in document["units"])
        if _is_recording(document):
            cell["recording_seconds"] += float(source.get("duration_s") or 0.0)
        else:
            cell["pages"] += int(source.get("pages") or 0)
            cell["ocr_pages"] += _ocr_pages(document)
        cell["first_collected"] = min(cell["first_collected"], item["collected_on"])
        cell["last_collected"] = max(cell["last_collected"], item["collected_on"])
        known = seen.setdefault(item["practice"], set())
        for unit in document["units"]:
            for pseudonym in PSEUDONYM.findall(unit["text"]):
                if pseudonym not in known:
                    known.add(pseudonym)
                    cell["pseudonyms_introduced"] += 1
    rows = []
    for key in sorted(cells, key=lambda k: (k[0], k[1], _kind_rank(k[2]), k[2])):
        cell = dict(cells[key])
        cell["recording_minutes"] = f"{cell.pop('recording_seconds') / 60:.2f}"
        rows.append({column: cell[column] for column in COLUMNS})
    return rows


def rows_to_tsv(rows: list[dict]) -> str:
    return tsv_text(rows, COLUMNS)


def rows_to_html(rows: list[dict], title: str) -> str:
    """A self-contained HTML table (shown in the Snakemake report)."""
    numeric = set(COLUMNS[3:10]) | {"wave"}
    head = "".join(f"<th>{html.escape(c.replace('_', ' '))}</th>" for c in COLUMNS)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="num">{html.escape(str(row[c]))}</td>'
            if c in numeric
            else f"<td>{html.escape(str(row[c]))}</td>"
            for c in COLUMNS
        )
        body.append(f"<tr>{cells}</tr>")
    totals = {c: 0.0 for c in COLUMNS[3:10]}
    for row in rows:
        for column in totals:
            totals[column] += float(row[column])
    total_cells = "".join(
        f'<td class="num">{totals[c]:.2f}</td>'
        if c == "recording_minutes"
        else f'<td class="num">{int(totals[c])}</td>'
        for c in COLUMNS[3:10]
    )
    body.append(f'<tr class="total"><td colspan="3">all</td>{total_cells}<td></td><td></td></tr>')
    return html_page(
        title,
        _CSS,
        [
            f"<h1>{html.escape(title)}</h1>",
            '<table id="summary">',
            f"<thead><tr>{head}</tr></thead>",
            "<tbody>",
            *body,
            "</tbody>",
            "</table>",
        ],
    )


def timeline_png(practice: str, documents: list[UnitDocument], dpi: int = 150) -> bytes:
    """One mark per item on a date axis, one row per kind, waves shaded. Byte-stable: default
    style, the Agg canvas, and no software or date metadata in the PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.style
    from matplotlib.figure import Figure

    items = sorted((d["item"] for d in documents), key=lambda i: (i["collected_on"], i["item_id"]))
    kinds = sorted({i["kind"] for i in items}, key=lambda k: (_kind_rank(k), k))
    row = {kind: index for index, kind in enumerate(reversed(kinds))}
    with matplotlib.style.context("default"):
        figure = Figure(figsize=(9, 1.6 + 0.45 * max(len(kinds), 1)), layout="constrained")
        axes = figure.add_subplot()
        waves: dict[int, list[dt.date]] = {}
        for item in items:
            waves.setdefault(int(item["wave"]), []).append(
                dt.date.fromisoformat(item["collected_on"])
            )
        for wave, dates in sorted(waves.items()):
            start, end = min(dates) - dt.timedelta(days=4), max(dates) + dt.timedelta(days=4)
            axes.axvspan(start, end, color="#eeeeee", zorder=0)
            axes.text(
                start + (end - start) / 2,
                len(kinds) - 0.45,
                f"wave {wave}",
                ha="center",
                va="bottom",
                fontsize=8,
                color="#555555",
            )
        stacked: dict[tuple, int] = {}
        for kind in kinds:
            marker, colour = _KIND_STYLE.get(kind, ("o", "#7f7f7f"))
            xs, ys = [], []
            for item in (i for i in items if i["kind"] == kind):
                date = dt.date.fromisoformat(item["collected_on"])
                # Items of one kind on one day are stacked a little so each stays visible.
                count = stacked.get((kind, date), 0)
                stacked[(kind, date)] = count + 1
                xs.append(date)
                ys.append(row[kind] + 0.15 * count)
            axes.scatter(
                xs, ys, marker=marker, s=60, color=colour, label=kind.replace("_", " "), zorder=3
            )
        axes.set_yticks(range(len(kinds)), [k.replace("_", " ") for k in reversed(kinds)])
        axes.set_ylim(-0.6, len(kinds) - 0.1)
        locator = mdates.AutoDateLocator()
        axes.xaxis.set_major_locator(locator)
        axes.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        if items:
            first = dt.date.fromisoformat(items[0]["collected_on"]) - dt.timedelta(days=20)
            last = dt.date.fromisoformat(items[-1]["collected_on"]) + dt.timedelta(days=20)
            axes.set_xlim(first, last)
        axes.grid(axis="x", color="#dddddd", zorder=1)
        axes.set_title(f"Practice {practice}: {len(items)} items by date and kind")
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


def write_practice_summary(
    practice: str, documents: list[UnitDocument], tsv: str | Path, png: str | Path, dpi: int
) -> list[dict]:
    rows = summary_rows(documents)
    atomic_write_text(tsv, rows_to_tsv(rows), SHAREABLE_FILE_MODE)
    atomic_write_bytes(png, timeline_png(practice, documents, dpi), SHAREABLE_FILE_MODE)
    return rows


def write_study_summary(practice_tsvs: Iterable[str | Path], tsv: str | Path, page: str | Path):
    rows = [row for path in sorted(map(str, practice_tsvs)) for row in read_tsv(path)]
    rows.sort(key=lambda r: (r["practice"], int(r["wave"]), _kind_rank(r["kind"]), r["kind"]))
    atomic_write_text(tsv, rows_to_tsv(rows), SHAREABLE_FILE_MODE)
    atomic_write_text(page, rows_to_html(rows, "Fieldwork summary"), SHAREABLE_FILE_MODE)
    return rows
