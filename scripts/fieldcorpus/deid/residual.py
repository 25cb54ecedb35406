"""The residual-identifier gate: after pseudonymisation, every shareable text is scanned for
identifier shapes that need no ledger to be recognised (digit runs as ASR writes them, phone,
NHS, NI, postcode, email and URL shapes, full dates with a birth-plausible year).

A hit withholds the item (fail closed) and goes to the restricted review queue. Hits name the
unit and the kind of shape, never the string. The allow-list releases a reviewed shape.

The gate reads text, never structure: unit text of item JSON; cue text, not cue timings, of
VTT/SRT; turn text, not `[hh:mm:ss]` stamps, of transcripts; a corpus's text column, not its
numeric columns; element text, not markup, of HTML, XML and DOCX. Item ids and ISO dates are
masked in derived files, where they are metadata (headings, columns), never in unit text."""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from fieldcorpus.deid.leakcheck import markup_texts
from fieldcorpus.errors import LeakError
from fieldcorpus.files import read_tsv, tsv_text

GATE_COLUMNS = ("item_id", "unit_id", "start", "end", "kind", "text", "context", "resolve")
MIN_DIGITS = 7
MAX_FILLER_WORDS = 3
MIN_AGE_YEARS = 5
MAX_AGE_YEARS = 120
CONTEXT_CHARS = 40

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_ORDINAL_WORDS = [
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
    "twentieth",
    "thirtieth",
]
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = (
    r"(?P<day>\d{1,2}(?:st|nd|rd|th)?|(?:(?:twenty|thirty)[- ]?)?(?:"
    + "|".join(_ORDINAL_WORDS)
    + "))"
)
_YEAR = r"(?P<year>(?:1[89]|20)\d{2})"
_DATES = [
    re.compile(rf"\b{_DAY}\s*(?:of\s+|[-/.,]\s*)?{_MONTH}[\s,./-]*{_YEAR}\b", re.IGNORECASE),
    re.compile(rf"\b{_MONTH}[\s,]*(?:the\s+)?{_DAY}[\s,]*{_YEAR}\b", re.IGNORECASE),
    re.compile(r"\b(?P<day>\d{1,2})\s*[/.-]\s*(?P<month>\d{1,2})\s*[/.-]\s*" + _YEAR + r"\b"),
    re.compile(r"\b" + _YEAR + r"-(?P<month>\d{2})-(?P<day>\d{2})\b"),
]
_SHAPES = [
    ("email shape", re.compile(r"[\w.+'-]+\s?@\s?[\w-]+(?:\.[\w-]+)+")),
    (
        "URL shape",
        re.compile(
            r"\b(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\."
            r"(?:co\.uk|org\.uk|nhs\.uk|nhs\.net|ac\.uk|gov\.uk|com|org|net|uk)\b(?:/\S*)?",
            re.IGNORECASE,
        ),
    ),
    (
        "NI number shape",
        re.compile(r"\b[A-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b"),
    ),
    # Inward letters exclude C I K M O V, so units such as '6MG' are not postcodes.
    (
        "postcode shape",
        re.compile(r"(?<!\d)[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]?\s*\d[ABD-HJLNP-UW-Z]{2}\b"),
    ),
    # ASR splits a postcode with punctuation and mishears its outward letters ('VL3, 5HT').
    (
        "postcode shape",
        re.compile(r"(?<![A-Za-z\d])[A-Z]{1,2}\d[A-Z\d]?[\s,.\-]{1,3}\d[ABD-HJLNP-UW-Z]{2}\b"),
    ),
]
# A pseudonym such as [Nurse 3] is the pipeline's own text: a list of them is no digit run.
_PSEUDONYM = re.compile(r"\[[A-Z][A-Za-z' -]*(?: \d+)?\]")
_TOKEN = re.compile(r"[A-Za-z0-9]+|[^\sA-Za-z0-9]")
# Between the digit groups of one number, as Whisper writes them: spaces, commas, full stops,
# hyphens, question and exclamation marks, brackets, slashes and plus signs (not colons: times).
_SEPARATORS = set(".,?!;-–—()[]/+'\"")
_DIGIT_WORDS = {
    "zero": "0",
    "oh": "0",
    "nought": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
}
_REPEATS = {"double": 2, "treble": 3, "triple": 3}
_YEAR_GROUP = re.compile(r"(?:19|20)\d{2}")
_THOUSANDS = re.compile(r"[£$€]\s?\d{1,3}(?:,\d{3})+(?:\.\d+)?")


