"""Re-identification risk scan: what it finds, what it wrongly flags, and how fast, against an
anchor (a plain keyword search for the same kinds), on seeded, varied and hostile sentences.

    .venv/bin/python bench/risk.py --seed 7 [--sentences 3000]

Positives are written as speakers say them and as Whisper and documents write them: cased and
lowercase, ages in figures and words, hyphens and spaces swapped, relations before and after a
pseudonym, workplaces as pseudonyms or common nouns. Negatives are near misses: numbers that are
not ages, possessives that are not relations, clinical talk, 'unison', minutes and patient
counts. Seed 1 is the one the patterns were written against; report another.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from fieldcorpus.deid.risk import text_findings  # noqa: E402

NUMBERS = ["seven", "nineteen", "twenty-three", "thirty four", "forty-seven", "fifty", "sixty-one"]
PSEUDONYMS = ["[Patient 1]", "[Person 3]", "[Nurse 2]", "[Name 4]"]
RELATIONS = ["daughter", "son", "husband", "wife", "partner", "mum", "grandson", "sister"]
JOBS = ["bus driver", "teacher", "cleaner", "welder", "care worker", "joiner", "chef"]
WORKPLACES = ["the hospital", "the school", "[Organisation 2]", "the warehouse", "Tesco"]
RARE = ["cystic fibrosis", "churg-strauss syndrome", "Churg Strauss syndrome", "ABPA",
        "alpha-1 antitrypsin deficiency", "motor neurone disease", "sarcoidosis"]  # fmt: skip
SPECIAL = ["Muslim", "Sikh", "gay", "bisexual", "HIV", "depression", "dementia", "pregnant"]


def positives(rng: random.Random) -> list[tuple[str, str]]:
    age = rng.choice([str(rng.randint(18, 89)), rng.choice(NUMBERS)])
    pseudonym, relation = rng.choice(PSEUDONYMS), rng.choice(RELATIONS)
    day = f"{rng.randint(1, 28)} {rng.choice(['March', 'october', 'Jan'])} 20{rng.randint(20, 25)}"
    return [
        ("exact_age", rng.choice([f"she is {age} years old", f"aged {age}", f"he turned {age}",
                                  f"a {age}-year-old", f"I'm {rng.randint(20, 89)}."])),
        ("exact_date", rng.choice([f"seen on {day}", f"the {day} appointment",
                                   f"on 2025-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"])),
        ("family_relation", rng.choice([f"my {relation} {pseudonym} came", f"{pseudonym}, her "
                                        f"{relation}, rang", f"{pseudonym}'s {relation} helps"])),
        ("occupation", rng.choice([f"he works as a {rng.choice(JOBS)}",
                                   f"she's a {rng.choice(JOBS).split()[-1]} by trade",
                                   f"my job is a {rng.choice(JOBS)}"])),
        ("workplace", f"she works at {rng.choice(WORKPLACES)} on nights"),
        ("rare_condition", f"they found {rng.choice(RARE)} last year"),
        ("special_category", f"as he is {rng.choice(SPECIAL)} it matters"),
    ]  # fmt: skip


def negatives(rng: random.Random) -> list[str]:
    return [
        f"I'm {rng.randint(2, 15)} minutes away",
        f"we saw {rng.randint(12, 80)} patients in April 2025",
        f"her inhaler technique was fine; {rng.choice(PSEUDONYMS)}'s peak flow improved",
        "in unison they said 2019 and 2020 were hard",
        f"my {rng.choice(['inhaler', 'spacer', 'plan'])} is blue",
        "the review was booked for next month",
        f"page {rng.randint(2, 40)} of the template lists {rng.randint(3, 9)} questions",
        "she works hard at her breathing exercises",
    ]


def lowercase(text: str) -> str:
    """As Whisper writes a transcript; pseudonyms are put in afterwards, so keep their case."""
    return re.sub(r"\[[a-z][^\]]*\]", lambda m: m.group().title(), text.lower())


def anchor(text: str) -> set[str]:
    """Keyword search: the words each kind is about, nothing more."""
    words = {
        "exact_age": r"\byears old\b|\baged\b", "exact_date": r"\b\d{1,2} [A-Z][a-z]+ \d{4}\b",
        "family_relation": r"\b(?:" + "|".join(RELATIONS) + r")\b", "occupation": r"\bworks as\b",
        "workplace": r"\bworks at\b", "rare_condition": "|".join(re.escape(r) for r in RARE[:1]),
        "special_category": r"\b(?:" + "|".join(SPECIAL) + r")\b",
    }  # fmt: skip
    return {kind for kind, pattern in words.items() if re.search(pattern, text)}


def scanner(text: str) -> set[str]:
    return {
        row["kind"]
        for row in text_findings({"item_id": "b", "wave": 1}, {"id": "u", "text": text}, [])
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--sentences", type=int, default=3000)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    cases, clean = [], []
    while len(cases) < args.sentences:
        for kind, text in positives(rng):
            cases.append((kind, lowercase(text) if rng.random() < 0.4 else text))
        clean += negatives(rng)
    variants = {"anchor (keywords)": anchor, "fieldcorpus risk": scanner}
    results = {}
    for name, scan in variants.items():
        found, started = {}, time.perf_counter()
        for kind, text in cases:
            found.setdefault(kind, []).append(kind in scan(text))
        false = sum(bool(scan(text)) for text in clean)
        elapsed = time.perf_counter() - started
        results[name] = (found, false, (len(cases) + len(clean)) / elapsed)
    names = list(variants)
    print(f"seed {args.seed}: {len(cases)} planted findings, {len(clean)} clean sentences")
    print(f"{'kind':<18}" + "".join(f"{n:>22}" for n in names) + f"{'ratio':>8}")
    for kind in sorted(results[names[0]][0]):
        shares = [sum(results[n][0][kind]) / len(results[n][0][kind]) for n in names]
        ratio = shares[1] / shares[0] if shares[0] else float("inf")
        print(f"{kind:<18}" + "".join(f"{s:>21.1%} " for s in shares) + f"{ratio:>8.2f}")
    flagged = [results[n][1] / len(clean) for n in names]
    print(f"{'clean flagged':<18}" + "".join(f"{f:>21.1%} " for f in flagged))
    speeds = [results[n][2] for n in names]
    print(f"{'sentences/s':<18}" + "".join(f"{s:>22,.0f}" for s in speeds) +
          f"{speeds[1] / speeds[0]:>8.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
