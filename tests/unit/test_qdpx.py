import datetime
import io
import zipfile

import docx
import numpy as np
import pytest
import soundfile
from fieldcorpus.corpus.qdpx import (
    NAMESPACE,
    build_project,
    guid,
    qdpx_bytes,
    sync_points,
    write_qdpx,
)
from fieldcorpus.errors import FieldcorpusError
from fieldcorpus.units import render_text
from lxml import etree

from tests.conftest import shared_path
from tests.support.items import document_item, small_study, speech_item
from tests.support.refi_client import read_project

NS = {"q": NAMESPACE}


@pytest.fixture(scope="module")
def schema():
    return etree.XMLSchema(etree.parse(str(shared_path("refi-qda", "Project.xsd"))))


def project(data: bytes):
    archive = zipfile.ZipFile(io.BytesIO(data))
    return archive, etree.fromstring(archive.read("project.qde"))


def variable_values(element, root) -> dict:
    names = {v.get("guid"): v.get("name") for v in root.iterfind(".//q:Variable", NS)}
    values = {}
    for value in element.iterfind("q:VariableValue", NS):
        name = names[value.find("q:VariableRef", NS).get("targetGUID")]
        values[name] = value[1].text
    return values


def test_study_project_validates_and_has_one_case_per_practice(tmp_path, schema):
    documents = small_study()
    write_qdpx(tmp_path / "all.qdpx", documents, "fieldcorpus all practices")
    archive, root = project((tmp_path / "all.qdpx").read_bytes())
    schema.assertValid(root)
    cases = {c.get("name"): c for c in root.iterfind(".//q:Case", NS)}
    assert set(cases) == {"P01", "P02"}
    sources = {s.get("guid"): s for s in root.iterfind(".//q:TextSource", NS)}
    members = {
        name: {sources[r.get("targetGUID")].get("name") for r in case.iterfind("q:SourceRef", NS)}
        for name, case in cases.items()
    }
    assert members == {
        "P01": {"P01-W1-DOC-01", "P01-W1-INT-01", "P01-W2-INT-01"},
        "P02": {"P02-W1-OBS-01"},
    }
    by_name = {s.get("name"): s for s in sources.values()}
    assert variable_values(by_name["P01-W2-INT-01"], root) == {
        "practice": "P01",
        "wave": "2",
        "collected_on": "2025-09-09",
        "kind": "interview",
        "role": "nurse",
    }
    for document in documents:
        source = by_name[document["item"]["item_id"]]
        assert source.get("guid") == guid("source", document["item"]["item_id"])
        path = source.get("plainTextPath").removeprefix("internal://")
        assert archive.read(f"sources/{path}").decode("utf-8") == render_text(document)
        assert source.get("richTextPath") is None


def test_speech_sources_keep_their_timestamps():
    _, files = build_project(small_study(), "x")
    text = dict(files)[f"sources/{guid('source', 'P01-W1-INT-01')}.txt"].decode()
    assert text.splitlines()[1] == (
        "[00:00:08] S2: I'm [GP 1] at [Practice] in [Town 1], café owner's son."
    )
    assert "[00:01:05] S1: Thank you, [GP 1]." in text


def test_docx_transcript_becomes_the_rich_text_source(tmp_path, schema):
    transcript = docx.Document()
    transcript.add_paragraph("[00:00:00] S1: I'm [Researcher 1].")
    transcript.save(tmp_path / "P01-W1-INT-01.docx")
    qde, files = build_project(
        small_study(), "x", docx={"P01-W1-INT-01": tmp_path / "P01-W1-INT-01.docx"}
    )
    root = etree.fromstring(qde)
    schema.assertValid(root)
    source = next(
        s for s in root.iterfind(".//q:TextSource", NS) if s.get("name") == "P01-W1-INT-01"
    )
    rich = source.get("richTextPath").removeprefix("internal://")
    assert dict(files)[f"sources/{rich}"] == (tmp_path / "P01-W1-INT-01.docx").read_bytes()
    assert source.get("plainTextPath")


