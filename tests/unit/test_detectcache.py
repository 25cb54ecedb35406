"""The per-item detection cache: unchanged items are taken from it, a changed item, register or
setting is detected again."""

from __future__ import annotations

import json
import logging

from fieldcorpus.deid.detectcache import detect_practice
from fieldcorpus.files import read_json

SETTINGS = {"near_miss_min_length": 5, "sources": {"ner": False}, "review_threshold": 0.6}


def write_item(tmp_path, item_id: str, text: str) -> str:
    item = {"item_id": item_id, "practice": "P01", "wave": 1, "collected_on": "2025-03-11",
            "kind": "observation"}  # fmt: skip
    path = tmp_path / f"{item_id}.units.json"
    path.write_text(json.dumps({"item": item, "units": [{"id": "u1", "text": text}]}))
    return str(path)


def run(tmp_path, caplog, units, settings=SETTINGS):
    detections = [str(tmp_path / f"{i}.detections.json") for i in range(len(units))]
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="fieldcorpus"):
        documents = detect_practice(
            units, detections, str(tmp_path / "register.tsv"), str(tmp_path / "allow.txt"), settings
        )
    read = [m for m in caplog.messages if m.startswith("detection cache:")]
    return documents, read[-1], detections


def test_only_new_or_changed_items_are_read(tmp_path, caplog):
    (tmp_path / "register.tsv").write_text(
        "practice\tentity_type\tname\taliases\trole\tpseudonym\n"
        "P01\tperson\tSarah Mitchell\tDr Mitchell\tgp\t[GP 1]\n"
    )
    (tmp_path / "allow.txt").write_text("asthma\n")
    units = [write_item(tmp_path, "I1", "Dr Mitchell ran the clinic.")]
    first, line, detections = run(tmp_path, caplog, units)
    assert line == "detection cache: 1 item(s) read, 0 taken from the cache"
    assert [d["text"] for d in first[0]["detections"]] == ["Dr Mitchell"]

    units.append(write_item(tmp_path, "I2", "Call 07700 900123 about the asthma review."))
    second, line, _ = run(tmp_path, caplog, units)
    assert line == "detection cache: 1 item(s) read, 1 taken from the cache"
    assert second[0] == first[0] and read_json(detections[0]) == first[0]

    _, line, _ = run(tmp_path, caplog, units)
    assert line == "detection cache: 0 item(s) read, 2 taken from the cache"

    # A new register line, or other settings, change every key.
    with open(tmp_path / "register.tsv", "a") as handle:
        handle.write("P01\tperson\tHelen Carter\tHelen\tnurse\t\n")
    _, line, _ = run(tmp_path, caplog, units)
    assert line == "detection cache: 2 item(s) read, 0 taken from the cache"
    _, line, _ = run(tmp_path, caplog, units, {**SETTINGS, "near_miss_min_length": 6})
    assert line == "detection cache: 2 item(s) read, 0 taken from the cache"

    # An item whose text changed is read again; the other stays cached.
    write_item(tmp_path, "I1", "Helen ran the clinic.")
    third, line, _ = run(tmp_path, caplog, units, {**SETTINGS, "near_miss_min_length": 6})
    assert line == "detection cache: 1 item(s) read, 1 taken from the cache"
    assert "Helen" in [d["text"] for d in third[0]["detections"]]
    assert third[1]["detections"] == second[1]["detections"]
