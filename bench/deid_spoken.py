# ruff: noqa: E501  (scripted dialogue is kept one turn per literal)
"""De-identification through real speech: clinic dialogues with planted identifiers, spoken by
the demo's two TTS engines, transcribed and pseudonymised by the real pipeline (Snakemake, the
shipped config and allow-list), then Presidio (with its UK recognisers) on the same Whisper
transcripts; identifiers left per type, side by side.

    python -m venv dev/.venv-demo && dev/.venv-demo/bin/pip install -r dev/requirements-demo.txt
    .venv/bin/pip install --no-deps -r bench/requirements-deid.txt   # optional: Presidio
    .venv/bin/python bench/deid_spoken.py [--tts-python dev/.venv-demo/bin/python] [--keep DIR]

The dialogues say numbers several ways (digit by digit, 'double', 'oh', written digits the
engines read one by one), ask for a date of birth and get it in the next turn, and name staff and
patients with and without register entries (all fictional: NHS numbers from 999 000 0000-999 999
9999, phones from Ofcom's drama ranges). Whisper may mishear what it is told, so an identifier
counts as left when its distinguishing digits (six in a row that are not the shared drama-range or
999 prefix), its name (one edit allowed, as ASR spells), its street, its postcode or the year of
its date of birth are still in the item's text. The TTS engines live in the demo generator's own
venv (--tts-python); this script speaks through it with --speak, a mode that needs only that
venv. Speaking and transcribing take minutes on a laptop CPU.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PRACTICE = "S01"
CLINICIAN, PATIENT = 1, 2
# Item id, then (speaker, text) turns. ⟨kind:value⟩ plants an identifier: the engines say `value`
# (⟨kind:value|spoken⟩ says `spoken` instead), and it is scored against `value`.
DIALOGUES = [
    (
        "S01-W1-CLN-01",
        ("hibari-heart", "piper-joe"),
        [
            (
                CLINICIAN,
                "Hello, I'm ⟨staff:Doctor Okafor⟩, one of the GPs here. Come in and sit down.",
            ),
            (PATIENT, "Thanks. I'm ⟨patient:Tomasz Wisniewski⟩, I've come about my asthma."),
            (CLINICIAN, "Can you tell me your date of birth, please?"),
            (PATIENT, "It's the ⟨dob:1983-04-12|twelfth of April, nineteen eighty three⟩."),
            (CLINICIAN, "And your NHS number, if you have it?"),
            (
                PATIENT,
                "Yes, it's ⟨nhs:9994321980|nine nine nine, four three two, one nine eight oh⟩.",
            ),
            (CLINICIAN, "Thank you. Are you still using the salbutamol inhaler most days?"),
            (PATIENT, "Most days, and Metformin for the diabetes since Christmas."),
            (CLINICIAN, "What's the best number to reach you on?"),
            (PATIENT, "My mobile is ⟨phone:07700900419⟩."),
            (CLINICIAN, "And you're still at the same address?"),
            (
                PATIENT,
                "Yes, ⟨street:14 Larkfield Road|fourteen Larkfield Road⟩, ⟨postcode:BL3 5HT⟩.",
            ),
            (
                CLINICIAN,
                "Good. ⟨staff:Bethan⟩ the practice nurse will check your inhaler technique.",
            ),
        ],
    ),
    (
        "S01-W1-CLN-02",
        ("piper-joe", "hibari-heart"),
        [
            (CLINICIAN, "Morning. I'm ⟨staff:Nurse Pryce⟩. Is it ⟨patient:Mrs Hope Adeyemi⟩?"),
            (PATIENT, "That's me. ⟨staff:Amber⟩ on reception said you wanted to see me."),
            (CLINICIAN, "Could you confirm your date of birth for me?"),
            (PATIENT, "The ⟨dob:1960-08-01|first of August, nineteen sixty⟩."),
            (CLINICIAN, "And the NHS number on your letter?"),
            (PATIENT, "⟨nhs:9990072511|Nine nine nine, double oh seven, two five one one⟩."),
            (CLINICIAN, "And a phone number in case we need to call you back?"),
            (
                PATIENT,
                "The landline, ⟨phone:01632960587|oh one six three two, nine six oh, five eight seven⟩.",
            ),
            (CLINICIAN, "Have you needed the blue inhaler over Easter?"),
            (PATIENT, "Only once. My son ⟨patient:Kwame⟩ drove me to A and E."),
            (CLINICIAN, "Where are you living now?"),
            (PATIENT, "At ⟨street:3 Fernlea Close|three Fernlea Close⟩, ⟨postcode:PR7 2QD⟩."),
        ],
    ),
    (
        "S01-W2-CLN-01",
        ("hibari-heart", "piper-joe"),
        [
            (CLINICIAN, "Hi, I'm ⟨staff:Sarah⟩, the asthma nurse. What's your name?"),
            (PATIENT, "⟨patient:Declan Gallagher⟩."),
            (CLINICIAN, "And your date of birth?"),
            (PATIENT, "⟨dob:1975-11-23|Twenty third of November, nineteen seventy five⟩."),
            (CLINICIAN, "Your NHS number?"),
            (PATIENT, "⟨nhs:9991234561|Nine nine nine, one two three, four five six one⟩."),
            (
                CLINICIAN,
                "Is ⟨phone:07700900136|oh seven seven double oh, nine double oh, one three six⟩ still your mobile?",
            ),
            (PATIENT, "It is. ⟨patient:Declan⟩ is fine, nobody calls me Mr ⟨patient:Gallagher⟩."),
            (CLINICIAN, "Did ⟨staff:Doctor Okafor⟩ start you on the Fostair?"),
            (PATIENT, "He did, after the Covid. And Atorvastatin."),
            (CLINICIAN, "What's your postcode?"),
            (PATIENT, "⟨postcode:LS6 2AB|L S 6, 2 A B⟩."),
        ],
    ),
]
REGISTER = [
    ("practice", "Kingfisher Surgery", "Kingfisher practice", ""),
    ("place", "Bolton", "", ""),
    ("person", "Grace Okafor", "Dr Okafor;Doctor Okafor;Dr Grace Okafor", "gp"),
    ("person", "Bethan Pryce", "Nurse Pryce;Bethan", "nurse"),
    ("person", "Tomasz Wisniewski", "Mr Wisniewski", "patient"),
]
TYPES = ("nhs", "phone", "dob", "postcode", "street", "staff", "patient")
_PLANT = re.compile(r"⟨(\w+):([^|⟩]+)(?:\|([^⟩]+))?⟩")
_DIGIT_WORDS = {"zero": "0", "oh": "0", "o": "0", "one": "1", "two": "2", "three": "3",
                "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9"}  # fmt: skip
_REPEAT = {"double": 2, "treble": 3, "triple": 3}


def spoken(text: str) -> str:
    return _PLANT.sub(lambda m: m.group(3) or m.group(2), text)


def plants(text: str) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in _PLANT.finditer(text)]


# -- speaking (runs in the demo generator's venv) ------------------------------------------------
def speak(out: Path) -> None:
    """Render every dialogue to a 16 kHz WAV with the demo's engines and its turn timing."""
    import numpy as np

    sys.path.insert(0, str(REPO / "dev"))
    import make_demo as demo

    engines = demo.Engines()
    for number, (item_id, voices, turns) in enumerate(DIALOGUES):
        rng = np.random.default_rng(number)
        chunks = [np.zeros(int(0.5 * demo.SR))]
        for index, (speaker, text) in enumerate(turns):
            audio = demo.render_turn(
                engines, spoken(text), voices[speaker - 1], 1000 * number + index
            )
            chunks += [audio, np.zeros(int(rng.uniform(0.6, 1.0) * demo.SR))]
        audio = np.concatenate(chunks)
        audio = np.clip(audio + rng.normal(0.0, 0.0007, len(audio)), -1, 1).astype(np.float32)
        demo.write_wav(out / f"{item_id}.wav", audio)
        print(f"spoke {item_id}: {len(audio) / demo.SR:.0f} s", flush=True)


