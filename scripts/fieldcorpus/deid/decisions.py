"""Review decisions: how the review desk settles an open entry of the review queue or the
residual-identifier gate, and undoes it.

A decision is written where the pipeline reads it: a register row or alias, or an allow-list line
(which also releases a reviewed identifier shape, see residual.Release). An alias merge ("the same
person as [GP 1]") also appends one ledger row mapping the text to that person's pseudonym for
every item, so the ledger stays append-only and keeps every earlier number.

Every write is atomic, after a backup of each file it changes (restricted/review/backups/<decision
id>/, the id starting with the time), and is logged in restricted/review/decisions.tsv (who, when,
what, from which entry). A decision is refused, with nothing written, when its entry has left the
queue (a rerun), was already decided (another tab), or a file changed since the desk's page read
it (a hand edit)."""

from __future__ import annotations

import datetime as dt
import fcntl
import getpass
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from fieldcorpus.deid.entities import register_canonical
from fieldcorpus.deid.ledger import GUESS_SOURCES, NEUTRAL_PSEUDONYM, Ledger, locked
from fieldcorpus.deid.residual import Release
from fieldcorpus.deid.review import REVIEW_COLUMNS
from fieldcorpus.deid.textmatch import normalise
from fieldcorpus.errors import FieldcorpusError
from fieldcorpus.files import (
    RESTRICTED_FILE_MODE,
    atomic_write_text,
    make_restricted_dirs,
    read_json,
    read_tsv,
    tsv_text,
)
from fieldcorpus.manifest import REGISTER_COLUMNS, ROLES, load_allow_list, load_register

DECISIONS_FILE = "decisions.tsv"
DECISION_COLUMNS = (
    "decision_id",
    "decided_at",
    "decided_by",
    "action",
    "practice",
    "text",
    "target",
    "entries",
    "items",
    "files",
    "undone_at",
)
# action -> what it writes
ACTIONS = {
    "person": "a register row: a person, with the role chosen",
    "place": "a register row: a place",
    "organisation": "a register row: an organisation",
    "same_person": "an alias of an existing person (register) and its ledger row",
    "allow": "an allow-list line: not identifying",
    "release": "an allow-list line: an identifier shape reviewed as safe",
}
REVIEW_SOURCE = "review"
PASSAGE_CHARS = 160
_UNSAFE_TEXT = re.compile(r"[\t\r\n;#]")


class DecisionError(FieldcorpusError):
    """A decision the desk refuses; nothing was written. `kind` says why: gone (the entry left
    the queue), conflict (already decided), changed (a file changed since the page read it),
    invalid (a decision that does not fit), unreadable (a raw recording)."""

    def __init__(self, kind: str, item_id: str | None, reason: str, fix: str):
        super().__init__(item_id, reason, fix)
        self.kind = kind


@dataclass(frozen=True)
class Entry:
    """One open line of a practice's review queue (`review`) or of an item's gate hits
    (`gate`): restricted, it quotes the text."""

    entry_id: str
    queue: str
    practice: str
    item_id: str
    unit_id: str
    start: str
    end: str
    text: str
    pseudonym: str
    source: str
    score: str
    reason: str
    context: str

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def key(self) -> str:
        """The text as the register and allow-list match it: one decision for every
        occurrence."""
        return " ".join(self.text.lower().split())


def entry_id(queue: str, practice: str, row: dict) -> str:
    """Stable while the same detection stays in the queue; a rerun that changes it makes a new
    entry (the old one is then gone)."""
    fields = [queue, practice] + [str(row.get(c, "")) for c in ("item_id", "unit_id", "start")]
    fields += [str(row.get("end", "")), str(row.get("text", ""))]
    return hashlib.sha256("\x1f".join(fields).encode()).hexdigest()[:16]


def review_queues(restricted: Path) -> list[Path]:
    """Every practice's review queue (restricted/review/<practice>.tsv; not the decision log)."""
    review = restricted / "review"
    return [path for path in sorted(review.glob("*.tsv")) if path.name != DECISIONS_FILE]


def read_entries(restricted: Path) -> list[Entry]:
    """Every entry of every practice's review queue and gate hits, in file order."""
    entries = []
    review = restricted / "review"
    for path in review_queues(restricted):
        practice = path.stem
        for row in read_tsv(path):
            entries.append(_entry("review", practice, row))
    for path in sorted(review.glob("gate/*/*.tsv")):
        practice = path.parent.name
        for row in read_tsv(path):
            entries.append(_entry("gate", practice, {**row, "source": row.get("kind", "")}))
    return entries


