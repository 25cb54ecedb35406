"""Emails -> units: EML (the standard library's email parser) and Outlook MSG (olefile).

Headers are reduced to date and subject (senders and recipients are names and addresses the
study does not need); then the body; then the attachment names; then each attachment of a
supported type, extracted as its own units (ids prefixed a01-, a02-, ...)."""

from __future__ import annotations

import datetime as dt
import logging
import struct
from collections.abc import Callable
from html.parser import HTMLParser
from importlib import metadata
from pathlib import PurePosixPath, PureWindowsPath

from fieldcorpus.documents.common import (
    MAX_EMBEDDING_DEPTH,
    UnitList,
    clean_line,
    join_lines,
    read_bytes,
)
from fieldcorpus.errors import FieldcorpusError

# extract.extract_source, passed in so that this reader need not import its own dispatcher:
# (data, item_id, settings, extension=..., prefix=..., depth=...) -> {"units": [...], ...}
ExtractAttachment = Callable[..., dict]

log = logging.getLogger(__name__)


class _HtmlText(HTMLParser):
    """Visible text of an HTML body, with block elements as line breaks."""

    BLOCKS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "hr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "head", "title"):
            self._hidden += 1
        elif tag in self.BLOCKS:
            self.pieces.append("\n\n" if tag == "p" else "\n")
        elif tag == "td":
            self.pieces.append(" ")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "head", "title"):
            self._hidden = max(0, self._hidden - 1)
        elif tag in ("p", "div", "table"):
            self.pieces.append("\n\n")

    def handle_data(self, data):
        if not self._hidden:
            self.pieces.append(data)


def html_to_text(html: str) -> str:
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    return "".join(parser.pieces)


def _paragraphs(body: str) -> list[str]:
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    blocks, current = [], []
    for line in body.split("\n"):
        if line.strip():
            current.append(line)
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return [join_lines(block) for block in blocks]


def _file_name(name: str) -> str:
    """The bare file name, whichever system's path an email client put in front of it."""
    return clean_line(PureWindowsPath(PurePosixPath(name).name).name)


def _email_document(
    item_id: str,
    settings: dict,
    prefix: str,
    depth: int,
    date: dt.datetime | None,
    subject: str,
    body: str,
    attachments: list[tuple[str, bytes | None]],
    engine: dict,
    extract_attachment: ExtractAttachment,
) -> dict:
    units = UnitList(settings, prefix)
    header = [f"Date: {date.strftime('%Y-%m-%d %H:%M')}" if date else "Date: (none)"]
    header.append(f"Subject: {clean_line(subject or '') or '(none)'}")
    units.add("\n".join(header), "heading", region="header")
    for paragraph in _paragraphs(body):
        units.add(paragraph)
    names = [_file_name(name) or f"attachment {n}" for n, (name, _) in enumerate(attachments, 1)]
    if names:
        units.add("Attachments: " + "; ".join(names), region="attachments")
    skipped = []
    extract_attachments = bool(settings.get("email_attachments", True))
    for number, (name, data) in enumerate(attachments, start=1):
        label = f"{prefix}a{number:02d}"
        if not extract_attachments or data is None:
            continue
        if depth >= MAX_EMBEDDING_DEPTH:
            skipped.append({"attachment": label, "reason": "attached too deep to extract"})
            continue
        try:
            extracted = extract_attachment(
                data,
                item_id,
                settings,
                extension=PurePosixPath(_file_name(name)).suffix.lower(),
                prefix=f"{label}-",
                depth=depth + 1,
            )
        except FieldcorpusError as error:
            # The rest of the email is still worth having; the reason names no file.
            skipped.append({"attachment": label, "reason": error.reason})
            log.warning("item %s: attachment %s not extracted: %s", item_id, label, error.reason)
            continue
        for unit in extracted["units"]:
            unit.setdefault("attachment", label)
        units.extend(extracted["units"])
        skipped.extend(extracted.get("flags", {}).get("attachments_not_extracted", []))
    flags = {"attachments_not_extracted": skipped} if skipped else {}
    return {
        "source": {"pages": None, "attachments": len(attachments)},
        "engine": engine,
        "units": units.units,
        "flags": flags,
    }


# --- EML --------------------------------------------------------------------------------------


def _eml_body(message) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, UnicodeError):  # an unknown or wrong charset label
        content = (part.get_payload(decode=True) or b"").decode("cp1252", errors="replace")
    return html_to_text(content) if part.get_content_subtype() == "html" else content


def _eml_attachments(message) -> list[tuple[str, bytes | None]]:
    found = []
    for part in message.iter_attachments():
        name = part.get_filename() or ""
        if part.get_content_type() == "message/rfc822":
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) else inner
            found.append((name or "forwarded message.eml", inner.as_bytes()))
            continue
        if part.is_multipart():
            found.extend(_eml_attachments(part))
            continue
        inline_image = part.get_content_maintype() == "image" and part["Content-ID"]
        if part.get_content_disposition() == "inline" and (inline_image or not name):
            continue  # signature logos and other decoration
        found.append((name, part.get_payload(decode=True)))
    return found


def extract_eml(
    source,
    item_id: str,
    settings: dict,
    prefix: str,
    depth: int,
    extract_attachment: ExtractAttachment,
) -> dict:
    import email
    from email import policy
    from email.utils import parsedate_to_datetime

    try:
        message = email.message_from_bytes(read_bytes(source), policy=policy.default)
        subject = str(message["Subject"] or "")
        try:
            date = parsedate_to_datetime(str(message["Date"])) if message["Date"] else None
        except (TypeError, ValueError):
            date = None
        body = _eml_body(message)
        attachments = _eml_attachments(message)
    except (ValueError, TypeError, LookupError, IndexError, AttributeError) as exc:
        raise FieldcorpusError(
            item_id,
            "the email (EML) cannot be read (corrupt)",
            "save the email again from the mail client",
        ) from exc
    engine = {"name": "python-email", "version": _python_version()}
    return _email_document(
        item_id,
        settings,
        prefix,
        depth,
        date,
        subject,
        body,
        attachments,
        engine,
        extract_attachment,
    )


