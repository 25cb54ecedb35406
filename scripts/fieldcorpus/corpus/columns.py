"""What a corpus row holds, without pandas or pyarrow (0.8 s to import): the summaries, casebook
and QDPX jobs count and order units as the corpus tables do, and only the tables need those."""

from __future__ import annotations

import re

from fieldcorpus.deid.generalise import GROUPS
from fieldcorpus.manifest import ROLES
from fieldcorpus.units import UnitDocument

KINDS = ["interview", "clinic_review", "observation", "document", "workshop", "meeting"]
# Roles as shared: the manifest's, or their groups where pseudonymisation.generalise.roles is on.
SHARED_ROLES = list(ROLES) + [group for group in GROUPS if group not in ROLES]
SORT_KEY = ["collected_on", "item_id", "sequence"]

_WORDS = re.compile(r"\S+")


def word_count(text: str) -> int:
    return len(_WORDS.findall(text))


def corpus_rows(document: UnitDocument) -> list[dict]:
    item = document["item"]
    rows = []
    for sequence, unit in enumerate(document["units"], start=1):
        rows.append(
            {
                "practice": item["practice"],
                "wave": item["wave"],
                "collected_on": item["collected_on"],
                "item_id": item["item_id"],
                "kind": item["kind"],
                "role": item["role"],
                "unit_id": unit["id"],
                "sequence": sequence,
                "speaker": unit.get("speaker"),
                "start_s": unit.get("start"),
                "end_s": unit.get("end"),
                "page": unit.get("page"),
                "text": unit["text"],
                "word_count": word_count(unit["text"]),
                "ocr": bool(unit.get("ocr", False)),
            }
        )
    return rows
