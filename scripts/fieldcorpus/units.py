"""The unit document shared by transcripts and extracted documents, and its plain-text view."""

from __future__ import annotations

import re

_CELL_SEPARATOR = re.compile(r"(?<!\\)\|")
_DELIMITER_ROW = re.compile(r"^\|(?:\s*:?-{3,}:?\s*\|)+$")


def unit_document(item, inventory: dict, extracted: dict) -> dict:
    """Item metadata + source facts + engine facts + ordered units (DESIGN.md)."""
    source = {k: inventory[k] for k in ("sha256", "size_bytes", "media_type") if k in inventory}
    source.update({k: v for k, v in extracted.get("source", {}).items() if v is not None})
    return {
        "item": item.public_metadata(),
        "source": source,
        "engine": extracted["engine"],
        "flags": extracted.get("flags", {}),
        "units": extracted["units"],
    }


def timestamp(seconds: float | None) -> str:
    seconds = int(seconds or 0)
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def render_text(document: dict, settings: dict | None = None) -> str:
    """Plain text: '[hh:mm:ss] S1: ...' turns for speech, page-headed blocks for documents.

    `settings` (the config's transcription section) switches on pause marks in speech turns."""
    if any("start" in unit for unit in document["units"]):
        from fieldcorpus.formats import PauseMarks, render_turn_text

        return render_turn_text(document, PauseMarks.from_settings(settings))
    lines: list[str] = []
    page = object()
    for unit in document["units"]:
        if unit.get("page") is not None and unit["page"] != page:
            page = unit["page"]
            if lines:
                lines.append("")
            lines.append(f"--- page {page} ---")
        if unit.get("kind") == "table":
            # A blank line either side keeps the Markdown table a table when the text is rendered.
            if lines and lines[-1]:
                lines.append("")
            lines.extend([unit["text"], ""])
            continue
        lines.append(unit["text"])
    return "\n".join(lines).rstrip("\n") + "\n"


def _escape_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(rows: list[list[str]]) -> str:
    """A pipe table, first row as the header; `table_cells` reads it back cell for cell."""
    width = max(len(row) for row in rows)
    padded = [[*row, *[""] * (width - len(row))] for row in rows]
    lines = ["| " + " | ".join(_escape_cell(cell) for cell in row) + " |" for row in padded]
    lines.insert(1, "| " + " | ".join(["---"] * width) + " |")
    return "\n".join(lines)


def table_cells(text: str) -> list[list[str]]:
    """The cell grid of a Markdown table written by `markdown_table` (so a table's `cells` can be
    rebuilt from its text after pseudonymisation has rewritten the text)."""
    rows = []
    for line in text.splitlines():
        line = line.strip()
        if not (line.startswith("|") and line.endswith("|") and len(line) > 1):
            continue
        if _DELIMITER_ROW.match(line):
            continue
        rows.append([c.strip().replace("\\|", "|") for c in _CELL_SEPARATOR.split(line[1:-1])])
    return rows