def _python_version() -> str:
    import platform

    return platform.python_version()


# --- MSG --------------------------------------------------------------------------------------

PT_LONG, PT_SYSTIME, PT_STRING8, PT_UNICODE, PT_BINARY = 0x0003, 0x0040, 0x001E, 0x001F, 0x0102
PR_SUBJECT, PR_BODY, PR_HTML = 0x0037, 0x1000, 0x1013
PR_CLIENT_SUBMIT_TIME, PR_MESSAGE_DELIVERY_TIME = 0x0039, 0x0E06
PR_MESSAGE_CODEPAGE, PR_INTERNET_CPID = 0x3FFD, 0x3FDE
PR_ATTACH_DATA, PR_ATTACH_LONG_FILENAME, PR_ATTACH_FILENAME, PR_DISPLAY_NAME = (
    0x3701,
    0x3707,
    0x3704,
    0x3001,
)
_FILETIME_EPOCH = dt.datetime(1601, 1, 1, tzinfo=dt.UTC)


class _Msg:
    """Property access on an Outlook .msg (a compound file of `__substg1.0_<tag>` streams and a
    `__properties_version1.0` stream of fixed-size values)."""

    def __init__(self, ole):
        self.ole = ole

    def stream(self, storage: str, prop: int, kind: int) -> bytes | None:
        path = f"{storage}__substg1.0_{prop:04X}{kind:04X}"
        if not self.ole.exists(path):
            return None
        return self.ole.openstream(path).read()

    def string(self, storage: str, prop: int, codepage: int) -> str:
        data = self.stream(storage, prop, PT_UNICODE)
        if data is not None:
            return data.decode("utf-16-le", errors="replace").rstrip("\x00")
        data = self.stream(storage, prop, PT_STRING8)
        if data is not None:
            return data.decode(_codec(codepage), errors="replace").rstrip("\x00")
        return ""

    def fixed(self, storage: str, header: int) -> dict[int, tuple[int, bytes]]:
        """Fixed-size properties: {property id: (type, 8 value bytes)}."""
        path = f"{storage}__properties_version1.0"
        if not self.ole.exists(path):
            return {}
        data = self.ole.openstream(path).read()
        values = {}
        for offset in range(header, len(data) - 15, 16):
            tag, _flags, value = struct.unpack_from("<II8s", data, offset)
            values[tag >> 16] = (tag & 0xFFFF, value)
        return values


def _codec(codepage: int) -> str:
    name = {65001: "utf-8", 20127: "ascii", 28591: "latin-1"}.get(codepage, f"cp{codepage}")
    try:
        "".encode(name)
    except LookupError:
        return "cp1252"
    return name


def _long(values: dict, prop: int) -> int | None:
    kind, value = values.get(prop, (None, b""))
    return struct.unpack_from("<i", value)[0] if kind == PT_LONG else None


def _time(values: dict, prop: int) -> dt.datetime | None:
    kind, value = values.get(prop, (None, b""))
    if kind != PT_SYSTIME:
        return None
    ticks = struct.unpack_from("<Q", value)[0]
    return _FILETIME_EPOCH + dt.timedelta(microseconds=ticks // 10) if ticks else None


def extract_msg(
    source,
    item_id: str,
    settings: dict,
    prefix: str,
    depth: int,
    extract_attachment: ExtractAttachment,
) -> dict:
    import olefile

    try:
        ole = olefile.OleFileIO(read_bytes(source))
    except OSError as exc:
        raise FieldcorpusError(
            item_id,
            "the Outlook email (MSG) cannot be read (corrupt)",
            "save the email again from Outlook",
        ) from exc
    with ole:
        msg = _Msg(ole)
        values = msg.fixed("", 32)
        codepage = _long(values, PR_MESSAGE_CODEPAGE) or _long(values, PR_INTERNET_CPID) or 1252
        subject = msg.string("", PR_SUBJECT, codepage)
        body = msg.string("", PR_BODY, codepage)
        if not body.strip():
            html = msg.stream("", PR_HTML, PT_BINARY)
            cpid = _long(values, PR_INTERNET_CPID) or codepage
            body = html_to_text(html.decode(_codec(cpid), errors="replace")) if html else ""
        date = _time(values, PR_CLIENT_SUBMIT_TIME) or _time(values, PR_MESSAGE_DELIVERY_TIME)
        attachments = []
        storages = sorted(
            {entry[0] for entry in ole.listdir(streams=False, storages=True)}
            | {entry[0] for entry in ole.listdir() if len(entry) > 1}
        )
        for storage in storages:
            if not storage.startswith("__attach_version1.0_#"):
                continue
            base = f"{storage}/"
            name = (
                msg.string(base, PR_ATTACH_LONG_FILENAME, codepage)
                or msg.string(base, PR_ATTACH_FILENAME, codepage)
                or msg.string(base, PR_DISPLAY_NAME, codepage)
            )
            attachments.append((name, msg.stream(base, PR_ATTACH_DATA, PT_BINARY)))
    engine = {"name": "olefile", "version": metadata.version("olefile")}
    return _email_document(
        item_id,
        settings,
        prefix,
        depth,
        date,
        subject,
        body,
        attachments,
        engine,
        extract_attachment,
    )
