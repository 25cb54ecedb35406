"""PDF -> units with pdfplumber, one page at a time: text blocks in reading order, tables as their
own units, running headers and footers dropped, pages without a text layer read by OCR."""

from __future__ import annotations

import logging
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from importlib import metadata

from .documents import UnitList, clean_block, clean_line, join_lines, open_binary
from .errors import FieldcorpusError

log = logging.getLogger(__name__)

# Lines at the top and at the bottom of each page that may be a running header or footer.
EDGE_LINES = 2
# Header/footer detection needs this many pages with text to tell repetition from chance.
MIN_PAGES_FOR_REPETITION = 3
_DIGITS = re.compile(r"\d+")
_SPACE_RUN = re.compile(r"\s+")


@dataclass
class Line:
    text: str
    top: float
    bottom: float
    size: float
    bold: bool


@dataclass
class Table:
    top: float
    rows: list[list]


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


def _inside(obj: dict, boxes: list[tuple]) -> bool:
    x = (obj["x0"] + obj["x1"]) / 2
    y = (obj["top"] + obj["bottom"]) / 2
    return any(x0 <= x <= x1 and top <= y <= bottom for x0, top, x1, bottom in boxes)


def _lines(page) -> list[Line]:
    lines = []
    for raw in page.extract_text_lines(strip=True, return_chars=True):
        text = clean_line(raw["text"])
        if not text:
            continue
        chars = raw.get("chars") or []
        sizes = [c.get("size", 0) for c in chars if not c["text"].isspace()]
        bold = bool(chars) and all(
            "bold" in (c.get("fontname") or "").lower() for c in chars if not c["text"].isspace()
        )
        size = statistics.median(sizes) if sizes else raw["bottom"] - raw["top"]
        lines.append(Line(text, raw["top"], raw["bottom"], round(size, 1), bold))
    return lines


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
    document's line spacing, or where the font size or weight changes; tables stay as they are."""
    blocks: list[Block | Table] = []
    previous = None
    for item in page.items:
        if isinstance(item, Table):
            blocks.append(item)
            previous = None
            continue
        if previous is not None:
            gap = item.top - previous.bottom
            usual = usual_gaps.get(previous.size, 0.5 * previous.size)
            size_changed = abs(item.size - previous.size) > 0.15 * max(previous.size, 1.0)
            wide_gap = gap > usual + 0.4 * max(previous.size, 1.0)
        if previous is None or size_changed or wide_gap or item.bold != previous.bold:
            blocks.append(Block())
        blocks[-1].lines.append(item)
        previous = item
    return blocks


def read_page(page, settings: dict) -> PageText:
    """Text lines and tables of one pdfplumber page, ordered top to bottom."""
    tables = page.find_tables() if settings.get("tables", True) else []
    boxes = [table.bbox for table in tables]
    text_page = (
        page.filter(lambda obj: obj.get("object_type") != "char" or not _inside(obj, boxes))
        if boxes
        else page
    )
    lines = _lines(text_page)
    found = [Table(table.bbox[1], table.extract()) for table in tables]
    characters = sum(len(line.text) for line in lines) + sum(
        len(str(cell or "")) for table in found for row in table.rows for cell in row
    )
    items = sorted([*lines, *found], key=lambda item: item.top)
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
    from .ocr import ocr_engine_facts, ocr_image

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
