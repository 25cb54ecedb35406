"""The per-practice pseudonym ledger: append-only, like a lock file.

Entries are added, never renumbered or removed, so a pseudonym published after wave 1 still
means the same entity after wave 8. Updates happen under a file lock and are written atomically.
"""

from __future__ import annotations

import fcntl
import re
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path

from fieldcorpus.deid.aliases import TITLES, candidates, name_tokens
from fieldcorpus.deid.entities import register_canonical
from fieldcorpus.deid.textmatch import compile_alternation, is_numeric_identifier, normalise
from fieldcorpus.deid.truecase import is_ordinary_word, stop_words
from fieldcorpus.files import (
    RESTRICTED_FILE_MODE,
    atomic_write_text,
    make_restricted_dirs,
    read_tsv,
    sha256_file,
    tsv_text,
)
from fieldcorpus.manifest import RegisterEntry

LEDGER_COLUMNS = (
    "original",
    "canonical",
    "entity_type",
    "pseudonym",
    "source",
    "first_item",
    "since",
)
UNNUMBERED_LABELS = frozenset({"Practice"})
# A first name that stood beside a replaced surname: replaced wherever it stands alone.
FIRST_NAME_SOURCE = "first-name"
# Sources that guess: their entries count in their own practice only (see leakcheck.Needles).
GUESS_SOURCES = frozenset({"ner", "capitalised", "answer", "column", FIRST_NAME_SOURCE})
NEUTRAL_PSEUDONYM = "[Person]"


def original_key(text: str) -> str:
    if is_numeric_identifier(text):
        return "".join(ch for ch in text if ch.isalnum()).lower()
    return re.sub(r"[\s\-.]+", "", normalise(text))


def order_key(item: dict) -> str:
    """Where an item sits in ledger order (wave, collection date, item id), as a sortable
    string; rows carry the key of the item that added them ('since')."""
    return f"{int(item['wave']):05d}|{item['collected_on']}|{item['item_id']}"


