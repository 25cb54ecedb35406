"""PDF -> units with pdfplumber, one page at a time: words from the characters' own spacing,
text blocks in reading order (columns one after another), tables as their own units, running
headers and footers dropped, pages without a text layer read by OCR."""

from __future__ import annotations

import logging
import math
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from importlib import metadata

from fieldcorpus.documents.common import UnitList, clean_block, clean_line, join_lines, open_binary
from fieldcorpus.errors import FieldcorpusError

log = logging.getLogger(__name__)

# Lines at the top and at the bottom of each page that may be a running header or footer.
EDGE_LINES = 2
# Header/footer detection needs this many pages with text to tell repetition from chance.
MIN_PAGES_FOR_REPETITION = 3
_DIGITS = re.compile(r"\d+")
_SPACE_RUN = re.compile(r"\s+")
# Word boundaries: a gap wider than the line's own letter spacing by WORD_GAP_EM of the font
# size (TeX and many typesetters write no space characters at all), or a space character in a gap.
WORD_GAP_EM = 0.1
# A line's letter spacing is its median gap between characters, capped so that a short line of
# widely spaced words cannot pass its word spaces off as letter spacing.
MAX_TRACKING_EM = 0.3
MIN_GAPS_FOR_TRACKING = 4
# A character whose baseline climbs by less than this share of its advance is level.
LEVEL_TOLERANCE = 0.01
# Boxes whose middles are this close (in line heights) share a line.
ROW_SPREAD = 0.5
# A column gutter is at least MIN_GUTTER_EM font sizes wide and crossed by at most half of the
# lines; at least MIN_COLUMN_LINES lines have words on both sides of it, and each side's lines carry
# MIN_COLUMN_WORDS words or more (median), so line numbers, labels and borderless tables of
# short cells are still read across.
MIN_GUTTER_EM = 1.0
MIN_COLUMN_LINES = 3
MIN_COLUMN_WORDS = 3
# The largest page PDF allows (200 inches), in points.
MAX_PAGE_WIDTH = 14400


