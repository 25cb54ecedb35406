"""Seeded synthetic UK primary-care talk and documents with every planted identifier annotated.

Used by the de-identification harness (bench/deid_eval.py) and the detection tests. Everything is
invented: Faker en_GB names plus a list of diverse UK surnames, NHS numbers only from the test
range 999 000 0000-999 999 9999, phone numbers only from Ofcom's drama ranges, postcodes random
in format. Each practice has a register (some staff and its own name and town) and items in two
waves: cased interviews, lowercase ASR-style interviews and documents.
"""

from __future__ import annotations

import random
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from fieldcorpus.deid.identifiers import nhs_number_is_valid
from fieldcorpus.manifest import RegisterEntry

DIRECT_KINDS = ("person", "practice", "nhs_number", "postcode", "phone", "email", "dob")

# Surnames and first names of people born or living in the UK that Faker's en_GB lists lack.
DIVERSE_SURNAMES = (
    "Patel", "Khan", "Ahmed", "Hussain", "Begum", "Iqbal", "Chaudhry", "Rahman", "Uddin",
    "Mahmood", "Bhatt", "Mistry", "Joshi", "Sandhu", "Dhillon", "Gill", "Okafor", "Adeyemi",
    "Mensah", "Nwosu", "Osei", "Okonkwo", "Adebayo", "Boateng", "Mwangi", "Haile", "Kowalski",
    "Nowak", "Wisniewska", "Zielinski", "Chen", "Wong", "Nguyen", "Yilmaz", "Demir", "Rossi",
    "Santos", "O'Brien", "McDonald", "MacLeod", "O'Neill", "Gallagher", "Llewellyn", "Pryce",
)  # fmt: skip
DIVERSE_FIRST_NAMES = (
    "Aisha", "Priya", "Fatima", "Zainab", "Anjali", "Ngozi", "Amara", "Agnieszka", "Siobhan",
    "Niamh", "Ffion", "Mohammed", "Imran", "Ravi", "Olumide", "Chidi", "Kwame", "Tomasz", "Wei",
    "Rhys", "Callum", "Declan", "Yusuf", "Deepak",
)  # fmt: skip
# Names that are also ordinary English words.
COMMON_WORD_FIRST_NAMES = (
    "Rose", "Grace", "Hope", "Holly", "Ivy", "Daisy", "Dawn", "Joy", "Amber", "Ruby", "Mark",
    "Will", "Frank", "Jack", "Robin", "Faith",
)  # fmt: skip
COMMON_WORD_SURNAMES = (
    "Baker", "Cook", "Green", "Hill", "Wood", "Hall", "Walker", "Turner", "Brown", "White",
    "Young", "King", "Bishop", "Fox", "Bird", "Mason", "Fisher", "Shepherd", "Marsh", "Moss",
    "Little", "Sharp", "Banks", "Rivers", "Brooks", "Lane", "Page", "Bell", "Hunt", "Knight",
)  # fmt: skip
TOWNS = (
    "Bolton", "Wigan", "Preston", "Blackburn", "Burnley", "Oldham", "Rochdale", "Stockport",
    "Salford", "Bury", "Warrington", "Chorley", "Leeds", "Bradford", "Halifax", "Huddersfield",
    "Sheffield", "Doncaster", "Derby", "Nottingham", "Leicester", "Coventry", "Wolverhampton",
    "Swindon", "Reading", "Norwich", "Ipswich", "Exeter", "Plymouth", "Swansea", "Cardiff",
    "Newport", "Dundee", "Aberdeen", "Inverness", "Lancaster", "Carlisle", "Sunderland",
)  # fmt: skip
PRACTICE_WORDS = (
    "Kingfisher", "Riverside", "Oakwood", "Beechwood", "Heather", "Meadowbank", "Larkfield",
    "Fernlea", "Ashgrove", "Willowbrook", "Hawthorn", "Brookside", "Elmtree", "Millbrook",
    "Parkview", "Holmwood", "Castlegate", "Moorside", "Thornbury", "Greenacres",
)  # fmt: skip
PRACTICE_SUFFIXES = ("Surgery", "Medical Centre", "Health Centre", "Medical Practice")
POSTCODE_AREAS = (
    "BL", "PR", "LS", "M", "B", "OL", "SK", "WN", "BD", "HX", "S", "DE", "NG", "LE", "CV",
    "SN", "RG", "NR", "EX", "PL", "SA", "CF", "NP", "DD", "AB", "IV", "LA", "CA", "SR", "EH", "G",
)  # fmt: skip
# Primary-care and asthma jargon that must survive pseudonymisation.
JARGON = (
    "salbutamol", "Ventolin", "Clenil", "Fostair", "Symbicort", "Seretide", "Relvar", "Qvar",
    "Flixotide", "Bricanyl", "montelukast", "prednisolone", "Trimbow", "Spiriva", "spacer",
    "peak flow", "FeNO", "spirometry", "inhaler technique", "asthma action plan", "MART", "SABA",
    "ICS", "QOF", "PCN", "ICB", "NHS", "GP", "ANP", "HCA", "EMIS", "SystmOne", "IMP2ART", "NICE",
    "Accurx", "Ardens", "Turbohaler", "Easyhaler", "Accuhaler", "Ellipta", "MDI", "A&E", "CQC",
    "nebuliser", "Asthma + Lung UK", "BTS", "ARRS", "NHS App", "eConsult", "Aerochamber",
    "Easibreathe", "annual review", "reliever", "preventer",
)  # fmt: skip
# Medicines, clinical and calendar words beyond asthma (NER reads many as names), each with its
# variant for the per-type figures.
MORE_JARGON = (
    ("medicine", ("Metformin", "Gliclazide", "Atorvastatin", "Sertraline", "Amlodipine",
                  "Ramipril", "Omeprazole", "Levothyroxine", "Apixaban", "Bisoprolol",
                  "Lansoprazole", "Citalopram", "Amoxicillin", "Co-codamol", "Naproxen",
                  "Doxycycline", "Mirtazapine", "Furosemide", "Simvastatin", "Empagliflozin")),
    ("clinical", ("Covid", "HbA1c", "eGFR", "Long Covid", "COPD", "ECG", "Diabetes UK",
                  "atrial fibrillation", "hypertension", "NHS 111")),
    ("calendar", ("Christmas", "Easter", "Boxing Day", "Easter Monday", "Ramadan", "Diwali",
                  "Bonfire Night", "New Year", "Good Friday", "Hogmanay")),
)  # fmt: skip
_NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip

