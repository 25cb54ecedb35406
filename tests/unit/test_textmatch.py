from fieldcorpus.deid.textmatch import compile_alternation, normalise, within_one_edit


def test_normalise_folds_case_space_and_possessive():
    assert normalise("  Sarah   MITCHELL's ") == "sarah mitchell"


def test_alternation_is_case_and_whitespace_insensitive_with_word_bounds():
    pattern = compile_alternation(["Sarah Mitchell", "Ann"])
    assert pattern.search("met SARAH\n mitchell today")
    assert pattern.search("sarahmitchell")
    assert pattern.search("Ann's inhaler")
    assert not pattern.search("planning annual reviews")


def test_digit_identifiers_match_any_grouping():
    pattern = compile_alternation(["999 000 0018"])
    assert pattern.search("number 9990000018.")
    assert pattern.search("number 999-000-0018")
    assert not pattern.search("number 19990000018")


def test_within_one_edit():
    assert within_one_edit("mitchell", "mitchel")
    assert within_one_edit("carter", "karter")
    assert within_one_edit("price", "prices")
    assert not within_one_edit("carter", "porter")
