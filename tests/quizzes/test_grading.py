"""Grading against the version a student saw: all-or-nothing for one-answer and true/false,
partial credit for multiple answers, tolerance for numbers, forgiving comparison of typed
answers. The key itself always scores 1.0; a response of the wrong shape scores 0, never an
error."""

import pytest

from quizzes.answers import parse_number
from quizzes.content import question_content_clean
from quizzes.grading import grade, key_response
from quizzes.models import QuestionVersion

from .conftest import VALID


def version(kind, **overrides) -> QuestionVersion:
    content = question_content_clean(kind=kind, **{**VALID[kind], **overrides})
    return QuestionVersion(number=1, **content)


@pytest.mark.parametrize(("response", "score"), [({"option": "a"}, 1.0), ({"option": "b"}, 0.0)])
def test_one_answer_is_all_or_nothing(response, score):
    assert grade("single", version("single"), response) == score


@pytest.mark.parametrize(
    ("response", "score"),
    [({"option": "true"}, 1.0), ({"option": "false"}, 0.0), ({"option": "True"}, 0.0)],
)
def test_true_false_is_all_or_nothing(response, score):
    assert grade("true_false", version("true_false"), response) == score


FOUR_OF_WHICH_TWO = VALID["multiple"]  # a, b correct; c, d wrong
THREE_OF_FOUR = {
    "options": [
        {"text": "Neon", "correct": True},
        {"text": "Argon", "correct": True},
        {"text": "Xenon", "correct": True},
        {"text": "Oxygen"},
    ]
}


@pytest.mark.parametrize(
    ("overrides", "picked", "score"),
    [
        ({}, ["a", "b"], 1.0),
        ({}, ["b", "a", "a"], 1.0),  # a repeated pick counts once
        ({}, ["a"], 0.5),  # one missed
        ({}, ["a", "b", "c"], 0.5),  # one wrong extra
        ({}, ["a", "c"], 0.0),  # one right, one wrong
        ({}, ["a", "b", "c", "d"], 0.0),  # everything picked
        ({}, ["c", "d"], 0.0),  # never below zero
        ({}, [], 0.0),
        ({}, ["a", "b", "z"], 1.0),  # an id the question does not have is ignored
        (THREE_OF_FOUR, ["a", "b", "c", "d"], pytest.approx(2 / 3)),  # (3 − 1) / 3
        (THREE_OF_FOUR, ["a", "b"], pytest.approx(2 / 3)),
        (THREE_OF_FOUR, ["a", "b", "c"], 1.0),
    ],
)
def test_multiple_answers_earn_partial_credit(overrides, picked, score):
    assert grade("multiple", version("multiple", **overrides), {"options": picked}) == score


@pytest.mark.parametrize(
    ("typed", "score"),
    [
        ("100", 1.0),
        (100, 1.0),
        (100.0, 1.0),
        ("99.5", 1.0),  # lower edge, included
        ("100.5", 1.0),  # upper edge, included
        ("100.51", 0.0),
        ("99.49", 0.0),
        ("100 °C", 1.0),
        ("100°C", 1.0),
        (" +1.0e2 ", 1.0),
        ("100,0", 1.0),  # a decimal comma
        ("1,00", 0.0),  # that is 1.00
        ("", 0.0),
        ("one hundred", 0.0),
        ("°C 100", 0.0),
        ("100.0.0", 0.0),
        ("nan", 0.0),
        ("inf", 0.0),
        (True, 0.0),
        (None, 0.0),
        (["100"], 0.0),
    ],
)
def test_numeric_answers_within_the_tolerance_score(typed, score):
    assert grade("numeric", version("numeric"), {"value": typed}) == score


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("1,000", 1000.0),
        ("1,000,000.5", 1000000.5),
        ("-1,234 kg", -1234.0),
        ("3.5 m", 3.5),
        ("3,5 m", 3.5),
        ("\u22122", -2.0),  # the minus sign a phone keyboard writes
        (".5", 0.5),
        ("1e999", None),
        ("1,23,4", None),
        ("12,34,567", None),
        ("abc", None),
        ("$5", None),
    ],
)
def test_typed_numbers_are_read_as_a_person_means_them(typed, number):
    assert parse_number(typed) == number