PERSON_TEMPLATES_TALK = (
    "I spoke to {P} about the {J} last week.",
    "So {P} said the {J} figures were too high this year.",
    "Honestly, {P} is the one who runs the {J} clinic.",
    "We had a meeting with {P} and the {J} lead.",
    "{P} thinks the {J} template takes too long.",
    "And then {P} rang back about the {J}.",
    "I think {P} would say the same about {J}.",
    "My husband took me, and {P} went through the {J} with us.",
    "Yeah, {P} asked whether we had looked at the {J} data.",
    "It was {P} who set up the recall for {J} in the end.",
)  # fmt: skip
PERSON_TEMPLATES_DOC = (
    "Reviewed by {P} on the day; {J} checked.",
    "Action: {P} to update the {J} protocol.",
    "Attendees: {P}, {P2} and the {J} lead.",
    "{P} agreed to audit {J} prescribing.",
    "Observation: {P} demonstrated the {J} to the patient.",
)  # fmt: skip
JARGON_TEMPLATES = (
    "We moved a few patients from {J} to {J2} after the review.",
    "The {J} target is on the {J2} dashboard now.",
    "Nobody really checks the {J} unless the {J2} flags it.",
    "They added {J} and {J2} to the template this year.",
    "It comes up at the {J} meeting, usually with {J2}.",
    "Most of the {J} work is done by the {J2}.",
)  # fmt: skip
# A first name that is an ordinary word opening a sentence, before a role or a verb.
OPENING_TEMPLATES = (
    "{PF} the practice nurse did my {J} check.",
    "{PF} rang me back about the {J}.",
    "{PF} said the {J} was fine in the end.",
    "{PF}, the receptionist, booked the {J} review.",
)  # fmt: skip
CALENDAR_TEMPLATES = (
    "We shut the {J} clinic over {H}, so it moved.",
    "{H} is always busy, and the {J} recalls pile up.",
    "I was on {M} before {H} and then {M2} after.",
)  # fmt: skip
IDENTIFIER_TEMPLATES = (
    ("nhs_number", "Her NHS number is {X}, if you need it."),
    ("nhs_number", "NHS no. {X}"),
    ("nhs_number", "I read out the number, {X}, and they found her."),
    ("postcode", "She lives over at {X}, near the park."),
    ("postcode", "Postcode {X}."),
    ("postcode", "We cover {X} and the streets round it."),
    ("phone", "Ring the surgery on {X} for the {J} clinic."),
    ("phone", "Tel: {X}"),
    ("phone", "My mobile is {X}, call after five."),
    ("email", "Email {X} about the {J} audit."),
    ("email", "Contact: {X}"),
    ("dob", "She was born on {X}, so she's in the {J} cohort."),
    ("dob", "DOB: {X}"),
    ("dob", "Date of birth {X}."),
    ("practice", "I've worked at {X} for nine years."),
    ("practice", "{X} runs its {J} clinic on a Tuesday."),
    ("practice", "We compared our {J} figures with {X}."),
    ("town", "Most of our patients are from {X} itself."),
    ("town", "I moved here from {X} a few years ago."),
    ("town", "The {J} hub is over in {X}."),
)  # fmt: skip


