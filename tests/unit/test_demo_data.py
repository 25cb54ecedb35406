"""The committed demo is what dev/make_demo.py makes of dev/demo_data: the manifest, the register,
the README, every document and its reference text byte for byte. Recordings need the TTS engines
of dev/requirements-demo.txt, so their script texts and voices are compared instead."""

import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "demo"


@pytest.fixture(scope="module")
def make_demo():
    spec = importlib.util.spec_from_file_location("make_demo", REPO / "dev" / "make_demo.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_demo"] = module  # dataclasses look their module up while it loads
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules["make_demo"]


@pytest.fixture(scope="module")
def world(make_demo):
    return make_demo.build_world()


def test_placeholders_name_the_cast_and_identifiers_stay_fictional(make_demo, world):
    recordings, documents = make_demo.scripts(world), make_demo.documents(world)
    texts = [text for r in recordings for _, text in r.turns]
    for d in documents:
        texts += [d.title, *d.paragraphs, *d.after, *(c for row in d.table or [] for c in row)]
    assert not [text for text in texts if "{" in text or "}" in text]
    for recording in recordings:
        assert set(recording.speakers) <= set(world[recording.practice].people)
    people = [p for practice in world.values() for p in practice.people.values()]
    assert all(make_demo.nhs_valid(p.nhs) and p.nhs.startswith("999") for p in people if p.nhs)
    phones = [p.mobile for p in people if p.mobile] + [pr.phone for pr in world.values()]
    assert all(re.fullmatch(r"07700 900 \d{3}|01632 960 \d{3}", phone) for phone in phones)


def test_recording_scripts_are_the_committed_reference_turns(make_demo, world):
    for recording in make_demo.scripts(world):
        reference = json.loads((DEMO / "reference" / f"{recording.item_id}.json").read_text())
        people = world[recording.practice].people
        expected = [
            (f"S{speaker}", people[recording.speakers[speaker - 1]].voice, text)
            for speaker, text in recording.turns
        ]
        assert [(t["speaker"], t["voice"], t["text"]) for t in reference["turns"]] == expected
        assert (DEMO / "fieldwork" / recording.path).is_file()


def test_documents_and_their_reference_texts_regenerate_byte_for_byte(make_demo, world, tmp_path):
    for document in make_demo.documents(world):
        made = tmp_path / Path(document.path).name
        make_demo.write_document(document, made)
        assert made.read_bytes() == (DEMO / "fieldwork" / document.path).read_bytes(), document.path
        reference = (DEMO / "reference" / f"{document.item_id}.txt").read_text(encoding="utf-8")
        assert make_demo.reference_text(document) == reference


def test_manifest_register_and_readme_regenerate_byte_for_byte(make_demo, world, tmp_path):
    rows = make_demo.manifest_rows(make_demo.scripts(world), make_demo.documents(world))
    make_demo.write_tsv(tmp_path / "manifest.tsv", make_demo.MANIFEST_COLS, rows)
    make_demo.write_tsv(
        tmp_path / "register.tsv", make_demo.REGISTER_COLS, make_demo.register_rows(world)
    )
    for name in ("manifest.tsv", "register.tsv"):
        assert (tmp_path / name).read_bytes() == (DEMO / name).read_bytes(), name
    readme = REPO / "dev" / "demo_data" / "demo_readme.md"
    assert readme.read_bytes() == (DEMO / "README.md").read_bytes()