@dataclass(frozen=True)
class Shape:
    start: int
    end: int
    kind: str


def _birth_plausible(year: int, reference_year: int) -> bool:
    return reference_year - MAX_AGE_YEARS <= year <= reference_year - MIN_AGE_YEARS


def _valid_date(match: re.Match) -> bool:
    month = match.group("month")
    number = _MONTHS.get(month.lower().rstrip(".")) if not month.isdigit() else int(month)
    day = re.match(r"\d+", match.group("day"))
    return bool(number and 1 <= number <= 12 and (day is None or 1 <= int(day.group()) <= 31))


def _dates(text: str) -> list[tuple[int, int, int]]:
    """(start, end, year) of every full date (day, month, year) in the text."""
    found = []
    for pattern in _DATES:
        for match in pattern.finditer(text):
            if _valid_date(match):
                found.append((match.start(), match.end(), int(match.group("year"))))
    return found


def _digit_value(tokens: list[re.Match], index: int) -> str | None:
    word = tokens[index].group()
    if word.isdigit():
        return word
    if word == "O":
        return "0"
    return _DIGIT_WORDS.get(word.lower())


def _digit_runs(text: str) -> list[tuple[int, int, str]]:
    """(start, end, digits) of every run of digit groups joined only by separators: '999
    -7900749', '077009080. 883.', 'seven seven oh oh', 'double seven'. Letters inside a
    word (a hash, 'B12') and ordinary words end a run."""
    tokens = list(_TOKEN.finditer(text))
    runs = []
    index = 0
    while index < len(tokens):
        if _digit_value(tokens, index) is None and tokens[index].group().lower() not in _REPEATS:
            index += 1
            continue
        digits, first, last, repeat, groups = "", index, None, 1, []
        while index < len(tokens):
            word = tokens[index].group()
            value = _digit_value(tokens, index)
            if value is not None:
                digits += value * repeat if len(value) == 1 else value
                repeat, last = 1, index
                groups.append(value)
            elif word.lower() in _REPEATS:
                repeat = _REPEATS[word.lower()]
            elif word not in _SEPARATORS:
                break
            index += 1
        if last is not None and not _counting(groups):
            runs.append((tokens[first].start(), tokens[last].end(), digits))
        index = max(index, first + 1)
    return runs


def _spoken_digit_runs(text: str) -> list[tuple[int, int, str]]:
    """Digits said one at a time with filler words between them ('low 7 7 O O, I know, low,
    2 8 7'): single digits, each at most MAX_FILLER_WORDS words from the last."""
    tokens = list(_TOKEN.finditer(text))
    runs, digits, first, last, gap = [], "", None, None, 0

    def close() -> None:
        if first is not None and len(digits) >= MIN_DIGITS and not _counting(list(digits)):
            runs.append((tokens[first].start(), tokens[last].end(), digits))

    for index, token in enumerate(tokens):
        word = token.group()
        value = _digit_value(tokens, index)
        if value is not None and len(value) == 1:
            if first is None:
                first = index
            digits, last, gap = digits + value, index, 0
            continue
        if word in _SEPARATORS:
            continue
        gap += 1
        if gap > MAX_FILLER_WORDS or not word.isalpha() or value is not None:
            close()
            digits, first, last, gap = "", None, None, 0
    close()
    return runs


def _counting(groups: list[str]) -> bool:
    """Numbers counted aloud (1, 2, 3, … 10 while a patient holds their breath): each group one
    more, or one less, than the last."""
    numbers = [int(group) for group in groups]
    steps = {b - a for a, b in zip(numbers, numbers[1:], strict=False)}
    return len(numbers) >= 4 and steps in ({1}, {-1})


def _run_kind(text: str, start: int, end: int, digits: str) -> str | None:
    """The kind of a digit run, or None when it is no identifier shape."""
    if len(digits) < MIN_DIGITS:
        return None
    groups = re.findall(r"\d+", text[start:end])
    if groups and all(_YEAR_GROUP.fullmatch(group) for group in groups):
        return None  # a list of years (2019, 2020, 2021)
    if digits.startswith(("0", "44")) or "+" in text[max(0, start - 3) : start]:
        return "phone shape"
    if len(digits) == 10:
        return "NHS number shape"
    return "digit run"


