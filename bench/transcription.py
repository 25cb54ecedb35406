"""Transcription side by side (run by hand, never in CI).

    .venv/bin/python bench/transcription.py                  # accuracy: tiny.en and base, greedy
                                                             # and beam 5, on all demo recordings
    .venv/bin/python bench/transcription.py --grid engines   # engines and precisions, one model
    .venv/bin/python bench/transcription.py --device cuda    # the same on a GPU (float16)

Variants run interleaved (recording by recording) in one process, after a warm-up each, so load
changes on a shared machine hit them alike. Anchor: the accuracy grid's anchor is the shipped
configuration (config.yaml's model and beam); the engines grid's is faster-whisper int8 on CPU
(float16 on GPU). Prints real-time factors (engine time / audio time, and wall time with speech
detection and speaker turns), their ratios to the anchor, WER against the demo scripts (both
sides normalised by Whisper's EnglishTextNormalizer: case, punctuation, spelling, numbers),
10-second stretches with speech but no words (a decoder that skipped speech), windows decoded
again in clips of speech, and speaker attribution against the scripted turns; then peak RSS of 10-
and 60-minute recordings, each in a fresh subprocess."""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "scripts"), str(REPO)]

from fieldcorpus.transcribe.decode import audio_windows  # noqa: E402
from fieldcorpus.transcribe.diarization import speech_regions  # noqa: E402
from fieldcorpus.transcribe.transcription import transcribe_recording  # noqa: E402

from tests.support.evaluation import attribution_accuracy, normalise  # noqa: E402
from tests.support.media import demo_speech, synthetic_recording, write_wav  # noqa: E402

DEMO = REPO / "demo"
MEMORY_PROBE = """
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from fieldcorpus.transcribe.transcription import transcribe_recording
settings = json.loads(sys.argv[4])
start = time.perf_counter()
threads, models = int(sys.argv[5]), sys.argv[3]
result = transcribe_recording(sys.argv[2], "SYN", settings, threads, models, speakers=2)
print(json.dumps({"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "wall_s": time.perf_counter() - start, "units": len(result["units"])}))
"""


def engine_variants(device: str) -> dict[str, dict]:
    if device == "cuda":
        return {
            "faster-whisper float16 (anchor)": {"engine": "faster-whisper", "device": "cuda"},
            "faster-whisper int8_float16": {
                "engine": "faster-whisper",
                "device": "cuda",
                "compute_type": "int8_float16",
            },
            "faster-whisper float32": {
                "engine": "faster-whisper",
                "device": "cuda",
                "compute_type": "float32",
            },
            "openai-whisper float16": {"engine": "openai-whisper", "device": "cuda"},
        }
    return {
        "faster-whisper int8 (anchor)": {"engine": "faster-whisper", "compute_type": "int8"},
        "faster-whisper float32": {"engine": "faster-whisper", "compute_type": "float32"},
        "openai-whisper float32": {"engine": "openai-whisper"},
    }


def accuracy_variants(shipped: dict) -> dict[str, dict]:
    """tiny.en and base, greedy and beam 5; the shipped configuration first (the anchor)."""
    grid = {
        f"{model.split(':')[-1]} {'greedy' if beam == 1 else f'beam {beam}'}": {
            "model": model,
            "beam_size": beam,
        }
        for model in ("bundled:tiny.en", "bundled:base")
        for beam in (1, 5)
    }
    anchor = next(
        (n for n, v in grid.items() if v == {k: shipped[k] for k in ("model", "beam_size")}),
        None,
    )
    if anchor is None:
        return {"shipped (anchor)": {}, **grid}
    return {f"{anchor} (anchor, shipped)": grid.pop(anchor), **grid}