# -- running the pipeline -------------------------------------------------------------------------
def lay_out(workdir: Path, audio: Path) -> list[str]:
    """A study directory like the demo's: manifest, register, fieldwork, the shipped config."""
    fieldwork = workdir / "demo" / "fieldwork" / PRACTICE / "wave1"
    fieldwork.mkdir(parents=True)
    with open(workdir / "demo" / "manifest.tsv", "w", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(["item_id", "practice", "wave", "collected_on", "kind", "role", "path",
                         "language", "notes", "speakers"])  # fmt: skip
        for number, (item_id, _, _) in enumerate(DIALOGUES, start=1):
            shutil.copy(audio / f"{item_id}.wav", fieldwork / f"{item_id}.wav")
            writer.writerow([item_id, PRACTICE, 1, f"2025-03-{10 + number}", "clinic_review",
                             "patient", f"{PRACTICE}/wave1/{item_id}.wav", "en", "", 2])  # fmt: skip
    with open(workdir / "demo" / "register.tsv", "w", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(["practice", "entity_type", "name", "aliases", "role", "pseudonym"])
        for entity_type, name, aliases, role in REGISTER:
            writer.writerow([PRACTICE, entity_type, name, aliases, role, ""])
    shutil.copytree(REPO / "config", workdir / "config")
    return [f"results/shareable/items/{PRACTICE}/{item_id}.json" for item_id, _, _ in DIALOGUES]


def run_pipeline(workdir: Path, targets: list[str]) -> float:
    command = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-d",
               str(workdir), "--cores", "2", "--keep-going", *targets]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(command, cwd=workdir, capture_output=True, text=True)
    if done.returncode:
        print(f"note: snakemake exited {done.returncode} (items it withheld count as clean):")
        print("\n".join(done.stderr.splitlines()[-15:]))
    return time.perf_counter() - started


def units_of(path: Path) -> list[dict]:
    return json.loads(path.read_text())["units"] if path.exists() else []


# -- scoring ------------------------------------------------------------------------------------
def digit_runs(text: str) -> list[str]:
    """The digit runs of `text` as ASR may write them: digits, number words, 'double oh', with
    any punctuation between them; any other word ends a run."""
    runs, current, repeat = [], "", 1
    for token in re.findall(r"[A-Za-z]+|\d+", text):
        word = token.lower()
        if token.isdigit():
            current += token * repeat
        elif word in _REPEAT:
            repeat = _REPEAT[word]
            continue
        elif word in _DIGIT_WORDS:
            current += _DIGIT_WORDS[word] * repeat
        else:
            runs.append(current)
            current = ""
        repeat = 1
    return [r for r in [*runs, current] if r]


def _common_subsequence(a: str, b: str) -> int:
    """Length of the longest common subsequence of two digit strings."""
    row = [0] * (len(b) + 1)
    for ch in a:
        previous = 0
        for j, other in enumerate(b, start=1):
            previous, row[j] = row[j], previous + 1 if ch == other else max(row[j], row[j - 1])
    return row[-1]


def _one_edit(a: str, b: str) -> bool:
    sys.path.insert(0, str(REPO / "scripts"))
    from fieldcorpus.deid.textmatch import within_one_edit

    return within_one_edit(a, b)


def left(kind: str, value: str, text: str) -> bool:
    """Whether the planted identifier `value` survives in `text`."""
    if kind in ("nhs", "phone"):
        # Whisper drops or doubles a digit now and then: a run of 7+ digits that keeps all but
        # two of the planted ones, in order, still is that number.
        return any(
            len(run) >= 7 and _common_subsequence(run, value) >= len(value) - 2
            for run in digit_runs(text)
        )
    if kind == "dob":
        return value[:4] in text  # the year: day and month alone do not single anyone out
    if kind == "postcode":
        compact = re.sub(r"\W", "", text.upper())
        return value.replace(" ", "")[:-2] in compact
    words = [w.lower() for w in re.findall(r"[A-Za-z][A-Za-z'-]+", text)]
    if kind == "street":
        return value.split()[1].lower() in words
    names = [w.lower() for w in value.split() if w.lower() not in {"doctor", "nurse", "mrs", "mr"}]
    return any(w == n or (len(n) >= 5 and _one_edit(w, n)) for n in names for w in words)


def presidio_texts(units: list[dict], item_id: str) -> list[str]:
    """The same Whisper units with every Presidio (UK recognisers on) result replaced."""
    sys.path.insert(0, str(REPO / "bench"))
    from deid_eval import Presidio

    from tests.support.synthetic import Item, Practice, Unit

    global _PRESIDIO
    if _PRESIDIO is None:
        _PRESIDIO = Presidio(uk=True)
    item = Item(item_id, PRACTICE, 1, "2025-03-10", "clinic_review",
                [Unit(u["id"], u["text"]) for u in units])  # fmt: skip
    spans, _ = _PRESIDIO.spans([Practice(PRACTICE, "", "", [], [], [item])])
    texts = []
    for unit in units:
        text = unit["text"]
        for start, end, _ in sorted(spans.get((item_id, unit["id"]), []), reverse=True):
            text = text[:start] + "<PII>" + text[end:]
        texts.append(text)
    return texts


_PRESIDIO = None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tts-python", default=str(REPO / "dev" / ".venv-demo" / "bin" / "python"))
    parser.add_argument("--keep", type=Path, help="keep the audio and the run here")
    parser.add_argument("--rerun", action="store_true", help="run the pipeline again (kept audio)")
    parser.add_argument("--speak", type=Path, help=argparse.SUPPRESS)  # the TTS venv's mode
    args = parser.parse_args(argv)
    if args.speak:
        speak(args.speak)
        return 0
    sys.path.insert(0, str(REPO / "scripts"))
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="deid-spoken-"))
    audio = workdir / "audio"
    audio.mkdir(parents=True, exist_ok=True)
    if not all((audio / f"{item_id}.wav").exists() for item_id, _, _ in DIALOGUES):
        subprocess.run([args.tts_python, __file__, "--speak", str(audio)], check=True)
    study = workdir / "study"
    if args.rerun and study.exists():
        shutil.rmtree(study)
    if not study.exists():
        targets = lay_out(study, audio)
        print(f"pipeline: {run_pipeline(study, targets):.0f} s")
    results = study / "results"
    systems = {"planted": {}, "fieldcorpus": {}}
    try:
        import presidio_analyzer  # noqa: F401

        systems["Presidio+UK"] = {}
    except ImportError:
        print("note: presidio-analyzer is not installed; its column is skipped "
              "(pip install --no-deps -r bench/requirements-deid.txt)")  # fmt: skip
    withheld = []
    for item_id, _, turns in DIALOGUES:
        restricted = units_of(results / "restricted" / "transcripts" / PRACTICE / f"{item_id}.json")
        shareable_path = results / "shareable" / "items" / PRACTICE / f"{item_id}.json"
        if not shareable_path.exists():
            withheld.append(item_id)
        texts = {
            "planted": " ".join(u["text"] for u in restricted),
            "fieldcorpus": " ".join(u["text"] for u in units_of(shareable_path)),
        }
        if "Presidio+UK" in systems:
            texts["Presidio+UK"] = " ".join(presidio_texts(restricted, item_id))
        for _, text in turns:
            for kind, value in plants(text):
                for name, counts in systems.items():
                    found = left(kind, value.replace(" ", "") if kind in ("nhs", "phone")
                                 else value, texts[name])  # fmt: skip
                    total, remaining = counts.get(kind, (0, 0))
                    counts[kind] = (total + 1, remaining + found)
    print(f"{len(DIALOGUES)} dialogues, both demo voices; identifiers left in the text "
          f"('planted' = Whisper's restricted transcript, before pseudonymisation)")  # fmt: skip
    names = list(systems)
    print(f"{'type':<10}{'n':>4}" + "".join(f"{n:>14}" for n in names))
    for kind in TYPES:
        total = systems["planted"].get(kind, (0, 0))[0]
        print(
            f"{kind:<10}{total:>4}"
            + "".join(f"{systems[n].get(kind, (0, 0))[1]:>14}" for n in names)
        )
    sums = [sum(r for _, r in systems[n].values()) for n in names]
    print(f"{'all':<10}{sum(t for t, _ in systems['planted'].values()):>4}"
          + "".join(f"{s:>14}" for s in sums))  # fmt: skip
    if withheld:
        print(f"withheld by the pipeline (no shareable copy): {', '.join(withheld)}")
    print(f"study directory: {workdir}" + ("" if args.keep else " (temporary)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
