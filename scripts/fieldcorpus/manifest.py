"""Manifest and register loading with schema validation and cross-checks.

Every problem is reported at once, one line per bad cell, naming the row and the column but never
the raw path (a file name can identify a participant).
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import jsonschema
import yaml

from fieldcorpus.errors import FieldcorpusError, ManifestError
from fieldcorpus.paths import SCHEMA_DIR

RECORDING_KINDS = frozenset({"interview", "clinic_review", "workshop", "meeting"})
# The roles a manifest row may give (the enum in manifest.schema.yaml says the same).
ROLES = (
    "gp",
    "nurse",
    "practice_manager",
    "receptionist",
    "pharmacist",
    "patient",
    "facilitator",
    "researcher",
    "other",
)
MANIFEST_COLUMNS = (
    "item_id",
    "practice",
    "wave",
    "collected_on",
    "kind",
    "role",
    "path",
    "language",
    "notes",
    "speakers",
)
ITEM_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
REQUIRED_COLUMNS = ("item_id", "practice", "wave", "collected_on", "kind", "role", "path")
REGISTER_COLUMNS = ("practice", "entity_type", "name", "aliases", "role", "pseudonym")


@dataclass(frozen=True)
class Item:
    item_id: str
    practice: str
    wave: int
    collected_on: str
    kind: str
    role: str
    path: str
    language: str = "en"
    notes: str = ""
    speakers: int | None = None

    @property
    def is_recording(self) -> bool:
        return self.kind in RECORDING_KINDS

    @property
    def order_key(self) -> tuple:
        return (self.wave, self.collected_on, self.item_id)

    def public_metadata(self) -> dict:
        """The facts about an item that may appear in the shareable zone."""
        return {
            "item_id": self.item_id,
            "practice": self.practice,
            "wave": self.wave,
            "collected_on": self.collected_on,
            "kind": self.kind,
            "role": self.role,
            "language": self.language,
        }


@dataclass(frozen=True)
class RegisterEntry:
    practice: str
    entity_type: str
    name: str
    aliases: tuple[str, ...] = ()
    role: str = ""
    pseudonym: str = ""

    @property
    def strings(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass
class Manifest:
    items: dict[str, Item] = field(default_factory=dict)

    def by_practice(self) -> dict[str, list[Item]]:
        grouped: dict[str, list[Item]] = {}
        for item in sorted(self.items.values(), key=lambda i: i.order_key):
            grouped.setdefault(item.practice, []).append(item)
        return grouped

    @property
    def practices(self) -> list[str]:
        return sorted({item.practice for item in self.items.values()})


@cache
def _validator(schema_name: str) -> jsonschema.Draft202012Validator:
    with open(SCHEMA_DIR / schema_name, encoding="utf-8") as handle:
        schema = yaml.safe_load(handle)
    return jsonschema.Draft202012Validator(schema)


def _read_tsv(path: Path, what: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Read a UTF-8 TSV (BOM and CRLF tolerated); returns header and (line number, row) pairs."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            lines = handle.read().splitlines()
    except FileNotFoundError as exc:
        raise FieldcorpusError(
            None, f"the {what} file does not exist", f"check config '{what}'"
        ) from exc
    except UnicodeDecodeError as exc:
        raise FieldcorpusError(
            None, f"the {what} is not UTF-8 text", "save it as UTF-8 (tab-separated)"
        ) from exc
    numbered = [(n, line) for n, line in enumerate(lines, start=1) if line.strip()]
    if not numbered:
        raise FieldcorpusError(None, f"the {what} is empty", "add a header row and item rows")
    header_line = numbered[0][1]
    header = [h.strip() for h in next(csv.reader([header_line], delimiter="\t"))]
    rows = []
    for number, line in numbered[1:]:
        cells = next(csv.reader([line], delimiter="\t"))
        if len(cells) > len(header):
            extra = [c for c in cells[len(header) :] if c.strip()]
            if extra:
                cells = cells[: len(header)] + ["\t".join(extra)]
        row = {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header)}
        if len(cells) > len(header):
            row["__extra__"] = cells[-1]
        rows.append((number, row))
    return header, rows


def _coerce_manifest_row(row: dict[str, str]) -> tuple[dict, list[tuple[str, str]]]:
    problems: list[tuple[str, str]] = []
    record: dict = {k: v for k, v in row.items() if k in MANIFEST_COLUMNS and v != ""}
    for column in ("wave", "speakers"):
        if column in record:
            try:
                record[column] = int(record[column])
            except ValueError:
                problems.append((column, f"'{record[column]}' is not a whole number"))
                del record[column]
    if "collected_on" in record:
        try:
            dt.date.fromisoformat(record["collected_on"])
        except ValueError:
            problems.append(("collected_on", "not a valid ISO date (YYYY-MM-DD)"))
            del record["collected_on"]
    return record, problems


def _schema_problems(validator, record: dict) -> list[tuple[str, str]]:
    problems = []
    for error in sorted(validator.iter_errors(record), key=lambda e: list(e.path)):
        if error.validator == "required":
            column = error.message.split("'")[1]
            problems.append((column, "is missing or empty"))
        elif error.path:
            column = str(error.path[0])
            if error.validator == "enum":
                allowed = ", ".join(error.validator_value)
                problems.append((column, f"'{error.instance}' is not one of: {allowed}"))
            elif error.validator == "pattern" and column == "practice":
                problems.append(
                    (column, "must be a pseudonymous code such as P01, never a practice name")
                )
            elif error.validator == "pattern":
                # The bad value is not echoed: a malformed id may be a person's name.
                problems.append((column, f"has the wrong format ({error.validator_value})"))
            else:
                problems.append((column, error.message))
        else:
            problems.append(("-", error.message))
    return problems


def _check_path(path_text: str, fieldwork_root: Path) -> str | None:
    """Return a problem (without echoing the path) or None when the file is usable."""
    if path_text.startswith(("/", "\\")) or (len(path_text) > 1 and path_text[1] == ":"):
        return "is absolute; give it relative to the fieldwork root"
    parts = Path(path_text).parts
    if ".." in parts:
        return "contains '..'; give a path inside the fieldwork root"
    candidate = fieldwork_root / path_text
    if not candidate.exists():
        return "no file at this path under the fieldwork root; correct the path or copy the file"
    resolved = candidate.resolve()
    try:
        resolved.relative_to(fieldwork_root.resolve())
    except ValueError:
        return "resolves (through a link) outside the fieldwork root; copy the file in instead"
    if not resolved.is_file():
        return "is not a regular file"
    return None


def load_manifest(path: str | os.PathLike, fieldwork_root: str | os.PathLike) -> Manifest:
    """Parse and validate the manifest; raise ManifestError listing every bad row and column."""
    path, fieldwork_root = Path(path), Path(fieldwork_root)
    header, rows = _read_tsv(path, "manifest")
    problems: list[str] = []
    missing_columns = [c for c in REQUIRED_COLUMNS if c not in header]
    unknown_columns = [c for c in header if c not in MANIFEST_COLUMNS]
    if missing_columns:
        problems.append(f"header: missing column(s) {', '.join(missing_columns)}")
    if unknown_columns:
        problems.append(f"header: unknown column(s) {', '.join(unknown_columns)}")
    if problems:
        raise ManifestError(problems)
    if not fieldwork_root.is_dir():
        raise FieldcorpusError(
            None, "the fieldwork root is not a directory", "check config 'fieldwork_dir'"
        )

    validator = _validator("manifest.schema.yaml")
    items: dict[str, Item] = {}
    first_line: dict[str, int] = {}
    for number, row in rows:
        item_id = row.get("item_id", "")
        safe_id = ITEM_ID_PATTERN.fullmatch(item_id) is not None
        label = f"row {number}" + (f" (item {item_id})" if safe_id else "")
        row_problems: list[tuple[str, str]] = []
        if "__extra__" in row:
            row_problems.append(("-", "has more cells than the header; check the tabs"))
        record, coercion = _coerce_manifest_row(row)
        row_problems += coercion
        # A cell that failed coercion was dropped from the record: the schema would call it
        # "missing or empty" too, a second and misleading line for the same cell.
        coerced = {column for column, _ in coercion}
        row_problems += [
            (column, message)
            for column, message in _schema_problems(validator, record)
            if column not in coerced
        ]
        if item_id and item_id in first_line:
            row_problems.append(
                ("item_id", f"duplicates the id on row {first_line[item_id]}; ids must be unique")
            )
        if record.get("path"):
            path_problem = _check_path(record["path"], fieldwork_root)
            if path_problem:
                row_problems.append(("path", path_problem))
        if row_problems:
            problems += [f"{label}, column {col}: {msg}" for col, msg in row_problems]
            continue
        first_line[item_id] = number
        items[item_id] = Item(**record)
    if problems:
        raise ManifestError(problems)
    if not items:
        raise ManifestError([f"{path.name}: no item rows"])
    return Manifest(items)


def load_register(path: str | os.PathLike | None) -> list[RegisterEntry]:
    """Parse the register of known real entities; a missing file means an empty register."""
    if not path or not Path(path).exists():
        return []
    header, rows = _read_tsv(Path(path), "register")
    validator = _validator("register.schema.yaml")
    problems: list[str] = []
    entries: list[RegisterEntry] = []
    for number, row in rows:
        record = {k: v for k, v in row.items() if k in REGISTER_COLUMNS and v != ""}
        record["aliases"] = [a.strip() for a in row.get("aliases", "").split(";") if a.strip()]
        errors = _schema_problems(validator, record)
        if errors:
            # Register rows hold real names: report the row and column only.
            problems += [f"register row {number}, column {col}: invalid value" for col, _ in errors]
            continue
        record["aliases"] = tuple(record["aliases"])
        entries.append(RegisterEntry(**record))
    if problems:
        raise ManifestError(problems)
    return entries


def load_allow_list(path: str | os.PathLike | None) -> frozenset[str]:
    """One term per line, '#' comments; matched case-insensitively."""
    if not path or not Path(path).exists():
        return frozenset()
    terms = set()
    with open(path, encoding="utf-8-sig") as handle:
        for line in handle:
            term = line.split("#", 1)[0].strip()
            if term:
                terms.add(" ".join(term.lower().split()))
    return frozenset(terms)
