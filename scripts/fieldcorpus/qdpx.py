"""REFI-QDA export (.qdpx): the exchange format NVivo, ATLAS.ti, MAXQDA and QualCoder import.

A .qdpx is a zip holding `project.qde` (QDA-XML, namespace urn:QDA-XML:project:1.0) and the source
files under `sources/`. One Case per practice refers to its items; each item is a TextSource
whose plain text is the pseudonymised transcript or document text (speech turns keep their
`[hh:mm:ss]` timestamps) with, where one exists, the DOCX transcript as its rich-text file.
Variables carry practice, wave, collected_on, kind and role. When shareable audio is passed
explicitly, a recording becomes an AudioSource whose Transcript has one SyncPoint per turn.

Everything is deterministic: GUIDs are uuid5 of the item ids, no dates are written, and zip
entries have a fixed order, timestamp and permissions, so reruns give identical bytes."""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import Iterable
from pathlib import Path

from lxml import etree

from . import __version__
from .files import SHAREABLE_FILE_MODE, atomic_write_bytes
from .units import render_text, timestamp

NAMESPACE = "urn:QDA-XML:project:1.0"
# Fixed namespace for fieldcorpus GUIDs: the same item id always gets the same GUID, in every
# export and every study, so sources keep their identity when a wave is added.
GUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:fieldcorpus:refi-qda")
ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)
VARIABLES = (
    ("practice", "Text", "Pseudonymous practice code (the case)"),
    ("wave", "Integer", "Fieldwork wave"),
    ("collected_on", "Date", "Date the item was collected"),
    ("kind", "Text", "Item kind (interview, clinic_review, observation, document, ...)"),
    ("role", "Text", "Participant role (gp, nurse, practice_manager, ...)"),
)
_VALUE_ELEMENT = {"Text": "TextValue", "Integer": "IntegerValue", "Date": "DateValue"}


def guid(kind: str, key: str) -> str:
    return str(uuid.uuid5(GUID_NAMESPACE, f"{kind}:{key}")).upper()


def _q(tag: str) -> str:
    return f"{{{NAMESPACE}}}{tag}"


def _sub(parent, tag: str, **attributes) -> etree._Element:
    return etree.SubElement(parent, _q(tag), {k: str(v) for k, v in attributes.items()})


def _description(parent, text: str) -> None:
    _sub(parent, "Description").text = text


def sync_points(text: str, units: list[dict]) -> list[tuple[int, int]]:
    """(position, milliseconds) pairs: each speech turn's start where its `[hh:mm:ss]` line begins
    in the plain text (REFI-QDA positions count Unicode code points from 0), and the last turn's
    end (its last unit's end: a turn joins a speaker's consecutive units) where its line ends."""
    points: list[tuple[int, int]] = []
    cursor, last = 0, None
    for unit in units:
        if "start" not in unit:
            continue
        position = text.find(f"[{timestamp(unit['start'])}] ", cursor)
        if position < 0:
            if last is not None and unit.get("end") is not None:
                last = (last[0], unit["end"])  # a later unit of the same turn
            continue
        points.append((position, round(float(unit["start"]) * 1000)))
        line_end = text.find("\n", position)
        cursor = len(text) if line_end < 0 else line_end
        last = (cursor, unit.get("end"))
    if last is not None and last[1] is not None:
        points.append((last[0], round(float(last[1]) * 1000)))
    return points


class _Source:
    def __init__(self, document: dict, docx: Path | None, audio: Path | None):
        self.document = document
        self.item = document["item"]
        self.item_id = self.item["item_id"]
        self.guid = guid("source", self.item_id)
        self.text = render_text(document)
        self.docx = docx
        self.audio = audio

    @property
    def description(self) -> str:
        item = self.item
        return (
            f"{item['kind']} ({item['role']}), practice {item['practice']}, wave {item['wave']}, "
            f"collected {item['collected_on']}; pseudonymised"
        )


