"""REFI-QDA export (.qdpx): the exchange format NVivo, ATLAS.ti, MAXQDA and QualCoder import.

A .qdpx is a zip holding `project.qde` (QDA-XML, namespace urn:QDA-XML:project:1.0) and the source
files under `sources/`. One Case per practice refers to its items; each item is a TextSource
whose plain text is the pseudonymised transcript or document text (speech turns keep their
`[hh:mm:ss]` timestamps) with, where one exists, the DOCX transcript as its rich-text file.
Every source carries the source-level variables practice, wave, collected_on, kind and role;
the case carries its own variable, case_practice, because clients that see one variable on both
levels type it as a case attribute and drop it from the sources. When shareable audio is passed
explicitly, a recording becomes an AudioSource whose Transcript has one SyncPoint per turn.

Everything is deterministic: GUIDs are uuid5 of the item ids, every date is derived from
collection dates, and zip entries have a fixed order, timestamp and permissions, so reruns give
identical bytes and an earlier source's element is unchanged by a new wave."""

from __future__ import annotations

import datetime
import io
import uuid
import zipfile
from collections.abc import Iterable
from pathlib import Path

from lxml import etree

from fieldcorpus import __version__
from fieldcorpus.errors import FieldcorpusError
from fieldcorpus.files import SHAREABLE_FILE_MODE, atomic_write_bytes
from fieldcorpus.units import render_text, timestamp

NAMESPACE = "urn:QDA-XML:project:1.0"
# Fixed namespace for fieldcorpus GUIDs: the same item id always gets the same GUID, in every
# export and every study, so sources keep their identity when a wave is added.
GUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:fieldcorpus:refi-qda")
ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)
SOURCE_VARIABLES = (
    ("practice", "Text", "Pseudonymous code of the item's practice"),
    ("wave", "Integer", "Fieldwork wave"),
    ("collected_on", "Date", "Date the item was collected"),
    ("kind", "Text", "Item kind (interview, clinic_review, observation, document, ...)"),
    ("role", "Text", "Participant role (gp, nurse, practice_manager, ...)"),
)
CASE_VARIABLES = (
    ("case_practice", "Text", "Pseudonymous practice code of the case (its sources: practice)"),
)
VARIABLES = SOURCE_VARIABLES + CASE_VARIABLES
_VALUE_ELEMENT = {"Text": "TextValue", "Integer": "IntegerValue", "Date": "DateValue"}
# A collection date has no time of day; noon UTC is the same calendar day in every time zone
# from UTC-11 to UTC+11, so a client that shows local time still shows the collection date.
_TIME_OF_DAY = "T12:00:00Z"


def guid(kind: str, key: str) -> str:
    return str(uuid.uuid5(GUID_NAMESPACE, f"{kind}:{key}")).upper()


def _q(tag: str) -> str:
    return f"{{{NAMESPACE}}}{tag}"


def _sub(parent, tag: str, **attributes) -> etree._Element:
    return etree.SubElement(parent, _q(tag), {k: str(v) for k, v in attributes.items()})


def _description(parent, text: str) -> None:
    _sub(parent, "Description").text = text


def collection_date(item: dict) -> datetime.date:
    try:
        return datetime.date.fromisoformat(str(item["collected_on"]))
    except ValueError:
        raise FieldcorpusError(
            item["item_id"],
            "collected_on is not an ISO date",
            "write it as YYYY-MM-DD in its manifest row and rerun",
        ) from None


def wave_number(item: dict) -> int:
    wave = item["wave"]
    digits = str(wave).strip()
    if isinstance(wave, bool) or not (digits.isascii() and digits.isdigit()):
        raise FieldcorpusError(
            item["item_id"], "wave is not a whole number", "fix its manifest row and rerun"
        )
    return int(wave)


def date_time(day: datetime.date) -> str:
    return f"{day.isoformat()}{_TIME_OF_DAY}"


