import pytest
from fieldcorpus.deid.identifiers import (
    birth_plausible,
    find_identifiers,
    find_practice_names,
    find_titled_names,
    full_date_year,
    nhs_number_is_valid,
    number_runs,
    reduce_date,
)


def labels(text: str) -> dict[str, str]:
    return {text[h.start : h.end]: h.label for h in find_identifiers(text)}


def test_nhs_number_mod11():
    assert nhs_number_is_valid("9991234578")
    assert not nhs_number_is_valid("9991234577")
    assert not nhs_number_is_valid("123")


def test_nhs_number_spacing_variants():
    for text in ("999 123 4578", "999-123-4578", "9991234578"):
        assert labels(f"NHS number {text} please") == {text: "NHS number"}


def test_invalid_number_near_nhs_cue_still_caught_with_lower_score():
    hits = find_identifiers("her NHS number is 999 123 4568")
    assert [(h.label, h.score) for h in hits] == [("NHS number", 0.85)]


def test_postcode_phone_email_dob():
    text = (
        "Write to LS1 4AB or ls14ab, call 07700 900123 or 01632 960 001, email a.b@example.org; "
        "she was born on 12 March 1984."
    )
    found = labels(text)
    assert found["LS1 4AB"] == "Postcode" and found["ls14ab"] == "Postcode"
    assert found["07700 900123"] == "Phone" and found["01632 960 001"] == "Phone"
    assert found["a.b@example.org"] == "Email"
    assert found["12 March 1984"] == "Date of birth"


def test_a_date_without_a_birth_cue_is_not_a_dob():
    assert "Date of birth" not in labels("The review was on 12 March 2024.").values()


def test_titled_names():
    hits = find_titled_names("Ask Dr Okafor or Nurse Bell, not the doctor.")
    assert [h.label for h in hits] == ["Person", "Person"]


def test_spoken_nhs_and_phone_numbers():
    found = labels("her number is nine nine nine, oh double one, oh oh one eight, okay")
    assert found == {"nine nine nine, oh double one, oh oh one eight": "NHS number"}
    found = labels("ring oh seven seven oh oh, nine oh oh, one two three")
    assert found == {"oh seven seven oh oh, nine oh oh, one two three": "Phone"}
    assert labels("one or two puffs, three times a day") == {}


def test_split_and_spelt_postcodes():
    assert labels("postcode PR-1, 5-L-T please") == {"PR-1, 5-L-T": "Postcode"}
    assert labels("it's p r one five l t") == {"p r one five l t": "Postcode"}
    assert labels("a b one two c d") == {}


def test_ages_over_89_and_iso_birth_dates():
    found = labels("She is aged 94, a 91-year-old, and her sister is 89 years old.")
    assert found == {"aged 94": "Age over 89", "91-year-old": "Age over 89"}
    assert labels("DOB 1984-03-12") == {"1984-03-12": "Date of birth"}


def test_multi_word_titled_names_and_practice_names():
    text = "Dr Sarah Patel and Mrs O'Brien-Smith met Dr McDonald's team."
    assert [text[h.start : h.end] for h in find_titled_names(text)] == [
        "Dr Sarah Patel",
        "Mrs O'Brien-Smith",
        "Dr McDonald",
    ]
    text = "We called Oakwood Medical Centre and St Mary Surgery."
    assert [text[h.start : h.end] for h in find_practice_names(text)] == [
        "Oakwood Medical Centre",
        "St Mary Surgery",
    ]
    lower = "after her knee surgery she moved to Kingfisher surgery and oakwood medical centre"
    found = {lower[h.start : h.end] for h in find_practice_names(lower, lowercase=True)}
    assert found == {"oakwood medical centre", "Kingfisher surgery"}


