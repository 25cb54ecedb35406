"""Document -> text units: the content decides the reader (never the file name), and the file's
extension must agree with the content (common.check_extension)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from fieldcorpus.documents import email, ocr, office, pdf, text
from fieldcorpus.documents.common import (
    DOCX,
    EML,
    EXTENSION_CONTENT,
    MSG,
    ODT,
    PDF,
    PLAIN_TEXT,
    RTF,
    SUPPORTED_NOTE,
    TEXT_FLAVOURS,
    UNREADABLE,
    XLSX,
    check_extension,
)
from fieldcorpus.errors import FieldcorpusError
from fieldcorpus.intake.inventory import AUDIO_TYPES, IMAGE_TYPES, sniff_media_type

log = logging.getLogger(__name__)


def extract_source(
    source: Path | bytes,
    item_id: str,
    settings: dict,
    extension: str = "",
    prefix: str = "",
    depth: int = 0,
) -> dict:
    """Extract one file or one email attachment: {'source', 'engine', 'units', 'flags'}."""
    media_type = sniff_media_type(source)
    if media_type == "empty":
        raise FieldcorpusError(item_id, "the file is empty (0 bytes)", "copy the file again")
    if media_type in AUDIO_TYPES or media_type == "video/mp4":
        raise FieldcorpusError(
            item_id,
            f"listed as a document but the file is a recording ({media_type})",
            "correct the manifest kind (interview, clinic_review, workshop or meeting)",
        )
    extension = extension.lower()
    check_extension(extension, media_type, item_id)
    if media_type in UNREADABLE:
        raise FieldcorpusError(item_id, *UNREADABLE[media_type])
    if media_type in (PLAIN_TEXT, EML):
        # An email saved as .txt is read as text; without a known extension the content decides.
        if extension == ".eml" or (media_type == EML and extension not in EXTENSION_CONTENT):
            return email.extract_eml(source, item_id, settings, prefix, depth, extract_source)
        flavour = TEXT_FLAVOURS.get(extension)
        if flavour == "csv":
            return text.extract_csv(source, item_id, settings, prefix)
        return text.extract_text(source, item_id, settings, prefix, flavour)
    readers = {
        PDF: pdf.extract_pdf,
        DOCX: office.extract_docx,
        ODT: office.extract_odt,
        RTF: office.extract_rtf,
        XLSX: office.extract_xlsx,
        **{image: ocr.extract_image for image in IMAGE_TYPES},
    }
    if media_type == MSG:
        return email.extract_msg(source, item_id, settings, prefix, depth, extract_source)
    reader = readers.get(media_type)
    if reader is None:
        raise FieldcorpusError(
            item_id,
            f"unsupported document type ({media_type})",
            f"convert it to {SUPPORTED_NOTE}, or correct the manifest kind",
        )
    return reader(source, item_id, settings, prefix)


def extract_document(path: str | os.PathLike, item_id: str, settings: dict) -> dict:
    """Read one raw document (opened read-only) into units."""
    path = Path(path)
    extracted = extract_source(path, item_id, settings, extension=path.suffix.lower())
    extracted.setdefault("flags", {})
    if not extracted["units"]:
        extracted["flags"]["no_text"] = True
        log.warning("item %s: no text found", item_id)
    return extracted
