from fieldcorpus.identifiers import (
    find_identifiers,
    find_practice_names,
    find_titled_names,
    nhs_number_is_valid,
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
    assert [(h.label, h.score) for h in hits] == [("NHS number", 0.7)]


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
