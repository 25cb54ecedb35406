"""Raw item facts: checksum, size, media type sniffed from content, duration or page count."""

from __future__ import annotations

import io
import os
import re
import zipfile
from pathlib import Path

from fieldcorpus.errors import FieldcorpusError
from fieldcorpus.files import sha256_file

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"
MSG = "application/vnd.ms-outlook"
EML = "message/rfc822"
RTF = "application/rtf"
PLAIN_TEXT = "text/plain"
ENCRYPTED_OFFICE = "application/x-encrypted-office"
LEGACY_WORD = "application/msword"
LEGACY_EXCEL = "application/vnd.ms-excel"
OLE_STORAGE = "application/x-ole-storage"
AUDIO_TYPES = frozenset(
    {"audio/wav", "audio/flac", "audio/mpeg", "audio/mp4", "audio/ogg", "audio/x-ms-wma"}
)
IMAGE_TYPES = frozenset(
    {"image/jpeg", "image/png", "image/tiff", "image/gif", "image/bmp", "image/webp"}
)
SNIFF_BYTES = 4096
_EMAIL_HEADER = re.compile(rb"^[A-Za-z][A-Za-z0-9-]{1,60}:[ \t]")
_EMAIL_MARKERS = (b"from:", b"date:", b"subject:", b"message-id:", b"mime-version:", b"received:")


def sniff_media_type(source: str | os.PathLike | bytes) -> str:
    """Media type from the content's first bytes, never from a file name (extensions can lie).

    `source` is a path or the bytes themselves (an email attachment)."""
    if isinstance(source, bytes):
        head = source[:SNIFF_BYTES]
    else:
        with open(source, "rb") as handle:
            head = handle.read(SNIFF_BYTES)
    if not head:
        return "empty"
    if head.startswith(b"%PDF") or b"%PDF-" in head[:1024]:
        return "application/pdf"
    if head.startswith(b"PK\x03\x04"):
        return _zip_type(source)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return _ole_type(source)
    image = _image_type(head)
    if image:
        return image
    audio = _audio_type(head)
    if audio:
        return audio
    if head.lstrip(b"\xef\xbb\xbf").startswith(b"{\\rtf"):
        return RTF
    return _text_type(head)


def _image_type(head: bytes) -> str | None:
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "image/tiff"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head.startswith(b"BM") and len(head) > 26 and head[14] in (12, 40, 56, 64, 108, 124):
        return "image/bmp"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"avif"):
        return "image/heic"
    return None


def _audio_type(head: bytes) -> str | None:
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith(b"fLaC"):
        return "audio/flac"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        return (
            "audio/mp4" if brand in (b"M4A ", b"M4B ", b"isom", b"mp42", b"dash") else "video/mp4"
        )
    if head.startswith(b"\x30\x26\xb2\x75"):
        return "audio/x-ms-wma"
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return None  # a UTF-16 byte-order mark, not an MPEG frame header
    if head.startswith(b"ID3") or (head[0] == 0xFF and len(head) > 1 and head[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    return None


def _seekable(source: str | os.PathLike | bytes):
    return io.BytesIO(source) if isinstance(source, bytes) else source


def _zip_type(source: str | os.PathLike | bytes) -> str:
    try:
        with zipfile.ZipFile(_seekable(source)) as archive:
            names = set(archive.namelist())
            mimetype = archive.read("mimetype").strip() if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, KeyError, ValueError):
        return "application/zip"
    if "word/document.xml" in names:
        return DOCX
    if "xl/workbook.xml" in names:
        return XLSX
    if mimetype:
        return mimetype.decode("ascii", "replace")
    return "application/zip"


def _ole_type(source: str | os.PathLike | bytes) -> str:
    import olefile

    try:
        with olefile.OleFileIO(source) as ole:
            streams = {"/".join(entry) for entry in ole.listdir(streams=True, storages=True)}
    except OSError:
        return OLE_STORAGE
    if "EncryptedPackage" in streams:
        return ENCRYPTED_OFFICE
    if any(name.startswith("__substg1.0_") for name in streams):
        return MSG
    if "WordDocument" in streams:
        return LEGACY_WORD
    if "Workbook" in streams or "Book" in streams:
        return LEGACY_EXCEL
    return OLE_STORAGE


def _text_type(head: bytes) -> str:
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return PLAIN_TEXT
    body = head.removeprefix(b"\xef\xbb\xbf")
    if b"\x00" in body:
        return "application/octet-stream"
    controls = sum(1 for byte in body if byte < 32 and byte not in (9, 10, 12, 13, 27))
    if controls > len(body) // 100:
        return "application/octet-stream"
    if _looks_like_email(body):
        return EML
    return PLAIN_TEXT


def _looks_like_email(body: bytes) -> bool:
    """An RFC 5322 header block: 'Name: value' lines (with folded continuations) up to a blank
    line, naming at least two of From, Date, Subject, Message-ID, MIME-Version, Received."""
    lines = body.replace(b"\r\n", b"\n").split(b"\n")
    names = set()
    for line in lines[:-1]:  # the last line may be cut off by the sniff window
        if not line:
            break
        if line[:1] in (b" ", b"\t") and names:
            continue
        if not _EMAIL_HEADER.match(line):
            return False
        names.add(line.split(b":", 1)[0].lower() + b":")
    return len(names & set(_EMAIL_MARKERS)) >= 2


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
    elif media_type in AUDIO_TYPES or media_type == "video/mp4":
        raise FieldcorpusError(
            item.item_id,
            f"listed as {item.kind} but the file is a recording ({media_type})",
            "correct the manifest kind (interview, clinic_review, workshop or meeting)",
        )
    return facts
