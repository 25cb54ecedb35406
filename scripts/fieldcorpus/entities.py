"""Entity detection: the practice register, UK identifier patterns, titled and practice names,
and spaCy NER, minus the allow-list. Each detection carries its source and a score."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from .identifiers import find_identifiers, find_practice_names, find_titled_names
from .manifest import RegisterEntry
from .textmatch import compile_alternation, normalise, within_one_edit

ROLE_LABELS = {
    "gp": "GP",
    "nurse": "Nurse",
    "practice_manager": "Practice manager",
    "receptionist": "Receptionist",
    "pharmacist": "Pharmacist",
    "patient": "Patient",
    "facilitator": "Facilitator",
    "researcher": "Researcher",
    "other": "Person",
    "": "Person",
}
NER_LABELS = {
    "PERSON": ("person", "Person"),
    "GPE": ("place", "Town"),
    "LOC": ("place", "Place"),
    "ORG": ("organisation", "Organisation"),
    "FAC": ("organisation", "Organisation"),
}
TITLES = frozenset({"dr", "doctor", "nurse", "sister", "mr", "mrs", "ms", "miss", "prof"})
SOURCE_PRIORITY = {"register": 0, "pattern": 1, "title": 2, "practice-name": 2, "ner": 3}
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]|[A-Za-z]")


@dataclass
class Detection:
    unit_id: str
    start: int
    end: int
    text: str
    canonical: str
    entity_type: str
    label: str
    source: str
    score: float
    fixed_pseudonym: str = ""
    ambiguous: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


def _key(text: str) -> str:
    return re.sub(r"[\s\-]+", "", normalise(text))


def register_label(entry: RegisterEntry, practice: str) -> str:
    if entry.entity_type == "person":
        return ROLE_LABELS.get(entry.role, "Person")
    if entry.entity_type == "practice":
        return "Practice" if entry.practice == practice else "Other practice"
    if entry.entity_type == "place":
        return "Town"
    return "Organisation"


def register_canonical(entry: RegisterEntry) -> str:
    return f"register:{entry.practice}:{entry.name}"


@dataclass
class RegisterMatcher:
    """Matches a practice's register (names, aliases, unambiguous name parts, ASR near-misses)."""

    entries: list[RegisterEntry]
    practice: str
    allow_list: frozenset[str]
    near_miss_min_length: int = 5
    _by_key: dict[str, list[tuple[RegisterEntry, float]]] = field(default_factory=dict)
    _tokens: dict[str, list[RegisterEntry]] = field(default_factory=dict)
    _surface: dict[str, str] = field(default_factory=dict)

    def __post_init__(self):
        ordered = sorted(self.entries, key=lambda e: e.practice != self.practice)
        for entry in ordered:
            for string in entry.strings:
                self._add(string, entry, 1.0)
        for entry in ordered:
            if entry.entity_type != "person":
                continue
            for token in normalise(entry.name).split():
                if len(token) >= 3 and token not in TITLES and token not in self.allow_list:
                    self._add(token, entry, 0.95)
                    self._tokens.setdefault(token, []).append(entry)
        self._pattern = compile_alternation(self._surface.values())

    def _add(self, string: str, entry: RegisterEntry, score: float) -> None:
        key = _key(string)
        if not key:
            return
        self._surface.setdefault(key, string)
        bucket = self._by_key.setdefault(key, [])
        if all(existing is not entry for existing, _ in bucket):
            bucket.append((entry, score))

    def _distinct(self, candidates: list[RegisterEntry]) -> list[RegisterEntry]:
        seen: dict[str, RegisterEntry] = {}
        for entry in candidates:
            seen.setdefault(register_canonical(entry), entry)
        return list(seen.values())

    def _detection(self, unit_id, start, end, text, candidates, score, source_score_cap=1.0):
        distinct = self._distinct(candidates)
        own = [e for e in distinct if e.practice == self.practice]
        chosen = own if own else distinct
        if len(chosen) == 1:
            entry = chosen[0]
            return Detection(
                unit_id,
                start,
                end,
                text,
                register_canonical(entry),
                entry.entity_type,
                register_label(entry, self.practice),
                "register",
                min(score, source_score_cap),
                entry.pseudonym or "",
            )
        entity_type = chosen[0].entity_type
        return Detection(
            unit_id,
            start,
            end,
            text,
            normalise(text),
            entity_type,
            "Person",
            "register",
            0.5,
            "",
            True,
        )

    def find(self, unit_id: str, text: str) -> list[Detection]:
        found: list[Detection] = []
        if self._pattern is not None:
            for match in self._pattern.finditer(text):
                bucket = self._by_key.get(_key(match.group()), [])
                if not bucket:
                    continue
                score = max(s for _, s in bucket)
                entries = [e for e, _ in bucket]
                found.append(
                    self._detection(
                        unit_id, match.start(), match.end(), match.group(), entries, score
                    )
                )
        if self.near_miss_min_length:
            found += self._near_misses(unit_id, text, found)
        return found

    def _near_misses(self, unit_id: str, text: str, exact: list[Detection]) -> list[Detection]:
        lowercase_text = text == text.lower()
        covered = [(d.start, d.end) for d in exact]
        hits = []
        for match in _WORD.finditer(text):
            word = match.group()
            if len(word) < self.near_miss_min_length:
                continue
            if not (word[0].isupper() or lowercase_text):
                continue
            if any(s <= match.start() < e for s, e in covered):
                continue
            folded = normalise(word)
            if folded in self._tokens or folded in self.allow_list:
                continue
            candidates = [
                entry
                for token, entries in self._tokens.items()
                if len(token) >= self.near_miss_min_length and within_one_edit(folded, token)
                for entry in entries
            ]
            if candidates:
                hits.append(
                    self._detection(unit_id, match.start(), match.end(), word, candidates, 0.8)
                )
        return hits