class Ledger:
    """Rows in the order they were added. A row applies to items at or after its 'since' key;
    for an original that several rows map (an alias that became ambiguous in a later wave) an
    item sees the latest row that applies to it, so earlier items keep their pseudonyms."""

    def __init__(self, rows: Iterable[dict] = ()):
        self.rows: list[dict] = []
        self._by_original: dict[str, list[dict]] = {}
        self._by_canonical: dict[str, str] = {}
        for row in rows:
            self._index({**row, "since": row.get("since") or ""})

    def _index(self, row: dict) -> None:
        self.rows.append(row)
        self._by_original.setdefault(original_key(row["original"]), []).append(row)
        self._by_canonical.setdefault(row["canonical"], row["pseudonym"])

    @classmethod
    def read(cls, path: str | Path) -> Ledger:
        path = Path(path)
        if not path.exists():
            return cls()
        return cls(read_tsv(path))

    def to_tsv(self) -> str:
        return tsv_text(self.rows, LEDGER_COLUMNS, ignore_extra=True)

    @property
    def originals(self) -> list[str]:
        return [row["original"] for row in self.rows]

    def capitalised_only(self) -> set[str]:
        """Originals that only NER guessed and that are ordinary words: matched elsewhere only
        when capitalised (see textmatch.compile_alternation)."""
        return {
            row["original"]
            for row in self.rows
            if row["source"] in GUESS_SOURCES and is_ordinary_word(row["original"])
        }

    def pattern(self, lowercase_text: bool = False):
        """Every original, as pseudonymisation and the leak check look for them. In lowercase
        text ('dawn rang back') a name cannot show its capital, so there ordinary-word names
        match in any case too, stop words ('will') excepted: fail closed."""
        capitalised = self.capitalised_only()
        if lowercase_text:
            capitalised = {o for o in capitalised if normalise(o) in stop_words()}
        others = [o for o in self.originals if o not in capitalised]
        return compile_alternation(others, capitalised)

    def by_original(self, text: str, key: str = "~") -> str | None:
        """The pseudonym of `text` as an item with order key `key` sees it."""
        rows = self._by_original.get(original_key(text))
        if not rows:
            return None
        applicable = [row for row in rows if row["since"] <= key]
        return (applicable[-1] if applicable else rows[0])["pseudonym"]

    def by_canonical(self, canonical: str) -> str | None:
        return self._by_canonical.get(canonical)

    def lookup(self, detection: dict, key: str = "~") -> str | None:
        if detection.get("ambiguous"):
            return NEUTRAL_PSEUDONYM
        return self.by_original(detection["text"], key) or self.by_canonical(detection["canonical"])

    def _next_pseudonym(self, label: str, reserved: set[str]) -> str:
        if label in UNNUMBERED_LABELS:
            return f"[{label}]"
        used = {row["pseudonym"] for row in self.rows} | reserved
        number = 1
        while f"[{label} {number}]" in used:
            number += 1
        return f"[{label} {number}]"

    def add(self, original, canonical, entity_type, pseudonym, source, item_id, key="") -> None:
        """Append a row unless this original already maps to this pseudonym."""
        known = self._by_original.get(original_key(original), [])
        if any(row["pseudonym"] == pseudonym for row in known):
            return
        self._index(
            {
                "original": original,
                "canonical": canonical,
                "entity_type": entity_type,
                "pseudonym": pseudonym,
                "source": source,
                "first_item": item_id,
                "since": key,
            }
        )

    def people(self, key: str, register: Iterable[RegisterEntry]) -> dict[str, frozenset[str]]:
        """Pseudonym -> name words of every person known to an item at `key`."""
        people: dict[str, frozenset[str]] = {}
        for row in self.rows:
            if row["entity_type"] != "person" or row["pseudonym"] == NEUTRAL_PSEUDONYM:
                continue
            if row["since"] > key or row["source"] == "ambiguous":
                continue
            pseudonym = row["pseudonym"]
            people[pseudonym] = people.get(pseudonym, frozenset()) | name_tokens(row["original"])
        for entry in register:
            pseudonym = self.by_canonical(register_canonical(entry))
            if entry.entity_type == "person" and pseudonym:
                people[pseudonym] = people.get(pseudonym, frozenset()) | name_tokens(entry.name)
        return people

    def assign(
        self,
        detection: dict,
        item_id: str,
        register_by_canonical: dict,
        reserved: set[str],
        key: str = "",
        plan: PeoplePlan | None = None,
    ) -> str:
        """Pseudonym for a detection, adding ledger rows for anything new."""
        text, canonical = detection["text"], detection["canonical"]
        entry: RegisterEntry | None = register_by_canonical.get(canonical)
        ambiguous = bool(detection.get("ambiguous"))
        pseudonym = None if ambiguous else self.lookup(detection, key or "~")
        if pseudonym not in (None, NEUTRAL_PSEUDONYM) and plan is not None:
            # 'Sarah' meant one person until a second Sarah arrived in this item's wave.
            ambiguous = plan.now_ambiguous(self, detection, key or "~")
        entity_type = detection["entity_type"]
        if pseudonym is None and not ambiguous and plan is not None:
            pseudonym, is_person = plan.resolve(self, detection, key or "~", reserved)
            entity_type = "person" if is_person else entity_type
        if ambiguous or pseudonym == NEUTRAL_PSEUDONYM:
            self.add(text, "ambiguous", entity_type, NEUTRAL_PSEUDONYM, "ambiguous", item_id, key)
            return NEUTRAL_PSEUDONYM
        if pseudonym is None:
            label = "Person" if entity_type == "person" and entry is None else detection["label"]
            pseudonym = detection.get("fixed_pseudonym") or self._next_pseudonym(label, reserved)
        if entry is None and entity_type == "person":
            canonical = f"entity:{pseudonym}"
        self.add(text, canonical, entity_type, pseudonym, detection["source"], item_id, key)
        if entry is not None:
            # The register's strings keep the entry's own pseudonym, even when this text meant
            # someone else before (an alias the review desk added to the entry).
            own = self.by_canonical(canonical) or pseudonym
            for string in entry.strings:
                self.add(string, canonical, entry.entity_type, own, "register", item_id, key)
        return pseudonym


