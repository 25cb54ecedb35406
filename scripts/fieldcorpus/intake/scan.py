"""Propose manifest rows for files under the fieldwork root that no row points to yet.

Folder convention: <fieldwork root>/<practice code>/wave<N>/<file>. Raw files are only read
(for their embedded dates), never moved, renamed or opened for writing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

from fieldcorpus.intake.inventory import AUDIO_TYPES, DOCX, sniff_media_type
from fieldcorpus.manifest import MANIFEST_COLUMNS, load_manifest

KIND_CODES = {
    "interview": "INT",
    "clinic_review": "CLN",
    "observation": "OBS",
    "document": "DOC",
    "workshop": "WSH",
    "meeting": "MTG",
}
DEFAULT_ROLES = {"observation": "researcher"}
_PRACTICE = re.compile(r"^[A-Z]{1,3}[0-9]{1,3}$")
_WAVE = re.compile(r"^wave[ _-]?(\d+)$", re.IGNORECASE)
_ID_NUMBER = re.compile(r"-(\d+)$")


def guess_kind(relative: Path, media_type: str) -> str:
    words = " ".join(relative.parts).lower().replace("_", " ").replace("-", " ")
    if media_type in AUDIO_TYPES or media_type == "video/mp4":
        if "clinic" in words or "review" in words or "consultation" in words:
            return "clinic_review"
        if "workshop" in words:
            return "workshop"
        if "meeting" in words:
            return "meeting"
        return "interview"
    if any(word in words for word in ("observation", "field note", "fieldnote", "obs ")):
        return "observation"
    return "document"


def _pdf_date(path: Path) -> dt.date | None:
    import pypdfium2

    try:
        document = pypdfium2.PdfDocument(str(path))
    except Exception:  # encrypted or corrupt: fall back to the modification date
        return None
    try:
        raw = document.get_metadata_dict().get("CreationDate", "")
    finally:
        document.close()
    found = re.search(r"(\d{4})(\d{2})(\d{2})", raw or "")
    return _safe_date(*map(int, found.groups())) if found else None


def _docx_date(path: Path) -> dt.date | None:
    import docx

    try:
        created = docx.Document(str(path)).core_properties.created
    except Exception:  # corrupt DOCX: fall back to the modification date
        return None
    return created.date() if created else None


def _audio_date(path: Path) -> dt.date | None:
    import av

    try:
        with av.open(str(path)) as container:
            tags = {k.lower(): v for k, v in container.metadata.items()}
    except Exception:  # undecodable: fall back to the modification date
        return None
    for key in ("creation_time", "date", "icrd"):
        found = re.search(r"(\d{4})-?(\d{2})-?(\d{2})", tags.get(key, ""))
        if found:
            return _safe_date(*map(int, found.groups()))
    return None


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def collected_on(path: Path, media_type: str) -> tuple[str, str]:
    """The date the file itself records, else its modification date; and where it came from."""
    readers = {"application/pdf": _pdf_date, DOCX: _docx_date}
    reader = readers.get(media_type) or (_audio_date if media_type in AUDIO_TYPES else None)
    found = reader(path) if reader else None
    if found:
        return found.isoformat(), "file metadata"
    return dt.date.fromtimestamp(path.stat().st_mtime).isoformat(), "modification date"


def _existing_numbers(item_ids) -> dict[str, int]:
    highest: dict[str, int] = {}
    for item_id in item_ids:
        found = _ID_NUMBER.search(item_id)
        if found:
            prefix = item_id[: found.start()]
            highest[prefix] = max(highest.get(prefix, 0), int(found.group(1)))
    return highest


def read_manifest_rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return [row for row in csv.DictReader(handle, delimiter="\t") if any(row.values())]


def propose_rows(manifest: Path, fieldwork: Path, folder: Path | None = None) -> list[dict]:
    """Rows for unlisted files under `folder` (default: the whole fieldwork root)."""
    fieldwork = fieldwork.resolve()
    folder = (folder or fieldwork).resolve()
    existing = read_manifest_rows(manifest)
    listed = {(fieldwork / row["path"]).resolve() for row in existing if row.get("path")}
    numbers = _existing_numbers(row["item_id"] for row in existing if row.get("item_id"))
    proposals = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()):
        if path.name.startswith(".") or path.resolve() in listed:
            continue
        relative = path.relative_to(fieldwork)
        practice = relative.parts[0] if len(relative.parts) > 2 else ""
        wave_match = _WAVE.match(relative.parts[1]) if len(relative.parts) > 2 else None
        if not _PRACTICE.match(practice) or not wave_match:
            continue
        wave = int(wave_match.group(1))
        media_type = sniff_media_type(path)
        kind = guess_kind(relative, media_type)
        date, date_source = collected_on(path, media_type)
        prefix = f"{practice}-W{wave}-{KIND_CODES[kind]}"
        numbers[prefix] = numbers.get(prefix, 0) + 1
        proposals.append(
            {
                "item_id": f"{prefix}-{numbers[prefix]:02d}",
                "practice": practice,
                "wave": str(wave),
                "collected_on": date,
                "kind": kind,
                "role": DEFAULT_ROLES.get(kind, "other"),
                "path": relative.as_posix(),
                "language": "en",
                "notes": f"proposed by scan (date from {date_source}); check kind and role",
                "speakers": "",
            }
        )
    return proposals


def rows_to_tsv(rows: list[dict], header: bool = True) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, MANIFEST_COLUMNS, delimiter="\t", lineterminator="\n")
    if header:
        writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def validate_with_manifest(
    manifest: Path, fieldwork: Path, rows: list[dict], scratch: Path
) -> None:
    """Run the pipeline's own manifest checks on the manifest plus the proposed rows."""
    combined = scratch / "manifest-with-draft.tsv"
    existing = read_manifest_rows(manifest)
    all_rows = [{c: row.get(c) or "" for c in MANIFEST_COLUMNS} for row in existing + rows]
    combined.write_text(rows_to_tsv(all_rows), encoding="utf-8")
    load_manifest(combined, fieldwork)
