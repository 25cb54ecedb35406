import io
import zipfile

import docx
import pytest
from fieldcorpus.qdpx import NAMESPACE, build_project, guid, qdpx_bytes, sync_points, write_qdpx
from fieldcorpus.units import render_text
from lxml import etree

from tests.conftest import shared_path
from tests.items import small_study

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
    points = [(int(p.get("position")), int(p.get("timeStamp"))) for p in transcript]
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
    qde = zipfile.ZipFile(io.BytesIO(data)).read("project.qde")
    assert b"DateTime" not in qde


def test_qdpx_bytes_is_a_valid_zip_of_what_it_is_given():
    data = qdpx_bytes(b"<x/>", [("sources/a.txt", b"hello")])
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    assert archive.read("sources/a.txt") == b"hello"
