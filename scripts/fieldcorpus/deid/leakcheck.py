"""Leak check: every ledger original and register string, searched case- and whitespace-
insensitively through every shareable file (contents, containers and file names).

Findings name the file and the item, never the string found."""

from __future__ import annotations

import html
import io
import json
import re
import zipfile
from collections.abc import Callable
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path

from fieldcorpus.deid.ledger import GUESS_SOURCES, Ledger
from fieldcorpus.deid.textmatch import compile_alternation, normalise
from fieldcorpus.errors import LeakError
from fieldcorpus.files import tsv_text
from fieldcorpus.manifest import RegisterEntry

_TAG = re.compile(r"<[^>]+>")
# Markup read as a tree: only its text (and text-bearing attributes) is searched, never tag
# names, attribute names or style sheets, where a short name such as 'Nav' would match 'nav'.
_MARKUP = (".xml", ".qde", ".rels", ".html", ".htm", ".svg", ".xhtml")
# Text with occasional tags (anchors in Markdown, voice tags in WebVTT): tags removed.
_TAGGED_TEXT = (".md", ".vtt", ".srt")
_JSON = (".json", ".jsonl", ".geojson")
_AUDIO = (".flac", ".wav", ".mp3")


_SKIPPED_ELEMENTS = {"style"}
# Attributes whose values are read text (alternative text, titles, names): the gate reads only
# these; the leak check reads every attribute value but those that only name markup, since a
# link or a source path can carry a name.
TEXT_ATTRIBUTES = frozenset({"alt", "title", "name", "descr", "description", "label", "content"})
_MARKUP_ATTRIBUTES = frozenset({"class", "id", "style", "lang", "dir", "role", "rel", "type"})


class _TextParser(HTMLParser):
    """Element text and text-bearing attribute values of HTML or XML, one entry per text node,
    without the tags, attribute names or style sheets."""

    def __init__(self, read: Callable[[str], bool]):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._skip = 0
        self._read = read

    def handle_starttag(self, tag, attrs):
        if tag.split(":")[-1] in _SKIPPED_ELEMENTS:
            self._skip += 1
        for name, value in attrs:
            if value and self._read(name.split(":")[-1].lower()):
                self.texts.append(value)

    def handle_endtag(self, tag):
        if tag.split(":")[-1] in _SKIPPED_ELEMENTS and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.texts.append(data)

    def unknown_decl(self, data):
        if data.startswith("CDATA["):
            self.texts.append(data[len("CDATA[") :])


def markup_texts(data: str, attributes: str = "text") -> list[str]:
    """The text nodes of an HTML or XML document (never its tags or style sheets), with the
    values of its text attributes ('text') or of all but markup attributes ('all')."""
    return list(_parsed_markup(data, attributes))


# Every DOCX a run writes carries the same 350 kB style sheets, and each .qdpx packs the DOCX
# again: parsed once per run, not once per copy (three quarters of a leak check's time).
@lru_cache(maxsize=64)
def _parsed_markup(data: str, attributes: str) -> tuple[str, ...]:
    if attributes == "all":
        parser = _TextParser(lambda name: name not in _MARKUP_ATTRIBUTES)
    else:
        parser = _TextParser(TEXT_ATTRIBUTES.__contains__)
    parser.feed(data)
    parser.close()
    return tuple(parser.texts)


def _json_strings(value) -> list[str]:
    """Every key and string value in parsed JSON (escapes such as \\u00e9 decoded)."""
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [str(k), *_json_strings(v)]]
    if isinstance(value, list):
        return [s for v in value for s in _json_strings(v)]
    return [str(value)] if value is not None else []


def content_text(name: str, data: bytes) -> str:
    """Everything searchable in one file's bytes, whatever its container: zip members (DOCX,
    XLSX, .qdpx) recursively, parquet cells, JSON strings, markup with its tags removed and
    entities decoded, text chunks and comments of images. Other binary content has only its
    name to search."""
    lowered = name.lower()
    if lowered.endswith(".parquet"):
        return _table_text(_parquet_frame(data))
    if data.startswith(b"PK\x03\x04"):
        return _zip_text(data)
    if lowered.endswith(_AUDIO):
        return _audio_metadata(data)
    if b"\x00" in data[:4096]:
        return _image_metadata(data)
    text = data.decode("utf-8", errors="ignore")
    if lowered.endswith(_MARKUP):
        texts = markup_texts(text, attributes="all")
        return "".join(texts) + "\n" + "\n".join(texts)
    parts = [text]
    if lowered.endswith(_TAGGED_TEXT):
        parts = [html.unescape(_TAG.sub("", text)), html.unescape(_TAG.sub(" ", text))]
    if lowered.endswith(_JSON):
        for line in text.splitlines() if lowered.endswith(".jsonl") else [text]:
            try:
                parts += _json_strings(json.loads(line))
            except ValueError:
                continue
    return "\n".join(parts)