def test_a_thousands_value_matches_with_or_without_separators():
    v = version("numeric", answer={"value": 1000, "tolerance": 0})
    assert grade("numeric", v, {"value": "1,000"}) == 1.0
    assert grade("numeric", v, {"value": "1000"}) == 1.0
    assert grade("numeric", v, {"value": "1,001"}) == 0.0


def test_float_rounding_does_not_cost_a_mark():
    v = version("numeric", answer={"value": 0.3, "tolerance": 0})
    assert grade("numeric", v, {"value": 0.1 + 0.2}) == 1.0


@pytest.mark.parametrize(
    ("typed", "score"),
    [
        ("ATP", 1.0),
        ("atp", 1.0),
        ("  ATP. ", 1.0),
        ("The ATP!", 1.0),
        ("adenosine   TRIPHOSPHATE", 1.0),
        ('"ATP"', 1.0),
        ("ADP", 0.0),
        ("", 0.0),
        (".", 0.0),
        ("ATP synthase", 0.0),
    ],
)
def test_short_answers_are_compared_normalised(typed, score):
    assert grade("short_answer", version("short_answer"), {"text": typed}) == score


@pytest.mark.parametrize(
    ("typed", "score"),
    [("NaCl", 1.0), (" NaCl. ", 1.0), ("The  NaCl", 1.0), ("nacl", 0.0), ("NACL", 0.0)],
)
def test_case_sensitive_answers_only_forgive_spacing_articles_and_end_punctuation(typed, score):
    v = version("short_answer", answer={"accepted": ["NaCl"], "case_sensitive": True})
    assert grade("short_answer", v, {"text": typed}) == score


def test_fill_in_the_blank_accepts_any_listed_answer():
    v = version("fill_blank")
    assert grade("fill_blank", v, {"text": "Mitochondria"}) == 1.0
    assert grade("fill_blank", v, {"text": "the mitochondrion."}) == 1.0
    assert grade("fill_blank", v, {"text": "nucleus"}) == 0.0


def test_an_answer_with_an_ampersand_matches_however_it_was_stored():
    v = version("short_answer", answer={"accepted": ["<i>AT&amp;T</i>"]})
    assert v.answer["accepted"] == ["AT&amp;T"]
    assert grade("short_answer", v, {"text": "AT&T"}) == 1.0


@pytest.mark.parametrize("kind", list(VALID))
def test_the_key_scores_full_marks_for_every_kind(kind):
    v = version(kind)
    assert grade(kind, v, key_response(kind, v)) == 1.0


def test_the_key_of_a_case_sensitive_question_scores_full_marks():
    v = version("short_answer", answer={"accepted": ["NaCl"], "case_sensitive": True})
    assert grade("short_answer", v, key_response("short_answer", v)) == 1.0


MALFORMED = [
    None,
    "a",
    42,
    [],
    ["a"],
    {},
    {"option": None},
    {"option": ["a"]},
    {"option": 1},
    {"options": "a,b"},
    {"options": [1, 2]},
    {"options": None},
    {"text": None},
    {"text": ["ATP"]},
    {"text": 42},
    {"value": {"n": 1}},
    {"value": None},
    {"wrong": "key"},
]


@pytest.mark.parametrize("kind", list(VALID))
@pytest.mark.parametrize("response", MALFORMED, ids=repr)
def test_a_response_of_the_wrong_shape_scores_zero_without_raising(kind, response):
    assert grade(kind, version(kind), response) == 0.0


def test_an_unknown_kind_scores_zero():
    assert grade("essay", version("single"), {"option": "a"}) == 0.0