def _masked(text: str, spans: list[tuple[int, int]]) -> str:
    """The text with these spans blanked by a character that ends any digit run."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = "#" * (end - start)
    return "".join(chars)


def find_shapes(text: str, reference_year: int) -> list[Shape]:
    """Identifier shapes in one text; a full date is a hit only with a birth-plausible year
    (at least MIN_AGE_YEARS before the reference year), and never part of a digit run."""
    masked = _masked(
        text,
        [m.span() for m in _PSEUDONYM.finditer(text)]
        + [m.span() for m in _THOUSANDS.finditer(text)],
    )
    shapes: list[Shape] = []
    dates = _dates(masked)
    for start, end, year in dates:
        if _birth_plausible(year, reference_year):
            shapes.append(Shape(start, end, "birth-plausible date"))
    masked = _masked(masked, [(start, end) for start, end, _ in dates])
    for kind, pattern in _SHAPES:
        found = [Shape(m.start(), m.end(), kind) for m in pattern.finditer(masked)]
        shapes += found
        masked = _masked(masked, [(s.start, s.end) for s in found])
    masked = _masked(masked, [(s.start, s.end) for s in shapes])
    for start, end, digits in _digit_runs(masked):
        kind = _run_kind(masked, start, end, digits)
        if kind:
            shapes.append(Shape(start, end, kind))
    masked = _masked(masked, [(s.start, s.end) for s in shapes])
    for start, end, _ in _spoken_digit_runs(masked):
        shapes.append(Shape(start, end, "spoken digit run"))
    return sorted(shapes, key=lambda s: (s.start, s.end))


def _normalised(text: str) -> str:
    return " ".join(text.lower().split())


def _digits_of(text: str) -> str:
    return "".join(re.findall(r"\d", text))


class Release:
    """Shapes the data manager reviewed and put on the allow-list: the same words (any case
    and spacing), or for a number the same digits however they are grouped, or part of them
    (a format that splits a turn into cues shows a released number in pieces)."""

    def __init__(self, allow_list: frozenset[str] | set[str]):
        self._terms = {_normalised(term) for term in allow_list}
        self._digits = {d for d in map(_digits_of, allow_list) if len(d) >= MIN_DIGITS}

    def releases(self, found: str) -> bool:
        digits = _digits_of(found)
        return _normalised(found) in self._terms or (
            len(digits) >= MIN_DIGITS and any(digits in released for released in self._digits)
        )


def reference_year(collected_on: str | None) -> int:
    """The year a birth-plausible date is measured from: the item's collection, else today."""
    try:
        return dt.date.fromisoformat(str(collected_on)).year
    except ValueError:
        return dt.date.today().year


def _turns(units: list[dict]) -> list[list[dict]]:
    """Speech units of one speaker in a row form a turn (ASR splits a number across them);
    every document unit stands alone."""
    turns: list[list[dict]] = []
    for unit in units:
        previous = turns[-1][-1] if turns else None
        if (
            previous is not None
            and "start" in unit
            and "start" in previous
            and unit.get("speaker") == previous.get("speaker")
        ):
            turns[-1].append(unit)
        else:
            turns.append([unit])
    return turns


def _context(text: str, start: int, end: int) -> str:
    before = text[max(0, start - CONTEXT_CHARS) : start]
    after = text[end : end + CONTEXT_CHARS]
    return " ".join(f"…{before}[[{text[start:end]}]]{after}…".split())


def _resolve(kind: str) -> str:
    return (
        f"an identifier ({kind}): add it to the register (or fix its detection) and rerun; "
        "not identifying: add the exact text to the allow-list and rerun"
    )


