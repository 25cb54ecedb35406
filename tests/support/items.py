"""Shareable item documents made in tests, in the unit shape of DESIGN.md."""

from __future__ import annotations

from pathlib import Path

from fieldcorpus.files import write_shareable_json


def speech_item(item_id, practice, wave, collected_on, kind="interview", role="gp", turns=()):
    """turns: (start, end, speaker, text) tuples."""
    return {
        "item": {
            "item_id": item_id,
            "practice": practice,
            "wave": wave,
            "collected_on": collected_on,
            "kind": kind,
            "role": role,
            "language": "en",
        },
        "source": {"sha256": "0" * 64, "media_type": "audio/wav", "duration_s": 90.0},
        "engine": {"name": "faster-whisper", "version": "1.2.1"},
        "flags": {"no_speech": not turns},
        "units": [
            {"id": f"u{n:05d}", "start": s, "end": e, "speaker": spk, "text": text, "words": []}
            for n, (s, e, spk, text) in enumerate(turns, start=1)
        ],
    }


def document_item(item_id, practice, wave, collected_on, kind="document", role="other", blocks=()):
    """blocks: (page, text, ocr) tuples or unit dicts (merged over the defaults)."""
    units = []
    for n, block in enumerate(blocks, start=1):
        if isinstance(block, dict):
            units.append({"id": f"b{n:04d}", "page": 1, "block": n, **block})
        else:
            page, text, ocr = block
            units.append({"id": f"p{page:04d}-b{n:03d}", "text": text, "page": page, "ocr": ocr})
    pages = max((u["page"] or 0 for u in units), default=0)
    return {
        "item": {
            "item_id": item_id,
            "practice": practice,
            "wave": wave,
            "collected_on": collected_on,
            "kind": kind,
            "role": role,
            "language": "en",
        },
        "source": {
            "sha256": "1" * 64,
            "media_type": "application/pdf",
            "pages": pages,
            "ocr_pages": len({u["page"] for u in units if u.get("ocr")}),
        },
        "engine": {"name": "pdfplumber", "version": "0.11.10"},
        "flags": {},
        "units": units,
    }


def small_study() -> list[dict]:
    """Two practices, two waves, speech and documents, deliberately listed out of date order."""
    return [
        speech_item(
            "P01-W2-INT-01",
            "P01",
            2,
            "2025-09-09",
            role="nurse",
            turns=[
                (0.0, 4.5, "S1", "How is [Nurse 1] finding the clinic?"),
                (4.5, 9.25, "S2", "Busy."),
            ],
        ),
        document_item(
            "P01-W1-DOC-01",
            "P01",
            1,
            "2025-03-10",
            role="practice_manager",
            blocks=[
                (1, "Template owned by [Practice manager 1].", False),
                (2, "Scanned page", True),
            ],
        ),
        speech_item(
            "P01-W1-INT-01",
            "P01",
            1,
            "2025-03-11",
            turns=[
                (0.0, 8.88, "S1", "I'm [Researcher 1]. Tell me about your role."),
                (8.88, 13.8, "S2", "I'm [GP 1] at [Practice] in [Town 1], café owner's son."),
                (65.2, 70.0, "S1", "Thank you, [GP 1]."),
            ],
        ),
        document_item(
            "P02-W1-OBS-01",
            "P02",
            1,
            "2025-03-20",
            kind="observation",
            role="researcher",
            blocks=[{"page": None, "text": "Clinic notes: [Nurse 1] checked technique."}],
        ),
    ]


def write_items(root: Path, documents: list[dict]) -> list[Path]:
    paths = []
    for document in documents:
        item = document["item"]
        path = root / "items" / item["practice"] / f"{item['item_id']}.json"
        write_shareable_json(path, document)
        paths.append(path)
    return paths