def _decoded(block: bytes) -> str:
    texts = [block.decode("utf-8", errors="ignore")]
    if b"\x00" in block:  # ID3 frames may be UTF-16
        texts += [block.decode(codec, errors="ignore") for codec in ("utf-16-le", "utf-16-be")]
        texts.append(block.replace(b"\x00", b"").decode("utf-8", errors="ignore"))
    return "\n".join(texts)


def _audio_metadata(data: bytes) -> str:
    """The tags of an audio file (FLAC metadata blocks, RIFF chunks other than the samples, ID3v2
    and ID3v1): a recording's title or artist can name a participant. Samples are not text."""
    parts: list[bytes] = []
    if data.startswith(b"fLaC"):
        position, last = 4, False
        while not last and position + 4 <= len(data):
            header = data[position]
            last, kind = bool(header & 0x80), header & 0x7F
            length = int.from_bytes(data[position + 1 : position + 4], "big")
            if kind not in (0, 1, 3):  # STREAMINFO, PADDING, SEEKTABLE hold no text
                parts.append(data[position + 4 : position + 4 + length])
            position += 4 + length
    elif data.startswith(b"RIFF"):
        position = 12
        while position + 8 <= len(data):
            chunk, length = (
                data[position : position + 4],
                int.from_bytes(data[position + 4 : position + 8], "little"),
            )
            if chunk not in (b"fmt ", b"data", b"fact"):
                parts.append(data[position + 8 : position + 8 + length])
            position += 8 + length + (length & 1)
    if data.startswith(b"ID3") and len(data) >= 10:
        size = 0
        for byte in data[6:10]:
            size = (size << 7) | (byte & 0x7F)
        parts.append(data[10 : 10 + size])
    if data[-128:].startswith(b"TAG"):
        parts.append(data[-125:])
    return "\n".join(_decoded(part) for part in parts)


