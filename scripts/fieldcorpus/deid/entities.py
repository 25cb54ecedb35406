"""Entity detection: the practice register, UK identifier patterns, titled and practice names,
and spaCy NER, minus the allow-list. Each detection carries its source and a score."""

from __future__ import annotations

import re
import sys
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from functools import cache, lru_cache

from fieldcorpus.deid.aliases import TITLES
from fieldcorpus.deid.generalise import (
    SMALL_PLACE_PSEUDONYM,
    age_band,
    is_small_place,
    min_population,
    setting,
)
from fieldcorpus.deid.identifiers import (
    AgeHit,
    PatternHit,
    find_ages,
    find_practice_names,
    find_titled_names,
)
from fieldcorpus.deid.textmatch import compile_alternation, normalise, within_one_edit
from fieldcorpus.deid.truecase import (
    case_style,
    is_name_word,
    is_ordinary_word,
    stop_words,
    truecase,
    words_with_starts,
)
from fieldcorpus.deid.unitcontext import (
    answers,
    settle_dates,
    turn_number_hits,
    turn_text_before,
    unit_identifiers,
)
from fieldcorpus.manifest import RegisterEntry

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
# Identifier patterns first: a name inside an email address must not split the address.
SOURCE_PRIORITY = {
    "pattern": 0,
    "register": 1,
    "answer": 1,
    "column": 1,
    "title": 2,
    "practice-name": 2,
    "ner": 3,
    "capitalised": 4,
}
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
    return re.sub(r"[\s\-.]+", "", normalise(text))


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
    return bool(words) and all(w in allow_list or _misspelt_allowed(w, allow_list) for w in words)


@lru_cache(maxsize=8)
def _allow_pattern(allow_list: frozenset[str]):
    # One word-boundary check around all terms (not one per term): this runs on every unit.
    # The terms as a trie, so the engine tries one branch per character, not every term.
    trie: dict = {}
    for term in {normalise(t) for t in allow_list if normalise(t)}:
        node = trie
        for symbol in " ".join(term.split()):
            node = node.setdefault(symbol, {})
        node[""] = {}
    return re.compile(rf"(?<!\w){_trie_source(trie)}(?!\w)", re.IGNORECASE) if trie else None


def _trie_source(node: dict) -> str:
    """Regex source for a character trie; a space between words matches any spaces or hyphens.
    Longer branches come first, so the longest term wins as in the flat alternation."""
    branches = [
        (r"[\s\-]*" if symbol == " " else re.escape(symbol)) + _trie_source(child)
        for symbol, child in sorted(node.items(), key=lambda kv: kv[0] == "")
        if symbol
    ]
    if "" in node:
        branches.append("")
    if len(branches) == 1:
        return branches[0]
    return f"(?:{'|'.join(branches)})"


def allowed_spans(text: str, allow_list: frozenset[str]) -> list[tuple[int, int]]:
    """Where allow-listed terms ('Asthma + Lung UK', 'peak flow') occur in `text`."""
    pattern = _allow_pattern(allow_list)
    return [m.span() for m in pattern.finditer(text)] if pattern is not None else []


def _trim_entity(ent, allow_list: frozenset[str], allowed: list[tuple[int, int]] = ()):
    """Drop allow-listed words and terms, titles and punctuation from the edges of an NER
    entity ('Postcode PR1' -> 'PR1', 'Nurse' -> nothing, 'Lung UK' inside an allowed term ->
    nothing)."""
    tokens = list(ent)

    def droppable(token) -> bool:
        folded = normalise(token.text)
        inside = any(s <= token.idx and token.idx + len(token) <= e for s, e in allowed)
        return (
            not folded
            or folded in allow_list
            or folded in TITLES
            or token.is_punct
            or inside
            or _misspelt_allowed(folded, allow_list)
        )

    while tokens and droppable(tokens[0]):
        tokens.pop(0)
    while tokens and droppable(tokens[-1]):
        tokens.pop()
    # 'the', 'and', 'DOB' read as places or organisations: nothing name-like left.
    stop = stop_words()
    if not any(t.is_alpha and normalise(t.text) not in stop and len(t) > 1 for t in tokens):
        return None
    if _allowed(ent.doc[tokens[0].i : tokens[-1].i + 1].text, allow_list):
        return None
    start, end = tokens[0].i, tokens[-1].i + 1
    # 'Agnieszka' found, 'Leach' left behind: take the capitalised name words that follow, and
    # those before it that are names too ('Hope Middleton', not 'Yesterday Sarah').
    while end < len(ent.doc) and _continues_name(ent.doc[end], allow_list):
        end += 1
    while start > 0 and _continues_name(ent.doc[start - 1], allow_list, before=True):
        start -= 1
    return ent.doc[start:end]