def scan_units(
    item_id: str, units: list[dict], collected_on: str | None, release: Release
) -> list[dict]:
    """Gate hits of one item's pseudonymised units (restricted rows: they quote the text)."""
    year = reference_year(collected_on)
    hits = []
    for turn in _turns(units):
        offsets, parts, position = [], [], 0
        for unit in turn:
            text = str(unit.get("text") or "")
            offsets.append((position, position + len(text), unit))
            parts.append(text)
            position += len(text) + 1
        joined = " ".join(parts)
        for shape in find_shapes(joined, year):
            found = joined[shape.start : shape.end]
            if release.releases(found):
                continue
            touched = [u for s, e, u in offsets if s < shape.end and shape.start < e]
            first_start = next(s for s, e, u in offsets if u is touched[0])
            hits.append(
                {
                    "item_id": item_id,
                    "unit_id": "+".join(str(u["id"]) for u in touched),
                    "start": shape.start - first_start,
                    "end": shape.end - first_start,
                    "kind": shape.kind,
                    "text": found,
                    "context": _context(joined, shape.start, shape.end),
                    "resolve": _resolve(shape.kind),
                }
            )
    for unit in units:
        for row in unit.get("cells") or []:
            for cell in row if isinstance(row, list) else []:
                text = "" if cell is None else str(cell)
                for shape in find_shapes(text, year):
                    found = text[shape.start : shape.end]
                    if not release.releases(found):
                        hits.append(
                            {
                                "item_id": item_id,
                                "unit_id": str(unit["id"]),
                                "start": "",
                                "end": "",
                                "kind": f"{shape.kind} in a table cell",
                                "text": found,
                                "context": _context(text, shape.start, shape.end),
                                "resolve": _resolve(shape.kind),
                            }
                        )
    return hits


def hits_to_tsv(hits: list[dict]) -> str:
    return tsv_text(hits, GATE_COLUMNS)


def read_hits(path: str | Path) -> list[dict]:
    return read_tsv(path)


def withheld_message(hits: list[dict]) -> str:
    """Where the shapes are and of what kind; never the strings."""
    where = sorted({(h["unit_id"], h["kind"]) for h in hits})
    return "; ".join(f"unit {unit} ({kind})" for unit, kind in where)


# ------------------------------------------------------------ shareable files (leak-check step)

# Derived shareable files the gate reads; provenance, the crate and audio hold no free text.
GATED_FOLDERS = ("items", "corpus", "casebook", "qda", "summaries")
_TIMESTAMP = re.compile(r"\[?\b\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?\b\]?")
_CUE_TIMING = re.compile(r"-->")
_ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}(?:T[\d:.+Z-]*)?\b")