@dataclass
class Planted:
    start: int
    end: int
    kind: str
    variants: tuple[str, ...] = ()
    entity: str = ""
    registered: bool = False
    ambiguous: bool = False


@dataclass
class Unit:
    id: str
    text: str
    planted: list[Planted] = field(default_factory=list)


@dataclass
class Item:
    item_id: str
    practice: str
    wave: int
    collected_on: str
    kind: str
    units: list[Unit]


@dataclass
class Person:
    key: str
    first: str
    last: str
    title: str
    role: str
    registered: bool = False


@dataclass
class Practice:
    code: str
    name: str
    town: str
    people: list[Person]
    register: list[RegisterEntry]
    items: list[Item] = field(default_factory=list)


class _Builder:
    """Builds one sentence, recording where each planted string lands."""

    def __init__(self):
        self.parts: list[str] = []
        self.planted: list[Planted] = []
        self.length = 0

    def text(self, piece: str) -> None:
        self.parts.append(piece)
        self.length += len(piece)

    def plant(self, piece: str, kind: str, **details) -> None:
        self.planted.append(Planted(self.length, self.length + len(piece), kind, **details))
        self.text(piece)

    def done(self) -> tuple[str, list[Planted]]:
        return "".join(self.parts), self.planted


def _spoken_digits(digits: str, rng: random.Random) -> str:
    words = [("oh" if d == "0" and rng.random() < 0.5 else _NUMBER_WORDS[int(d)]) for d in digits]
    return " ".join(words)


def nhs_number(rng: random.Random) -> str:
    while True:
        digits = "999" + "".join(rng.choice("0123456789") for _ in range(7))
        if nhs_number_is_valid(digits):
            return digits


def _nhs_surface(rng: random.Random) -> tuple[str, str]:
    digits = nhs_number(rng)
    style = rng.choice(("spaced", "plain", "dashed", "spoken"))
    if style == "spaced":
        return f"{digits[:3]} {digits[3:6]} {digits[6:]}", style
    if style == "dashed":
        return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}", style
    if style == "spoken":
        groups = (digits[:3], digits[3:6], digits[6:])
        return ", ".join(_spoken_digits(g, rng) for g in groups), style
    return digits, style


def _postcode_surface(rng: random.Random) -> tuple[str, str]:
    area = rng.choice(POSTCODE_AREAS)
    district = str(rng.randint(1, 29 if len(area) == 1 else 9))
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    inward = f"{rng.randint(0, 9)}{rng.choice(letters)}{rng.choice(letters)}"
    outward = f"{area}{district}"
    style = rng.choice(("standard", "lowercase", "unspaced", "spoken"))
    if style == "lowercase":
        return f"{outward} {inward}".lower(), style
    if style == "unspaced":
        return f"{outward}{inward}", style
    if style == "spoken":
        return f"{area}-{district}, {inward[0]}-{inward[1]}-{inward[2]}", style
    return f"{outward} {inward}", style


def _phone_surface(rng: random.Random) -> tuple[str, str]:
    number = rng.randint(0, 999)
    style, text = rng.choice(
        (
            ("mobile", f"07700 900{number:03d}"),
            ("landline", f"01632 960{number:03d}"),
            ("london", f"020 7946 0{number:03d}"),
            ("manchester", f"0161 496 0{number:03d}"),
            ("international", f"+44 7700 900{number:03d}"),
            ("spoken", None),
            ("international-forms", None),
        )
    )
    if style == "international-forms":
        return _international_phone(rng)
    if text is None:
        text = _spoken_digits(f"07700900{number:03d}", rng)
    return text, style