def _continues_name(token, allow_list: frozenset[str], before: bool = False) -> bool:
    beside = token if before else token.doc[token.i - 1]
    return (
        beside.whitespace_ == " "
        and token.is_alpha
        and token.text[0].isupper()
        and not token.is_stop
        and not token.is_upper
        and normalise(token.text) not in allow_list
        and normalise(token.text) not in TITLES
    )


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


def _heading_lines(text: str, words: list, common: frozenset[str]) -> set[int]:
    """Numbers of the lines written in Title Case (headings, table rows): more than half of
    their words past the first, stop words and allowed terms aside, are capitalised."""
    by_line: dict[int, list[bool]] = {}
    for match, first in words:
        folded = normalise(match.group())
        # Titles and initials are capitalised in any sentence ('Mr D Slater rang back').
        if not first and folded not in common and folded not in TITLES and len(folded) > 1:
            line = text.count("\n", 0, match.start())
            by_line.setdefault(line, []).append(match.group()[0].isupper())
    return {n for n, caps in by_line.items() if len(caps) >= 2 and sum(caps) > 0.5 * len(caps)}


def _asr_fold(word: str) -> str:
    """A spelling with what ASR gets wrong most often undone: doubled letters, 'ph' for 'f',
    a silent final 'e' ('salbutumole' -> 'salbutumol')."""
    word = re.sub(r"(.)\1+", r"\1", word.casefold().replace("ph", "f"))
    return word[:-1] if word.endswith("e") and len(word) > 6 else word


# Shorter words sit one edit from too many surnames ('Munday' - 'Monday').
MISSPELT_MIN_LENGTH = 7


@lru_cache(maxsize=8)
def _allowed_by_length(allow_list: frozenset[str]) -> dict[int, frozenset[str]]:
    by_length: dict[int, set[str]] = {}
    for term in allow_list:
        if len(term) >= MISSPELT_MIN_LENGTH and term.isalpha():
            folded = _asr_fold(term)
            by_length.setdefault(len(folded), set()).add(folded)
    return {length: frozenset(terms) for length, terms in by_length.items()}


@lru_cache(maxsize=16384)
def _misspelt_allowed(word: str, allow_list: frozenset[str]) -> bool:
    """An ASR spelling of an allowed word, one edit away once doubled letters, 'ph' and a
    silent 'e' are folded: 'salbutumole' for 'salbutamol', 'metformine' for 'metformin'."""
    if len(word) < MISSPELT_MIN_LENGTH or not word.isalpha():
        return False
    folded = _asr_fold(word)
    by_length = _allowed_by_length(allow_list)
    return any(
        within_one_edit(folded, term)
        for length in (len(folded) - 1, len(folded), len(folded) + 1)
        for term in by_length.get(length, ())
    )


# What follows a name that is also an ordinary word ('Amber', 'Hope', 'Will') at the start of a
# sentence, showing it is a person: a role, or a verb people do.
_ROLES = (r"(?:practice |senior |lead |asthma |community |district |clinical )?"
          r"(?:nurse|gp|doctor|receptionist|pharmacist|manager|partner|hca|physio|midwife|"
          r"paramedic|health visitor|secretary|admin)")  # fmt: skip
_PERSON_VERBS = ("said|says|rang|rings|told|tells|asked|asks|did|does|called|phoned|emailed|"
                 "texted|came|comes|went|sorted|booked|checked|helped|mentioned|explained|showed|"
                 "saw|sees|gave|took|thinks|thought|reckons|wants|wanted|knows|knew|agreed|sent|"
                 "runs|ran|reviewed|prescribed|wrote|rung|spoke|talked|looked|got")  # fmt: skip
_ROLE_OR_VERB_AFTER = re.compile(
    rf",?[ \t]+(?:(?:the|our|my|a|an|is|was|'s|’s)[ \t]+(?:{_ROLES})\b|(?:{_ROLES})[ \t]*,|"
    rf"(?:on|at|from|in)[ \t]+(?:the[ \t]+)?(?:reception|front desk|dispensary)\b|"
    rf"(?:{_PERSON_VERBS})\b)",
    re.IGNORECASE,
)
# An initial: any letter but the words 'I' and 'a'.
_INITIAL = re.compile(r"(?:[A-HJ-Z]|[b-hj-z])\.?")


