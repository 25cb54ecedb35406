"""The typed unit document agrees with what the code writes, and its accessors read it."""

from fieldcorpus.deid.pseudonymise import SHAREABLE_UNIT_FIELDS
from fieldcorpus.manifest import Item
from fieldcorpus.units import (
    ItemMetadata,
    Unit,
    UnitDocument,
    collected_on_of,
    item_id_of,
    practice_of,
    unit_document,
    wave_of,
)

ITEM = Item(
    item_id="P01-W2-CLN-01",
    practice="P01",
    wave=2,
    collected_on="2025-09-16",
    kind="clinic_review",
    role="gp",
    path="P01/wave2/clinic-review-2025-09-16.flac",
    notes="never shareable",
)


def test_item_metadata_names_exactly_the_public_facts_of_an_item():
    assert set(ItemMetadata.__annotations__) == set(ITEM.public_metadata())


def test_a_unit_document_has_the_typed_keys_and_no_raw_path():
    extracted = {
        "source": {"duration_s": 12.5, "sample_rate": 16000},
        "engine": {"name": "faster-whisper"},
        "units": [{"id": "u00001", "text": "Hello.", "start": 0.0, "end": 1.0}],
        "timings": {"decoding": 0.1},
    }
    inventory = {"sha256": "0" * 64, "size_bytes": 10, "media_type": "audio/flac", "raw": "x"}
    document = unit_document(ITEM, inventory, extracted)
    assert set(document) == set(UnitDocument.__annotations__)
    assert document["source"] == {
        "sha256": "0" * 64,
        "size_bytes": 10,
        "media_type": "audio/flac",
        "duration_s": 12.5,
        "sample_rate": 16000,
    }
    assert "path" not in document["item"] and "notes" not in document["item"]


def test_every_shareable_unit_field_is_a_typed_unit_field():
    assert set(Unit.__annotations__) >= SHAREABLE_UNIT_FIELDS
    assert {"id", "text"} == Unit.__required_keys__


def test_accessors_read_the_item_of_any_record():
    document = {"item": ITEM.public_metadata(), "units": []}
    assert item_id_of(document) == "P01-W2-CLN-01"
    assert practice_of(document) == "P01"
    assert (wave_of(document), collected_on_of(document)) == (2, "2025-09-16")
    assert wave_of({"item": {**ITEM.public_metadata(), "wave": "3"}}) == 3
