from pathlib import Path

import pytest
import yaml
from fieldcorpus.errors import ManifestError
from fieldcorpus.manifest import ROLES, load_allow_list, load_manifest, load_register
from fieldcorpus.paths import SCHEMA_DIR

HEADER = "item_id\tpractice\twave\tcollected_on\tkind\trole\tpath\tlanguage\tnotes\tspeakers\n"


@pytest.fixture
def fieldwork(tmp_path: Path) -> Path:
    root = tmp_path / "fieldwork"
    (root / "P01" / "wave1").mkdir(parents=True)
    (root / "P01" / "wave1" / "Interview Jane Doe.wav").write_bytes(b"RIFF")
    (root / "P01" / "wave1" / "notes.docx").write_bytes(b"PK")
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


def test_a_bad_date_or_wave_is_reported_once(tmp_path, fieldwork):
    row = GOOD.replace("2025-03-04", "2025-13-45").replace("\t1\t", "\tone\t", 1)
    with pytest.raises(ManifestError) as caught:
        load_manifest(write_manifest(tmp_path, [row]), fieldwork)
    assert caught.value.problems == [
        "row 2 (item P01-W1-INT-01), column wave: 'one' is not a whole number",
        "row 2 (item P01-W1-INT-01), column collected_on: not a valid ISO date (YYYY-MM-DD)",
    ]


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


def test_the_roles_are_the_manifest_and_register_schemas_roles():
    manifest = yaml.safe_load((SCHEMA_DIR / "manifest.schema.yaml").read_text())
    register = yaml.safe_load((SCHEMA_DIR / "register.schema.yaml").read_text())
    assert tuple(manifest["properties"]["role"]["enum"]) == ROLES
    assert tuple(register["properties"]["role"]["enum"]) == ("", *ROLES)