def test_audio_only_when_passed_becomes_an_audio_source_with_sync_points(tmp_path, schema):
    (tmp_path / "a.wav").write_bytes(b"RIFF....WAVE")
    documents = small_study()
    qde, files = build_project(documents, "x", audio={"P01-W1-INT-01": tmp_path / "a.wav"})
    root = etree.fromstring(qde)
    schema.assertValid(root)
    audio = root.findall(".//q:AudioSource", NS)
    assert [a.get("name") for a in audio] == ["P01-W1-INT-01"]
    assert len(root.findall(".//q:TextSource", NS)) == len(documents) - 1
    transcript = audio[0].find("q:Transcript", NS)
    text = dict(files)["sources/" + transcript.get("plainTextPath").removeprefix("internal://")]
    text = text.decode("utf-8")
    points = [
        (int(p.get("position")), int(p.get("timeStamp")))
        for p in transcript.iterfind("q:SyncPoint", NS)
    ]
    assert [ms for _, ms in points] == [0, 8880, 65200, 70000]
    assert text[points[2][0] :].startswith("[00:01:05] S1: Thank you")
    assert points[3][0] == len(text.rstrip("\n"))
    assert dict(files)["sources/" + audio[0].get("path").removeprefix("internal://")] == (
        b"RIFF....WAVE"
    )
    # Without the opt-in no audio goes anywhere near the archive.
    _, plain_files = build_project(documents, "x")
    assert not [name for name, _ in plain_files if name.endswith(".wav")]


def test_sync_points_count_code_points_not_bytes():
    units = [
        {"id": "u1", "start": 0.0, "end": 1.0, "speaker": "S1", "text": "Café ☕ time"},
        {"id": "u2", "start": 1.5, "end": 2.0, "speaker": "S2", "text": "Yes"},
    ]
    text = render_text({"units": units})
    points = sync_points(text, units)
    assert points[1] == (len("[00:00:00] S1: Café ☕ time\n"), 1500)
    assert len(text.encode("utf-8")) > len(text)


def test_the_last_sync_point_is_the_end_of_the_last_turns_last_unit():
    units = [
        {"id": "u1", "start": 0.0, "end": 1.0, "speaker": "S1", "text": "Hello."},
        {"id": "u2", "start": 1.5, "end": 2.0, "speaker": "S2", "text": "Yes."},
        {"id": "u3", "start": 2.0, "end": 3.25, "speaker": "S2", "text": "Go on."},
    ]
    text = render_text({"units": units})
    assert text.count("[") == 2  # S2's two units are one turn
    assert sync_points(text, units) == [
        (0, 0),
        (text.index("[00:00:01]"), 1500),
        (len(text) - 1, 3250),
    ]


def test_archive_is_byte_identical_and_has_fixed_entries(tmp_path):
    write_qdpx(tmp_path / "a.qdpx", small_study(), "x")
    write_qdpx(tmp_path / "b.qdpx", list(reversed(small_study())), "x")
    data = (tmp_path / "a.qdpx").read_bytes()
    assert data == (tmp_path / "b.qdpx").read_bytes()
    infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    assert infos[0].filename == "project.qde"
    assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in infos)
    assert [i.filename for i in infos[1:]] == sorted(i.filename for i in infos[1:])


def test_qdpx_bytes_is_a_valid_zip_of_what_it_is_given():
    data = qdpx_bytes(b"<x/>", [("sources/a.txt", b"hello")])
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    assert archive.read("sources/a.txt") == b"hello"


SOURCE_VARIABLES = {"practice", "wave", "collected_on", "kind", "role"}


def test_a_client_finds_source_variables_on_sources_and_the_case_variable_on_cases(schema):
    documents = small_study()
    data = qdpx_bytes(*build_project(documents, "x"))
    schema.assertValid(etree.fromstring(zipfile.ZipFile(io.BytesIO(data)).read("project.qde")))
    client = read_project(data)
    assert client.source_variables == SOURCE_VARIABLES
    assert client.case_variables == {"case_practice"}
    assert client.variable_types == {
        "practice": "Text",
        "wave": "Integer",
        "collected_on": "Date",
        "kind": "Text",
        "role": "Text",
        "case_practice": "Text",
    }
    for document in documents:
        item = document["item"]
        assert client.sources[item["item_id"]].variables == {
            "practice": item["practice"],
            "wave": item["wave"],
            "collected_on": datetime.date.fromisoformat(item["collected_on"]),
            "kind": item["kind"],
            "role": item["role"],
        }
    for practice, case in client.cases.items():
        assert case["variables"] == {"case_practice": practice}
        assert {client.sources[m].variables["practice"] for m in case["members"]} == {practice}