@dataclass
class Box:
    """A character, a word or a table's outline: what layout analysis places on the page."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float = 0.0
    bold: bool = False
    table: Table | None = None

    @property
    def middle(self) -> float:
        return (self.top + self.bottom) / 2


@dataclass
class Line:
    text: str
    top: float
    bottom: float
    size: float
    bold: bool
    region: int = 0


@dataclass
class Table:
    top: float
    rows: list[list]
    region: int = 0


@dataclass
class Block:
    lines: list[Line] = field(default_factory=list)


@dataclass
class PageText:
    """One page reduced to what extraction needs: its lines and tables, top to bottom."""

    number: int
    items: list[Line | Table]
    characters: int


def _open_pdf(source, item_id: str):
    import pdfplumber
    from pdfminer.pdfdocument import PDFPasswordIncorrect

    try:
        return pdfplumber.open(open_binary(source) if isinstance(source, bytes) else source)
    except Exception as exc:  # pdfplumber wraps pdfminer's errors in PdfminerException
        causes = [exc, *getattr(exc, "args", ())]
        if (
            any(isinstance(c, PDFPasswordIncorrect) for c in causes)
            or "encrypt" in repr(exc).lower()
            or "password" in repr(exc).lower()
        ):
            raise FieldcorpusError(
                item_id, "PDF is encrypted", "supply an unlocked copy and update the manifest"
            ) from exc
        raise FieldcorpusError(
            item_id, "PDF cannot be read (corrupt or truncated)", "supply a readable copy"
        ) from exc


def _inside(box: Box, outlines: list[tuple]) -> bool:
    x = (box.x0 + box.x1) / 2
    return any(x0 <= x <= x1 and top <= box.middle <= bottom for x0, top, x1, bottom in outlines)


def _is_bold(char: dict) -> bool:
    return "bold" in (char.get("fontname") or "").lower()


def text_rows(boxes: list[Box]) -> list[list[Box]]:
    """Boxes grouped into text lines, each left to right: a box joins the line whose middle (the
    mean of its boxes' middles) is within ROW_SPREAD of the taller one's height, so sub- and
    superscripts stay on their line and lines of neighbouring columns do not chain together."""
    rows: list[list[Box]] = []
    middle = height = 0.0
    for box in sorted(boxes, key=lambda box: (box.middle, box.x0)):
        box_height = box.bottom - box.top
        if rows and abs(box.middle - middle) <= ROW_SPREAD * max(height, box_height):
            rows[-1].append(box)
            middle += (box.middle - middle) / len(rows[-1])
            height = max(height, box_height)
        else:
            rows.append([box])
            middle, height = box.middle, box_height
    return [sorted(row, key=lambda box: (box.x0, box.top)) for row in rows]


def split_words(row: list[Box]) -> list[Box]:
    """One line's characters (left to right) cut into words at gaps wider than the line's own
    letter spacing plus WORD_GAP_EM of the font size, and at space characters that stand in a
    gap (a space laid over touching glyphs, as padded form fields have, separates nothing)."""
    gaps = [  # between letters and digits only: dot leaders and spaced dashes set no spacing
        following.x0 - previous.x1
        for previous, following in zip(row, row[1:], strict=False)
        if previous.text.isalnum() and following.text.isalnum()
    ]
    sizes = [box.size for box in row if not box.text.isspace()] or [0.0]
    body = statistics.median(sizes)
    tracking = statistics.median(gaps) if len(gaps) >= MIN_GAPS_FOR_TRACKING else 0.0
    tracking = min(max(tracking, 0.0), MAX_TRACKING_EM * body)
    words: list[list[Box]] = []
    previous, spaced = None, False
    for char in row:
        if char.text.isspace():
            spaced = True
            continue
        gap = char.x0 - previous.x1 if previous is not None else 0.0
        if (
            previous is None
            or gap > tracking + WORD_GAP_EM * max(char.size, previous.size)
            or (spaced and gap > tracking)
        ):
            words.append([])
        words[-1].append(char)
        previous, spaced = char, False
    return [
        Box(
            "".join(char.text for char in word),
            min(char.x0 for char in word),
            max(char.x1 for char in word),
            min(char.top for char in word),
            max(char.bottom for char in word),
            statistics.median(char.size for char in word),
            all(char.bold for char in word),
        )
        for word in words
    ]


def _spans(row: list[Box], width: float) -> list[tuple[float, float]]:
    """A line's stretches of text: its boxes (left to right) with gaps narrower than `width`
    closed, so that a line crossing a gutter covers it whole, word spaces and all."""
    spans: list[list[float]] = []
    for box in row:
        if spans and box.x0 - spans[-1][1] < width:
            spans[-1][1] = max(spans[-1][1], box.x1)
        else:
            spans.append([box.x0, box.x1])
    return [(x0, x1) for x0, x1 in spans]


def _gaps_between_lines(rows: list[list[Box]], width: float) -> list[tuple[float, float]]:
    """x-ranges at least `width` wide, strictly inside the lines' extent, that at most half of
    the lines reach into, each narrowed to where the fewest lines do (the lines that still
    cross it are full-width headings, text or tables)."""
    origin = math.floor(min(box.x0 for row in rows for box in row))
    extent = math.ceil(max(box.x1 for row in rows for box in row)) - origin
    if extent > MAX_PAGE_WIDTH:  # text placed far off any real page: read it across
        return []
    steps = [0] * (extent + 2)
    for row in rows:
        for x0, x1 in _spans(row, width):
            steps[math.floor(x0) - origin] += 1
            steps[math.ceil(x1) - origin] -= 1
    coverage, running = [], 0
    for step in steps[: extent + 1]:
        running += step
        coverage.append(running)
    found, x = [], 0
    while x <= extent:
        if coverage[x] > len(rows) / 2:
            x += 1
            continue
        run_end = x
        while run_end + 1 <= extent and coverage[run_end + 1] <= len(rows) / 2:
            run_end += 1
        fewest = min(coverage[x : run_end + 1])
        best_start, best_length, here = x, 0, x
        while here <= run_end:
            if coverage[here] == fewest:
                length = 1
                while here + length <= run_end and coverage[here + length] == fewest:
                    length += 1
                if length > best_length:
                    best_start, best_length = here, length
                here += length
            else:
                here += 1
        start, end = origin + best_start, origin + best_start + best_length
        if best_length >= width and best_start > 0 and best_start + best_length <= extent:
            found.append((float(start), float(end)))
        x = run_end + 1
    return found


def _gutter(rows: list[list[Box]]) -> tuple[float, float] | None:
    """The gutter that most lines have words on both sides of (at least MIN_COLUMN_LINES, each
    side with MIN_COLUMN_WORDS words or more per line), the widest of equals."""
    size = statistics.median([box.size for row in rows for box in row if box.size] or [1.0])
    best, best_key = None, None
    for start, end in _gaps_between_lines(rows, MIN_GUTTER_EM * max(size, 1.0)):
        beside = [
            (sum(box.x1 <= start for box in row), sum(box.x0 >= end for box in row))
            for row in rows
            if not any(box.x0 < end and box.x1 > start for box in row)
        ]
        both = sum(1 for before, after in beside if before and after)
        if both < MIN_COLUMN_LINES:
            continue
        before = statistics.median(count for count, _ in beside if count)
        after = statistics.median(count for _, count in beside if count)
        key = (both, end - start)
        if min(before, after) >= MIN_COLUMN_WORDS and (best_key is None or key > best_key):
            best, best_key = (start, end), key
    return best


def layout_rows(boxes: list[Box]) -> list[list[Box]]:
    """Text lines, and each table as a line of its own, top to bottom."""
    rows = text_rows([box for box in boxes if box.table is None])
    rows += [[box] for box in boxes if box.table is not None]
    return sorted(rows, key=lambda row: min(box.top for box in row))


def _columns_proper(sides: list[list[Box]]) -> tuple[list[Box], list[list[Box]], list[Box]]:
    """Split off the lines above and below the columns that stand apart from their column (a
    gap wider than a line): a short heading over the columns or a closing line under them is
    read before or after both columns, while a column that runs on further stays whole."""
    rows = [layout_rows(side) for side in sides]
    if not all(rows):
        return [], sides, []
    overlap_top = max(min(box.top for box in side[0]) for side in rows)
    overlap_bottom = min(max(box.bottom for box in side[-1]) for side in rows)
    above: list[Box] = []
    below: list[Box] = []
    columns = []
    for side in rows:
        first = next((n for n, row in enumerate(side) if min(b.top for b in row) >= overlap_top), 0)
        cut_top = first
        while cut_top > 0 and not _apart(side[cut_top - 1], side[cut_top]):
            cut_top -= 1
        last = max(
            (n for n, row in enumerate(side) if max(b.bottom for b in row) <= overlap_bottom),
            default=len(side) - 1,
        )
        cut_bottom = last
        while cut_bottom + 1 < len(side) and not _apart(side[cut_bottom], side[cut_bottom + 1]):
            cut_bottom += 1
        above += [box for row in side[:cut_top] for box in row]
        below += [box for row in side[cut_bottom + 1 :] for box in row]
        columns.append([box for row in side[cut_top : cut_bottom + 1] for box in row])
    return above, columns, below


def _apart(upper: list[Box], lower: list[Box]) -> bool:
    gap = min(box.top for box in lower) - max(box.bottom for box in upper)
    return gap > max(box.bottom - box.top for box in upper + lower)


def reading_order(boxes: list[Box]) -> list[list[Box]]:
    """Boxes in reading order as regions (each a list of boxes read top to bottom): where a
    gutter splits the lines, the lines that cross it (full-width headings, tables, text) keep
    their place, and between them the columns are read one after another, left to right."""
    if not boxes:
        return []
    rows = layout_rows(boxes)
    gutter = _gutter(rows)
    if gutter is None:
        return [boxes]
    start, end = gutter
    regions: list[list[Box]] = []
    band: list[Box] = []
    spanning: list[Box] = []

    def close_spanning() -> None:
        if spanning:
            regions.append(spanning.copy())
            spanning.clear()

    def close_band() -> None:
        if band:
            sides = [
                [box for box in band if box.x1 <= start],
                [box for box in band if box.x0 >= end],
            ]
            above, columns, below = _columns_proper(sides)
            regions.extend(reading_order(above))
            for side in columns:
                regions.extend(reading_order(side))
            regions.extend(reading_order(below))
            band.clear()

    for row in rows:
        if any(box.x0 < end and box.x1 > start for box in row):
            close_band()
            spanning.extend(row)
        else:
            close_spanning()
            band.extend(row)
    close_band()
    close_spanning()
    return regions


def _lines_of(region: list[Box], number: int) -> list[Line | Table]:
    items: list[Line | Table] = []
    for box in region:
        if box.table is not None:
            box.table.region = number
            items.append(box.table)
    for row in text_rows([box for box in region if box.table is None]):
        text = clean_line(" ".join(box.text for box in row))
        if text:
            size = statistics.median(box.size for box in row)
            top, bottom = min(box.top for box in row), max(box.bottom for box in row)
            bold = all(box.bold for box in row)
            items.append(Line(text, top, bottom, round(size, 1), bold, number))
    return sorted(items, key=lambda item: item.top)


def _is_level(char: dict) -> bool:
    """Set the ordinary way: left to right on a horizontal baseline (slanted italics included)."""
    a, b = (char.get("matrix") or (1, 0))[:2]
    return a > 0 and abs(b) <= LEVEL_TOLERANCE * a


def _box(char: dict) -> Box:
    return Box(
        char["text"],
        char["x0"],
        char["x1"],
        char["top"],
        char["bottom"],
        char.get("size", 0.0),
        _is_bold(char),
    )


def _chars(page) -> list[Box]:
    return [_box(char) for char in page.chars if char["text"] and _is_level(char)]


def turned_lines(chars: list[dict]) -> list[list[str]]:
    """Text set at an angle (margin stamps, sideways table headings, diagonal labels) read
    along its own baseline: characters are grouped by angle, placed on an axis along their
    direction and read with the same line and word rules as level text; one list of lines per
    angle."""
    angles: dict[int, list[Box]] = {}
    for char in chars:
        a, b, _, _, e, f = char.get("matrix") or (1, 0, 0, 1, 0, 0)
        length = math.hypot(a, b) or 1.0
        along_x, along_y = a / length, b / length
        size = char.get("size", 0.0)
        along = e * along_x + f * along_y
        baseline = e * along_y - f * along_x
        advance = (char.get("adv") or 0.5) * length  # adv is in text space, before the matrix
        angles.setdefault(round(math.degrees(math.atan2(b, a))), []).append(
            Box(
                char["text"],
                along,
                along + advance,
                baseline - 0.75 * size,
                baseline + 0.25 * size,
                size,
                _is_bold(char),
            )
        )
    return [
        [" ".join(word.text for word in split_words(row)) for row in text_rows(angles[angle])]
        for angle in sorted(angles)
    ]


def _words_text(chars: list[Box]) -> str:
    return "\n".join(" ".join(word.text for word in split_words(row)) for row in text_rows(chars))


def table_rows(table, chars: list[Box]) -> list[list]:
    """A pdfplumber table's cells read with the same word boundaries as the text around it."""
    cells: dict[tuple[int, int], list[Box]] = {}
    rows = [row.cells for row in table.rows]
    for char in chars:
        for row_number, row in enumerate(rows):
            for column, cell in enumerate(row):
                if cell is not None and _inside(char, [cell]):
                    cells.setdefault((row_number, column), []).append(char)
                    break
            else:
                continue
            break
    return [
        [
            None if cell is None else _words_text(cells.get((row_number, column), []))
            for column, cell in enumerate(row)
        ]
        for row_number, row in enumerate(rows)
    ]


def page_items(page, found: list, settings: dict) -> list[Line | Table]:
    """A page's lines and tables in reading order, each tagged with its layout region."""
    all_chars = _chars(page)
    boxes = [table.bbox for table in found]
    tables = [
        Table(table.bbox[1], table_rows(table, [c for c in all_chars if _inside(c, [table.bbox])]))
        for table in found
    ]
    chars = [char for char in all_chars if not _inside(char, boxes)]
    words = [word for row in text_rows(chars) for word in split_words(row)]
    outlines = [
        Box("", x0, x1, top, bottom, table=table)
        for table, (x0, top, x1, bottom) in zip(tables, boxes, strict=True)
    ]
    items: list[Line | Table] = []
    regions = reading_order(words + outlines)
    for number, region in enumerate(regions):
        items.extend(_lines_of(region, number))
    bottom = max((item.top for item in items), default=0.0)
    turned = turned_lines([char for char in page.chars if char["text"] and not _is_level(char)])
    for number, lines in enumerate(turned, start=len(regions)):
        for text in map(clean_line, lines):
            if text:
                items.append(Line(text, bottom, bottom, 0.0, False, number))
    return items


def usual_line_gaps(pages: list[PageText]) -> dict[float, float]:
    """Per font size, the line spacing inside a paragraph: the most common gap between
    consecutive lines of that size across the document (ties to the smaller gap), counting only
    gaps up to 0.8 x the size, since wider ones separate paragraphs. Without such gaps (every
    paragraph one line) single spacing is assumed."""
    gaps: dict[float, Counter] = {}
    for page in pages:
        for previous, line in zip(page.items, page.items[1:], strict=False):
            if isinstance(previous, Line) and isinstance(line, Line) and previous.size == line.size:
                gaps.setdefault(line.size, Counter())
                gap = round((line.top - previous.bottom) * 2) / 2
                if 0 <= gap <= 0.8 * line.size:
                    gaps[line.size][gap] += 1
    return {
        size: min(counts, key=lambda gap: (-counts[gap], gap)) if counts else 0.5 * size
        for size, counts in gaps.items()
    }


def group_blocks(page: PageText, usual_gaps: dict[float, float]) -> list[Block | Table]:
    """Lines become paragraphs, split where the gap to the next line is clearly wider than the
    document's line spacing, where the font size or weight changes or where a column ends;
    tables stay as they are."""
    blocks: list[Block | Table] = []
    previous = None
    for item in page.items:
        if isinstance(item, Table):
            blocks.append(item)
            previous = None
            continue
        if previous is not None:
            new_region = item.region != previous.region
            gap = item.top - previous.bottom
            usual = usual_gaps.get(previous.size, 0.5 * previous.size)
            size_changed = abs(item.size - previous.size) > 0.15 * max(previous.size, 1.0)
            wide_gap = gap > usual + 0.4 * max(previous.size, 1.0)
        if previous is None or new_region or size_changed or wide_gap or item.bold != previous.bold:
            blocks.append(Block())
        blocks[-1].lines.append(item)
        previous = item
    return blocks


def read_page(page, settings: dict) -> PageText:
    """Text lines and tables of one pdfplumber page, in reading order."""
    found = page.find_tables() if settings.get("tables", True) else []
    items = page_items(page, found, settings)
    characters = sum(
        len(item.text)
        if isinstance(item, Line)
        else sum(len(cell or "") for row in item.rows for cell in row)
        for item in items
    )
    return PageText(page.page_number, items, characters)


def _signature(line: Line) -> tuple[str, int]:
    """A running line keeps its place on the page and its shape (page numbers and dates differ
    from page to page; their shape does not)."""
    shape = _SPACE_RUN.sub(" ", _DIGITS.sub("#", line.text.lower())).strip()
    return shape, round(line.top / 4)


def _edge_lines(page: PageText) -> list[Line]:
    lines = [item for item in page.items if isinstance(item, Line)]
    if len(lines) <= 2 * EDGE_LINES:
        return lines
    return lines[:EDGE_LINES] + lines[-EDGE_LINES:]


def drop_running_lines(pages: list[PageText], min_share: float) -> int:
    """Remove lines at the top or bottom of a page whose shape repeats on at least `min_share` of
    the pages with text (running headers, footers, 'Page 3 of 10'). Returns how many went."""
    with_text = [page for page in pages if page.items]
    if len(with_text) < MIN_PAGES_FOR_REPETITION:
        return 0
    counts = Counter()
    for page in with_text:
        counts.update({_signature(line) for line in _edge_lines(page)})
    needed = max(MIN_PAGES_FOR_REPETITION, min_share * len(with_text))
    running = {signature for signature, count in counts.items() if count >= needed}
    dropped = 0
    for page in with_text:
        doomed = {id(line) for line in _edge_lines(page) if _signature(line) in running}
        page.items = [item for item in page.items if id(item) not in doomed]
        dropped += len(doomed)
    return dropped


def _is_heading(block: Block, body_size: float) -> bool:
    text = " ".join(line.text for line in block.lines)
    if len(block.lines) > 3 or len(text) > 200:
        return False
    larger = all(line.size >= 1.15 * body_size for line in block.lines)
    bold_title = all(line.bold for line in block.lines) and not text.endswith((".", ":", ","))
    return larger or (bold_title and len(block.lines) == 1)


def _body_size(pages: list[PageText]) -> float:
    sizes = Counter()
    for page in pages:
        for line in page.items:
            if isinstance(line, Line):
                sizes[line.size] += len(line.text)
    return sizes.most_common(1)[0][0] if sizes else 0.0


class _Rasteriser:
    """Renders pages with pypdfium2 for OCR; opened only when a page needs it."""

    def __init__(self, source, scale: float):
        self.source, self.scale, self.document = source, scale, None

    def image(self, number: int):
        import pypdfium2

        if self.document is None:
            self.document = pypdfium2.PdfDocument(self.source)
        page = self.document[number - 1]
        try:
            return page.render(scale=self.scale).to_pil()
        finally:
            page.close()

    def close(self) -> None:
        if self.document is not None:
            self.document.close()


def extract_pdf(source, item_id: str, settings: dict, prefix: str = "") -> dict:
    from fieldcorpus.documents.ocr import ocr_engine_facts, ocr_image

    # pdfminer's warnings can quote a broken object's strings (a title, an author's name).
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    min_chars = int(settings.get("ocr_min_chars", 20))
    ocr_enabled = bool(settings.get("ocr", True))
    pdf = _open_pdf(source, item_id)
    rasteriser = _Rasteriser(source, float(settings.get("ocr_scale", 2.0)))
    pages: list[PageText] = []
    ocr_results: dict[int, tuple[str, float]] = {}
    units = UnitList(settings, prefix)
    with pdf:
        page_count = len(pdf.pages)
        for page in pdf.pages:
            try:
                text = read_page(page, settings)
            except Exception as exc:  # pdfminer raises many types for a broken page
                log.warning("item %s: page %d: %s", item_id, page.page_number, type(exc).__name__)
                raise FieldcorpusError(
                    item_id,
                    f"PDF page {page.page_number} cannot be read (corrupt)",
                    "supply a readable copy",
                ) from exc
            finally:
                page.close()  # one page's objects in memory at a time
            if text.characters < min_chars and ocr_enabled:
                ocr_text, confidence = ocr_image(
                    rasteriser.image(text.number), int(settings.get("threads", 1))
                )
                ocr_results[text.number] = (clean_block(ocr_text), confidence)
                text = PageText(text.number, [], 0)
            pages.append(text)
    rasteriser.close()
    dropped = 0
    if settings.get("drop_running_headers", True):
        dropped = drop_running_lines(pages, float(settings.get("running_header_min_share", 0.5)))
    body_size = _body_size(pages)
    usual_gaps = usual_line_gaps(pages)
    for page in pages:
        if page.number in ocr_results:
            ocr_text, confidence = ocr_results[page.number]
            units.add(ocr_text, page=page.number, ocr=True, confidence=confidence)
            continue
        for block in group_blocks(page, usual_gaps):
            if isinstance(block, Table):
                units.add_table(block.rows, page=page.number)
            else:
                kind = "heading" if _is_heading(block, body_size) else "paragraph"
                units.add(join_lines([line.text for line in block.lines]), kind, page.number)
    engine = {"name": "pdfplumber", "version": metadata.version("pdfplumber")}
    if ocr_results:
        engine["ocr"] = ocr_engine_facts()
    engine["parameters"] = {
        key: settings[key]
        for key in ("ocr", "ocr_min_chars", "ocr_scale", "tables", "drop_running_headers")
        if key in settings
    }
    return {
        "source": {
            "pages": page_count,
            "ocr_pages": sum(1 for ocr_text, _ in ocr_results.values() if ocr_text),
            "running_lines_dropped": dropped,
        },
        "engine": engine,
        "units": units.units,
    }
