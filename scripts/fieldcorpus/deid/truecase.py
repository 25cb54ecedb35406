"""Case restoration for lowercase (or all-capitals) text, so that NER can see names.

ASR engines often write "i spoke to sarah okafor"; spaCy's English models find almost no names in
such text. The truecased copy has exactly the same length as the original (only letter case
changes), so entity offsets found in it map straight back.

A word is capitalised when it starts a sentence, is a title's name ("dr smith"), is known only
as a proper noun (a cased English word list: "sarah", "preston"), or is unknown to that list and
to ordinary modern usage ("okafor", "hargreaves"). Words that are both names and ordinary words
("mark", "will") are capitalised only beside another name candidate or after a title.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

_TOKEN = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
# Sentence ends, line and table-cell breaks, heading separators.
_SENTENCE_BREAK = re.compile(r"[.!?\n\t:;|•–—]|\s-\s")
STRONG_TITLES = frozenset({"dr", "mr", "mrs", "ms", "miss", "prof", "mx"})
WEAK_TITLES = frozenset({"doctor", "nurse", "sister", "professor", "dear"})
# Everyday words of modern speech and admin that a 1934 word list lacks.
MODERN_WORDS = frozenset(
    [
        "ok",
        "okay",
        "yeah",
        "yep",
        "nope",
        "um",
        "umm",
        "erm",
        "er",
        "uh",
        "mm",
        "hmm",
        "gonna",
        "wanna",
        "gotta",
        "kinda",
        "sorta",
        "cos",
        "dunno",
        "email",
        "emails",
        "emailed",
        "online",
        "offline",
        "website",
        "websites",
        "app",
        "apps",
        "internet",
        "smartphone",
        "text",
        "texted",
        "texting",
        "laptop",
        "software",
        "login",
        "covid",
        "coronavirus",
        "vaccine",
        "vaccines",
        "jab",
        "jabs",
        "booster",
        "template",
        "templates",
        "dashboard",
        "dashboards",
        "feedback",
        "workload",
        "workflow",
        "rota",
        "rotas",
        "admin",
        "teams",
        "zoom",
        "video",
        "phone",
        "phoned",
        "call",
        "callback",
        "triage",
        "triaged",
        "recall",
        "recalls",
        "audit",
        "audits",
        "pathway",
        "pathways",
        "checklist",
        "checklists",
        "hub",
        "hubs",
        "locum",
        "locums",
        "reception",
        "receptionist",
        "receptionists",
        "prescribing",
        "prescriber",
        "prescribers",
        "inhalers",
        "nebulisers",
        "spacers",
        "steroid",
        "steroids",
        "pharmacist",
        "pharmacists",
        "physio",
        "physios",
        "paramedic",
        "paramedics",
        "gp",
        "gps",
    ]
)


@cache
def lexicon() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(ordinary lowercase words, words known only capitalised, words known both ways)."""
    from english_words import get_english_words_set

    words = get_english_words_set(["web2"], alpha=True)
    common = frozenset(w for w in words if w.islower()) | MODERN_WORDS
    capitalised = frozenset(w.lower() for w in words if w[:1].isupper())
    return common, capitalised - common, capitalised & common