def _name_part(
    word: str, cased_word: str, allow_list: frozenset[str], mid_sentence: bool = False
) -> bool:
    """A word that can be part of a person's name beside one already found: an initial, or a
    capitalised (or truecased) word that is a name rather than an ordinary or allowed word;
    written with a capital mid-sentence, an ordinary word counts too ('Dere Byrne')."""
    if _INITIAL.fullmatch(word):
        return True
    if _CONTRACTED.search(word):
        return False  # "I'm Sarah Mitchell": the speaker, not a name part
    folded = normalise(word)
    if mid_sentence and word[:1].isupper():
        return (
            len(folded) > 1
            and not word.isupper()
            and folded not in allow_list
            and folded not in TITLES
            and folded not in stop_words()
            and not _misspelt_allowed(folded, allow_list)
        )
    return (
        len(folded) > 1
        and cased_word[:1].isupper()
        and not word.isupper()
        and folded not in allow_list
        and folded not in TITLES
        and not _misspelt_allowed(folded, allow_list)
        and (folded not in stop_words() or is_name_word(word))
        and (not is_ordinary_word(word) or is_name_word(word))
    )


_NAME_GAP = re.compile(r"[ \t]+")
_CONTRACTED = re.compile(r"^I['’]|['’](?:m|ve|ll|re|d)$|n['’]t$", re.IGNORECASE)
# Before a sentence's first word ('' = the text's start); a colon opens a field, not a sentence.
_SENTENCE_END = re.compile(r"[.!?\n]?")
# A title, and any initials, right before a detection: whatever NER called it, it is a person.
_TITLE_BEFORE = re.compile(
    rf"(?<![\w])(?:{'|'.join(sorted(TITLES))})\.?[ \t]+(?:[A-Z]\.?[ \t]+)*\Z", re.IGNORECASE
)


def whole_names(
    text: str, cased: str, detections: list[Detection], allow_list: frozenset[str]
) -> list[Detection]:
    """Person detections widened over the name parts beside them ('Bethan' before a replaced
    'Jones', the 'A' of 'Dr A Patel', a middle name), so no part of a name is left behind."""
    words = list(_WORD.finditer(text))
    starts = {m.start(): i for i, m in enumerate(words)}
    ends = {m.end(): i for i, m in enumerate(words)}
    taken = sorted((d.start, d.end) for d in detections)
    result = []
    for d in detections:
        titled = d.source != "pattern" and _TITLE_BEFORE.search(text, 0, d.start) is not None
        if d.entity_type not in ("person", "name") and not titled:
            result.append(d)
            continue
        start, end = d.start, d.end
        while True:
            # An initial's full stop ('J. Smith') sits between the word and the name.
            left = text[:start].rstrip(" \t")
            dotted = left.endswith(".")
            index = ends.get(len(left) - 1 if dotted else len(left))
            if index is None or len(left) == start:
                break
            word = words[index]
            if dotted and not _INITIAL.fullmatch(word.group()):
                break
            if _overlaps(word.start(), word.end(), taken) or not _name_part(
                word.group(), cased[word.start() : word.end()], allow_list,
                not _SENTENCE_END.fullmatch(text[: word.start()].rstrip()[-1:]),
            ):  # fmt: skip
                break
            start = word.start()
        # The title goes with the name, as register aliases ('Dr Patel' -> '[GP 1]') have it.
        title = _TITLE_BEFORE.search(text, 0, start)
        if title is not None and not _overlaps(title.start(), start, taken):
            start = title.start()
        while True:
            gap = _NAME_GAP.match(text, end)
            index = starts.get(gap.end()) if gap else None
            if index is None:
                break
            word = words[index]
            if _overlaps(word.start(), word.end(), taken) or _INITIAL.fullmatch(word.group()):
                break
            if not _name_part(word.group(), cased[word.start() : word.end()], allow_list, True):
                break
            end = word.end()
        if (start, end) == (d.start, d.end) and d.entity_type in ("person", "name"):
            result.append(d)
            continue
        surface = text[start:end]
        canonical = d.canonical if d.source == "register" else normalise(surface)
        label = d.label if d.entity_type == "person" else "Person"
        result.append(
            replace(d, start=start, end=end, text=surface, canonical=canonical,
                    entity_type="person", label=label)
        )  # fmt: skip
    return result