# Numbers as Whisper writes them (the demo's own leaks and held-out forms); all fictional.
WHISPER_NUMBERS = {
    "Yes, it's 999 -7900749.": ("999 -7900749", "Number"),
    "It's 999 -799 -0749.": ("999 -799 -0749", "NHS number"),
    "My mobile is 077009080. 883.": ("077009080. 883", "Phone"),
    "text me on 077009023? 3.": ("077009023? 3", "Phone"),
    "it's 07700, 9000, 419": ("07700, 9000, 419", "Phone"),
    "Is your number still 077-00, 9-0-0, 4-1-9?": ("077-00, 9-0-0, 4-1-9", "Phone"),
    "call +44(0)20 74960338 today": ("+44(0)20 74960338", "Phone"),
    "or +44(0)7700900947.": ("+44(0)7700900947", "Phone"),
    "ring +44 (0)116 4960418 after six": ("+44 (0)116 4960418", "Phone"),
    "abroad dial 0044 7700 900123": ("0044 7700 900123", "Phone"),
    "it's low 7 7 O O, I know, low, 2 8 7": ("7 7 O O, I know, low, 2 8 7", "Number"),
    "number I-99-096-6540 okay": ("99-096-6540", "Number"),
    "it's 9.9, 0.9, 1.615": ("9.9, 0.9, 1.615", "Number"),
    "call O7700 900123 after lunch": ("O7700 900123", "Phone"),
    "it is 07700 9OO123": ("07700 9OO123", "Phone"),
    "ring (01632) 960 578": ("(01632) 960 578", "Phone"),
    "oh seven seven hundred, nine hundred, four one nine": (
        "oh seven seven hundred, nine hundred, four one nine",
        "Phone",
    ),
    "her NHS number is nine nine nine, treble one, two three four five": (
        "nine nine nine, treble one, two three four five",
        "NHS number",
    ),
}


@pytest.mark.parametrize("text", sorted(WHISPER_NUMBERS))
def test_numbers_as_whisper_writes_them(text):
    surface, label = WHISPER_NUMBERS[text]
    assert labels(text).get(surface) == label


def test_nhs_context_replaces_a_number_whatever_the_mod11_result():
    text = "my NHS number is 999 -790 -0748"
    assert not nhs_number_is_valid("9997900748")
    hits = find_identifiers(text)
    assert [(text[h.start : h.end], h.label) for h in hits] == [("999 -790 -0748", "NHS number")]
    assert hits[0].score < 0.9  # replaced and sent to review
    phone = "my NHS number is on the letter, ring 07700 900419"
    assert labels(phone) == {"07700 900419": "Phone"}
    before = "Can I have your NHS number?"
    assert [h.label for h in find_identifiers("It's 999 790 074.", before)] == ["NHS number"]


def test_numbers_that_are_not_identifiers_stay():
    for text in (
        "in 2019, 2020 and 2021 we met at 10:30",
        "3 puffs twice a day, 2 at night, 400 or 300 on the peak flow",
        "the practice has 12,500 patients and a budget of £2,500,000",
        "one or two puffs, three times a day",
        "between 2023-2024 and 9.30-10.15",
    ):
        assert labels(text) == {}, text


def test_unexplained_seven_digit_runs_go_to_review():
    hits = find_identifiers("the code was 4 2 7 1 9 3 8, I think")
    assert [(h.label, h.score < 0.9) for h in hits] == [("Number", True)]


def test_number_words_become_digits():
    runs = number_runs("nine hundred and fifty four, double seven, fifty four, nineteen")
    assert [r.digits for r in runs] == ["954775419"]


def test_postcodes_glued_to_a_word_and_street_addresses():
    assert labels("you still live in Preston. Post-COPR1 5LT.") == {"COPR1 5LT": "Postcode"}
    assert labels("we're at 14 Meadow Road, Preston") == {"14 Meadow Road": "Address"}


def test_full_dates_as_said_and_their_years():
    text = "It's the 12th of April 1983."
    (hit,) = find_identifiers(text, collected_on="2025-03-20")
    assert (text[hit.start : hit.end], hit.label, hit.birth_plausible) == (
        "the 12th of April 1983",
        "Date",
        True,
    )
    (recent,) = find_identifiers("on 3 March 2023 we met", collected_on="2025-03-20")
    assert recent.label == "Date" and not recent.birth_plausible
    assert full_date_year("the first of August, nineteen sixty") == 1960
    assert full_date_year("12/04/83") == 1983
    assert birth_plausible(1960, "2025-03-20") and not birth_plausible(2021, "2025-03-20")


def test_a_birth_cue_even_misheard_makes_a_date_of_birth():
    text = "your name's of birth. The first of August, 1960"
    assert labels(text) == {"The first of August, 1960": "Date of birth"}
    assert labels("D.O.B: 12-Apr-1983") == {"12-Apr-1983": "Date of birth"}
    assert labels("can you tell me your day to birth? 5 October 1958") == {
        "5 October 1958": "Date of birth"
    }
    # A cue never turns a date after the collection date into a date of birth.
    hits = find_identifiers("born in March 1984, next review 12/03/2026", collected_on="2025-09-01")
    assert [h.label for h in hits] == ["Date of birth", "Date"]


def test_reduce_date_for_event_dates():
    assert reduce_date("12 April 2021", "month") == "April 2021"
    assert reduce_date("the 3rd of sept 2021", "month") == "September 2021"
    assert reduce_date("12/04/2021", "month") == "April 2021"
    assert reduce_date("2021-04-12", "year") == "2021"