_CONTRACTION = re.compile(r"(?:['’](?:s|m|d|ll|re|ve)|n['’]t)$")
_SUFFIXES = (("ies", "y"), ("ied", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"),
             ("ing", ""), ("ing", "e"), ("ly", ""), ("er", ""), ("ers", ""), ("d", ""),
             ("n't", ""))  # fmt: skip


# British spellings of words the (American) list has: centre, colour, organise, programme.
_BRITISH = ((r"tre$", "ter"), (r"our(s?)$", r"or\1"), (r"is(e|es|ed|ing|ation|ations)$", r"iz\1"),
            (r"yse$", "yze"), (r"ogramme(s?)$", r"ogram\1"), (r"ae", "e"), (r"oe", "e"),
            (r"ll(ed|ing)$", r"l\1"))  # fmt: skip


def is_common(word: str, common: frozenset[str]) -> bool:
    """An ordinary English word, allowing regular inflections ('thinks', 'looked', 'running')
    and British spellings."""
    if _is_common(word, common):
        return True
    for pattern, replacement in _BRITISH:
        american = re.sub(pattern, replacement, word)
        if american != word and _is_common(american, common):
            return True
    return False


def _is_common(word: str, common: frozenset[str]) -> bool:
    if word in common:
        return True
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            stem = word[: -len(suffix)] + replacement
            if stem in common or (len(stem) > 2 and stem[-1] == stem[-2] and stem[:-1] in common):
                return True
    return False


@cache
def stop_words() -> frozenset[str]:
    """spaCy's English stop words, read from their module file: importing them through the
    package would load spaCy, thinc and torch (2 s) in every pseudonymise job."""
    import importlib.util

    package = importlib.util.find_spec("spacy")
    path = Path(package.origin).parent / "lang" / "en" / "stop_words.py"
    spec = importlib.util.spec_from_file_location("fieldcorpus_spacy_stop_words", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return frozenset(module.STOP_WORDS)


def case_style(text: str) -> str:
    """'lower' when no word is capitalised except sentence starts and 'I'; 'upper' when
    (nearly) every letter is a capital; otherwise 'mixed'."""
    letters = [ch for ch in text if ch.isalpha()]
    if len(letters) < 2:
        return "mixed"
    upper = sum(ch.isupper() for ch in letters)
    if upper >= 0.9 * len(letters) and len(letters) >= 8:
        return "upper"
    for match, initial in words_with_starts(text):
        word = match.group()
        if word[0].isupper() and not initial and word not in ("I", "I'm", "I’m", "I've", "I'd"):
            return "mixed"
    return "lower"


def words_with_starts(text: str):
    """(word match, whether it starts a sentence) for every word of `text`."""
    previous_end = 0
    for index, match in enumerate(_TOKEN.finditer(text)):
        gap = text[previous_end : match.start()]
        yield match, index == 0 or _SENTENCE_BREAK.search(gap) is not None
        previous_end = match.end()


def _name_like(word: str, common: frozenset[str], proper: frozenset[str]) -> bool:
    return word in proper or (len(word) >= 3 and not is_common(word, common))


_NOT_SURNAMES = frozenset(
    [
        "said",
        "says",
        "say",
        "told",
        "tells",
        "asked",
        "asks",
        "thinks",
        "thought",
        "rang",
        "rings",
        "went",
        "goes",
        "came",
        "comes",
        "got",
        "gets",
        "wants",
        "wanted",
        "knows",
        "knew",
        "runs",
        "ran",
        "took",
        "takes",
        "gave",
        "gives",
        "put",
        "let",
        "made",
        "makes",
        "saw",
        "sees",
        "felt",
        "feels",
        "left",
        "leaves",
        "rings",
        "phoned",
        "emailed",
        "texted",
        "agreed",
        "agrees",
    ]
)


_NOT_NAMES = _NOT_SURNAMES | frozenset(
    [
        "think",
        "know",
        "met",
        "like",
        "see",
        "tell",
        "ask",
        "thank",
        "thanks",
        "mean",
        "guess",
        "reckon",
        "call",
        "meet",
        "with",
    ]
)


def _surname_like(word: str) -> bool:
    return len(word) >= 3 and word not in _NOT_SURNAMES and not word.endswith(("ed", "ing", "ly"))


def truecase(text: str, allow_list: frozenset[str] = frozenset()) -> str:
    """A same-length copy of lowercase or all-capitals `text` with likely names capitalised;
    mixed-case text is returned unchanged."""
    style = case_style(text)
    if style == "mixed":
        return text
    base = text.lower() if style == "upper" else text
    if len(base) != len(text):
        return text
    common, proper, both = lexicon()
    stop = stop_words()
    words = list(words_with_starts(base))
    tokens = [(m.start(), m.group().lower()) for m, _ in words]
    stems = [_CONTRACTION.sub("", word) for _, word in tokens]
    candidate = [
        len(w) > 1 and w not in stop and w not in allow_list and _name_like(w, common, proper)
        for w in stems
    ]
    chars = list(base)
    named = [False] * len(tokens)  # capitalised as a likely name, not as a sentence start
    for index, (start, _word) in enumerate(tokens):
        word = stems[index]
        previous = stems[index - 1] if index else ""
        upper = False
        if words[index][1] or word == "i":
            upper = True
            named[index] = candidate[index] and word != "i"
        elif previous in STRONG_TITLES and word not in allow_list:
            upper = named[index] = True  # "mrs will wells": after a title even 'will' is a name
            chars[tokens[index - 1][0]] = chars[tokens[index - 1][0]].upper()
        elif word in stop or word in allow_list:
            upper = False
        elif candidate[index]:
            upper = named[index] = True
            if previous in STRONG_TITLES | WEAK_TITLES:
                chars[tokens[index - 1][0]] = chars[tokens[index - 1][0]].upper()
        elif word in both and (
            previous in WEAK_TITLES
            or (index and candidate[index - 1])
            or (index + 1 < len(stems) and candidate[index + 1] and word not in _NOT_NAMES)
        ):
            upper = named[index] = True
        elif index and named[index - 1] and _surname_like(word):
            # "karl stokes": an ordinary word right after a first name is likely its surname.
            upper = named[index] = True
        if upper:
            chars[start] = chars[start].upper()
            if named[index] and _word[:2] in ("o'", "o’") and len(_word) > 2:
                chars[start + 2] = chars[start + 2].upper()  # O'Neill
    return "".join(chars)


def is_ordinary_word(text: str) -> bool:
    """A single ordinary English word ('will', 'watch'), whatever its case."""
    words = text.split()
    if len(words) != 1:
        return False
    word = _CONTRACTION.sub("", words[0].lower())
    return word.isalpha() and is_common(word, lexicon()[0])


# First names that are ordinary words the cased list knows only in lowercase.
WORD_FIRST_NAMES = frozenset(
    [
        "amber",
        "hope",
        "rose",
        "faith",
        "joy",
        "ruby",
        "ivy",
        "daisy",
        "holly",
        "heather",
        "hazel",
        "iris",
        "lily",
        "poppy",
        "violet",
        "pearl",
        "jade",
        "crystal",
        "summer",
        "autumn",
        "skye",
        "river",
        "sunny",
        "patience",
        "prudence",
        "charity",
        "mercy",
        "honour",
        "honor",
        "felicity",
        "constance",
        "chance",
        "hunter",
        "drew",
        "pat",
        "sue",
        "rob",
        "bob",
        "ray",
        "dean",
        "sandy",
        "rusty",
        "carol",
        "guy",
        "victor",
        "don",
        "ken",
        "max",
        "miles",
        "bill",
        "robin",
        "frank",
        "grace",
        "dawn",
        "mark",
        "will",
        "jack",
    ]
)


def is_name_word(word: str) -> bool:
    """A word that is also a name ('Hope', 'Will', 'Mark'): the cased list knows it both ways,
    or it is a first name that is an ordinary word."""
    folded = word.lower()
    return folded in lexicon()[2] or folded in WORD_FIRST_NAMES