def silent_stretches(units: list[dict], regions: list[tuple[float, float]], span: float = 10.0):
    """10-second stretches holding at least 3 s of detected speech and not one decoded word."""
    words = [w for u in units for w in (u.get("words") or [])]
    end = max((b for _, b in regions), default=0.0)
    found = 0
    for k in range(int(end // span) + 1):
        a, b = k * span, (k + 1) * span
        speech = sum(max(0.0, min(b, e) - max(a, s)) for s, e in regions)
        if speech >= 3.0 and not any(w["start"] < b and w["end"] > a for w in words):
            found += 1
    return found


def demo_recordings(limit: int | None) -> list[dict]:
    with open(DEMO / "manifest.tsv", encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle, delimiter="\t")]
    rows = [r for r in rows if r["kind"] in ("interview", "clinic_review")]
    return rows[:limit] if limit else rows


def speech_of(path: Path, item_id: str) -> list[tuple[float, float]]:
    regions = []
    for window in audio_windows(path, item_id, 300):
        regions += speech_regions(window.samples, window.offset)
    return regions


def word_error_rate(references: list[str], hypotheses: list[str]) -> float:
    import jiwer

    return jiwer.wer([normalise(r) for r in references], [normalise(h) or "-" for h in hypotheses])


def peak_memory(minutes: float, settings: dict, threads: int, models: str, folder: Path) -> dict:
    path = synthetic_recording(folder / f"synthetic-{minutes:g}.wav", minutes)
    command = [
        sys.executable,
        "-c",
        MEMORY_PROBE,
        str(REPO / "scripts"),
        str(path),
        models,
        json.dumps(settings),
        str(threads),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    path.unlink()
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--grid", choices=["accuracy", "engines"], default="accuracy")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--model", default=None, help="engines grid; default: config.yaml's")
    parser.add_argument(
        "--beam-size", type=int, default=None, help="engines grid; default: config.yaml's"
    )
    parser.add_argument(
        "--speaker-turns", action="store_true", help="accuracy grid: also assign speakers"
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--recordings", type=int, default=None, help="first N demo recordings")
    parser.add_argument("--memory-minutes", default="10,60", help="'' skips the memory runs")
    parser.add_argument("--models-dir", default=str(REPO / "models"))
    args = parser.parse_args()

    import yaml

    shipped = yaml.safe_load((REPO / "config/config.yaml").read_text())["transcription"]
    base = {
        **shipped,
        "model": args.model or shipped["model"],
        "beam_size": args.beam_size or shipped["beam_size"],
        "language": "en",
        "diarization": args.grid == "engines" or args.speaker_turns,
        "device": args.device,
    }
    if args.grid == "engines":
        extras = engine_variants(args.device)
    else:
        extras = accuracy_variants(shipped)
        base["compute_type"] = "float16" if args.device == "cuda" else "int8"
    chosen = {name: {**base, **extra} for name, extra in extras.items()}
    rows = demo_recordings(args.recordings)
    references = {
        r["item_id"]: json.loads((DEMO / "reference" / f"{r['item_id']}.json").read_text())["turns"]
        for r in rows
    }
    totals = {
        name: {
            "engine_s": 0.0,
            "wall_s": 0.0,
            "hyp": [],
            "ref": [],
            "units": [],
            "holes": 0,
            "redecoded": 0,
        }
        for name in chosen
    }
    audio_s = 0.0
    print(f"device {args.device}, grid {args.grid}, {len(rows)} recordings")
    for name, settings in chosen.items():
        print(f"  {name}: {settings['engine']} {settings['model']} beam {settings['beam_size']}")
    with tempfile.TemporaryDirectory() as folder:  # warm-up: model load, conversion, kernels
        clip = write_wav(Path(folder) / "warm-up.wav", demo_speech(10))
        for settings in chosen.values():
            transcribe_recording(clip, "warm-up", settings, args.threads, args.models_dir)
    for row in rows:
        path = DEMO / "fieldwork" / row["path"]
        regions = speech_of(path, row["item_id"])
        for name, settings in chosen.items():
            start = time.perf_counter()
            result = transcribe_recording(
                path, row["item_id"], settings, args.threads, args.models_dir, speakers=2
            )
            totals[name]["wall_s"] += time.perf_counter() - start
            totals[name]["engine_s"] += result["timings"]["transcription"]
            totals[name]["hyp"].append(" ".join(u["text"] for u in result["units"]))
            totals[name]["ref"].append(" ".join(t["text"] for t in references[row["item_id"]]))
            totals[name]["units"].append((references[row["item_id"]], result["units"]))
            totals[name]["holes"] += silent_stretches(result["units"], regions)
            totals[name]["redecoded"] += len(result["flags"].get("skipped_speech_redecoded", []))
        audio_s += result["source"]["duration_s"]
        print(f"  {row['item_id']} done", flush=True)

    anchor = next(iter(chosen))
    anchor_rtf = totals[anchor]["engine_s"] / audio_s
    print(f"\naudio: {audio_s:.0f} s")
    header = (
        f"{'variant':34} {'RTF engine':>10} {'x anchor':>9} {'RTF wall':>9} "
        f"{'WER':>7} {'10s holes':>9} {'redecoded':>9} {'speaker':>8}"
    )
    print(header)
    print("-" * len(header))
    for name, total in totals.items():
        rtf = total["engine_s"] / audio_s
        speaker = "-"
        if chosen[name]["diarization"]:
            correct = weight = 0.0
            for turns, units in total["units"]:
                accuracy, coverage = attribution_accuracy(turns, units)
                span = sum(t["end"] - t["start"] for t in turns) * coverage
                correct, weight = correct + accuracy * span, weight + span
            speaker = f"{correct / weight:.1%}"
        print(
            f"{name:34} {rtf:10.3f} {rtf / anchor_rtf:9.2f} {total['wall_s'] / audio_s:9.3f} "
            f"{word_error_rate(total['ref'], total['hyp']):7.1%} {total['holes']:9d} "
            f"{total['redecoded']:9d} {speaker:>8}"
        )
    print("WER: jiwer over all recordings, reference and hypothesis both normalised by Whisper's")
    print("EnglishTextNormalizer (lowercase, punctuation, British/American spelling, numbers).")
    fw = [n for n in totals if n.startswith("faster-whisper float32")]
    oa = [n for n in totals if n.startswith("openai-whisper")]
    if fw and oa:
        ratio = totals[oa[0]]["engine_s"] / totals[fw[0]]["engine_s"]
        anchor_ratio = totals[oa[0]]["engine_s"] / totals[anchor]["engine_s"]
        print(
            f"\nfaster-whisper is {ratio:.1f}x faster than openai-whisper at the same precision "
            f"(float32), {anchor_ratio:.1f}x with int8"
        )

    minutes = [float(m) for m in args.memory_minutes.split(",") if m.strip()]
    if minutes:
        settings = {**next(iter(chosen.values())), "beam_size": 1}
        print(f"\npeak RSS, {next(iter(chosen))}, greedy, speaker turns on (fresh subprocess each)")
        with tempfile.TemporaryDirectory() as folder:
            figures = {
                m: peak_memory(m, settings, args.threads, args.models_dir, Path(folder))
                for m in minutes
            }
        print(f"{'minutes':>8} {'peak RSS MB':>12} {'wall s':>8} {'RTF wall':>9}")
        for m, facts in figures.items():
            rtf = facts["wall_s"] / (m * 60)
            print(f"{m:8g} {facts['peak_rss_mb']:12.0f} {facts['wall_s']:8.0f} {rtf:9.3f}")


if __name__ == "__main__":
    main()
