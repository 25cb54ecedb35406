"""The casebook: one practice's pseudonymised fieldwork as a chronological reading view.

Markdown and a self-contained HTML page (no scripts, no external resources), with a table of
contents, a heading per wave and per item, speaker turns with timestamps, document pages and
tables. Built only from the shareable item JSONs."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from itertools import groupby
from pathlib import Path

from fieldcorpus.files import read_json
from fieldcorpus.units import timestamp

_KIND_LABELS = {"clinic_review": "clinic review"}
_ROLE_LABELS = {"gp": "GP", "practice_manager": "practice manager"}


def kind_label(kind: str) -> str:
    return _KIND_LABELS.get(kind, kind.replace("_", " "))


def role_label(role: str) -> str:
    return _ROLE_LABELS.get(role, role.replace("_", " "))


def load_documents(paths: Iterable[str | Path]) -> list[dict]:
    """Shareable item documents in reading order: wave, date, item id."""
    documents = [read_json(path) for path in paths]
    return sorted(documents, key=_order)


def _order(document: dict) -> tuple:
    item = document["item"]
    return (int(item["wave"]), item["collected_on"], item["item_id"])


def item_heading(item: dict) -> str:
    """The heading of an item: its id, date, kind and role (what the browser test looks for)."""
    return (
        f"{item['item_id']} · {item['collected_on']} · {kind_label(item['kind'])} · "
        f"{role_label(item['role'])}"
    )


def item_anchor(item_id: str) -> str:
    return "item-" + re.sub(r"[^a-z0-9-]+", "-", item_id.lower())


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes} min {secs:02d} s"


def item_facts(document: dict) -> str:
    source, units = document.get("source", {}), document["units"]
    if any("start" in unit for unit in units) or "duration_s" in source:
        speakers = sorted({u["speaker"] for u in units if u.get("speaker")})
        facts = [f"recording, {_duration(source.get('duration_s') or 0)}"]
        facts.append(f"{len(units)} speech unit{'s' if len(units) != 1 else ''}")
        if speakers:
            facts.append("speakers " + ", ".join(speakers))
        if document.get("flags", {}).get("no_speech"):
            facts.append("no speech detected")
        return "; ".join(facts)
    pages = source.get("pages")
    facts = ["document"]
    if pages:
        facts.append(f"{pages} page{'s' if pages != 1 else ''}")
    if source.get("ocr_pages"):
        facts.append(f"{source['ocr_pages']} read by OCR")
    return "; ".join(facts)


def table_rows(unit: dict) -> list[list[str]] | None:
    """The cell grid of a table unit, or None: an explicit grid (`cells`, or `table` as a grid or
    a dict with `cells`/`rows`) or text that is a Markdown pipe table."""
    grid = unit.get("cells")
    table = unit.get("table")
    if grid is None and isinstance(table, dict):
        grid = table.get("cells") or table.get("rows")
    elif grid is None and isinstance(table, list):
        grid = table
    if isinstance(grid, list) and grid and all(isinstance(row, list) for row in grid):
        return [["" if cell is None else str(cell) for cell in row] for row in grid]
    lines = [line.strip() for line in unit["text"].splitlines() if line.strip()]
    if len(lines) >= 2 and all(line.startswith("|") and line.endswith("|") for line in lines):
        rows = [[cell.strip() for cell in line[1:-1].split("|")] for line in lines]
        return [row for row in rows if not all(re.fullmatch(r":?-{3,}:?", c) for c in row)]
    return None


# ---------------------------------------------------------------- Markdown

_MD_INLINE = re.compile(r"([\\`*_<>])")
_MD_LINE_START = re.compile(r"^(\s*)(?:([#>+=-])|(\d+)([.)]))")


def _escape_line_start(match: re.Match) -> str:
    if match.group(2):
        return f"{match.group(1)}\\{match.group(2)}"
    return f"{match.group(1)}{match.group(3)}\\{match.group(4)}"


def md_escape(text: str) -> str:
    """Escape Markdown syntax so pseudonymised text renders literally ([GP 1] stays as is)."""
    lines = []
    for line in text.split("\n"):
        line = _MD_INLINE.sub(r"\\\1", line).replace("](", "]\\(").replace("|", "\\|")
        lines.append(_MD_LINE_START.sub(_escape_line_start, line))
    return "\\\n".join(lines)


def _md_table(rows: list[list[str]]) -> list[str]:
    width = max(len(row) for row in rows)
    padded = [row + [""] * (width - len(row)) for row in rows]
    out = ["| " + " | ".join(md_escape(c).replace("\\\n", " ") for c in padded[0]) + " |"]
    out.append("|" + "---|" * width)
    for row in padded[1:]:
        out.append("| " + " | ".join(md_escape(c).replace("\\\n", " ") for c in row) + " |")
    return out


def _md_units(document: dict) -> list[str]:
    lines: list[str] = []
    page = object()
    for unit in document["units"]:
        if "start" in unit:
            speaker = f"**{md_escape(unit['speaker'])}:** " if unit.get("speaker") else ""
            lines += [f"`[{timestamp(unit['start'])}]` {speaker}{md_escape(unit['text'])}", ""]
            continue
        if unit.get("page") is not None and unit["page"] != page:
            page = unit["page"]
            lines += [f"#### Page {page}", ""]
        rows = table_rows(unit)
        if rows:
            lines += [*_md_table(rows), ""]
        else:
            note = " *(OCR)*" if unit.get("ocr") else ""
            lines += [md_escape(unit["text"]) + note, ""]
    if not document["units"]:
        lines += ["*(no text)*", ""]
    return lines


def casebook_markdown(practice: str, documents: list[dict]) -> str:
    documents = sorted(documents, key=_order)
    lines = [f"# Casebook: practice {practice}", "", _intro(practice, documents), ""]
    lines += ["## Contents", ""]
    for wave, group in groupby(documents, key=lambda d: int(d["item"]["wave"])):
        lines.append(f"- [Wave {wave}](#wave-{wave})")
        for document in group:
            item = document["item"]
            lines.append(f"  - [{item_heading(item)}](#{item_anchor(item['item_id'])})")
    lines.append("")
    for wave, group in groupby(documents, key=lambda d: int(d["item"]["wave"])):
        lines += [f'<a id="wave-{wave}"></a>', "", f"## Wave {wave}", ""]
        for document in group:
            item = document["item"]
            lines += [f'<a id="{item_anchor(item["item_id"])}"></a>', ""]
            lines += [f"### {item_heading(item)}", "", f"*{item_facts(document)}*", ""]
            lines += _md_units(document)
    return "\n".join(lines).rstrip("\n") + "\n"


def _intro(practice: str, documents: list[dict]) -> str:
    if not documents:
        return f"No shareable items for practice {practice} yet."
    dates = [d["item"]["collected_on"] for d in documents]
    waves = sorted({int(d["item"]["wave"]) for d in documents})
    return (
        f"Pseudonymised fieldwork of practice {practice} in date order: {len(documents)} items "
        f"in {len(waves)} wave{'s' if len(waves) != 1 else ''}, from {min(dates)} to "
        f"{max(dates)}. Names and identifiers are replaced by bracketed pseudonyms "
        f"([GP 1], [Town 1]); a pseudonym means the same person or place in every wave."
    )


# ---------------------------------------------------------------- HTML

_CSS = """
body { font: 16px/1.5 system-ui, sans-serif; max-width: 52rem; margin: 2rem auto;
       padding: 0 1rem; color: #1b1b1b; }
h1 { font-size: 1.8rem; } h2 { border-bottom: 2px solid #444; margin-top: 2.5rem; }
h3 { background: #eef2f7; padding: .3rem .6rem; margin-top: 2rem; font-size: 1.15rem; }
h4 { color: #555; margin-bottom: .3rem; }
nav ul { list-style: none; padding-left: 1rem; } nav > ul { padding-left: 0; }
.facts { color: #555; font-style: italic; margin-top: -.5rem; }
.turn { margin: .3rem 0; } .ts { font-family: monospace; color: #666; }
.speaker { font-weight: bold; } .block { white-space: pre-wrap; }
.ocr { color: #8a5a00; font-size: .85em; }
table { border-collapse: collapse; margin: .5rem 0; }
td, th { border: 1px solid #999; padding: .2rem .5rem; vertical-align: top; }
@media print { nav { display: none; } }
""".strip()


def _h(text: str) -> str:
    return html.escape(text, quote=True)


def _html_table(rows: list[list[str]]) -> list[str]:
    out = ['<table class="doc-table">']
    for index, row in enumerate(rows):
        tag = "th" if index == 0 else "td"
        cells = "".join(f"<{tag}>{_h(cell)}</{tag}>" for cell in row)
        out.append(f"<tr>{cells}</tr>")
    out.append("</table>")
    return out


def _html_units(document: dict) -> list[str]:
    out: list[str] = []
    page = object()
    for unit in document["units"]:
        if "start" in unit:
            speaker = (
                f' <span class="speaker">{_h(unit["speaker"])}:</span>'
                if unit.get("speaker")
                else ""
            )
            out.append(
                f'<p class="turn"><span class="ts">[{timestamp(unit["start"])}]</span>{speaker} '
                f"{_h(unit['text'])}</p>"
            )
            continue
        if unit.get("page") is not None and unit["page"] != page:
            page = unit["page"]
            out.append(f"<h4>Page {_h(str(page))}</h4>")
        rows = table_rows(unit)
        if rows:
            out += _html_table(rows)
        else:
            note = ' <span class="ocr">(OCR)</span>' if unit.get("ocr") else ""
            out.append(f'<p class="block">{_h(unit["text"])}{note}</p>')
    if not document["units"]:
        out.append('<p class="facts">(no text)</p>')
    return out


def casebook_html(practice: str, documents: list[dict]) -> str:
    documents = sorted(documents, key=_order)
    title = f"Casebook: practice {practice}"
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        # Self-contained: the page may load nothing from anywhere.
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_h(title)}</title>",
        f"<style>\n{_CSS}\n</style>",
        "</head>",
        "<body>",
        f"<h1>{_h(title)}</h1>",
        f"<p>{_h(_intro(practice, documents))}</p>",
        '<nav aria-label="Contents"><h2 id="contents">Contents</h2>',
        "<ul>",
    ]
    for wave, group in groupby(documents, key=lambda d: int(d["item"]["wave"])):
        out.append(f'<li><a href="#wave-{wave}">Wave {wave}</a><ul>')
        for document in group:
            item = document["item"]
            out.append(
                f'<li><a href="#{item_anchor(item["item_id"])}">{_h(item_heading(item))}</a></li>'
            )
        out.append("</ul></li>")
    out += ["</ul>", "</nav>", "<main>"]
    for wave, group in groupby(documents, key=lambda d: int(d["item"]["wave"])):
        out += [f'<section class="wave" id="wave-{wave}">', f"<h2>Wave {wave}</h2>"]
        for document in group:
            item = document["item"]
            out += [
                f'<article class="item" id="{item_anchor(item["item_id"])}">',
                f"<h3>{_h(item_heading(item))}</h3>",
                f'<p class="facts">{_h(item_facts(document))}</p>',
                *_html_units(document),
                "</article>",
            ]
        out.append("</section>")
    out += [
        "</main>",
        "<footer><p>Built by fieldcorpus from the shareable, pseudonymised items only.</p>",
        "</footer>",
        "</body>",
        "</html>",
    ]
    return "\n".join(out) + "\n"
