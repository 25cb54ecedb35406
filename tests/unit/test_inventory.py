"""Media sniffing from content (never the file name) and which files a document row accepts."""

from __future__ import annotations

import datetime as dt
import zipfile

import pytest
from fieldcorpus.errors import FieldcorpusError
from fieldcorpus.intake.inventory import inventory_item, sniff_media_type
from fieldcorpus.manifest import Item

from tests.support import document_makers as make


def _item(kind: str = "document") -> Item:
    return Item("P01-W1-DOC-09", "P01", 1, "2025-03-10", kind, "practice_manager", "x")


def _zip(path, names):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in names.items():
            archive.writestr(name, data)


MAKERS = {
    "application/pdf": lambda p: make.pdf_document(p, [["Protocol text."]]),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": make.docx_document,
    "application/vnd.oasis.opendocument.text": make.odt_document,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": make.xlsx_workbook,
    "application/rtf": lambda p: p.write_bytes(rb"{\rtf1\ansi Asthma plan\par}"),
    "message/rfc822": lambda p: make.eml_message(p, []),
    "application/vnd.ms-outlook": lambda p: make.msg_message(
        p, "Rota", "Body", dt.datetime(2025, 3, 10, tzinfo=dt.UTC), []
    ),
    "text/plain": lambda p: p.write_bytes("Clinic notes: £5 café".encode("cp1252")),
    "image/png": lambda p: make.text_image(["Notice"]).save(p, format="PNG"),
    "image/jpeg": lambda p: make.text_image(["Notice"]).save(p, format="JPEG"),
    "image/tiff": lambda p: make.text_image(["Notice"]).save(p, format="TIFF"),
    "application/x-encrypted-office": lambda p: p.write_bytes(
        make.compound_file({"EncryptedPackage": b"\x00" * 64, "EncryptionInfo": b"\x00" * 64})
    ),
    "application/msword": lambda p: p.write_bytes(make.compound_file({"WordDocument": b"0"})),
    "application/zip": lambda p: _zip(p, {"a.txt": "a"}),
    "application/octet-stream": lambda p: p.write_bytes(bytes(range(256))),
}


@pytest.mark.parametrize("media_type", sorted(MAKERS))
def test_media_type_comes_from_content_not_the_name(tmp_path, media_type):
    path = tmp_path / "misleading-name.wav"
    MAKERS[media_type](path)
    assert sniff_media_type(path) == media_type
    assert sniff_media_type(path.read_bytes()) == media_type


def test_utf16_text_is_not_mistaken_for_mpeg_audio(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_bytes("Clinic notes".encode("utf-16"))
    assert sniff_media_type(path) == "text/plain"


def test_a_plain_note_that_mentions_a_date_is_not_an_email(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("Date: Tuesday clinic\nThe nurse ran the clinic alone.\n", encoding="utf-8")
    assert sniff_media_type(path) == "text/plain"


@pytest.mark.parametrize(
    "media_type",
    ["message/rfc822", "application/vnd.ms-outlook", "image/jpeg", "text/plain", "application/rtf"],
)
def test_documents_of_every_supported_type_pass_inventory(tmp_path, media_type):
    path = tmp_path / "item"
    MAKERS[media_type](path)
    facts = inventory_item(path, _item("observation"))
    assert facts["media_type"] == media_type and len(facts["sha256"]) == 64


def test_a_recording_listed_as_a_document_is_rejected(tmp_path):
    path = tmp_path / "clinic.wav"
    path.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 40)
    with pytest.raises(FieldcorpusError, match=r"^item P01-W1-DOC-09: listed as document but"):
        inventory_item(path, _item())


def test_a_document_listed_as_a_recording_is_rejected(tmp_path):
    path = make.docx_document(tmp_path / "notes.docx")
    with pytest.raises(FieldcorpusError, match="listed as a recording .interview. but the file"):
        inventory_item(path, _item("interview"))