def _entry(queue: str, practice: str, row: dict) -> Entry:
    return Entry(
        entry_id=entry_id(queue, practice, row),
        queue=queue,
        practice=practice,
        **{field: str(row.get(field) or "") for field in _ENTRY_FIELDS},
    )


# An entry keeps every column of the review queue but its suggested resolution.
_ENTRY_FIELDS = tuple(column for column in REVIEW_COLUMNS if column != "resolve")


# A label without a number ([Postcode], [NHS number]) stands for an identifier's shape; [Person]
# (ambiguous) and [Practice] are people and places.
_SHAPE_LABEL = re.compile(r"\[(?!Person\]|Practice\])[A-Za-z ]+\]")


def fits(entry: Entry) -> list[str]:
    """The decisions that fit an entry, most likely first."""
    if entry.queue == "gate" or _SHAPE_LABEL.fullmatch(entry.pseudonym):
        return ["release", "person", "same_person", "place", "organisation"]
    return ["same_person", "person", "allow", "place", "organisation"]


def sha256_or_empty(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return ""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


class Desk:
    """The review desk's state, read from the files on every call (a rerun or a hand edit
    shows at once); decisions and undos are serialised by a lock file."""

    def __init__(self, restricted: Path, register: Path, allow_list: Path, who: str = ""):
        self.restricted = Path(restricted)
        self.register = Path(register)
        self.allow_list = Path(allow_list)
        self.who = who or getpass.getuser()
        self.review = self.restricted / "review"

    # ------------------------------------------------------------------ reading

    def fingerprint(self) -> dict[str, str]:
        """What the page saw: the register's and the allow-list's sha256."""
        return {
            "register": sha256_or_empty(self.register),
            "allow_list": sha256_or_empty(self.allow_list),
        }

    def decisions(self) -> list[dict]:
        path = self.review / DECISIONS_FILE
        return read_tsv(path) if path.exists() else []

    def decided(self) -> dict[str, dict]:
        """Entry id -> the decision (not undone) that settled it."""
        settled = {}
        for row in self.decisions():
            if not row["undone_at"]:
                for settled_id in row["entries"].split(","):
                    settled[settled_id] = row
        return settled

    def entries(self) -> list[Entry]:
        return read_entries(self.restricted)

    def entry(self, wanted: str) -> Entry:
        for found in self.entries():
            if found.entry_id == wanted:
                return found
        raise DecisionError(
            "gone",
            None,
            "this entry is no longer in the review queue (a rerun settled or changed it); "
            "nothing was written",
            "the page shows the queue as it is now",
        )

    def occurrences(self, entry: Entry) -> list[Entry]:
        """Open entries with the same text that one decision settles: in the practice for the
        register, everywhere for the allow-list."""
        decided = self.decided()
        return [
            e
            for e in self.entries()
            if e.key == entry.key and e.practice == entry.practice and e.entry_id not in decided
        ]

    def persons(self, practice: str) -> list[dict]:
        """The people a text can be merged onto: every numbered person of the practice's
        ledger, with the name the register or the ledger knows them by."""
        ledger = Ledger.read(self.ledger_path(practice))
        names: dict[str, str] = {}
        canonical: dict[str, str] = {}
        for row in ledger.rows:
            pseudonym = row["pseudonym"]
            if row["entity_type"] != "person" or pseudonym == NEUTRAL_PSEUDONYM:
                continue
            canonical.setdefault(pseudonym, row["canonical"])
            if len(row["original"]) > len(names.get(pseudonym, "")):
                names[pseudonym] = row["original"]
        for entry in load_register(self.register):
            pseudonym = ledger.by_canonical(register_canonical(entry))
            if entry.practice == practice and pseudonym in names:
                names[pseudonym] = entry.name
        return [
            {"pseudonym": p, "name": names[p], "canonical": canonical[p]}
            for p in sorted(names, key=_pseudonym_order)
        ]

    def ledger_path(self, practice: str) -> Path:
        return self.restricted / "ledger" / f"{practice}.tsv"

    def affected_items(self, practice: str | None, text: str) -> list[str]:
        """Items whose text holds `text` (any case and spacing): those whose shareable outputs
        the next run changes (`practice` None: every practice, as for the allow-list)."""
        words = [re.escape(word) for word in text.split()]
        pattern = re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)", re.IGNORECASE)
        found = set()
        for folder in ("transcripts", "text"):
            for path in sorted((self.restricted / folder).glob(f"{practice or '*'}/*.json")):
                units = read_json(path).get("units", [])
                if any(pattern.search(str(u.get("text", ""))) for u in units):
                    found.add(path.stem)
        return sorted(found)

    # ------------------------------------------------------------------ deciding

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        make_restricted_dirs(self.review)
        with open(self.review / ".desk.lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _check_seen(self, seen: dict[str, str], item_id: str | None) -> None:
        now = self.fingerprint()
        changed = [name for name in now if seen.get(name) != now[name]]
        if not changed:
            return
        names = " and ".join(
            "the register" if n == "register" else "the allow-list" for n in changed
        )
        last = next((r for r in reversed(self.decisions()) if not r["undone_at"]), None)
        by_desk = last is not None and all(
            json.loads(last["files"]).get(n, {}).get("after") == now[n] for n in changed
        )
        where = "by another decision at the desk (another tab?)" if by_desk else "outside the desk"
        raise DecisionError(
            "changed",
            item_id,
            f"{names} changed {where} since this page read it; nothing was written",
            "the page reloads with the files as they are now: check the entry and decide again",
        )

    def decide(self, wanted: str, action: str, target: str, seen: dict[str, str]) -> dict:
        """Settle entry `wanted` (and every open occurrence of its text) with `action`:
        person (target: role), place, organisation, same_person (target: pseudonym), allow,
        release. Returns the decisions-log row."""
        if action not in ACTIONS:
            raise DecisionError("invalid", None, f"unknown decision {action!r}", "pick one")
        with self._exclusive():
            entry = self.entry(wanted)
            earlier = self.decided().get(wanted)
            if earlier:
                raise DecisionError(
                    "conflict",
                    entry.item_id,
                    f"this entry was already decided at {earlier['decided_at']} by "
                    f"{earlier['decided_by']} ({earlier['action']}), perhaps in another tab; "
                    "nothing was written",
                    "undo that decision first if it was wrong",
                )
            self._check_seen(seen, entry.item_id)
            text = " ".join(entry.text.split())
            if _UNSAFE_TEXT.search(text) or len(text) < 2:
                raise DecisionError(
                    "invalid",
                    entry.item_id,
                    "this text cannot go in the register or allow-list as it is (a tab, ';', "
                    "'#' or line break, or shorter than 2 characters)",
                    "edit the register or allow-list by hand",
                )
            changes = self._changes(entry, text, action, target)
            occurrences = self.occurrences(entry)
            decision_id = f"{_now():%Y%m%dT%H%M%SZ}-{wanted[:6]}"
            files = self._write(decision_id, changes)
            row = {
                "decision_id": decision_id,
                "decided_at": _now().isoformat(),
                "decided_by": self.who,
                "action": action,
                "practice": entry.practice,
                "text": text,
                "target": target,
                "entries": ",".join(e.entry_id for e in occurrences) or wanted,
                "items": ",".join(sorted({e.item_id for e in occurrences})),
                "files": json.dumps(files, sort_keys=True),
                "undone_at": "",
            }
            self._log([*self.decisions(), row])
            return row

    def _changes(self, entry: Entry, text: str, action: str, target: str) -> dict[Path, str]:
        """The new content of each file the decision changes."""
        if action in ("allow", "release"):
            if action == "release" and not Release(frozenset({text})).releases(entry.text):
                raise DecisionError(
                    "invalid", entry.item_id, "this allow-list line would not release the shape",
                    "edit the allow-list by hand",
                )  # fmt: skip
            current = (
                self.allow_list.read_text(encoding="utf-8") if self.allow_list.exists() else ""
            )
            if text.lower() in load_allow_list(self.allow_list):
                raise DecisionError(
                    "conflict", entry.item_id, "the allow-list already holds this text",
                    "rerun snakemake to apply it",
                )  # fmt: skip
            separator = "" if not current or current.endswith("\n") else "\n"
            why = "reviewed identifier shape" if action == "release" else "not identifying"
            return {self.allow_list: f"{current}{separator}{text}  # review desk: {why}\n"}
        if action == "same_person":
            return self._merge(entry, text, target)
        role = ""
        if action == "person":
            if target not in ROLES:
                raise DecisionError(
                    "invalid", entry.item_id, "pick the person's role", "choose one from the list"
                )
            role = target
        entity_type = "person" if action == "person" else action
        row = {"practice": entry.practice, "entity_type": entity_type, "name": text, "role": role}
        return {self.register: self._register_with(row)}

    def _merge(self, entry: Entry, text: str, pseudonym: str) -> dict[Path, str]:
        person = next(
            (p for p in self.persons(entry.practice) if p["pseudonym"] == pseudonym), None
        )
        if person is None:
            raise DecisionError(
                "invalid", entry.item_id, f"{pseudonym} is no person of {entry.practice}'s ledger",
                "choose a person from the list",
            )  # fmt: skip
        ledger_path = self.ledger_path(entry.practice)
        ledger = Ledger.read(ledger_path)
        if ledger.by_original(text) == pseudonym:
            raise DecisionError(
                "conflict", entry.item_id, f"the ledger already maps this text to {pseudonym}",
                "rerun snakemake",
            )  # fmt: skip
        register_entry = next(
            (
                e
                for e in load_register(self.register)
                if register_canonical(e) == person["canonical"]
            ),
            None,
        )
        if register_entry is not None:
            register_text = self._register_with_alias(
                register_entry.practice, register_entry.name, text
            )
        else:
            register_text = self._register_with(
                {
                    "practice": entry.practice,
                    "entity_type": "person",
                    "name": person["name"],
                    "aliases": text,
                    "pseudonym": pseudonym,
                }
            )
        # Appended with an empty 'since', the row applies to every item, earlier waves included:
        # the data manager said what this text means wherever it stands.
        rows = len(ledger.rows)
        ledger.add(text, person["canonical"], "person", pseudonym, REVIEW_SOURCE, entry.item_id, "")
        if len(ledger.rows) == rows:
            raise DecisionError(
                "invalid", entry.item_id,
                f"the ledger maps this text to {pseudonym} for earlier items and to another "
                "pseudonym since (an alias that became ambiguous)",
                "settle it in the register by hand",
            )  # fmt: skip
        return {self.register: register_text, ledger_path: ledger.to_tsv()}

    def _register_lines(self) -> tuple[list[str], list[str]]:
        lines = (
            self.register.read_text(encoding="utf-8-sig").splitlines()
            if self.register.exists()
            else []
        )
        header = lines[0].split("\t") if lines else list(REGISTER_COLUMNS)
        return ([*lines] if lines else ["\t".join(REGISTER_COLUMNS)]), [h.strip() for h in header]

    def _register_with(self, row: dict) -> str:
        lines, header = self._register_lines()
        lines.append("\t".join(str(row.get(column, "")) for column in header))
        return "\n".join(lines) + "\n"

    def _register_with_alias(self, practice: str, name: str, alias: str) -> str:
        lines, header = self._register_lines()
        for index, line in enumerate(lines[1:], start=1):
            cells = line.split("\t") + [""] * (len(header) - len(line.split("\t")))
            row = dict(zip(header, cells, strict=False))
            if row.get("practice", "").strip() == practice and row.get("name", "").strip() == name:
                aliases = [a.strip() for a in row.get("aliases", "").split(";") if a.strip()]
                cells[header.index("aliases")] = ";".join([*aliases, alias])
                lines[index] = "\t".join(cells)
                return "\n".join(lines) + "\n"
        raise DecisionError(
            "invalid", None, "that person's register row is gone", "reload the page"
        )

    def _write(self, decision_id: str, changes: dict[Path, str]) -> dict[str, dict]:
        """Check every new content parses, back every file up, then write each atomically."""
        backup_dir = make_restricted_dirs(self.review / "backups" / decision_id)
        for path, text in changes.items():
            if path == self.register:
                _check_register(text, backup_dir)
        files = {}
        for path, text in changes.items():
            name = self._file_name(path)
            before = sha256_or_empty(path)
            if path.exists():
                shutil.copy2(path, backup_dir / name)
                os.chmod(backup_dir / name, RESTRICTED_FILE_MODE)
            mode = path.stat().st_mode & 0o777 if path.exists() else RESTRICTED_FILE_MODE
            if path.parent.name == "ledger":
                with locked(path):
                    if sha256_or_empty(path) != before:
                        raise DecisionError(
                            "changed", None, "the ledger changed while deciding (a run?)",
                            "wait for the run to end, then decide again",
                        )  # fmt: skip
                    atomic_write_text(path, text, mode)
            else:
                atomic_write_text(path, text, mode)
            files[name] = {
                "path": str(path),
                "backup": str(backup_dir / name) if before else "",
                "before": before,
                "after": sha256_or_empty(path),
            }
        return files

    def _file_name(self, path: Path) -> str:
        if path == self.register:
            return "register"
        if path == self.allow_list:
            return "allow_list"
        return f"ledger-{path.stem}"

    def _log(self, rows: list[dict]) -> None:
        atomic_write_text(
            self.review / DECISIONS_FILE, tsv_text(rows, DECISION_COLUMNS), RESTRICTED_FILE_MODE
        )

    def undo(self, decision_id: str) -> dict:
        """Put back the files a decision changed, from its backups, if nothing changed them
        since (a later decision, a hand edit, a run that used the ledger row)."""
        with self._exclusive():
            rows = self.decisions()
            row = next((r for r in rows if r["decision_id"] == decision_id), None)
            if row is None or row["undone_at"]:
                raise DecisionError(
                    "gone", None, "no such decision to undo (already undone?)", "reload the page"
                )
            files = json.loads(row["files"])
            moved = [n for n, f in files.items() if sha256_or_empty(Path(f["path"])) != f["after"]]
            if moved:
                raise DecisionError(
                    "changed",
                    None,
                    f"{', '.join(moved)} changed after this decision (a later decision, a hand "
                    "edit or a run); undoing it would lose that change; nothing was written",
                    "undo the later decisions first, or edit the file by hand",
                )
            for file in files.values():
                path = Path(file["path"])
                if file["backup"]:
                    mode = path.stat().st_mode & 0o777
                    text = Path(file["backup"]).read_text(encoding="utf-8")
                    if path.parent.name == "ledger":
                        with locked(path):
                            atomic_write_text(path, text, mode)
                    else:
                        atomic_write_text(path, text, mode)
                else:
                    path.unlink()
            row["undone_at"] = _now().isoformat()
            self._log(rows)
            return row


def _check_register(text: str, folder: Path) -> None:
    """The register the decision would write must parse as the pipeline parses it."""
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", dir=folder, encoding="utf-8") as probe:
        probe.write(text)
        probe.flush()
        try:
            load_register(probe.name)
        except FieldcorpusError as error:
            raise DecisionError(
                "invalid", None, f"the register would not parse: {error}", "edit it by hand"
            ) from error


def _pseudonym_order(pseudonym: str) -> tuple:
    found = re.fullmatch(r"\[(.*?)(?: (\d+))?\]", pseudonym)
    return (found.group(1), int(found.group(2) or 0)) if found else (pseudonym, 0)


def without_released(ledger: Ledger, allow_list: frozenset[str]) -> Ledger:
    """The ledger as pseudonymisation and the leak check apply it once the allow-list has
    spoken: without the rows of guessed names (NER, capitalised words, ...) now on the
    allow-list, and of identifiers whose shape it releases. The rows stay in the file
    (append-only); they only stop matching. Register and review rows always match."""
    allowed = {normalise(term) for term in allow_list}
    release = Release(allow_list)
    kept = [
        row
        for row in ledger.rows
        if not (
            (row["source"] in GUESS_SOURCES and normalise(row["original"]) in allowed)
            or (row["entity_type"] == "identifier" and release.releases(row["original"]))
        )
    ]
    return ledger if len(kept) == len(ledger.rows) else Ledger(kept)


def passage(restricted: Path, entry: Entry) -> dict:
    """The passage around an entry, split into before / span / after, and its unit's time
    (speech) or page (documents): a review entry from its restricted unit, a gate entry (whose
    offsets are in pseudonymised text) from its context."""
    unit = unit_of(restricted, entry)
    before, span, after = _split_context(entry.context)
    if unit is not None and entry.queue == "review" and entry.start.isdigit():
        text = str(unit.get("text", ""))
        start, end = int(entry.start), int(entry.end)
        if text[start:end] == entry.text:
            before = text[max(0, start - PASSAGE_CHARS) : start]
            span, after = text[start:end], text[end : end + PASSAGE_CHARS]
    found = {"before": before, "span": span, "after": after, "start_s": None, "end_s": None}
    if unit is not None:
        found["page"] = unit.get("page")
        if "start" in unit:
            found["start_s"], found["end_s"] = unit.get("start"), unit.get("end")
    return found


def _split_context(context: str) -> tuple[str, str, str]:
    head, _, rest = context.partition("[[")
    span, _, tail = rest.partition("]]")
    return head.lstrip("…"), span, tail.rstrip("…")


def unit_of(restricted: Path, entry: Entry) -> dict | None:
    """The entry's restricted unit (for a gate hit across units: the first, with the time of
    all of them)."""
    ids = entry.unit_id.split("+")
    for folder in ("transcripts", "text"):
        path = restricted / folder / entry.practice / f"{entry.item_id}.json"
        if path.is_file():
            units = {str(u.get("id")): u for u in read_json(path).get("units", [])}
            found = [units[i] for i in ids if i in units]
            if not found:
                return None
            unit = dict(found[0])
            if "end" in found[-1]:
                unit["end"] = found[-1]["end"]
            return unit
    return None