class PeoplePlan:
    """Person mentions of the items being added, grouped before any pseudonym is given: every
    multi-word name is a provisional person, so 'Mrs Bird' in wave 1 and 'Norman' in wave 2 both
    join 'Norman Bird' when that is the one person they fit."""

    def __init__(self, detections_by_item, register: list[RegisterEntry]):
        self.register = register
        first_seen: dict[frozenset[str], str] = {}
        for _, key, detections in detections_by_item:
            for detection in detections:
                if _may_be_person(detection):
                    tokens = name_tokens(detection["text"])
                    if len(tokens) >= 2:
                        first_seen.setdefault(tokens, key)
        # A longer name absorbs a shorter one it contains when that is the only such name.
        self.provisional: dict[str, frozenset[str]] = {}
        self.since: dict[str, str] = {}
        for tokens in sorted(first_seen, key=lambda t: (-len(t), sorted(t))):
            holders = [k for k, known in self.provisional.items() if tokens <= known]
            if len(holders) == 1:
                self.since[holders[0]] = min(self.since[holders[0]], first_seen[tokens])
            else:
                name = f"new:{len(self.provisional)}"
                self.provisional[name], self.since[name] = tokens, first_seen[tokens]
        self.pseudonyms: dict[str, str] = {}

    def _identities(
        self, ledger: Ledger, tokens: frozenset[str], key: str, ahead: bool = True
    ) -> set[str]:
        """Every person a mention may mean: people in the ledger as the item at `key` sees
        them, and the names of the items being added (`ahead`: also those of later items, so
        'Dr Patel' joins the 'Dr Sarah Patel' of a later item in the same run)."""
        known = ledger.people(key, self.register)
        provisional = {k: t for k, t in self.provisional.items() if ahead or self.since[k] <= key}
        found = candidates(tokens, known) + candidates(tokens, provisional)
        return {self._identity(c, known) for c in found}

    def now_ambiguous(self, ledger: Ledger, detection: dict, key: str) -> bool:
        """Whether a mention the ledger already maps now fits more than one person."""
        if not _may_be_person(detection) or detection["entity_type"] != "person":
            return False
        if detection["source"] == "register" and detection["score"] >= 1.0:
            return False  # a name or alias the register declares
        # Only names met by this item count: a later wave must not change an earlier item.
        return len(self._identities(ledger, name_tokens(detection["text"]), key, False)) > 1

    def resolve(
        self, ledger: Ledger, detection: dict, key: str, reserved: set[str]
    ) -> tuple[str | None, bool]:
        """(pseudonym, or None for a new entity; whether the mention is a person)."""
        if not _may_be_person(detection):
            return None, False
        is_person = detection["entity_type"] == "person"
        if detection["canonical"].startswith("register:") and detection["score"] >= 1.0:
            return None, True
        identities = self._identities(ledger, name_tokens(detection["text"]), key)
        own = ledger.by_canonical(detection["canonical"])
        if own is not None:
            identities.discard(own)
            return (own if not identities else NEUTRAL_PSEUDONYM), True
        if not identities:
            return None, is_person
        if len(identities) > 1:
            return (NEUTRAL_PSEUDONYM, True) if is_person else (None, False)
        identity = identities.pop()
        if identity.startswith("new:"):
            if identity not in self.pseudonyms:
                self.pseudonyms[identity] = ledger._next_pseudonym("Person", reserved)
            return self.pseudonyms[identity], True
        return identity, True

    def _identity(self, candidate: str, known: dict) -> str:
        """A provisional person is the known person it extends, if it extends one."""
        if not candidate.startswith("new:"):
            return candidate
        if candidate in self.pseudonyms:
            return self.pseudonyms[candidate]
        tokens = self.provisional[candidate]
        existing = candidates(tokens, known)
        if len(existing) > 1:
            # Partial aliases ('Norman', 'Mrs Bird') already numbered apart: prefer the one
            # sharing more than a first name.
            existing = sorted(existing, key=lambda k: (-len(known[k] & tokens), k))
        if existing:
            self.pseudonyms[candidate] = existing[0]
            return existing[0]
        return candidate


def _may_be_person(detection: dict) -> bool:
    """People, and NER places or organisations that may be misread names."""
    if detection.get("ambiguous") or detection["entity_type"] == "identifier":
        return False
    return detection["entity_type"] == "person" or detection["source"] in GUESS_SOURCES


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
    detections_by_item: list[tuple[str, str, list[dict]]],
    register: list[RegisterEntry],
) -> Ledger:
    """Append every new entity of `detections_by_item`: (item id, order key, detections) in
    ledger order. Existing rows are never changed, so earlier items keep their pseudonyms."""
    ledger_path = Path(ledger_path)
    register_by_canonical = {register_canonical(e): e for e in register}
    reserved = {e.pseudonym for e in register if e.pseudonym}
    with locked(ledger_path):
        ledger = Ledger.read(ledger_path)
        before = len(ledger.rows)
        plan = PeoplePlan(detections_by_item, register)
        for item_id, key, detections in detections_by_item:
            for detection in detections:
                ledger.assign(detection, item_id, register_by_canonical, reserved, key, plan)
        link_first_names(ledger)
        if len(ledger.rows) != before or not ledger_path.exists():
            atomic_write_text(ledger_path, ledger.to_tsv(), RESTRICTED_FILE_MODE)
    return ledger


def link_first_names(ledger: Ledger) -> None:
    """Give the first name of every replaced multi-word name ('Bethan' of 'Bethan Jones') its own
    row with that person's pseudonym, so it is replaced where it later stands alone; not where
    two people of the practice share it (ambiguous), nor for initials and stop words."""
    firsts: dict[str, dict[str, dict]] = {}
    for row in ledger.rows:
        if row["entity_type"] != "person" or row["source"] in ("ambiguous", FIRST_NAME_SOURCE):
            continue
        if row["pseudonym"] == NEUTRAL_PSEUDONYM:
            continue
        words = [w for w in row["original"].split() if normalise(w) not in TITLES]
        if len(words) < 2 or len(normalise(words[0])) < 2 or "." in words[0]:
            continue
        first = re.sub(r"['’]s$", "", words[0])
        if normalise(first) in stop_words() or not first.replace("-", "").isalpha():
            continue
        firsts.setdefault(normalise(first), {}).setdefault(
            row["pseudonym"], {**row, "first": first}
        )
    for folded, by_pseudonym in firsts.items():
        if len(by_pseudonym) != 1 or ledger._by_original.get(original_key(folded)):
            continue
        row = next(iter(by_pseudonym.values()))
        ledger.add(
            row["first"], row["canonical"], "person", row["pseudonym"], FIRST_NAME_SOURCE,
            row["first_item"], row["since"],
        )  # fmt: skip
