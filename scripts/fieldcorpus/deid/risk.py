"""The per-practice re-identification risk report (restricted): indirect identifiers that
pseudonyms leave in place, following the UK Data Service's guidance on qualitative data.

Read from what is shared (the pseudonymised items and their metadata) and from the restricted
ledger, anonymisation logs, register and manifest rows that explain it. One row per finding:
item, unit, wave, kind, level (high, medium, low) and a restricted detail. High rows also go
to the practice's risk review queue."""

from __future__ import annotations

import html
import logging
import re
from collections import Counter
from functools import lru_cache
from importlib import resources

from fieldcorpus.deid.generalise import (
    SMALL_PLACE_PSEUDONYM,
    is_small_place,
    min_population,
    role_group,
    shareable_item,
)
from fieldcorpus.deid.identifiers import find_ages, find_full_dates
from fieldcorpus.deid.ledger import Ledger, original_key
from fieldcorpus.deid.review import REVIEW_COLUMNS, TABLE_CSS, quote_context, review_to_tsv
from fieldcorpus.files import (
    RESTRICTED_FILE_MODE,
    atomic_write_text,
    html_page,
    read_json,
    read_tsv,
    tsv_text,
)
from fieldcorpus.manifest import RegisterEntry, load_register

log = logging.getLogger("fieldcorpus")

RISK_COLUMNS = ("item_id", "unit_id", "wave", "kind", "level", "detail")
LEVELS = ("high", "medium", "low")
DEFAULT_K = 3
# Posts a practice fills with few people; patients, the research team and 'other' are not one.
STAFF_ROLES = ("gp", "nurse", "practice_manager", "receptionist", "pharmacist")
_ROLE_WORDS = {
    "gp": r"GP|doctor",
    "nurse": r"(?:practice\s+)?nurse",
    "practice_manager": r"(?:practice\s+|business\s+)?manager",
    "receptionist": r"receptionist",
    "pharmacist": r"(?:practice\s+)?pharmacist",
}
_PSEUDONYM = r"\[[A-Z][^\[\]]{0,40}\]"
_RELATIONS = (
    r"daughter|son|husband|wife|partner|mum|mother|mam|dad|father|brother|sister|"
    r"grandson|granddaughter|grandma|grandad|grandmother|grandfather|nan|aunt|uncle|niece|"
    r"nephew|cousin|fianc[eé]e?|stepson|stepdaughter|boyfriend|girlfriend|child|kids?|baby"
)
_RELATION = re.compile(
    rf"(?:\b(?:my|his|her|their|our|your)|{_PSEUDONYM}['’]s)\s+(?:{_RELATIONS})s?\b", re.I
)
# "I'm 47." is an age only by its place in the sentence: reported, but not generalised (the
# ledger would have to replace a bare number everywhere).
_BARE_AGE = re.compile(
    r"\b(?:I['’]m|I\s+am|he['’]s|she['’]s|he\s+is|she\s+is|you['’]re)\s+\d{1,2}"
    r"(?=\s*(?:[.,;!?]|$|now\b|this\s+year\b|next\s+(?:week|month)\b))",
    re.I,
)
_BESIDE_PSEUDONYM = re.compile(
    rf"^[\s,:(–-]{{0,3}}{_PSEUDONYM}|{_PSEUDONYM}(?:['’]s)?[\s,:(–-]{{0,3}}$"
)
_OCCUPATION = re.compile(
    r"\b(?:(?:work(?:s|ed|ing)?|employed|retired|trained|qualified)\s+as\s+(?:an?\s+)?"
    r"(?P<a>[a-z][\w-]*(?:\s+[a-z][\w-]*)?)"
    r"|(?:my|his|her|their)\s+job\s+(?:is|was)\s+(?:an?\s+)?(?P<b>[a-z][\w-]*(?:\s+[a-z][\w-]*)?)"
    r"|(?P<c>[a-z][\w-]*)\s+by\s+trade)",
    re.I,
)
_WORKPLACE_WORDS = (
    r"hospital|school|college|university|factory|warehouse|mill|shop|supermarket|council|"
    r"depot|call\s+centre|care\s+home|nursing\s+home|pub|restaurant|hotel|garage|bank|"
    r"prison|airport|station|office|surgery|pharmacy|site|plant|farm"
)
_WORKPLACE = re.compile(
    r"\b(?:work(?:s|ed|ing)?|employed|job|shifts?)\s+(?:at|for|in|on)\s+(?:the\s+|a\s+|an\s+)?"
    rf"(?P<place>{_PSEUDONYM}|(?:[A-Z][\w&'’-]*\s+){{0,3}}(?:{_WORKPLACE_WORDS})\b"
    rf"|[A-Z][\w&'’-]*(?:\s+[A-Z][\w&'’-]*){{0,3}})",
)
# Lowercase (ASR) text cannot show a workplace's capital: any word after "works at" or "for"
# but these, which say when or how rather than where.
_WORKPLACE_LOWER = re.compile(
    r"\b(?:work(?:s|ed|ing)?|employed)\s+(?:at|for)\s+(?P<place>[a-z][\w&'’-]+)"
)
# fmt: off
_NOT_WORKPLACES = frozenset({
    "night", "nights", "home", "weekends", "least", "all", "it", "times", "first", "last", "once",
    "work", "the", "a", "an", "it's", "myself", "himself", "herself", "themselves", "me", "him",
    "her", "them", "us", "you", "free", "nothing", "years", "months", "weeks", "hours", "days",
    "ages",
})
# fmt: on
RESOLVE = {
    "unique_role": "switch on pseudonymisation.generalise.roles (and check the text does not name "
    "the post), or share this item only under safeguarded access",
    "k_anonymity": "too few items share these metadata: switch on "
    "pseudonymisation.generalise.roles, or share this practice and wave under safeguarded access",
    "rare_condition": "replace the condition with a broader term (a register row with a fixed "
    "pseudonym such as [long-term condition]) or share under safeguarded access",
    "small_place": "switch on pseudonymisation.generalise.small_places",
}


