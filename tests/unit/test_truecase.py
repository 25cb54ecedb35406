from fieldcorpus.deid.truecase import case_style, is_ordinary_word, truecase


def test_case_style():
    assert case_style("i spoke to sarah okafor about it.") == "lower"
    assert case_style("PATIENT NAME JOHN SMITH DOB") == "upper"
    assert case_style("I spoke to Sarah about it.") == "mixed"


def test_lowercase_names_are_capitalised_and_offsets_kept():
    text = "i spoke to sarah okafor about her inhaler. then dr hussain rang the surgery."
    cased = truecase(text, frozenset({"inhaler"}))
    assert len(cased) == len(text)
    assert "Sarah Okafor" in cased and "Dr Hussain" in cased
    assert "about her inhaler. Then" in cased and " rang the surgery" in cased
    assert cased.lower() == text


def test_ordinary_lowercase_sentences_keep_their_words():
    text = "that tells me your asthma isn't well controlled, i think."
    assert truecase(text) == "That tells me your asthma isn't well controlled, I think."


def test_mixed_case_text_is_left_alone():
    text = "Sarah met Dr Okafor at the clinic, and karl agreed."
    assert truecase(text) == text


def test_ordinary_words_include_inflections_and_british_spellings():
    for word in ("thinks", "looked", "centre", "colour", "organised", "Will"):
        assert is_ordinary_word(word), word
    for word in ("Okafor", "Hargreaves", "Sarah Patel"):
        assert not is_ordinary_word(word), word


def test_titles_make_the_next_word_a_name_even_a_stop_word():
    assert truecase("so mrs will wells said ms o'neill agreed") == (
        "So Mrs Will Wells said Ms O'Neill agreed"
    )
