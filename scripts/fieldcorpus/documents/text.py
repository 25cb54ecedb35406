"""Plain text, Markdown and CSV -> units, whatever encoding the practice's PC saved them in."""

from __future__ import annotations

import csv
import io
import platform
import re

from fieldcorpus.documents.common import UnitList, clean_line, join_lines, read_bytes
from fieldcorpus.units import table_cells

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
# Bytes that Windows-1252 leaves undefined: their presence rules that encoding out.
_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")
_BLANK_LINES = re.compile(r"\n[ \t]*\n")
_MARKDOWN_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")


def decode_text(data: bytes) -> tuple[str, str]:
    """(text, encoding): a byte-order mark, else strict UTF-8, else Windows-1252 (what English
    Windows saves), else charset-normalizer's best guess, else Latin-1, which never fails."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace"), encoding
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if not _CP1252_UNDEFINED.search(data):
        return data.decode("cp1252"), "cp1252"
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is not None:
        return str(best), best.encoding
    return data.decode("latin-1"), "latin-1"


def _text_lines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def extract_text(
    source, item_id: str, settings: dict, prefix: str = "", flavour: str | None = None
) -> dict:
    """Paragraphs split at blank lines and reflowed; in Markdown, '#' headings and pipe tables
    become heading and table units."""
    text, encoding = decode_text(read_bytes(source))
    units = UnitList(settings, prefix)
    for block in _BLANK_LINES.split(_text_lines(text)):
        lines = block.split("\n")
        if flavour == "markdown":
            _markdown_block(lines, units)
        else:
            units.add(join_lines(lines))
    return {
        "source": {"pages": None, "encoding": encoding},
        "engine": {"name": "python-stdlib", "version": _version()},
        "units": units.units,
    }


def _markdown_block(lines: list[str], units: UnitList) -> None:
    pending: list[str] = []
    table: list[str] = []

    def flush() -> None:
        if pending:
            units.add(join_lines(pending))
            pending.clear()
        if table:
            units.add_table(table_cells("\n".join(table)))
            table.clear()

    for line in lines:
        stripped = line.strip()
        heading = _MARKDOWN_HEADING.match(stripped)
        if stripped.startswith("|") and stripped.endswith("|") and len(stripped) > 1:
            if pending:
                flush()
            table.append(stripped)
        elif heading:
            flush()
            units.add(clean_line(heading.group(1)), "heading")
        else:
            if table:
                flush()
            pending.append(line)
    flush()


def extract_csv(source, item_id: str, settings: dict, prefix: str = "") -> dict:
    """The whole file one table unit; the delimiter (comma, semicolon, tab or bar) is sniffed."""
    text, encoding = decode_text(read_bytes(source))
    text = _text_lines(text)
    try:
        dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(io.StringIO(text), dialect))
    units = UnitList(settings, prefix)
    units.add_table(rows)
    return {
        "source": {"pages": None, "encoding": encoding},
        "engine": {"name": "python-csv", "version": _version()},
        "units": units.units,
    }


def _version() -> str:
    return platform.python_version()