def build_project(
    documents: list[dict],
    name: str,
    docx: dict[str, Path] | None = None,
    audio: dict[str, Path] | None = None,
) -> tuple[bytes, list[tuple[str, bytes]]]:
    """The project.qde bytes and the (archive name, bytes) of every source file."""
    docx, audio = docx or {}, audio or {}
    order = sorted(documents, key=lambda d: (d["item"]["collected_on"], d["item"]["item_id"]))
    sources = [
        _Source(d, docx.get(d["item"]["item_id"]), audio.get(d["item"]["item_id"])) for d in order
    ]
    user = guid("user", "fieldcorpus")
    variable_guids = {var: guid("variable", var) for var, _, _ in VARIABLES}
    types = {var: type_ for var, type_, _ in VARIABLES}

    root = etree.Element(
        _q("Project"),
        {"name": name, "origin": f"fieldcorpus {__version__}", "creatingUserGUID": user},
        nsmap={None: NAMESPACE},
    )
    users = _sub(root, "Users")
    _sub(users, "User", guid=user, name="fieldcorpus")

    variables = _sub(root, "Variables")
    for var, type_, text in VARIABLES:
        variable = _sub(
            variables, "Variable", guid=variable_guids[var], name=var, typeOfVariable=type_
        )
        _description(variable, text)

    def values(parent, pairs: Iterable[tuple[str, object]]) -> None:
        for var, value in pairs:
            element = _sub(parent, "VariableValue")
            _sub(element, "VariableRef", targetGUID=variable_guids[var])
            _sub(element, _VALUE_ELEMENT[types[var]]).text = str(value)

    practices = sorted({source.item["practice"] for source in sources})
    cases = _sub(root, "Cases")
    for practice in practices:
        members = [s for s in sources if s.item["practice"] == practice]
        case = _sub(cases, "Case", guid=guid("case", practice), name=practice)
        _description(case, f"Practice {practice}: {len(members)} items, in date order")
        values(case, [("practice", practice)])
        for source in members:
            _sub(case, "SourceRef", targetGUID=source.guid)

    files: list[tuple[str, bytes]] = []
    sources_element = _sub(root, "Sources")
    for source in sources:
        item = source.item
        item_values = [(var, item[var]) for var, _, _ in VARIABLES]
        text_name = f"{source.guid}.txt"
        if source.audio is not None:
            suffix = source.audio.suffix.lower()
            audio_name = f"{guid('audio', source.item_id)}{suffix}"
            element = _sub(
                sources_element,
                "AudioSource",
                guid=source.guid,
                name=source.item_id,
                path=f"internal://{audio_name}",
                creatingUser=user,
            )
            _description(element, source.description)
            transcript_attrs = {"guid": guid("transcript", source.item_id)}
            transcript_attrs["name"] = f"{source.item_id} transcript"
            transcript_attrs["plainTextPath"] = f"internal://{text_name}"
            transcript = _sub(element, "Transcript", **transcript_attrs, creatingUser=user)
            for index, (position, millis) in enumerate(
                sync_points(source.text, source.document["units"])
            ):
                _sub(
                    transcript,
                    "SyncPoint",
                    guid=guid("sync", f"{source.item_id}:{index}"),
                    timeStamp=millis,
                    position=position,
                )
            files.append((f"sources/{audio_name}", source.audio.read_bytes()))
        else:
            attributes = {"guid": source.guid, "name": source.item_id}
            if source.docx is not None:
                attributes["richTextPath"] = f"internal://{source.guid}.docx"
                files.append((f"sources/{source.guid}.docx", source.docx.read_bytes()))
            attributes["plainTextPath"] = f"internal://{text_name}"
            attributes["creatingUser"] = user
            element = _sub(sources_element, "TextSource", **attributes)
            _description(element, source.description)
        values(element, item_values)
        files.append((f"sources/{text_name}", source.text.encode("utf-8")))

    _description(
        root,
        "Pseudonymised fieldwork exported by fieldcorpus: one case per practice, one source per "
        "item; variables practice, wave, collected_on, kind and role.",
    )
    qde = etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)
    return qde, sorted(files)


def qdpx_bytes(qde: bytes, files: list[tuple[str, bytes]]) -> bytes:
    """A zip with fixed entry order, timestamps and permissions."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in [("project.qde", qde), *files]:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE_TIME)
            info.create_system = 3
            info.external_attr = (0o100644 & 0xFFFF) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data, compresslevel=9)
    return buffer.getvalue()


def docx_by_item(paths: Iterable[str | Path]) -> dict[str, Path]:
    """Shareable DOCX transcripts (items/<practice>/<item_id>.docx) by item id."""
    return {Path(p).name.split(".", 1)[0]: Path(p) for p in paths}


def write_qdpx(
    output: str | Path,
    documents: list[dict],
    name: str,
    docx: dict[str, Path] | None = None,
    audio: dict[str, Path] | None = None,
) -> None:
    qde, files = build_project(documents, name, docx, audio)
    atomic_write_bytes(output, qdpx_bytes(qde, files), SHAREABLE_FILE_MODE)
