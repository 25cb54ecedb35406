"""The per-practice pseudonym ledger: append-only, like a lock file.

Entries are added, never renumbered or removed, so a pseudonym published after wave 1 still
means the same entity after wave 8. Updates happen under a file lock and are written atomically.
"""

from __future__ import annotations

import csv
import fcntl
import io
import re
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path

from .files import RESTRICTED_FILE_MODE, atomic_write_text, make_restricted_dirs, sha256_file
from .manifest import RegisterEntry
from .textmatch import is_numeric_identifier, normalise

LEDGER_COLUMNS = ("original", "canonical", "entity_type", "pseudonym", "source", "first_item")
UNNUMBERED_LABELS = frozenset({"Practice"})
NEUTRAL_PSEUDONYM = "[Person]"
_NUMBERED = re.compile(r"^\[(.+) (\d+)\]$")


def original_key(text: str) -> str:
    if is_numeric_identifier(text):
        return "".join(ch for ch in text if ch.isalnum()).lower()
    return re.sub(r"[\s\-]+", "", normalise(text))


class Ledger:
    def __init__(self, rows: Iterable[dict] = ()):
        self.rows: list[dict] = []
        self._by_original: dict[str, str] = {}
        self._by_canonical: dict[str, str] = {}
        for row in rows:
            self._index(row)

    def _index(self, row: dict) -> None:
        self.rows.append(row)
        self._by_original.setdefault(original_key(row["original"]), row["pseudonym"])
        self._by_canonical.setdefault(row["canonical"], row["pseudonym"])

    @classmethod
    def read(cls, path: str | Path) -> Ledger:
        path = Path(path)
        if not path.exists():
            return cls()
        with open(path, encoding="utf-8", newline="") as handle:
            return cls(csv.DictReader(handle, delimiter="\t"))

    def to_tsv(self) -> str:
        buffer = io.StringIO()
        writer = csv.DictWriter(
            buffer, LEDGER_COLUMNS, delimiter="\t", lineterminator="\n", extrasaction="ignore"
        )
        writer.writeheader()
        writer.writerows(self.rows)
        return buffer.getvalue()

    @property
    def originals(self) -> list[str]:
        return [row["original"] for row in self.rows]

    def lookup(self, detection: dict) -> str | None:
        if detection.get("ambiguous"):
            return NEUTRAL_PSEUDONYM
        return self._by_canonical.get(detection["canonical"]) or self._by_original.get(
            original_key(detection["text"])
        )

    def _next_pseudonym(self, label: str, reserved: set[str]) -> str:
        if label in UNNUMBERED_LABELS:
            return f"[{label}]"
        used = {row["pseudonym"] for row in self.rows} | reserved
        number = 1
        while f"[{label} {number}]" in used:
            number += 1
        return f"[{label} {number}]"

    def add(
        self,
        original: str,
        canonical: str,
        entity_type: str,
        pseudonym: str,
        source: str,
        item_id: str,
    ) -> None:
        if original_key(original) in self._by_original and canonical in self._by_canonical:
            return
        self._index(
            {
                "original": original,
                "canonical": canonical,
                "entity_type": entity_type,
                "pseudonym": pseudonym,
                "source": source,
                "first_item": item_id,
            }
        )

    def assign(
        self, detection: dict, item_id: str, register_by_canonical: dict, reserved: set[str]
    ) -> str:
        """Pseudonym for a detection, adding ledger rows for anything new."""
        if detection.get("ambiguous"):
            return NEUTRAL_PSEUDONYM
        pseudonym = self.lookup(detection)
        if pseudonym is None:
            pseudonym = detection.get("fixed_pseudonym") or self._next_pseudonym(
                detection["label"], reserved
            )
        canonical = detection["canonical"]
        self.add(
            detection["text"],
            canonical,
            detection["entity_type"],
            pseudonym,
            detection["source"],
            item_id,
        )
        entry: RegisterEntry | None = register_by_canonical.get(canonical)
        if entry is not None:
            for string in entry.strings:
                self.add(string, canonical, entry.entity_type, pseudonym, "register", item_id)
        return pseudonym


@contextmanager
def locked(path: Path):
    """Exclusive lock beside the ledger, so concurrent updates never interleave."""
    make_restricted_dirs(path.parent)
    lock_path = path.with_suffix(path.suffix + ".lock")
    with open(lock_path, "a") as lock_handle:
        fcntl.flock(lock_handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_handle, fcntl.LOCK_UN)


def ledger_version(path: str | Path) -> dict:
    path = Path(path)
    if not path.exists():
        return {"entries": 0, "sha256": None}
    return {"entries": len(Ledger.read(path).rows), "sha256": sha256_file(path)}


def update_ledger(
    ledger_path: str | Path,
    detections_by_item: list[tuple[str, list[dict]]],
    register: list[RegisterEntry],
) -> Ledger:
    """Append every new entity in `detections_by_item` (already in wave/date/id order)."""
    from .entities import register_canonical

    ledger_path = Path(ledger_path)
    register_by_canonical = {register_canonical(e): e for e in register}
    reserved = {e.pseudonym for e in register if e.pseudonym}
    with locked(ledger_path):
        ledger = Ledger.read(ledger_path)
        before = len(ledger.rows)
        for item_id, detections in detections_by_item:
            for detection in detections:
                ledger.assign(detection, item_id, register_by_canonical, reserved)
        if len(ledger.rows) != before or not ledger_path.exists():
            atomic_write_text(ledger_path, ledger.to_tsv(), RESTRICTED_FILE_MODE)
    return ledger