def _docx_paragraphs(xml: str) -> list[str]:
    """The paragraphs of a word/document.xml: the runs' text of each w:p joined."""
    paragraphs = re.findall(r"<w:p[ >].*?</w:p>", xml, flags=re.DOTALL)
    return [
        html.unescape("".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", p))) for p in paragraphs
    ]


def _cue_lines(text: str) -> list[str]:
    """The cue text of WebVTT or SRT: no header, cue numbers or timings; voice tags removed."""
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.isdigit() or _CUE_TIMING.search(stripped):
            continue
        if stripped.startswith(("WEBVTT", "NOTE", "STYLE", "REGION")):
            continue
        lines.extend(markup_texts(stripped))
    return lines


def _table_cells(path: Path, data: bytes) -> list[str]:
    """A corpus's text column, one cell per text; other tables cell by cell."""
    import pandas as pd

    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        frame = pq.read_table(io.BytesIO(data)).to_pandas()
    elif path.suffix == ".jsonl":
        rows = [json.loads(line) for line in data.decode("utf-8").splitlines() if line.strip()]
        frame = pd.DataFrame(rows)
    else:
        separator = "\t" if path.suffix == ".tsv" else ","
        frame = pd.read_csv(
            io.BytesIO(data), dtype=str, keep_default_na=False, sep=separator, encoding="utf-8-sig"
        )
    columns = ["text"] if "text" in frame.columns else list(frame.columns)
    return [
        str(value)
        for column in columns
        for value in frame[column].tolist()
        if isinstance(value, str) and value
    ]


def file_texts(name: str, data: bytes) -> list[str]:
    """The texts of one shareable file the gate reads, each scanned on its own."""
    path = Path(name)
    lowered = name.lower()
    if lowered.endswith((".parquet", ".csv", ".tsv", ".jsonl")):
        return _table_cells(path, data)
    if data.startswith(b"PK\x03\x04"):
        return _zip_texts(data)
    if b"\x00" in data[:4096]:
        return []
    text = data.decode("utf-8", errors="ignore")
    if lowered.endswith(".json"):
        document = json.loads(text)
        units = document.get("units") if isinstance(document, dict) else None
        return [str(u.get("text") or "") for u in units or []]
    if lowered.endswith((".vtt", ".srt")):
        return _cue_lines(text)
    if lowered.endswith((".html", ".htm", ".xml", ".qde", ".xhtml", ".svg")):
        return markup_texts(text)
    if lowered.endswith(".md"):
        return [part for line in text.splitlines() for part in markup_texts(line)]
    return text.splitlines()


def _zip_texts(data: bytes) -> list[str]:
    texts = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            member = archive.read(info)
            if info.filename.endswith("word/document.xml"):
                texts += _docx_paragraphs(member.decode("utf-8", errors="ignore"))
            elif info.filename.endswith((".xml", ".rels")):
                continue  # the parts of an Office file other than its body: styles, settings
            else:
                texts += file_texts(info.filename, member)
    return texts


def strip_structure(text: str, item_ids: set[str]) -> str:
    """A derived file's text without its structure: timestamps, item ids and ISO dates (which
    there are headings and metadata columns; unit text was gated with them in place)."""
    masked = _TIMESTAMP.sub(" # ", text)
    masked = _ISO_DATE.sub(" # ", masked)
    for item_id in sorted(item_ids, key=len, reverse=True):
        masked = masked.replace(item_id, " # ")
    return masked


def file_hits(
    name: str, data: bytes, item_ids: set[str], release: Release, year: int | None = None
) -> list[str]:
    """The kinds of shape one derived shareable file holds (never the strings)."""
    year = year if year is not None else dt.date.today().year
    kinds = []
    for text in file_texts(name, data):
        clean = strip_structure(text, item_ids)
        for shape in find_shapes(clean, year):
            if not release.releases(clean[shape.start : shape.end]):
                kinds.append(shape.kind)
    return kinds


def gated(relative: Path) -> bool:
    return bool(relative.parts) and relative.parts[0] in GATED_FOLDERS


def _collection_years(root: Path) -> dict[str, int]:
    """Each shareable item's collection year, from its JSON's metadata."""
    years = {}
    for path in (root / "items").glob("*/*.json"):
        item = json.loads(path.read_text(encoding="utf-8")).get("item", {})
        years[str(item.get("item_id"))] = reference_year(item.get("collected_on"))
    return years


def scan_tree(shareable_dir: str | Path, item_ids: set[str], release: Release) -> list[dict]:
    """The gate over every shareable text file (items in every format, corpora, casebooks, QDA
    projects, summaries): one row per file with a hit, naming the file, its item and the kinds
    of shape, never the strings. A file of no one item is measured against the latest
    collection year."""
    from fieldcorpus.deid.leakcheck import item_of

    root = Path(shareable_dir)
    years = _collection_years(root)
    latest = max(years.values(), default=dt.date.today().year)
    rows = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        relative = path.relative_to(root)
        if not gated(relative) or relative.name.endswith(".partial"):
            continue
        item_id = item_of(relative, item_ids)
        data = path.read_bytes()
        if relative.parts[0] == "items" and relative.suffix == ".json":
            document = json.loads(data)
            found = [
                hit["kind"]
                for hit in scan_units(
                    item_id,
                    document.get("units", []),
                    document["item"].get("collected_on"),
                    release,
                )
            ]
        else:
            found = file_hits(relative.name, data, item_ids, release, years.get(item_id, latest))
        if found:
            rows.append(
                {
                    "file": relative.as_posix(),
                    "item_id": item_id,
                    "kinds": ", ".join(sorted(set(found))),
                }
            )
    return rows


def tree_rows_to_tsv(rows: list[dict]) -> str:
    return tsv_text(rows, ("file", "item_id", "kinds"))


def raise_on_shapes(rows: list[dict]) -> None:
    """Fail the leak check when the gate found shapes in derived shareable files (named by
    file and item, never by the string)."""
    if rows:
        listing = "; ".join(f"{r['file']} (item {r['item_id']}: {r['kinds']})" for r in rows)
        raise LeakError(
            None,
            f"leak check failed: the residual-identifier gate found identifier shapes in "
            f"{len(rows)} shareable file(s): {listing}",
            "look at these items' anonymisation logs, add the identifiers to the register "
            "(or a reviewed, non-identifying shape to the allow-list), then rerun; the strings "
            "are not printed here",
        )
