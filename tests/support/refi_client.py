"""A .qdpx read back the way a QDA client imports it: variables sorted by the level that uses
them, values typed by their declared variable type, each source with its dates, its text, its
media and that media's real duration (decoded from the bytes), its SyncPoints and its case."""

from __future__ import annotations

import datetime
import io
import zipfile
from dataclasses import dataclass, field

import soundfile
from lxml import etree

NS = {"q": "urn:QDA-XML:project:1.0"}
VALUE_TYPES = {
    "TextValue": ("Text", str),
    "IntegerValue": ("Integer", int),
    "DateValue": ("Date", datetime.date.fromisoformat),
}


@dataclass
class Stamped:
    """An element's creating and modifying user and times, as a client shows them."""

    creating_user: str | None
    created: datetime.datetime | None
    modifying_user: str | None
    modified: datetime.datetime | None


@dataclass
class Source:
    name: str
    element: str  # TextSource or AudioSource
    description: str | None
    stamped: Stamped
    variables: dict[str, object]
    text: str
    media: bytes | None = None
    media_ms: float | None = None
    transcript: Stamped | None = None
    sync: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class Project:
    stamped: Stamped
    users: set[str]
    variable_types: dict[str, str]
    case_variables: set[str]
    source_variables: set[str]
    cases: dict[str, dict]  # name -> {"variables": {...}, "members": {source names}}
    sources: dict[str, Source]


def _when(value: str | None) -> datetime.datetime | None:
    return None if value is None else datetime.datetime.fromisoformat(value)


def _stamped(element, user="creatingUser", modifier="modifyingUser") -> Stamped:
    return Stamped(
        element.get(user),
        _when(element.get("creationDateTime")),
        element.get(modifier),
        _when(element.get("modifiedDateTime")),
    )


def _values(element, names: dict[str, str], types: dict[str, str]) -> dict[str, object]:
    values = {}
    for value in element.iterfind("q:VariableValue", NS):
        name = names[value.find("q:VariableRef", NS).get("targetGUID")]
        typed = value[1]
        declared, parse = VALUE_TYPES[etree.QName(typed).localname]
        assert declared == types[name], f"{name}: a {declared} value for a {types[name]} variable"
        values[name] = parse(typed.text)
    return values


def _internal(archive: zipfile.ZipFile, path: str) -> bytes:
    assert path.startswith("internal://"), path
    return archive.read("sources/" + path.removeprefix("internal://"))


def read_project(data: bytes) -> Project:
    archive = zipfile.ZipFile(io.BytesIO(data))
    root = etree.fromstring(archive.read("project.qde"))
    names = {v.get("guid"): v.get("name") for v in root.iterfind("q:Variables/q:Variable", NS)}
    types = {v.get("name"): v.get("typeOfVariable") for v in root.iterfind(".//q:Variable", NS)}
    users = {u.get("guid") for u in root.iterfind("q:Users/q:User", NS)}

    sources: dict[str, Source] = {}
    by_guid: dict[str, str] = {}
    for element in root.iterfind("q:Sources/*", NS):
        kind = etree.QName(element).localname
        source = Source(
            name=element.get("name"),
            element=kind,
            description=element.findtext("q:Description", namespaces=NS),
            stamped=_stamped(element),
            variables=_values(element, names, types),
            text="",
        )
        if kind == "AudioSource":
            source.media = _internal(archive, element.get("path"))
            source.media_ms = soundfile.info(io.BytesIO(source.media)).duration * 1000
            transcript = element.find("q:Transcript", NS)
            source.transcript = _stamped(transcript)
            source.text = _internal(archive, transcript.get("plainTextPath")).decode("utf-8")
            source.sync = [
                (int(p.get("position")), int(p.get("timeStamp")))
                for p in transcript.iterfind("q:SyncPoint", NS)
            ]
        else:
            source.text = _internal(archive, element.get("plainTextPath")).decode("utf-8")
        sources[source.name] = source
        by_guid[element.get("guid")] = source.name

    cases = {}
    for case in root.iterfind("q:Cases/q:Case", NS):
        cases[case.get("name")] = {
            "variables": _values(case, names, types),
            "members": {by_guid[r.get("targetGUID")] for r in case.iterfind("q:SourceRef", NS)},
        }
    return Project(
        stamped=_stamped(root, "creatingUserGUID", "modifyingUserGUID"),
        users=users,
        variable_types=types,
        case_variables={name for case in cases.values() for name in case["variables"]},
        source_variables={name for source in sources.values() for name in source.variables},
        cases=cases,
        sources=sources,
    )