def _dob_surface(rng: random.Random) -> tuple[str, str]:
    year, month, day = rng.randint(1930, 2015), rng.randint(1, 12), rng.randint(1, 28)
    style = rng.choice(("long", "slashed", "ordinal", "iso"))
    if style == "long":
        return f"{day} {_MONTHS[month - 1]} {year}", style
    if style == "slashed":
        return f"{day:02d}/{month:02d}/{year}", style
    if style == "ordinal":
        suffix = {1: "st", 2: "nd", 3: "rd", 21: "st", 22: "nd", 23: "rd"}.get(day, "th")
        return f"{day}{suffix} of {_MONTHS[month - 1]} {year}", style
    return f"{year}-{month:02d}-{day:02d}", style


def _whisper_digits(digits: str, rng: random.Random) -> tuple[str, str]:
    """A digit string as Whisper writes what it heard: groups split at odd places by full stops,
    commas, question marks or a stray hyphen, an 'O' for a zero, 'double' for a pair."""
    style = rng.choice(("stops", "commas", "question", "hyphen", "letter-o", "double"))
    if style in ("stops", "commas", "question", "hyphen"):
        cuts = sorted(rng.sample(range(2, len(digits) - 1), 2))
        groups = [digits[: cuts[0]], digits[cuts[0] : cuts[1]], digits[cuts[1] :]]
        joiner = {"stops": ". ", "commas": ", ", "question": "? ", "hyphen": " -"}[style]
        if style == "hyphen":
            return f"{groups[0]}{joiner}{''.join(groups[1:])}", style
        return joiner.join(groups), style
    if style == "letter-o":
        return " ".join("O" if d == "0" else d for d in digits), "spoken letter-o"
    words, index = [], 0
    while index < len(digits):
        digit = digits[index]
        word = "oh" if digit == "0" else _NUMBER_WORDS[int(digit)]
        if index + 1 < len(digits) and digits[index + 1] == digit:
            words.append(f"double {word}")
            index += 2
        else:
            words.append(word)
            index += 1
    return " ".join(words), "spoken double"


def _international_phone(rng: random.Random) -> tuple[str, str]:
    """A UK number written for abroad: +44, 0044, a bracketed (0), any spacing."""
    number = rng.randint(0, 999)
    national = rng.choice(
        (f"7700 900{number:03d}", f"20 7946 0{number:03d}", f"116 496 0{number:03d}",
         f"161 496 0{number:03d}", f"1632 960{number:03d}")
    )  # fmt: skip
    area, rest = national.split(" ", 1)
    style = rng.choice(("plus", "plus-zero", "plus-space-zero", "double-zero", "compact"))
    text = {
        "plus": f"+44 {national}",
        "plus-zero": f"+44(0){area} {rest.replace(' ', '')}",
        "plus-space-zero": f"+44 (0){national}",
        "double-zero": f"0044 {national}",
        "compact": f"+44{national.replace(' ', '')}",
    }[style]
    return text, f"international {style}"


def _misspelt(word: str, rng: random.Random) -> str:
    """A drug or clinical word as ASR may spell it: a vowel heard wrong, maybe a silent 'e'."""
    vowels = [i for i, ch in enumerate(word) if ch.lower() in "aeiou" and 0 < i < len(word) - 1]
    if vowels:
        i = rng.choice(vowels)
        word = word[:i] + rng.choice([v for v in "aeiou" if v != word[i].lower()]) + word[i + 1 :]
    if word[-1].lower() not in "aeiou" and rng.random() < 0.5:
        word += "e"
    return word


def _near_miss(word: str, rng: random.Random) -> str:
    """One substitution inside a name, as an ASR engine might spell it."""
    position = rng.randint(1, len(word) - 2)
    vowels, consonants = "aeiou", "bcdfghklmnprstvw"
    pool = vowels if word[position].lower() in vowels else consonants
    choice = rng.choice([c for c in pool if c != word[position].lower()])
    return word[:position] + choice + word[position + 1 :]