def _overlaps(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(s < end and e > start for s, e in spans)


def _name_before(before, match, cased: str, capitalised, stop) -> bool:
    """A capitalised word right before a name is most likely part of it ('Ivy Hutchinson')."""
    return (
        before is not None
        and cased[before.end() : match.start()] == " "
        and capitalised(before)
        and normalise(before.group()) not in stop
    )


def _capitalised_words(
    unit_id: str,
    text: str,
    cased: str,
    found: list[Detection],
    allow_list: frozenset[str],
    allowed: list[tuple[int, int]],
) -> list[Detection]:
    """Capitalised words nothing else matched (the UK Data Service helper-tool idea): replaced
    to fail closed and sent to the review queue. At a sentence start or in a Title Case heading
    a word counts only when it is not an ordinary English word or stands before one that
    counts ('Observation: Heather Sandhu'); acronyms and allowed terms never count."""
    stop = stop_words()
    taken = [(d.start, d.end) for d in found] + allowed
    words = list(words_with_starts(cased))
    headings = _heading_lines(cased, words, stop | allow_list)

    def capitalised(match) -> bool:
        word, folded = match.group(), normalise(match.group())
        return (
            word[0].isupper()
            and not word.isupper()
            and len(word) > 1
            and folded not in allow_list
            and folded not in TITLES
            and not word.startswith(("I'", "I’"))
            and not any(s < match.end() and e > match.start() for s, e in taken)
            and not _misspelt_allowed(folded, allow_list)
        )

    def unusual(match, first: bool) -> bool:
        word = match.group()
        if first and is_name_word(word) and _ROLE_OR_VERB_AFTER.match(cased, match.end()):
            return True  # 'Amber the practice nurse did my bloods', 'Will said'
        if first or cased.count("\n", 0, match.start()) in headings:
            return normalise(word) not in stop and not is_ordinary_word(word)
        # Mid-sentence any capital counts, but a stop word only when it is also a name ('Will').
        return normalise(word) not in stop or is_name_word(word)

    runs: list[list] = []
    for index, (match, first) in enumerate(words):
        if not (capitalised(match) and unusual(match, first)):
            continue
        if runs and cased[runs[-1][-1].end() : match.start()] == " ":
            runs[-1].append(match)
            continue
        run = [match]
        before = words[index - 1][0] if index else None
        if _name_before(before, match, cased, capitalised, stop):
            run.insert(0, before)
        runs.append(run)
    detections = []
    for run in runs:
        start, end = run[0].start(), run[-1].end()
        surface = text[start:end]
        # Two or more capitalised words in a row are most likely a person's name.
        kind, label = ("person", "Person") if len(run) > 1 else ("name", "Name")
        detections.append(
            Detection(
                unit_id, start, end, surface, normalise(surface), kind, label, "capitalised", 0.6
            )  # fmt: skip
        )
    return detections


@cache
def load_ner(model_name: str, models_dir: str | None = None):
    """Load a spaCy pipeline with only what NER needs (installed, or fetched into models_dir);
    once per process."""
    from fieldcorpus.models import spacy_pipeline, spacy_pipeline_needs_torch

    pipeline = spacy_pipeline(model_name, models_dir)
    with _torch_hidden(not spacy_pipeline_needs_torch(pipeline)):
        import spacy

        nlp = spacy.load(pipeline, exclude=["parser", "lemmatizer", "attribute_ruler", "tagger"])
    return nlp


@contextmanager
def _torch_hidden(hide: bool):
    """thinc imports PyTorch whenever it is installed (1 s of every detection job); spaCy's
    CNN pipelines never use it. Hidden only while spaCy first loads, so later imports work."""
    hide = hide and "torch" not in sys.modules and "thinc" not in sys.modules
    if hide:
        sys.modules["torch"] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        if hide and sys.modules.get("torch", False) is None:
            del sys.modules["torch"]


def _pattern_detection(unit_id, text, hit: PatternHit, source: str, pseudonym=None, surface=""):
    surface = surface or text[hit.start : hit.end]
    if pseudonym is None:
        pseudonym = "" if hit.entity_type == "person" else f"[{hit.label}]"
    return Detection(
        unit_id,
        hit.start,
        hit.end,
        surface,
        normalise(surface),
        hit.entity_type,
        hit.label,
        source,
        hit.score,
        pseudonym,
    )


def _age_detection(unit_id: str, text: str, hit: AgeHit) -> Detection:
    """A stated age under 90 and its ten-year band (generalise.ages), through the ledger."""
    phrase = text[hit.start : hit.end]
    band = hit.generalised(text, age_band(hit.age))
    return Detection(
        unit_id, hit.start, hit.end, phrase, normalise(phrase), "identifier", "Age", "pattern",
        1.0, band,
    )  # fmt: skip


def detect_entities(
    units: list[dict],
    practice: str,
    register: list[RegisterEntry],
    allow_list: frozenset[str],
    settings: dict,
    nlp=None,
    item: dict | None = None,
) -> list[dict]:
    """Detections for every unit, in unit order, overlaps resolved. `item` (the manifest
    row) dates birth-plausible years and marks clinical exchanges."""
    sources = settings.get("sources", {})
    item = item or {}
    collected_on = str(item.get("collected_on") or "")
    clinical = item.get("kind") == "clinic_review"
    event_dates = settings.get("event_dates", "keep")
    generalise_ages = setting(settings, "ages")
    answered = answers(units)
    before = turn_text_before(units)
    split_numbers: dict[str, list] = {}
    for context_hit in turn_number_hits(units):
        split_numbers.setdefault(context_hit.unit_id, []).append(context_hit)
    matcher = RegisterMatcher(
        register, practice, allow_list, int(settings.get("near_miss_min_length", 5))
    )
    texts = [unit.get("text", "") for unit in units]
    # NER and the case-sensitive title/practice patterns read a truecased copy (same offsets).
    cased = [truecase(t, allow_list) for t in texts] if sources.get("truecase", True) else texts
    docs = (
        nlp.pipe(cased, batch_size=64) if (nlp is not None and sources.get("ner", True)) else None
    )
    results: list[dict] = []
    for index, unit in enumerate(units):
        text = texts[index]
        doc = next(docs) if docs is not None else None
        unit_id = unit["id"]
        found: list[Detection] = []
        if sources.get("register", True):
            found += matcher.find(unit_id, text)
        dates: list[PatternHit] = []
        if sources.get("identifiers", True):
            hits, dates = unit_identifiers(
                unit,
                before[unit_id],
                answered.get(unit_id, []),
                split_numbers.get(unit_id, []),
                collected_on,
                allow_list,
            )
            found += [
                _pattern_detection(unit_id, text, hit, source, surface=surface)
                for hit, source, surface in hits
            ]
        if sources.get("titles", True):
            lowercase = case_style(text) != "mixed"
            titled = find_titled_names(cased[index])
            for hit in titled + find_practice_names(cased[index], lowercase):
                surface = text[hit.start : hit.end]
                if _allowed(surface, allow_list):
                    continue
                source = "title" if hit.entity_type == "person" else "practice-name"
                found.append(_pattern_detection(unit_id, text, hit, source, pseudonym=""))
        allowed = allowed_spans(text, allow_list)
        if doc is not None:
            for ent in doc.ents:
                if ent.label_ not in NER_LABELS:
                    continue
                span = _trim_entity(ent, allow_list, allowed)
                if span is None:
                    continue
                entity_type, label = NER_LABELS[ent.label_]
                found.append(
                    Detection(
                        unit_id,
                        span.start_char,
                        span.end_char,
                        text[span.start_char : span.end_char],
                        normalise(span.text),
                        entity_type,
                        label,
                        "ner",
                        0.85,
                    )
                )
        if sources.get("capitalised", True):
            found += _capitalised_words(unit_id, text, cased[index], found, allow_list, allowed)
        people = [(d.start, d.end) for d in found if d.entity_type == "person"]
        for hit, pseudonym in settle_dates(dates, people, text, clinical, event_dates):
            found.append(_pattern_detection(unit_id, text, hit, "pattern", pseudonym))
        if generalise_ages:
            found += [_age_detection(unit_id, text, hit) for hit in find_ages(text) if hit.age < 90]
        kept = _resolve_overlaps(found)
        results += [d.to_dict() for d in whole_names(text, cased[index], kept, allow_list)]
    if setting(settings, "small_places"):
        population = min_population(settings)
        for detection in results:
            if (
                detection["entity_type"] == "place"
                and not detection["fixed_pseudonym"]
                and is_small_place(detection["text"], population)
            ):
                detection["fixed_pseudonym"] = SMALL_PLACE_PSEUDONYM
    return results