def test_every_source_and_transcript_is_dated_by_its_collection_date(tmp_path):
    wav = tmp_path / "P01-W1-INT-01.wav"
    soundfile.write(wav, np.zeros(16000 * 90, dtype=np.int16), 16000)
    documents = small_study()
    client = read_project(qdpx_bytes(*build_project(documents, "x", audio={"P01-W1-INT-01": wav})))
    dated = [(s.name, s.stamped) for s in client.sources.values()]
    dated += [(s.name, s.transcript) for s in client.sources.values() if s.transcript]
    assert len(dated) == len(documents) + 1
    collected = {d["item"]["item_id"]: d["item"]["collected_on"] for d in documents}
    for name, stamped in dated:
        assert stamped.created.date().isoformat() == collected[name]
        assert stamped.created.utcoffset() == datetime.timedelta(0)
        assert stamped.modified == stamped.created  # pseudonymised items never change
        assert {stamped.creating_user, stamped.modifying_user} <= client.users
        assert stamped.creating_user is not None and stamped.modifying_user is not None
    assert client.stamped.created.date().isoformat() == min(collected.values())
    assert client.stamped.modified.date().isoformat() == max(collected.values())
    assert client.stamped.creating_user in client.users


def test_the_audio_source_keeps_every_sync_point_inside_its_recording(tmp_path, schema):
    """The recogniser's last word ends 40 ms after the decoded audio: the SyncPoint may not."""
    recording = speech_item(
        "P01-W3-INT-01",
        "P01",
        3,
        "2026-01-15",
        turns=[(0.0, 5.0, "S1", "How are reviews going?"), (5.5, 12.04, "S2", "Better.")],
    )
    recording["source"]["duration_s"] = 12.0
    wav = tmp_path / "P01-W3-INT-01.wav"
    soundfile.write(wav, np.zeros(16000 * 12, dtype=np.int16), 16000)
    transcript = tmp_path / "P01-W3-INT-01.docx"
    docx.Document().save(transcript)
    qde, files = build_project(
        [recording],
        "x",
        docx={"P01-W3-INT-01": transcript},
        audio={"P01-W3-INT-01": wav},
    )
    schema.assertValid(etree.fromstring(qde))
    source = read_project(qdpx_bytes(qde, files)).sources["P01-W3-INT-01"]
    assert source.element == "AudioSource" and source.media == wav.read_bytes()
    assert source.media_ms == 12000
    assert [ms for _, ms in source.sync] == [0, 5500, 12000]
    assert all(0 <= ms <= source.media_ms for _, ms in source.sync)
    assert [p for p, _ in source.sync] == sorted(p for p, _ in source.sync)
    assert source.text[source.sync[1][0] :].startswith("[00:00:05] S2: Better.")
    # The DOCX transcript travels as the Transcript's rich text, as for a TextSource.
    element = etree.fromstring(qde).find(".//q:Transcript", NS)
    rich = element.get("richTextPath").removeprefix("internal://")
    assert dict(files)[f"sources/{rich}"] == transcript.read_bytes()


def test_sync_points_are_clamped_into_the_recording():
    units = [
        {"id": "u1", "start": -0.02, "end": 1.0, "speaker": "S1", "text": "Hello."},
        {"id": "u2", "start": 1.5, "end": 2.31, "speaker": "S2", "text": "Yes."},
    ]
    text = render_text({"units": units})
    assert sync_points(text, units, duration_s=2.3) == [
        (0, 0),
        (text.index("[00:00:01]"), 1500),
        (len(text) - 1, 2300),
    ]
    assert sync_points(text, units)[-1] == (len(text) - 1, 2310)


def test_a_new_wave_leaves_every_earlier_source_and_file_byte_identical():
    before_qde, before_files = build_project(small_study(), "x")
    wave3 = document_item("P02-W3-DOC-01", "P02", 3, "2026-02-02", blocks=[(1, "Policy.", False)])
    after_qde, after_files = build_project([*small_study(), wave3], "x")
    before = {s.get("name"): s for s in etree.fromstring(before_qde).iterfind(".//q:Sources/*", NS)}
    after = {s.get("name"): s for s in etree.fromstring(after_qde).iterfind(".//q:Sources/*", NS)}
    assert set(after) == {*before, "P02-W3-DOC-01"}
    for name, element in before.items():
        assert etree.tostring(after[name], with_tail=False) == etree.tostring(
            element, with_tail=False
        )
    assert set(before_files) <= set(after_files)


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("collected_on", "10/03/2025", "collected_on is not an ISO date"),
        ("collected_on", "2025-02-30", "collected_on is not an ISO date"),
        ("wave", "2a", "wave is not a whole number"),
        ("wave", "²", "wave is not a whole number"),
        ("wave", True, "wave is not a whole number"),
    ],
)
def test_a_bad_date_or_wave_fails_naming_the_item_and_the_fix(field, value, reason):
    documents = small_study()
    documents[0]["item"][field] = value
    with pytest.raises(FieldcorpusError) as error:
        build_project(documents, "x")
    message = str(error.value)
    assert message.startswith(f"item P01-W2-INT-01: {reason}")
    assert "manifest row" in message
    assert str(value) not in message