class Generator:
    def __init__(self, seed: int):
        from faker import Faker

        self.rng = random.Random(seed)
        self.faker = Faker("en_GB")
        self.faker.seed_instance(seed)
        self.mentioned: set[str] = set()

    # people ----------------------------------------------------------------
    def _person(self, key: str, role: str, taken_first: set, taken_last: set) -> Person:
        rng = self.rng
        for _ in range(200):
            roll = rng.random()
            if roll < 0.2:
                first = rng.choice(COMMON_WORD_FIRST_NAMES)
            elif roll < 0.4:
                first = rng.choice(DIVERSE_FIRST_NAMES)
            else:
                first = self.faker.first_name()
            roll = rng.random()
            if roll < 0.25:
                last = rng.choice(COMMON_WORD_SURNAMES)
            elif roll < 0.55:
                last = rng.choice(DIVERSE_SURNAMES)
            else:
                last = self.faker.last_name()
            if first not in taken_first and last not in taken_last:
                break
        taken_first.add(first)
        taken_last.add(last)
        title = {
            "gp": "Dr",
            "nurse": rng.choice(("Nurse", "Sister")),
            "pharmacist": rng.choice(("Mr", "Ms")),
        }.get(role, rng.choice(("Mr", "Mrs", "Ms", "Miss")))
        return Person(key, first, last, title, role)

    def _practice(self, index: int) -> Practice:
        rng = self.rng
        code = f"S{index + 1:02d}"
        name = f"{rng.choice(PRACTICE_WORDS)} {rng.choice(PRACTICE_SUFFIXES)}"
        town = rng.choice(TOWNS)
        taken_first: set[str] = set()
        taken_last: set[str] = set()
        roles = ["gp", "gp", "nurse", "practice_manager", "receptionist", "pharmacist"]
        roles += ["patient"] * rng.randint(3, 5)
        people = [
            self._person(f"{code}-p{n}", role, taken_first, taken_last)
            for n, role in enumerate(roles)
        ]
        # Every other practice has two people who share a first name: an ambiguous alias.
        if index % 2 == 1:
            twin = self._person(f"{code}-p{len(people)}", "patient", set(), taken_last)
            twin.first = people[-1].first
            people.append(twin)
        register = [
            RegisterEntry(code, "practice", name, (name.split()[0] + " practice",)),
            RegisterEntry(code, "place", town),
        ]
        for person in people[:3]:
            person.registered = True
            aliases = (
                f"{person.title} {person.last}",
                f"{person.title} {person.first} {person.last}",
            )
            register.append(
                RegisterEntry(code, "person", f"{person.first} {person.last}", aliases, person.role)
            )
        return Practice(code, name, town, people, register)

    # mentions --------------------------------------------------------------
    def _ambiguous_first(self, practice: Practice, person: Person) -> bool:
        return sum(p.first == person.first for p in practice.people) > 1

    def _mention(self, builder: _Builder, practice: Practice, person: Person) -> None:
        rng = self.rng
        forms = ["full", "full", "title-surname", "title-full", "first", "possessive", "initial"]
        if person.registered and len(person.last) >= 6:
            forms.append("near-miss")
        if person.registered and len(person.first) >= 5:
            forms.append("short-first")
        form = rng.choice(forms)
        if person.key not in self.mentioned:
            # People are introduced once by full name somewhere in their practice.
            form = "full"
            self.mentioned.add(person.key)
        variants = [form]
        ambiguous = False
        if form == "full":
            text = f"{person.first} {person.last}"
        elif form == "title-surname":
            text = f"{person.title} {person.last}"
            variants.append("titled")
        elif form == "title-full":
            text = f"{person.title} {person.first} {person.last}"
            variants.append("titled")
        elif form == "first":
            text = person.first
            ambiguous = self._ambiguous_first(practice, person)
            variants.append("first-only")
        elif form == "near-miss":
            text = f"{person.first} {_near_miss(person.last, rng)}"
        elif form == "initial":
            # 'Dr A Patel', 'Sarah J. Patel', 'S. Patel': initials beside the name
            text = rng.choice((f"{person.title} {person.first[0]} {person.last}",
                               f"{person.first} {rng.choice('ABCDEFGHJKLMNPRSTW')}. {person.last}",
                               f"{person.first[0]}. {person.last}"))  # fmt: skip
        elif form == "short-first":
            # The register knows 'Bethan Pryce'; talk says 'Beth Pryce': the surname matches,
            # the first name beside it must go too.
            text = f"{person.first[:4].rstrip('-')} {person.last}"
        else:
            text = rng.choice((person.first, f"{person.first} {person.last}"))
            ambiguous = text == person.first and self._ambiguous_first(practice, person)
        words = set(text.split())
        if words & set(COMMON_WORD_FIRST_NAMES + COMMON_WORD_SURNAMES):
            variants.append("common-word")
        if words & set(DIVERSE_FIRST_NAMES + DIVERSE_SURNAMES):
            variants.append("diverse")
        builder.plant(
            text, "person", variants=tuple(variants), entity=person.key,
            registered=person.registered, ambiguous=ambiguous,
        )  # fmt: skip
        if form == "possessive":
            builder.text("'s")

    def _jargon(self, builder: _Builder, slot: tuple[str, str], kind: str) -> None:
        term, variant = slot
        variants = [variant]
        if kind == "asr" and len(term) >= 7 and term.isalpha() and self.rng.random() < 0.3:
            term = _misspelt(term, self.rng)
            variants.append("asr-misspelt")
        builder.plant(term, "jargon", variants=tuple(variants))

    def _fill(
        self, template: str, practice: Practice, slots: dict, kind: str = "talk"
    ) -> tuple[str, list[Planted]]:
        builder = _Builder()
        for piece in re.split(r"(\{[A-Z0-9]+\})", template):
            if not piece.startswith("{"):
                builder.text(piece)
                continue
            name = piece[1:-1]
            if name in ("J", "J2", "H", "M", "M2"):
                self._jargon(builder, slots[name], kind)
            elif name == "PF":
                person = slots[name]
                builder.plant(
                    person.first, "person", entity=person.key, registered=person.registered,
                    variants=("first", "first-only", "common-word", "sentence-opening"),
                    ambiguous=self._ambiguous_first(practice, person),
                )  # fmt: skip
            elif name in ("P", "P2"):
                self._mention(builder, practice, slots[name])
            else:
                kind, surface, variant, registered = slots["X"]
                builder.plant(
                    surface, kind, variants=(variant,), entity=f"{practice.code}:{surface}",
                    registered=registered,
                )  # fmt: skip
        return builder.done()

    def _identifier_slot(
        self, kind: str, practice: Practice, spoken: bool = False
    ) -> tuple[str, str, str, bool]:
        rng = self.rng
        # In ASR text half the numbers come as Whisper writes them.
        whisper = spoken and rng.random() < 0.5
        if kind == "nhs_number":
            if whisper:
                surface, style = _whisper_digits(nhs_number(rng), rng)
                return (kind, surface, f"whisper {style}", False)
            return (kind, *_nhs_surface(rng), False)
        if kind == "postcode":
            return (kind, *_postcode_surface(rng), False)
        if kind == "phone":
            if whisper:
                number = rng.choice(("07700900", "01632960")) + f"{rng.randint(0, 999):03d}"
                surface, style = _whisper_digits(number, rng)
                return (kind, surface, f"whisper {style}", False)
            return (kind, *_phone_surface(rng), False)
        if kind == "dob":
            return (kind, *_dob_surface(rng), False)
        if kind == "email":
            person = rng.choice(practice.people)
            local = f"{person.first}.{person.last}".lower().replace("'", "")
            domain = rng.choice(("nhs.net", "example.org", "example.com"))
            return (kind, f"{local}@{domain}", "email", False)
        if kind == "practice":
            if rng.random() < 0.5:
                return (kind, practice.name, "own-practice", True)
            other = f"{rng.choice(PRACTICE_WORDS)} {rng.choice(PRACTICE_SUFFIXES)}"
            if other == practice.name:
                return (kind, practice.name, "own-practice", True)
            return (kind, other, "other-practice", False)
        town = practice.town if rng.random() < 0.4 else rng.choice(TOWNS)
        own = town == practice.town
        return (kind, town, "own-town" if own else "other-town", own)

    def _jargon_slot(self, category: str | None = None) -> tuple[str, str]:
        rng = self.rng
        if category is None and rng.random() < 0.6:
            return rng.choice(JARGON), "asthma"
        variant, terms = (
            next(c for c in MORE_JARGON if c[0] == category)
            if category
            else rng.choice(MORE_JARGON)
        )
        return rng.choice(terms), variant

    def _sentence(self, practice: Practice, kind: str) -> tuple[str, list[Planted]]:
        rng = self.rng
        slots = {
            "J": self._jargon_slot(),
            "J2": self._jargon_slot(),
            "H": self._jargon_slot("calendar"),
            "M": self._jargon_slot("medicine"),
            "M2": self._jargon_slot("medicine"),
            "P": rng.choice(practice.people),
            "P2": rng.choice(practice.people),
        }
        while slots["P2"] is slots["P"]:
            slots["P2"] = rng.choice(practice.people)
        common = [p for p in practice.people if p.first in COMMON_WORD_FIRST_NAMES]
        roll = rng.random()
        if roll < 0.2:
            template = rng.choice(JARGON_TEMPLATES)
        elif roll < 0.27:
            template = rng.choice(CALENDAR_TEMPLATES)
        elif roll < 0.33 and common and kind != "document":
            template = rng.choice(OPENING_TEMPLATES)
            slots["PF"] = rng.choice(common)
        elif roll < 0.65:
            pool = PERSON_TEMPLATES_DOC if kind == "document" else PERSON_TEMPLATES_TALK
            template = rng.choice(pool)
        else:
            identifier_kind, template = rng.choice(IDENTIFIER_TEMPLATES)
            slots["X"] = self._identifier_slot(identifier_kind, practice, kind == "asr")
        return self._fill(template, practice, slots, kind)

    def _item(self, practice: Practice, wave: int, number: int, kind: str) -> Item:
        rng = self.rng
        month = 3 if wave == 1 else 9
        collected_on = f"2025-{month:02d}-{10 + number:02d}"
        item_id = f"{practice.code}-W{wave}-{kind[:3].upper()}-{number:02d}"
        units = []
        for index in range(rng.randint(10, 16)):
            text, planted = self._sentence(practice, kind)
            if kind == "asr":
                text = text.lower()
                for plant in planted:
                    if plant.kind in ("person", "practice", "town"):
                        plant.variants = (*plant.variants, "lowercase")
            units.append(Unit(f"u{index + 1}", text, planted))
        item_kind = {"asr": "interview", "talk": "interview"}.get(kind, kind)
        return Item(item_id, practice.code, wave, collected_on, item_kind, units)

    def generate(self, practices: int = 12) -> list[Practice]:
        result = []
        for index in range(practices):
            practice = self._practice(index)
            for wave in (1, 2):
                for number, kind in enumerate(("talk", "asr", "document"), start=1):
                    practice.items.append(self._item(practice, wave, number, kind))
            result.append(practice)
        return result