def role_holders(practice: str, register: list[RegisterEntry], roles: list[str]) -> Counter:
    """People per staff role in the practice: the register's people by role, and one for a
    role the manifest names that the register does not (fail closed: it may be one person)."""
    holders = Counter(
        e.role
        for e in register
        if e.practice == practice and e.entity_type == "person" and e.role in STAFF_ROLES
    )
    for role in roles:
        if role in STAFF_ROLES and not holders[role]:
            holders[role] = 1
    return holders


@lru_cache(maxsize=1)
def rare_conditions() -> re.Pattern:
    return _term_pattern(_data_lines("rare_conditions.txt"))


@lru_cache(maxsize=1)
def special_categories() -> dict[str, re.Pattern]:
    by_category: dict[str, list[str]] = {}
    for line in _data_lines("special_category.txt"):
        category, term = line.split("\t")
        by_category.setdefault(category, []).append(term)
    return {category: _term_pattern(terms) for category, terms in by_category.items()}


def _data_lines(name: str) -> list[str]:
    text = resources.files("fieldcorpus.deid").joinpath("data", name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


def _term_pattern(terms: list[str]) -> re.Pattern:
    # Spaces and hyphens stand for each other ("Churg Strauss"); an apostrophe may go missing.
    escaped = {re.escape(t).replace("'", "['’]?") for t in terms}
    words = sorted({re.sub(r"(?:\\[ -])+", r"[\\s-]+", w) for w in escaped}, key=len, reverse=True)
    return re.compile(rf"(?<![\w-])(?:{'|'.join(words)})(?![\w-])", re.I)


def _row(item: dict, unit_id: str, kind: str, level: str, detail: str) -> dict:
    return {
        "item_id": item["item_id"],
        "unit_id": unit_id,
        "wave": item["wave"],
        "kind": kind,
        "level": level,
        "detail": " ".join(detail.split()),
    }


def text_findings(item: dict, unit: dict, unique_roles: list[str]) -> list[dict]:
    """Findings in one pseudonymised unit's text."""
    text, unit_id = unit.get("text", ""), unit["id"]
    rows = []

    pseudonyms = [m.span() for m in re.finditer(_PSEUDONYM, text)]

    def add(kind: str, level: str, start: int, end: int, what: str = "") -> None:
        if any(p_start <= start and end <= p_end and (start, end) != (p_start, p_end)
               for p_start, p_end in pseudonyms):  # fmt: skip
            return  # inside a pseudonym ("[Age 40-49]"): what replaced the identifier
        quoted = quote_context(text, start, end)
        rows.append(_row(item, unit_id, kind, level, f"{what}{': ' if what else ''}{quoted}"))

    for role in unique_roles:
        phrase = rf"\b(?:the|our|their|your|my|her|his)\s+(?:{_ROLE_WORDS[role]})\b"
        for match in re.finditer(phrase, text, re.I):
            add("unique_role", "medium", match.start(), match.end(), f"one {role} in the practice")
    for age in find_ages(text):
        if age.age < 90:
            add("exact_age", "medium", age.start, age.end, f"age {age.age}")
    for match in _BARE_AGE.finditer(text):
        add("exact_age", "medium", match.start(), match.end(), "age said bare")
    for start, end in find_full_dates(text):
        add("exact_date", "medium", start, end, "date to the day")
    for match in _RELATION.finditer(text):
        before, after = text[max(0, match.start() - 45) : match.start()], text[match.end() :]
        beside = _BESIDE_PSEUDONYM.search(before) or _BESIDE_PSEUDONYM.match(after[:45])
        if beside or match.group().startswith("["):
            add("family_relation", "medium", match.start(), match.end(), "beside a pseudonym")
    for match in _OCCUPATION.finditer(text):
        add("occupation", "medium", match.start(), match.end())
    places = [(m.start("place"), m.end("place")) for m in _WORKPLACE.finditer(text)]
    for match in _WORKPLACE_LOWER.finditer(text):
        if match.group("place") not in _NOT_WORKPLACES and match.end() > max(
            (end for _, end in places), default=-1
        ):
            places.append((match.start("place"), match.end("place")))
    for start, end in places:
        add("workplace", "medium", start, end)
    for match in rare_conditions().finditer(text):
        add("rare_condition", "high", match.start(), match.end(), "rare condition (Orphanet)")
    for category, pattern in special_categories().items():
        for match in pattern.finditer(text):
            add("special_category", "medium", match.start(), match.end(), category)
    return rows


def risk_rows(
    practice: str,
    items: list[dict],
    shared: dict[str, dict],
    register: list[RegisterEntry],
    ledger: Ledger,
    replacements: list[dict],
    settings: dict,
) -> list[dict]:
    """Every finding of one practice. `items`: its manifest rows; `shared`: its pseudonymised
    items by item id (units and metadata as shared); `replacements`: its anonymisation log rows;
    `settings`: the pseudonymisation settings (risk: k and the gazetteer's population)."""
    holders = role_holders(practice, register, [item["role"] for item in items])
    unique = [role for role in STAFF_ROLES if holders[role] == 1]
    rows: list[dict] = []
    metadata = {
        item["item_id"]: shared.get(item["item_id"], {}).get("item")
        or shareable_item(item, settings)
        for item in items
    }
    for item in items:
        rows += _unique_role_metadata(item, metadata[item["item_id"]]["role"], holders)
        for unit in shared.get(item["item_id"], {}).get("units", []):
            rows += text_findings(item, unit, unique)
    rows += _small_places(items, ledger, replacements, min_population(settings))
    rows += k_anonymity(items, metadata, int((settings.get("risk") or {}).get("k", DEFAULT_K)))
    order = {level: index for index, level in enumerate(LEVELS)}
    return sorted(rows, key=lambda r: (order[r["level"]], r["item_id"], r["unit_id"], r["kind"]))


def _unique_role_metadata(item: dict, shared_role: str, holders: Counter) -> list[dict]:
    """The corpus's role column with the practice code names one person."""
    role = item["role"]
    if holders[role] != 1:
        return []
    sharing = sum(n for r, n in holders.items() if role_group(r) == shared_role or r == shared_role)
    level = "high" if sharing <= 1 else "low"
    group = f", a group of {sharing}" if shared_role != role else ""
    shown = f"shared as '{shared_role}'{group}"
    detail = f"role {role} is held by one person in {item['practice']}; metadata {shown}"
    return [_row(item, "", "unique_role", level, detail)]


def _small_places(
    items: list[dict], ledger: Ledger, replacements: list[dict], population: int
) -> list[dict]:
    small = {
        original_key(row["original"])
        for row in ledger.rows
        if row["entity_type"] == "place" and is_small_place(row["original"], population)
    }
    by_id = {item["item_id"]: item for item in items}
    rows = []
    for replaced in replacements:
        item = by_id.get(replaced["item_id"])
        if item is None or original_key(replaced["original"]) not in small:
            continue
        generalised = replaced["replacement"] == SMALL_PLACE_PSEUDONYM
        detail = (
            f"'{replaced['original']}' is not a town of {population:,}+ people in the "
            f"gazetteer; shared as {replaced['replacement']}"
        )
        rows.append(
            _row(
                item, replaced["unit_id"], "small_place", "low" if generalised else "medium", detail
            )
        )
    return rows


def k_anonymity(items: list[dict], metadata: dict[str, dict], k: int) -> list[dict]:
    """One row per item: its practice × wave × role × kind combination, as shared, and how
    many items hold it; fewer than k is high."""

    def combination(item_id: str) -> tuple:
        shared = metadata[item_id]
        return (shared["practice"], int(shared["wave"]), shared["role"], shared["kind"])

    counts = Counter(combination(item["item_id"]) for item in items)
    rows = []
    for item in items:
        practice, wave, role, kind = combination(item["item_id"])
        held = counts[(practice, wave, role, kind)]
        detail = f"{practice} × wave {wave} × {role} × {kind}: {held} item(s), k = {k}"
        rows.append(_row(item, "", "k_anonymity", "high" if held < k else "low", detail))
    return rows


def review_entries(rows: list[dict]) -> list[dict]:
    """The high rows as review-queue entries (REVIEW_COLUMNS)."""
    return [
        {
            **dict.fromkeys(REVIEW_COLUMNS, ""),
            "item_id": row["item_id"],
            "unit_id": row["unit_id"],
            "text": row["detail"],
            "source": f"risk:{row['kind']}",
            "reason": f"re-identification risk: {row['kind']} (high)",
            "context": row["detail"],
            "resolve": RESOLVE.get(
                row["kind"],
                "generalise or remove the passage, or share "
                "this item only under safeguarded access",
            ),  # fmt: skip
        }
        for row in rows
        if row["level"] == "high"
    ]


def risk_html(practice: str, rows: list[dict]) -> str:
    """The report as a page to read in a browser (restricted: it quotes the text)."""
    counts = Counter(row["level"] for row in rows)
    summary = ", ".join(f"{counts[level]} {level}" for level in LEVELS)
    head = "".join(f"<th>{html.escape(c)}</th>" for c in RISK_COLUMNS)
    body = "\n".join(
        f"<tr class='{html.escape(row['level'])}'>"
        + "".join(f"<td>{html.escape(str(row[c]))}</td>" for c in RISK_COLUMNS)
        + "</tr>"
        for row in rows
    )
    title = f"Re-identification risk, {practice} (restricted: do not share)"
    css = TABLE_CSS + ".high td{background:#fdd}.medium td{background:#ffd}"
    return html_page(
        title,
        css,
        [
            f"<h1>{html.escape(title)}</h1>",
            f"<p>{summary}. High rows are in the review queue; see the README, "
            "'Re-identification risk'.</p>",
            f"<table><tr>{head}</tr>",
            body,
            "</table>",
        ],
    )


def write_risk_report(
    practice: str,
    items: list[dict],
    shared_items: list[str],
    anonymisation_logs: list[str],
    ledger: str,
    register: str,
    settings: dict,
    output: str,
    output_html: str,
    review: str,
) -> None:
    """The practice's re-identification risk report (restricted) and its high rows as review
    entries; written by the practice's corpus assembly, which reads the same shared items."""
    shared = {}
    for path in shared_items:
        document = read_json(path)
        shared[document["item"]["item_id"]] = document
    replacements = [row for path in anonymisation_logs for row in read_tsv(path)]
    rows = risk_rows(
        practice,
        items,
        shared,
        load_register(register),
        Ledger.read(ledger),
        replacements,
        settings,
    )
    atomic_write_text(output, tsv_text(rows, RISK_COLUMNS), RESTRICTED_FILE_MODE)
    atomic_write_text(output_html, risk_html(practice, rows), RESTRICTED_FILE_MODE)
    entries = review_entries(rows)
    atomic_write_text(review, review_to_tsv(entries), RESTRICTED_FILE_MODE)
    levels = {level: sum(r["level"] == level for r in rows) for level in ("high", "medium")}
    log.info("risk report: %d high, %d medium rows", levels["high"], levels["medium"])
