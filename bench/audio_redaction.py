"""Shareable audio: the closed-loop check with its ears and repair, against one ear only.

    .venv/bin/python -u bench/audio_redaction.py --run DIR [--variants as-transcribed,late-1s]
        [--replacements silence,tone]

DIR is a finished run of the demo (`make demo` leaves one in the repository: `--run .`): its
manifest, recordings, restricted transcripts, anonymisation logs, ledgers and register. For every
recording, published or withheld, and every variant of its word timings (as transcribed; all
1 s late; all 0.4 s early; each word jittered by up to 0.3 s, seeded), the pipeline's own
functions redact, check and repair a copy twice, interleaved: with the configured ears (the
anchor) and with the first ear only. Printed side by side: the result, each ear's result in the
last round, repair rounds, seconds bleeped, the first ear's coverage between the bleeps, seconds
spent, and what an outside ear (base, greedy, no VAD: in neither configuration) hears in the
copy the check would publish, decoded whole: the practice's names, and the share of the
original's words outside the spans (its talk, which a bleep can make a decoder lose). With
`--replacements`, each replacement (silence, tone) is measured the same way. Ratios are to the
anchor: all ears, the first replacement listed.
"""

from __future__ import annotations

import argparse
import copy
import random
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from fieldcorpus.audio.redaction import (  # noqa: E402
    check_and_repair,
    check_ears,
    coverage,
    heard_passages,
    make_redacted_copy,
    practice_needles,
)
from fieldcorpus.deid.ledger import Ledger  # noqa: E402
from fieldcorpus.files import read_json, read_tsv  # noqa: E402
from fieldcorpus.manifest import RECORDING_KINDS, load_register  # noqa: E402
from fieldcorpus.transcribe.transcription import transcribe_recording  # noqa: E402

VARIANTS = {
    "as-transcribed": lambda start, end, rng: (start, end),
    "late-1s": lambda start, end, rng: (start + 1.0, end + 1.0),
    "early-0.4s": lambda start, end, rng: (max(0.0, start - 0.4), max(0.0, end - 0.4)),
    "jitter-0.3s": lambda start, end, rng: _jitter(start, end, rng),
}
OUTSIDE_EAR = {"model": "bundled:base", "beam_size": 1, "vad_filter": False}


def _jitter(start: float, end: float, rng: random.Random) -> tuple[float, float]:
    shift = rng.uniform(-0.3, 0.3)
    return max(0.0, start + shift), max(0.0, end + shift)


def shifted_units(units: list[dict], variant: str, seed: int) -> list[dict]:
    rng = random.Random(seed)
    moved = copy.deepcopy(units)
    for unit in moved:
        for word in unit.get("words") or []:
            if word.get("start") is not None and word.get("end") is not None:
                word["start"], word["end"] = VARIANTS[variant](word["start"], word["end"], rng)
    return moved