def generate(seed: int, practices: int = 12) -> list[Practice]:
    """The synthetic study for `seed`: the same seed always gives the same text."""
    return Generator(seed).generate(practices)


# -- running the pipeline's stack and scoring ---------------------------------------------------
def item_units(item: Item) -> list[dict]:
    return [{"id": unit.id, "text": unit.text} for unit in item.units]


def pseudonymise_study(
    study: list[Practice], settings: dict, allow_list: frozenset[str], nlp, workdir: Path
) -> tuple[dict, float]:
    """Detection, the practice ledgers (under `workdir`) and replacement, as the pipeline runs
    them. Returns ({(item id, unit id): [(start, end, pseudonym)]}, seconds spent detecting)."""
    from fieldcorpus.deid.entities import detect_entities
    from fieldcorpus.deid.ledger import Ledger, order_key, update_ledger
    from fieldcorpus.deid.pseudonymise import pseudonymise_units

    spans: dict = {}
    elapsed = 0.0
    for practice in study:
        ordered = []
        for item in practice.items:
            started = time.perf_counter()
            detections = detect_entities(
                item_units(item), practice.code, practice.register, allow_list, settings, nlp
            )
            elapsed += time.perf_counter() - started
            key = order_key({"item_id": item.item_id, "wave": item.wave,
                             "collected_on": item.collected_on})  # fmt: skip
            ordered.append((item.item_id, key, detections))
        ledger_path = workdir / f"{practice.code}.tsv"
        update_ledger(ledger_path, ordered, practice.register)
        ledger = Ledger.read(ledger_path)
        for item_id, key, detections in ordered:
            item = next(i for i in practice.items if i.item_id == item_id)
            _, log = pseudonymise_units(item_id, item_units(item), detections, ledger, key)
            for row in log:
                spans.setdefault((item_id, row["unit_id"]), []).append(
                    (row["start"], row["end"], row["replacement"])
                )
    return spans, elapsed


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
                        kept = not any(i in covered for i in chars)
                        removed["jargon kept"].append(kept)
                        for variant in plant.variants:
                            removed[f"jargon kept: {variant}"].append(kept)
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