def sync_points(
    text: str, units: list[dict], duration_s: float | None = None
) -> list[tuple[int, int]]:
    """(position, milliseconds) pairs: each speech turn's start where its `[hh:mm:ss]` line begins
    in the plain text (REFI-QDA positions count Unicode code points from 0), and the last turn's
    end (its last unit's end: a turn joins a speaker's consecutive units) where its line ends.

    With the recording's duration every time is clamped into [0, duration]: a recogniser's last
    word can end a few milliseconds after the decoded audio does, and a client may reject a
    SyncPoint beyond the end of its media."""
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
    if duration_s is None:
        return [(position, max(0, millis)) for position, millis in points]
    end = int(float(duration_s) * 1000)
    return [(position, min(max(0, millis), end)) for position, millis in points]


class _Source:
    def __init__(self, document: dict, docx: Path | None, audio: Path | None):
        self.document = document
        self.item = document["item"]
        self.item_id = self.item["item_id"]
        self.guid = guid("source", self.item_id)
        self.collected_on = collection_date(self.item)
        self.wave = wave_number(self.item)
        self.text = render_text(document)
        self.docx = docx
        self.audio = audio

    @property
    def description(self) -> str:
        item = self.item
        return (
            f"{item['kind']} ({item['role']}), practice {item['practice']}, wave {self.wave}, "
            f"collected {self.collected_on.isoformat()}; pseudonymised"
        )

    def variable_values(self) -> list[tuple[str, object]]:
        item = self.item
        values = {"wave": self.wave, "collected_on": self.collected_on.isoformat()}
        return [(var, values.get(var, item[var])) for var, _, _ in SOURCE_VARIABLES]

    def stamps(self, user: str) -> dict[str, str]:
        """Who made the source and when: collected on its collection date and, like every
        pseudonymised item, never changed since (so a rerun or a new wave keeps the bytes)."""
        when = date_time(self.collected_on)
        return {
            "creatingUser": user,
            "creationDateTime": when,
            "modifyingUser": user,
            "modifiedDateTime": when,
        }


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

    project_attributes = {"name": name, "origin": f"fieldcorpus {__version__}"}
    project_attributes["creatingUserGUID"] = user
    if sources:
        days = [source.collected_on for source in sources]
        project_attributes["creationDateTime"] = date_time(min(days))
        project_attributes["modifyingUserGUID"] = user
        project_attributes["modifiedDateTime"] = date_time(max(days))
    root = etree.Element(_q("Project"), project_attributes, nsmap={None: NAMESPACE})
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
        _description(
            case,
            f"Practice {practice}: {len(members)} items, in date order; its sources carry "
            f"practice = {practice}",
        )
        values(case, [("case_practice", practice)])
        for source in members:
            _sub(case, "SourceRef", targetGUID=source.guid)

    files: list[tuple[str, bytes]] = []
    sources_element = _sub(root, "Sources")
    for source in sources:
        text_name = f"{source.guid}.txt"
        rich_text = {}
        if source.docx is not None:
            rich_text["richTextPath"] = f"internal://{source.guid}.docx"
            files.append((f"sources/{source.guid}.docx", source.docx.read_bytes()))
        if source.audio is not None:
            suffix = source.audio.suffix.lower()
            audio_name = f"{guid('audio', source.item_id)}{suffix}"
            element = _sub(
                sources_element,
                "AudioSource",
                guid=source.guid,
                name=source.item_id,
                path=f"internal://{audio_name}",
                **source.stamps(user),
            )
            _description(element, f"{source.description}; redacted audio")
            transcript = _sub(
                element,
                "Transcript",
                guid=guid("transcript", source.item_id),
                name=f"{source.item_id} transcript",
                **rich_text,
                plainTextPath=f"internal://{text_name}",
                **source.stamps(user),
            )
            _description(transcript, f"Pseudonymised transcript of {source.item_id}")
            duration = source.document.get("source", {}).get("duration_s")
            for index, (position, millis) in enumerate(
                sync_points(source.text, source.document["units"], duration)
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
            element = _sub(
                sources_element,
                "TextSource",
                guid=source.guid,
                name=source.item_id,
                **rich_text,
                plainTextPath=f"internal://{text_name}",
                **source.stamps(user),
            )
            _description(element, source.description)
        values(element, source.variable_values())
        files.append((f"sources/{text_name}", source.text.encode("utf-8")))

    _description(
        root,
        "Pseudonymised fieldwork exported by fieldcorpus: one case per practice (variable "
        "case_practice), one source per item, dated by its collection date (source variables "
        "practice, wave, collected_on, kind and role).",
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