def _allowed(text: str, allow_list: frozenset[str]) -> bool:
    folded = normalise(text)
    if folded.startswith("the "):
        folded = folded[4:]
    if folded in allow_list:
        return True
    words = [w for w in re.split(r"[\s\-/]+", folded) if w]
    return bool(words) and all(w in allow_list for w in words)


def _trim_entity(ent, allow_list: frozenset[str]):
    """Drop allow-listed words, titles and punctuation from the edges of an NER entity
    ('Postcode PR1' -> 'PR1', 'Nurse' -> nothing)."""
    tokens = list(ent)

    def droppable(token) -> bool:
        folded = normalise(token.text)
        return not folded or folded in allow_list or folded in TITLES or token.is_punct

    while tokens and droppable(tokens[0]):
        tokens.pop(0)
    while tokens and droppable(tokens[-1]):
        tokens.pop()
    if not tokens or _allowed(ent.doc[tokens[0].i : tokens[-1].i + 1].text, allow_list):
        return None
    return ent.doc[tokens[0].i : tokens[-1].i + 1]


def _resolve_overlaps(detections: list[Detection]) -> list[Detection]:
    """Keep one detection per stretch of text: best source first, then the longest span."""
    ranked = sorted(
        detections,
        key=lambda d: (SOURCE_PRIORITY.get(d.source, 9), -(d.end - d.start), d.start),
    )
    kept: list[Detection] = []
    for detection in ranked:
        if all(detection.end <= k.start or detection.start >= k.end for k in kept):
            kept.append(detection)
    return sorted(kept, key=lambda d: d.start)


def load_ner(model_name: str, models_dir: str | None = None):
    """Load a spaCy pipeline with only what NER needs (installed, or fetched into models_dir)."""
    import spacy

    from .models import spacy_pipeline

    nlp = spacy.load(
        spacy_pipeline(model_name, models_dir),
        exclude=["parser", "lemmatizer", "attribute_ruler", "tagger"],
    )
    return nlp


def detect_entities(
    units: list[dict],
    practice: str,
    register: list[RegisterEntry],
    allow_list: frozenset[str],
    settings: dict,
    nlp=None,
) -> list[dict]:
    """Detections for every unit, in unit order, overlaps resolved."""
    sources = settings.get("sources", {})
    matcher = RegisterMatcher(
        register, practice, allow_list, int(settings.get("near_miss_min_length", 5))
    )
    texts = [unit.get("text", "") for unit in units]
    docs = (
        nlp.pipe(texts, batch_size=64) if (nlp is not None and sources.get("ner", True)) else None
    )
    results: list[dict] = []
    for index, unit in enumerate(units):
        text = texts[index]
        doc = next(docs) if docs is not None else None
        unit_id = unit["id"]
        found: list[Detection] = []
        if sources.get("register", True):
            found += matcher.find(unit_id, text)
        if sources.get("identifiers", True):
            for hit in find_identifiers(text):
                surface = text[hit.start : hit.end]
                found.append(
                    Detection(
                        unit_id,
                        hit.start,
                        hit.end,
                        surface,
                        normalise(surface),
                        hit.entity_type,
                        hit.label,
                        "pattern",
                        hit.score,
                        f"[{hit.label}]",
                    )
                )
        if sources.get("titles", True):
            for hit in find_titled_names(text) + find_practice_names(text):
                surface = text[hit.start : hit.end]
                if _allowed(surface, allow_list):
                    continue
                source = "title" if hit.entity_type == "person" else "practice-name"
                found.append(
                    Detection(
                        unit_id,
                        hit.start,
                        hit.end,
                        surface,
                        normalise(surface),
                        hit.entity_type,
                        hit.label,
                        source,
                        hit.score,
                    )
                )
        if doc is not None:
            for ent in doc.ents:
                if ent.label_ not in NER_LABELS:
                    continue
                span = _trim_entity(ent, allow_list)
                if span is None:
                    continue
                entity_type, label = NER_LABELS[ent.label_]
                found.append(
                    Detection(
                        unit_id,
                        span.start_char,
                        span.end_char,
                        span.text,
                        normalise(span.text),
                        entity_type,
                        label,
                        "ner",
                        0.85,
                    )
                )
        results += [d.to_dict() for d in _resolve_overlaps(found)]
    return results
