"""Document -> text units: pdfplumber per page (OCR where a page has no text layer) and
python-docx paragraphs and tables."""

from __future__ import annotations

import logging
import os
import re
import zipfile
from functools import cache
from importlib import metadata
from pathlib import Path

from .errors import FieldcorpusError
from .inventory import DOCX, sniff_media_type

log = logging.getLogger(__name__)
_SPACES = re.compile(r"[ \t]+")


def _normalise_text(text: str) -> str:
    text = re.sub(r"(\w)-\n(\w)", r"\1\2", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


@cache
def _ocr_engine():
    from rapidocr import RapidOCR

    return RapidOCR(params={"Global.log_level": "warning"})


def ocr_image(image) -> tuple[str, float]:
    """Read text from a PIL image; returns (text, mean confidence)."""
    import numpy as np

    result = _ocr_engine()(np.asarray(image.convert("RGB")))
    texts = list(result.txts or ())
    scores = list(result.scores or ())
    if not texts:
        return "", 0.0
    return "\n".join(texts), round(sum(scores) / len(scores), 4)


def _extract_pdf(path: Path, item_id: str, settings: dict) -> dict:
    import pdfplumber
    import pypdfium2
    from pdfminer.pdfdocument import PDFPasswordIncorrect

    min_chars = int(settings.get("ocr_min_chars", 20))
    ocr_enabled = bool(settings.get("ocr", True))
    units, ocr_pages = [], 0
    try:
        pdf = pdfplumber.open(path)
    except Exception as exc:  # pdfplumber wraps pdfminer's errors in PdfminerException
        causes = [exc, *getattr(exc, "args", ())]
        if (
            any(isinstance(c, PDFPasswordIncorrect) for c in causes)
            or "encrypt" in repr(exc).lower()
        ):
            raise FieldcorpusError(
                item_id, "PDF is encrypted", "supply an unlocked copy and update the manifest"
            ) from exc
        raise FieldcorpusError(
            item_id, "PDF cannot be read (corrupt or truncated)", "supply a readable copy"
        ) from exc
    with pdf:
        page_count = len(pdf.pages)
        rasteriser = None
        for number, page in enumerate(pdf.pages, start=1):
            text = _normalise_text(page.extract_text() or "")
            if len(text) < min_chars and ocr_enabled:
                if rasteriser is None:
                    rasteriser = pypdfium2.PdfDocument(str(path))
                image = rasteriser[number - 1].render(scale=float(settings.get("ocr_scale", 2.0)))
                ocr_text, confidence = ocr_image(image.to_pil())
                ocr_text = _normalise_text(ocr_text)
                if ocr_text:
                    ocr_pages += 1
                    units.append(
                        {
                            "id": f"p{number:04d}-b001",
                            "text": ocr_text,
                            "page": number,
                            "block": 1,
                            "ocr": True,
                            "confidence": confidence,
                        }
                    )
                continue
            if text:
                units.append(
                    {
                        "id": f"p{number:04d}-b001",
                        "text": text,
                        "page": number,
                        "block": 1,
                        "ocr": False,
                    }
                )
            page.flush_cache()
        if rasteriser is not None:
            rasteriser.close()
    return {
        "source": {"pages": page_count, "ocr_pages": ocr_pages},
        "engine": {"name": "pdfplumber", "version": metadata.version("pdfplumber")},
        "units": units,
    }


def _extract_docx(path: Path, item_id: str) -> dict:
    import docx

    try:
        document = docx.Document(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise FieldcorpusError(
            item_id, "DOCX cannot be read (corrupt or not a Word file)", "supply a readable copy"
        ) from exc
    units = []
    block = 0
    for paragraph in document.paragraphs:
        text = _normalise_text(paragraph.text)
        if text:
            block += 1
            units.append({"id": f"b{block:04d}", "text": text, "page": None, "block": block})
    for table in document.tables:
        rows = [" | ".join(_normalise_text(c.text) for c in row.cells) for row in table.rows]
        text = "\n".join(r for r in rows if r.strip(" |"))
        if text:
            block += 1
            units.append({"id": f"b{block:04d}", "text": text, "page": None, "block": block})
    return {
        "source": {"pages": None},
        "engine": {"name": "python-docx", "version": metadata.version("python-docx")},
        "units": units,
    }


def extract_document(path: str | os.PathLike, item_id: str, settings: dict) -> dict:
    path = Path(path)
    media_type = sniff_media_type(path)
    if media_type == "application/pdf":
        return _extract_pdf(path, item_id, settings)
    if media_type == DOCX:
        return _extract_docx(path, item_id)
    if media_type == "empty":
        raise FieldcorpusError(item_id, "the file is empty (0 bytes)", "copy the file again")
    raise FieldcorpusError(
        item_id,
        f"unsupported document type ({media_type})",
        "convert it to PDF or DOCX, or correct the manifest kind",
    )
