"""Raw item facts: checksum, size, media type sniffed from content, duration or page count."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from .errors import FieldcorpusError
from .files import sha256_file

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
AUDIO_TYPES = frozenset(
    {"audio/wav", "audio/flac", "audio/mpeg", "audio/mp4", "audio/ogg", "audio/x-ms-wma"}
)


def sniff_media_type(path: str | os.PathLike) -> str:
    """Media type from the file's first bytes, never from its extension (extensions can lie)."""
    path = Path(path)
    with open(path, "rb") as handle:
        head = handle.read(64)
    if not head:
        return "empty"
    if head.startswith(b"%PDF"):
        return "application/pdf"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith(b"fLaC"):
        return "audio/flac"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"ID3") or (head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        return (
            "audio/mp4" if brand in (b"M4A ", b"M4B ", b"isom", b"mp42", b"dash") else "video/mp4"
        )
    if head.startswith(b"\x30\x26\xb2\x75"):
        return "audio/x-ms-wma"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            return "application/zip"
        if "word/document.xml" in names:
            return DOCX
        return "application/zip"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "application/x-ole-storage"
    return "application/octet-stream"


def audio_duration(path: str | os.PathLike) -> float | None:
    import av

    with av.open(str(path)) as container:
        if not container.streams.audio:
            return None
        if container.duration:
            return round(container.duration / 1_000_000, 3)
        stream = container.streams.audio[0]
        if stream.duration and stream.time_base:
            return round(float(stream.duration * stream.time_base), 3)
    return None


def pdf_pages(path: str | os.PathLike) -> int:
    import pypdfium2

    document = pypdfium2.PdfDocument(str(path))
    try:
        return len(document)
    finally:
        document.close()


def inventory_item(path: str | os.PathLike, item) -> dict:
    """Facts about one raw item; fails with the item id when the file is unusable."""
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        raise FieldcorpusError(
            item.item_id, "the file is empty (0 bytes)", "copy the file again from the source"
        )
    media_type = sniff_media_type(path)
    facts: dict = {"sha256": sha256_file(path), "size_bytes": size, "media_type": media_type}
    if item.is_recording:
        if media_type not in AUDIO_TYPES and media_type != "video/mp4":
            raise FieldcorpusError(
                item.item_id,
                f"listed as a recording ({item.kind}) but the file is {media_type}",
                "correct the manifest kind, or point the row at the recording",
            )
        try:
            facts["duration_s"] = audio_duration(path)
        except Exception as exc:  # av raises many error types for broken containers
            raise FieldcorpusError(
                item.item_id,
                "the recording cannot be opened (corrupt or truncated)",
                "check the file plays, or re-export it and update the manifest",
            ) from exc
        if facts["duration_s"] is None:
            raise FieldcorpusError(
                item.item_id, "the file has no audio track", "supply a file with audio"
            )
    elif media_type == "application/pdf":
        try:
            facts["pages"] = pdf_pages(path)
        except Exception as exc:  # pdfium raises PdfiumError with varying messages
            message = str(exc).lower()
            if "password" in message:
                raise FieldcorpusError(
                    item.item_id,
                    "PDF is encrypted",
                    "supply an unlocked copy and update the manifest",
                ) from exc
            raise FieldcorpusError(
                item.item_id, "PDF cannot be read (corrupt or truncated)", "supply a readable copy"
            ) from exc
    elif media_type in AUDIO_TYPES:
        raise FieldcorpusError(
            item.item_id,
            f"listed as {item.kind} but the file is a recording ({media_type})",
            "correct the manifest kind (interview, clinic_review, workshop or meeting)",
        )
    return facts
