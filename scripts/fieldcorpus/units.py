"""The unit document shared by transcripts and extracted documents, and its plain-text view."""

from __future__ import annotations


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
        from .formats import PauseMarks, render_turn_text

        return render_turn_text(document, PauseMarks.from_settings(settings))
    lines: list[str] = []
    page = object()
    for unit in document["units"]:
        if unit.get("page") is not None and unit["page"] != page:
            page = unit["page"]
            if lines:
                lines.append("")
            lines.append(f"--- page {page} ---")
        lines.append(unit["text"])
    return "\n".join(lines) + "\n"
