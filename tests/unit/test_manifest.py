from pathlib import Path

import pytest
from fieldcorpus.errors import ManifestError
from fieldcorpus.manifest import load_allow_list, load_manifest, load_register

HEADER = "item_id\tpractice\twave\tcollected_on\tkind\trole\tpath\tlanguage\tnotes\tspeakers\n"


@pytest.fixture
def fieldwork(tmp_path: Path) -> Path:
    root = tmp_path / "fieldwork"
    (root / "P01" / "wave1").mkdir(parents=True)
    (root / "P01" / "wave1" / "Interview Jane Doe.wav").write_bytes(b"RIFF")
    (root / "P01" / "wave1" / "notes.docx").write_bytes(b"PK")
    (tmp_path / "outside.pdf").write_bytes(b"%PDF")
    return root


def write_manifest(tmp_path: Path, rows: list[str], header: str = HEADER) -> Path:
    path = tmp_path / "manifest.tsv"
    path.write_text(header + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


GOOD = (
    "P01-W1-INT-01\tP01\t1\t2025-03-04\tinterview\tnurse\tP01/wave1/Interview Jane Doe.wav\ten\t\t2"
)


def test_valid_manifest_loads(tmp_path, fieldwork):
    manifest = load_manifest(write_manifest(tmp_path, [GOOD]), fieldwork)
    item = manifest.items["P01-W1-INT-01"]
    assert item.wave == 1 and item.speakers == 2 and item.is_recording
    assert manifest.practices == ["P01"]


def test_bom_crlf_and_blank_lines_are_tolerated(tmp_path, fieldwork):
    path = tmp_path / "manifest.tsv"
    path.write_bytes(("\ufeff" + HEADER + "\n" + GOOD + "\n\n").replace("\n", "\r\n").encode())
    assert list(load_manifest(path, fieldwork).items) == ["P01-W1-INT-01"]


def test_every_bad_row_is_reported_by_row_and_column(tmp_path, fieldwork):
    rows = [
        GOOD,
        GOOD,  # duplicate id
        "P01-W1-DOC-02\tP01\t1\t2025-03-04\tdocument\tother\tP01/wave1/missing.pdf\ten\t\t",
        "P01-W1-DOC-03\tP01\t1\t2025-03-04\tdocument\tother\t../outside.pdf\ten\t\t",
        "P01-W1-DOC-04\tP01\t1\t2025-13-45\tdocument\tother\tP01/wave1/notes.docx\ten\t\t",
        "P01-W1-DOC-05\tP01\t1\t2025-03-04\tpodcast\tother\tP01/wave1/notes.docx\ten\t\t",
        "P01-W1-DOC-06\tWillowbank\t1\t2025-03-04\tdocument\tother\tP01/wave1/notes.docx\ten\t\t",
        f"P01-W1-DOC-07\tP01\t1\t2025-03-04\tdocument\tother\t{tmp_path}/outside.pdf\ten\t\t",
    ]
    with pytest.raises(ManifestError) as caught:
        load_manifest(write_manifest(tmp_path, rows), fieldwork)
    problems = caught.value.problems
    assert any(
        p.startswith("row 3 (item P01-W1-INT-01), column item_id: duplicates") for p in problems
    )
    assert any(p.startswith("row 4 (item P01-W1-DOC-02), column path: no file") for p in problems)
    assert any(
        p.startswith("row 5 (item P01-W1-DOC-03), column path: contains '..'") for p in problems
    )
    assert any(p.startswith("row 6 (item P01-W1-DOC-04), column collected_on:") for p in problems)
    assert any(p.startswith("row 7 (item P01-W1-DOC-05), column kind:") for p in problems)
    assert any(p.startswith("row 8 (item P01-W1-DOC-06), column practice:") for p in problems)
    assert any(
        p.startswith("row 9 (item P01-W1-DOC-07), column path: is absolute") for p in problems
    )
    message = str(caught.value)
    assert "Jane" not in message and "missing.pdf" not in message and "Willowbank" not in message


def test_a_bad_date_or_wave_is_reported_once(tmp_path, fieldwork):
    row = GOOD.replace("2025-03-04", "2025-13-45").replace("\t1\t", "\tone\t", 1)
    with pytest.raises(ManifestError) as caught:
        load_manifest(write_manifest(tmp_path, [row]), fieldwork)
    assert caught.value.problems == [
        "row 2 (item P01-W1-INT-01), column wave: 'one' is not a whole number",
        "row 2 (item P01-W1-INT-01), column collected_on: not a valid ISO date (YYYY-MM-DD)",
    ]


def test_symlink_outside_the_fieldwork_root_is_refused(tmp_path, fieldwork):
    (fieldwork / "P01" / "wave1" / "link.pdf").symlink_to(tmp_path / "outside.pdf")
    row = "P01-W1-DOC-01\tP01\t1\t2025-03-04\tdocument\tother\tP01/wave1/link.pdf\ten\t\t"
    with pytest.raises(ManifestError, match="outside the fieldwork root"):
        load_manifest(write_manifest(tmp_path, [row]), fieldwork)


def test_missing_required_column_is_reported(tmp_path, fieldwork):
    header = "item_id\tpractice\twave\tkind\trole\tpath\n"
    with pytest.raises(ManifestError, match="missing column.*collected_on"):
        load_manifest(write_manifest(tmp_path, [], header=header), fieldwork)


def test_malformed_item_id_is_not_echoed(tmp_path, fieldwork):
    row = GOOD.replace("P01-W1-INT-01", "Jane Doe interview", 1)
    with pytest.raises(ManifestError) as caught:
        load_manifest(write_manifest(tmp_path, [row]), fieldwork)
    assert "Jane" not in str(caught.value)
    assert "row 2, column item_id" in str(caught.value)


def test_register_aliases_and_allow_list(tmp_path):
    register = tmp_path / "register.tsv"
    register.write_text(
        "practice\tentity_type\tname\taliases\trole\tpseudonym\n"
        "P01\tperson\tJane Doe\tDr Doe; Jane\tgp\t[GP 1]\n"
        "P01\tplace\tLeeds\t\t\t\n",
        encoding="utf-8",
    )
    entries = load_register(register)
    assert entries[0].strings == ("Jane Doe", "Dr Doe", "Jane")
    assert entries[0].pseudonym == "[GP 1]" and entries[1].entity_type == "place"
    allow = tmp_path / "allow.txt"
    allow.write_text("# comment\nPeak  Flow\nNHS # inline\n", encoding="utf-8")
    assert load_allow_list(allow) == {"peak flow", "nhs"}