def run_one(
    run: Path, item: dict, units, ears, config, work: Path, pattern, replacement: str
) -> dict:
    item_id = item["item_id"]
    recording = run / config["fieldwork_dir"] / item["path"]
    restricted = run / config["restricted_dir"]
    anonymisation_log = restricted / f"anonymisation-log/{item['practice']}/{item_id}.tsv"
    audio = {**config["audio"], "replacement": replacement}
    clock = time.perf_counter()
    spans, original = make_redacted_copy(
        recording, units, anonymisation_log, work / "copy.flac", item_id, audio
    )
    original_units = read_json(restricted / f"transcripts/{item['practice']}/{item_id}.json")[
        "units"
    ]
    outcome = check_and_repair(
        work / "copy.flac",
        recording,
        spans,
        original_units,
        pattern,
        ears,
        audio,
        item_id,
        work / "repaired.flac",
        2,
    )
    spent = time.perf_counter() - clock
    minimum = float(audio.get("check_min_coverage", 0.8))
    outside = {**config["transcription"], **OUTSIDE_EAR, "diarization": False, "language": "en"}
    heard = transcribe_recording(outcome.audio, item_id, outside, 2)["units"]
    return {
        "result": "published" if outcome.failure is None else "WITHHELD",
        "ears": " | ".join(e.result(minimum).split(";")[0] for e in outcome.rounds[-1]),
        "rounds": len(outcome.rounds) - 1,
        "bleeped": sum(min(s.end, original.duration) - s.start for s in outcome.spans),
        "coverage": outcome.rounds[-1][0].coverage,
        "seconds": spent,
        "outside": len(heard_passages(heard, pattern)),
        "talk": coverage(original_units, outcome.spans, heard),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, required=True, help="a finished demo run directory")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated")
    parser.add_argument("--items", default="", help="comma-separated item ids (default: all)")
    parser.add_argument("--replacements", default="", help="e.g. silence,tone (default: config)")
    parser.add_argument("--seed", type=int, default=21)
    args = parser.parse_args()
    run = args.run.resolve()
    config = yaml.safe_load((run / "config/config.yaml").read_text())
    config["transcription"]["models_dir"] = str(run / config["transcription"]["models_dir"])
    manifest = read_tsv(run / config["manifest"])
    recordings = [r for r in manifest if r["kind"] in RECORDING_KINDS]
    wanted = {i for i in args.items.split(",") if i}
    recordings = [r for r in recordings if not wanted or r["item_id"] in wanted]
    register = load_register(run / config["register"])
    transcription = {**config["transcription"], "language": "en"}
    all_ears = check_ears(transcription, config["audio"])
    replacements = [r for r in args.replacements.split(",") if r] or [
        config["audio"].get("replacement", "silence")
    ]
    configurations = {
        (f"{name} {replacement}" if len(replacements) > 1 else name): (ears, replacement)
        for replacement in replacements
        for name, ears in (("all ears", all_ears), ("one ear", all_ears[:1]))
    }
    anchor_name = next(iter(configurations))
    print("ears:", "; ".join(sorted({str(e.get("model")) for e in all_ears})), flush=True)
    header = (
        f"{'item':14} {'variant':15} {'ears':17} {'result':9} {'rounds':>6} {'bleeped s':>9} "
        f"{'x anchor':>8} {'coverage':>8} {'seconds':>8} {'x anchor':>8} {'outside: names':>14} "
        f"{'talk':>5}  each ear, last round"
    )
    print(header, flush=True)
    totals: dict[str, dict[str, float]] = {}
    for variant in args.variants.split(","):
        for item in recordings:
            item_id, practice = item["item_id"], item["practice"]
            restricted = run / config["restricted_dir"]
            units = read_json(restricted / f"transcripts/{practice}/{item_id}.json")["units"]
            units = shifted_units(units, variant, args.seed)
            ledger = Ledger.read(restricted / f"ledger/{practice}.tsv")
            pattern = practice_needles(practice, ledger, register)
            rows = {}
            for name, (ears, replacement) in configurations.items():
                with tempfile.TemporaryDirectory(dir=restricted) as work:
                    rows[name] = run_one(
                        run, item, units, ears, config, Path(work), pattern, replacement
                    )
            anchor = rows[anchor_name]
            for name, row in rows.items():
                total = totals.setdefault(
                    name, {"published": 0, "outside": 0, "seconds": 0.0, "talk": []}
                )
                total["published"] += row["result"] == "published"
                total["outside"] += row["outside"] * (row["result"] == "published")
                total["seconds"] += row["seconds"]
                total["talk"].append(row["talk"])
                print(
                    f"{item_id:14} {variant:15} {name:17} {row['result']:9} {row['rounds']:>6} "
                    f"{row['bleeped']:>9.1f} {row['bleeped'] / max(anchor['bleeped'], 1e-9):>8.2f} "
                    f"{row['coverage']:>8.0%} {row['seconds']:>8.1f} "
                    f"{row['seconds'] / anchor['seconds']:>8.2f} {row['outside']:>14} "
                    f"{row['talk']:>5.0%}  {row['ears']}",
                    flush=True,
                )
    print()
    for name, total in totals.items():
        print(
            f"{name}: {int(total['published'])} published; names an outside ear hears in "
            f"published copies: {int(total['outside'])}; its talk, lowest "
            f"{min(total['talk']):.0%}, mean {sum(total['talk']) / len(total['talk']):.0%}; "
            f"{total['seconds']:.0f} s ({total['seconds'] / totals[anchor_name]['seconds']:.2f} "
            "x anchor)"
        )


if __name__ == "__main__":
    main()