def _image_metadata(data: bytes) -> str:
    """Text an image carries beside its pixels (PNG text chunks, comments, descriptions): a
    name can hide there. Other binary files have nothing searchable but their names."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            values = list(getattr(image, "text", {}).values()) + list(image.info.values())
    except (UnidentifiedImageError, OSError, ValueError):
        return ""
    return "\n".join(
        v.decode("utf-8", errors="ignore") if isinstance(v, bytes) else v
        for v in values
        if isinstance(v, str | bytes)
    )


def _zip_text(data: bytes) -> str:
    parts = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            parts.append(info.filename)
            if not info.is_dir():
                parts.append(content_text(info.filename, archive.read(info)))
    return "\n".join(parts)


def _parquet_frame(data: bytes):
    import pyarrow.parquet as pq

    return pq.read_table(io.BytesIO(data)).to_pandas()


def _table_text(frame) -> str:
    columns = "\n".join(str(c) for c in frame.columns)
    return (
        columns
        + "\n"
        + "\n".join(
            str(value)
            for column in frame.columns
            for value in frame[column].tolist()
            if value is not None
        )
    )


def file_text(path: Path) -> str:
    return content_text(path.name, path.read_bytes())


def _practice_tables(path: Path):
    """A tabular file with a practice column, split by practice; None for anything else."""
    import pandas as pd

    if path.suffix == ".parquet":
        frame = _parquet_frame(path.read_bytes())
    elif path.suffix == ".csv":
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    elif path.suffix == ".jsonl":
        try:
            frame = pd.read_json(path, lines=True, dtype=False)
        except ValueError:
            return None
    else:
        return None
    if "practice" not in frame.columns:
        return None
    return {str(practice): group for practice, group in frame.groupby("practice", observed=True)}


def _practice_texts(path: Path, practices: set[str]) -> dict[str | None, str] | None:
    """Study-wide JSONL and .qdpx files, split into the text of each practice (key None: parts of
    no known practice); None for other files."""
    if path.suffix == ".jsonl":
        parts: dict[str | None, list[str]] = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            record = json.loads(line)
            practice = str(record.get("practice")) if isinstance(record, dict) else None
            key = practice if practice in practices else None
            parts.setdefault(key, []).append(line)
        return {key: "\n".join(lines) for key, lines in parts.items()}
    if path.suffix == ".qdpx":
        return _qdpx_texts(path.read_bytes(), practices)
    return None


def _qdpx_texts(data: bytes, practices: set[str]) -> dict[str | None, str]:
    """A REFI-QDA project: each source file goes with the practice whose Case refers to it."""
    import xml.etree.ElementTree as ElementTree

    ns = "{urn:QDA-XML:project:1.0}"
    parts: dict[str | None, list[str]] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        owner: dict[str, str] = {}
        if "project.qde" in names:
            root = ElementTree.fromstring(archive.read("project.qde"))
            source_practice = {
                ref.get("targetGUID", "").upper(): case.get("name")
                for case in root.iter(f"{ns}Case")
                if case.get("name") in practices
                for ref in case.iter(f"{ns}SourceRef")
            }
            for element in root.iter():
                practice = source_practice.get((element.get("guid") or "").upper())
                if practice is None:
                    continue
                for holder in (element, *element.iter(f"{ns}Transcript")):
                    for attribute in ("plainTextPath", "richTextPath", "path"):
                        value = holder.get(attribute) or ""
                        if value.startswith("internal://"):
                            owner["sources/" + value[len("internal://") :]] = practice
        for name in names:
            text = content_text(name, archive.read(name))
            parts.setdefault(owner.get(name), []).extend([name, text])
    return {key: "\n".join(texts) for key, texts in parts.items()}


_NOT_ALNUM = re.compile(r"[\W_]+")


def _squash(text: str) -> str:
    return _NOT_ALNUM.sub("", text.casefold())


class PrefilteredSearch:
    """The leak-check regex, run only for strings whose letters and digits occur in the text.

    Every match of a string's pattern consists of that string's characters plus separators, so
    its letters and digits, case-folded, appear consecutively in the squashed text: a plain
    substring test on them rules a string out exactly, and one alternation regex over hundreds
    of strings need not crawl over every position of every file."""

    def __init__(self, strings: set[str], capitalised: set[str]):
        self._capitalised = set(capitalised)
        self._keys = [(_squash(normalise(s)), s) for s in set(strings) | self._capitalised]
        self._keys = [(key, s) for key, s in self._keys if key]

    def search(self, text: str):
        squashed = _squash(text)
        present = [s for key, s in self._keys if key in squashed]
        if not present:
            return None
        pattern = compile_alternation(
            [s for s in present if s not in self._capitalised],
            [s for s in present if s in self._capitalised],
        )
        return pattern.search(text) if pattern is not None else None


class Needles:
    """The strings that must not appear, by practice.

    Register strings and pattern or register ledger entries count everywhere. Entries found only
    by NER count in their own practice's files: there a common word NER mistook for a name was
    replaced everywhere, while another practice may use the same word innocently."""

    def __init__(self, ledgers: dict[str, Ledger], register: list[RegisterEntry]):
        self.practices = set(ledgers)
        self._global = {s for entry in register for s in entry.strings}
        self._local: dict[str, set[str]] = {}
        self._capitalised: set[str] = set()
        for practice, ledger in ledgers.items():
            self._capitalised |= ledger.capitalised_only()
            for row in ledger.rows:
                if row["source"] in GUESS_SOURCES:
                    self._local.setdefault(practice, set()).add(row["original"])
                else:
                    self._global.add(row["original"])
        self._patterns: dict[str | None, PrefilteredSearch] = {}

    def strings(self, practice: str | None) -> tuple[set[str], set[str]]:
        """(strings matched in any case, strings matched only capitalised) for one practice's
        files (None: files of no known practice)."""
        if practice is None:
            local = set().union(*self._local.values()) if self._local else set()
        else:
            local = self._local.get(practice, set())
        strings = self._global | local
        return strings - self._capitalised, strings & self._capitalised

    def pattern(self, practice: str | None) -> re.Pattern | None:
        if practice not in self._patterns:
            self._patterns[practice] = PrefilteredSearch(*self.strings(practice))
        return self._patterns[practice]


def _found(pattern: PrefilteredSearch | None, text: str) -> bool:
    return pattern is not None and pattern.search(text) is not None


def item_of(path: Path, item_ids: set[str]) -> str:
    """The item a shareable file belongs to: the longest item id its name starts with."""
    for part in reversed(path.parts):
        found = [i for i in item_ids if part == i or part.startswith((f"{i}.", f"{i}_"))]
        if found:
            return max(found, key=len)
    return "-"


def practice_of(path: Path, practices: set[str]) -> str | None:
    """The practice a file belongs to: a directory named by it, or a name like qda/P01.qdpx."""
    found = next((part for part in path.parts[:-1] if part in practices), None)
    if found is None and path.name.split(".", 1)[0] in practices:
        found = path.name.split(".", 1)[0]
    return found


def file_leaks(path: Path, relative: Path, needles: Needles) -> str | None:
    """'name' when the path itself holds a string, 'content' when the file does, else None."""
    practice = practice_of(relative, needles.practices)
    if _found(needles.pattern(practice), re.sub(r"[_.]", " ", relative.as_posix())):
        return "name"
    tables = _practice_tables(path)
    if tables is not None:
        leaked = any(
            _found(needles.pattern(p if p in needles.practices else None), _table_text(frame))
            for p, frame in tables.items()
        )
    else:
        texts = _practice_texts(path, needles.practices)
        if texts is not None:
            leaked = any(
                _found(needles.pattern(p if p is not None else practice), text)
                for p, text in texts.items()
            )
        else:
            leaked = _found(needles.pattern(practice), file_text(path))
    return "content" if leaked else None


def shown_path(relative: Path, where: str | None) -> str:
    """The path to print: a leaking name is withheld below its top folder."""
    if where != "name":
        return relative.as_posix()
    return (
        f"{relative.parts[0]}/[a file name holding the string]"
        if len(relative.parts) > 1
        else ("[a file name holding the string]")
    )


# Written after the tree check (the report itself, and the crate that lists the report): each is
# checked by the job that writes it, so the report is the same whether or not an earlier run
# left them behind.
CHECKED_WHEN_WRITTEN = ("leak-check.tsv", "ro-crate-metadata.json")


def raise_if_document_leaks(
    relative: str, data: bytes, ledgers: dict[str, Ledger], register: list[RegisterEntry]
) -> None:
    """Fail before a shareable file is published when it holds any ledger or register string."""
    if _found(Needles(ledgers, register).pattern(None), content_text(relative, data)):
        raise LeakError(
            None,
            f"leak check failed: a ledger or register string was found in {relative}",
            "check the register, allow-list and review queue, then rerun; the string is not "
            "printed here",
        )


def check_tree(
    shareable_dir: str | Path,
    ledgers: dict[str, Ledger],
    register: list[RegisterEntry],
    item_ids: set[str],
) -> list[dict]:
    """Scan the shareable tree; return one row per file (result 'clean' or 'leak')."""
    root = Path(shareable_dir)
    needles = Needles(ledgers, register)
    rows = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        relative = path.relative_to(root)
        if relative.name.startswith(".") and relative.name.endswith(".partial"):
            continue
        if relative.as_posix() in CHECKED_WHEN_WRITTEN:
            continue
        where = file_leaks(path, relative, needles)
        rows.append(
            {
                "file": shown_path(relative, where),
                "item_id": item_of(relative, item_ids),
                "result": f"leak in {where}" if where else "clean",
            }
        )
    return rows


def rows_to_tsv(rows: list[dict]) -> str:
    return tsv_text(rows, ("file", "item_id", "result"))


def raise_on_leaks(rows: list[dict]) -> None:
    leaks = [row for row in rows if row["result"] != "clean"]
    if leaks:
        listing = "; ".join(f"{row['file']} (item {row['item_id']})" for row in leaks)
        raise LeakError(
            None,
            f"leak check failed: a ledger or register string was found in {len(leaks)} "
            f"shareable file(s): {listing}",
            "remove or fix these files (check the register, allow-list and review queue), then "
            "rerun; the strings are not printed here",
        )
