"""Leak check: every ledger original and register string, searched case- and whitespace-
insensitively through every shareable file (contents, containers and file names).

Findings name the file and the item, never the string found."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

from .errors import LeakError
from .ledger import Ledger
from .manifest import RegisterEntry
from .textmatch import compile_alternation

_TAG = re.compile(r"<[^>]+>")


def _zip_text(data: bytes) -> str:
    parts = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            parts.append(info.filename)
            content = archive.read(info)
            if info.filename.endswith(".parquet"):
                parts.append(_parquet_text(content))
            elif content.startswith(b"PK\x03\x04"):
                parts.append(_zip_text(content))
            else:
                text = content.decode("utf-8", errors="ignore")
                parts.append(text)
                if info.filename.endswith((".xml", ".qde", ".rels", ".html")):
                    parts.append(_TAG.sub("", text))
    return "\n".join(parts)


def _parquet_text(data: bytes) -> str:
    import pyarrow.parquet as pq

    table = pq.read_table(io.BytesIO(data))
    parts = []
    for column in table.columns:
        parts += [str(v) for v in column.to_pylist() if v is not None]
    return "\n".join(parts)


def file_text(path: Path) -> str:
    """Everything searchable in a shareable file, whatever its container."""
    data = path.read_bytes()
    if path.suffix == ".parquet":
        return _parquet_text(data)
    if data.startswith(b"PK\x03\x04"):
        return _zip_text(data)
    text = data.decode("utf-8", errors="ignore")
    if path.suffix in (".html", ".xml", ".qde", ".svg"):
        text += "\n" + _TAG.sub("", text)
    return text


def needles(ledgers: list[Ledger], register: list[RegisterEntry]) -> list[str]:
    strings = {original for ledger in ledgers for original in ledger.originals}
    strings |= {string for entry in register for string in entry.strings}
    return sorted(strings)


def item_of(path: Path, item_ids: set[str]) -> str:
    for part in reversed(path.parts):
        stem = part.split(".", 1)[0]
        if stem in item_ids:
            return stem
    return "-"


def check_tree(
    shareable_dir: str | Path,
    ledgers: list[Ledger],
    register: list[RegisterEntry],
    item_ids: set[str],
) -> list[dict]:
    """Scan the shareable tree; return one row per file (result 'clean' or 'leak')."""
    root = Path(shareable_dir)
    pattern = compile_alternation(needles(ledgers, register))
    rows = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        relative = path.relative_to(root)
        if relative.name.startswith(".") and relative.name.endswith(".partial"):
            continue
        if relative.as_posix() == "leak-check.tsv":
            continue
        found = False
        if pattern is not None:
            found = bool(pattern.search(relative.as_posix().replace("_", " ")))
            found = found or bool(pattern.search(file_text(path)))
        rows.append(
            {
                "file": relative.as_posix(),
                "item_id": item_of(relative, item_ids),
                "result": "leak" if found else "clean",
            }
        )
    return rows


def rows_to_tsv(rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, ("file", "item_id", "result"), delimiter="\t", lineterminator="\n"
    )
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def raise_on_leaks(rows: list[dict]) -> None:
    leaks = [row for row in rows if row["result"] == "leak"]
    if leaks:
        listing = "; ".join(f"{row['file']} (item {row['item_id']})" for row in leaks)
        raise LeakError(
            None,
            f"leak check failed: a ledger or register string was found in {len(leaks)} "
            f"shareable file(s): {listing}",
            "remove or fix these files (check the register, allow-list and review queue), then "
            "rerun; the strings are not printed here",
        )
