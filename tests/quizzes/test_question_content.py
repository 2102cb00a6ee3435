"""The content gate: every kind of question is accepted when well formed and normalised into the
stored shape; every malformed shape is refused with words a teacher understands, and nothing of
a refused question is saved."""

import copy
import math

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context

from quizzes.answers import normalize_answer
from quizzes.content import question_content_clean
from quizzes.models import Question, QuestionVersion
from quizzes.services import question_create

from .conftest import VALID


def clean(kind, **overrides):
    return question_content_clean(kind=kind, **{**copy.deepcopy(VALID[kind]), **overrides})


def refusal(kind, **overrides) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        clean(kind, **overrides)
    return caught.value.message_dict


# --- well-formed content, normalised ------------------------------------------------------


def test_a_one_answer_question_gets_ids_a_b_c_and_explicit_flags():
    content = clean("single")
    assert content == {
        "stem": "Which organelle makes most of a cell's ATP?",
        "options": [
            {"id": "a", "text": "Mitochondrion", "correct": True, "feedback": "Yes: respiration."},
            {"id": "b", "text": "Ribosome", "correct": False, "feedback": ""},
            {"id": "c", "text": "Nucleus", "correct": False, "feedback": ""},
        ],
        "answer": {},
        "explanation": "",
    }


def test_a_multiple_answer_question_keeps_every_correct_mark():
    content = clean("multiple")
    assert [(o["id"], o["correct"]) for o in content["options"]] == [
        ("a", True),
        ("b", True),
        ("c", False),
        ("d", False),
    ]


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ([{"id": "true", "correct": True}, {"id": "false"}], "true"),
        ([{"id": "true"}, {"id": "false", "correct": True}], "false"),
        (True, "true"),
        (False, "false"),
        # What language models write: letters for ids, the words in the text.
        ([{"id": "a", "text": "True"}, {"id": "b", "text": "False", "correct": True}], "false"),
    ],
)
def test_a_true_false_question_always_stores_the_two_fixed_options(options, key):
    content = clean("true_false", options=options)
    assert [(o["id"], o["text"]) for o in content["options"]] == [
        ("true", "True"),
        ("false", "False"),
    ]
    assert [o["id"] for o in content["options"] if o["correct"]] == [key]


def test_a_short_answer_question_folds_answers_that_grade_alike():
    content = clean(
        "short_answer", answer={"accepted": ["ATP", " atp. ", "Adenosine  triphosphate", 42]}
    )
    assert content["answer"] == {
        "accepted": ["ATP", "Adenosine triphosphate", "42"],
        "case_sensitive": False,
    }
    assert content["options"] == []


def test_a_case_sensitive_answer_keeps_answers_that_differ_by_case():
    content = clean("short_answer", answer={"accepted": ["NaCl", "NACL"], "case_sensitive": True})
    assert content["answer"] == {"accepted": ["NaCl", "NACL"], "case_sensitive": True}


def test_a_single_accepted_answer_may_be_given_as_a_string():
    assert clean("short_answer", answer={"accepted": "ATP"})["answer"]["accepted"] == ["ATP"]


def test_a_numeric_answer_is_stored_as_floats():
    content = clean("numeric", answer={"value": "1,000", "tolerance": "2.5", "unit": " km "})
    assert content["answer"] == {"value": 1000.0, "tolerance": 2.5, "unit": "km"}
    assert clean("numeric", answer={"value": -3})["answer"] == {
        "value": -3.0,
        "tolerance": 0.0,
        "unit": "",
    }


def test_a_fill_blank_stem_has_its_blank_written_as_four_underscores():
    content = clean("fill_blank")
    assert content["stem"] == "The powerhouse of the cell is the ____."
    assert content["answer"]["accepted"] == ["mitochondrion", "mitochondria"]


def test_text_is_sanitised_on_the_way_in():
    content = clean(
        "single",
        stem="<p>Which   <b>organelle</b>\x00 makes ATP?<script>alert(1)</script></p>",
        explanation="<img src=x onerror=alert(1)>Respiration &amp; energy",
    )
    assert content["stem"] == "Which organelle makes ATP?"
    assert content["explanation"] == "Respiration &amp; energy"


def test_overlong_text_is_cut_with_an_ellipsis():
    content = clean("single", stem="Why " * 1000)
    assert len(content["stem"]) == 2000 and content["stem"].endswith("…")


# --- malformed content, refused -----------------------------------------------------------

CHOICES = VALID["single"]["options"]


@pytest.mark.parametrize(
    ("kind", "overrides", "field", "message"),
    [
        ("single", {"options": None}, "options", "A question needs 2 to 8 options (0 given)."),
        ("single", {"options": []}, "options", "A question needs 2 to 8 options (0 given)."),
        (
            "single",
            {"options": [{"text": "Only", "correct": True}]},
            "options",
            "A question needs 2 to 8 options (1 given).",
        ),
        (
            "single",
            {"options": [{"text": f"O{i}", "correct": i == 0} for i in range(9)]},
            "options",
            "A question needs 2 to 8 options (9 given).",
        ),
        (
            "single",
            {"options": [{"text": "Cell", "correct": True}, {"text": "the cell."}]},
            "options",
            "Option 2 repeats another: “the cell.”.",
        ),
        (
            "single",
            {"options": [{"text": "A"}, {"text": "B"}]},
            "options",
            "A one-answer question needs exactly one correct option (0 marked).",
        ),
        (
            "single",
            {"options": [{"text": "A", "correct": True}, {"text": "B", "correct": True}]},
            "options",
            "A one-answer question needs exactly one correct option (2 marked).",
        ),
        (
            "single",
            # "true" as a string is not a yes: the key must be unambiguous.
            {"options": [{"text": "A", "correct": "true"}, {"text": "B"}]},
            "options",
            "A one-answer question needs exactly one correct option (0 marked).",
        ),
        (
            "multiple",
            {"options": [{"text": "A", "correct": True}, {"text": "B", "correct": True}]},
            "options",
            "A multiple-answer question needs at least one correct and one wrong option "
            "(2 of 2 marked correct).",
        ),
        (
            "multiple",
            {"options": [{"text": "A"}, {"text": "B"}, {"text": "C"}]},
            "options",
            "A multiple-answer question needs at least one correct and one wrong option "
            "(0 of 3 marked correct).",
        ),
        ("single", {"options": "a, b, c"}, "options", "Options must be a list."),
        ("single", {"options": ["A", "B"]}, "options", "Option 1 is not an object."),
        (
            "single",
            {"options": [{"text": ["A"], "correct": True}, {"text": "B"}]},
            "options",
            "Option 1 must be text.",
        ),
        (
            "single",
            {"options": [{"text": "<b></b>", "correct": True}, {"text": "B"}]},
            "options",
            "Option 1 has no text.",
        ),
        (
            "true_false",
            {"options": None},
            "options",
            "Mark exactly one of True and False as correct.",
        ),
        (
            "true_false",
            {"options": [{"id": "true"}, {"id": "false"}]},
            "options",
            "Mark exactly one of True and False as correct.",
        ),
        (
            "true_false",
            {"options": [{"id": "true", "correct": True}, {"id": "false", "correct": True}]},
            "options",
            "Mark exactly one of True and False as correct.",
        ),
        (
            "true_false",
            {"options": "true"},
            "options",
            "Mark exactly one of True and False as correct.",
        ),
        (
            "short_answer",
            {"answer": None},
            "answer",
            "The answer must be an object with accepted answers.",
        ),
        ("short_answer", {"answer": {}}, "answer", "List the accepted answers."),
        (
            "short_answer",
            {"answer": {"accepted": ["", " . ", "<i></i>"]}},
            "answer",
            "Give at least one accepted answer.",
        ),
        (
            "short_answer",
            {"answer": {"accepted": [{"text": "ATP"}]}},
            "answer",
            "An accepted answer must be text.",
        ),
        (
            "fill_blank",
            {"stem": "The powerhouse of the cell is the mitochondrion."},
            "stem",
            "A fill-in-the-blank question marks exactly one blank with ____.",
        ),
        (
            "fill_blank",
            {"stem": "____ is the powerhouse of the ____."},
            "stem",
            "A fill-in-the-blank question marks exactly one blank with ____.",
        ),
        (
            "numeric",
            {"answer": {"tolerance": 1}},
            "answer",
            "A numeric question needs the correct value.",
        ),
        ("numeric", {"answer": "100"}, "answer", "A numeric question needs the correct value."),
        (
            "numeric",
            {"answer": {"value": "about 100"}},
            "answer",
            "The correct value must be a number.",
        ),
        ("numeric", {"answer": {"value": None}}, "answer", "The correct value must be a number."),
        ("numeric", {"answer": {"value": True}}, "answer", "The correct value must be a number."),
        ("numeric", {"answer": {"value": [100]}}, "answer", "The correct value must be a number."),
        (
            "numeric",
            {"answer": {"value": "nan"}},
            "answer",
            "The correct value must be a finite number.",
        ),
        (
            "numeric",
            {"answer": {"value": math.inf}},
            "answer",
            "The correct value must be a finite number.",
        ),
        (
            "numeric",
            {"answer": {"value": 100, "tolerance": "-inf"}},
            "answer",
            "The tolerance must be a finite number.",
        ),
        (
            "numeric",
            {"answer": {"value": 100, "tolerance": -0.5}},
            "answer",
            "The tolerance cannot be negative.",
        ),
        (
            "numeric",
            {"answer": {"value": 100, "tolerance": "a bit"}},
            "answer",
            "The tolerance must be a number.",
        ),
        ("single", {"stem": ""}, "stem", "The question has no text."),
        ("single", {"stem": None}, "stem", "The question has no text."),
        ("single", {"stem": "  <p> </p> "}, "stem", "The question has no text."),
        ("single", {"stem": ["Which organelle?"]}, "stem", "The question must be text."),
        ("single", {"explanation": {"why": "x"}}, "explanation", "The explanation must be text."),
    ],
)
def test_malformed_content_is_refused_with_a_clear_message(kind, overrides, field, message):
    assert refusal(kind, **overrides) == {field: [message]}


@pytest.mark.parametrize("kind", ["essay", "", None, "SINGLE"])
def test_an_unknown_kind_is_refused_naming_the_kinds_there_are(kind):
    with pytest.raises(ValidationError) as caught:
        question_content_clean(kind=kind, stem="What is it?")
    assert caught.value.message_dict == {
        "kind": [
            f"Unknown question type {kind!r}; use one of single, multiple, true_false, "
            "short_answer, numeric, fill_blank."
        ]
    }


def test_normalize_answer_ignores_case_articles_spacing_and_end_punctuation():
    assert normalize_answer("  The  Krebs   cycle. ") == "krebs cycle"
    assert normalize_answer("an Apple!") == "apple"
    assert normalize_answer("Vitamin A") == "vitamin a"
    assert normalize_answer("AT&amp;T") == normalize_answer("at&t") == "at&t"
    assert normalize_answer("The NaCl.", case_sensitive=True) == "NaCl"


# --- nothing saved when the gate refuses ----------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "overrides"),
    [
        ("single", {"options": [{"text": "A"}, {"text": "B"}]}),
        ("multiple", {"options": "A, B"}),
        ("true_false", {"options": None}),
        ("short_answer", {"answer": {"accepted": []}}),
        ("numeric", {"answer": {"value": "nan"}}),
        ("fill_blank", {"stem": "No blank here."}),
        ("essay", {}),
    ],
)
def test_a_refused_question_leaves_the_bank_as_it_was(school_a, biology, bank, kind, overrides):
    with schema_context(school_a.schema):
        existing = bank("single")
        before = (Question.objects.count(), QuestionVersion.objects.count())
        content = {**copy.deepcopy(VALID.get(kind, VALID["single"])), **overrides}
        with pytest.raises(ValidationError):
            question_create(course=biology, kind=kind, created_by=school_a.teacher, **content)
        assert (Question.objects.count(), QuestionVersion.objects.count()) == before == (1, 1)
        assert list(Question.objects.values_list("pk", flat=True)) == [existing.pk]


def test_a_bad_tag_refuses_the_whole_question(school_a, biology):
    with schema_context(school_a.schema):
        with pytest.raises(ValidationError) as caught:
            question_create(
                course=biology, kind="single", difficulty="impossible", **VALID["single"]
            )
        assert caught.value.message_dict == {
            "difficulty": ["Difficulty is one of easy, medium, hard."]
        }
        with pytest.raises(ValidationError) as caught:
            question_create(course=biology, kind="single", topik="Cells", **VALID["single"])
        assert caught.value.message_dict == {"topik": ["Not a field of a question."]}
        assert Question.objects.count() == QuestionVersion.objects.count() == 0


@pytest.mark.parametrize("kind", list(VALID))
def test_each_kind_is_saved_with_its_first_version(school_a, biology, bank, kind):
    with schema_context(school_a.schema):
        question = bank(kind, topic="  Cell   biology ", difficulty="hard")
        question.refresh_from_db()
        version = question.current_version
        assert (question.kind, question.status, question.origin) == (kind, "draft", "manual")
        assert (question.topic, question.difficulty) == ("Cell biology", "hard")
        assert version.number == 1 and version.question_id == question.pk
        assert {
            "stem": version.stem,
            "options": version.options,
            "answer": version.answer,
            "explanation": version.explanation,
        } == clean(kind)


def test_a_numeric_key_written_with_a_decimal_comma_means_what_grading_means():
    from quizzes.content import question_content_clean

    content = question_content_clean(
        kind="numeric", stem="How long?", answer={"value": "2,5", "tolerance": "0,5"}
    )
    assert content["answer"]["value"] == 2.5 and content["answer"]["tolerance"] == 0.5
    grouped = question_content_clean(kind="numeric", stem="How many?", answer={"value": "1,000"})
    assert grouped["answer"]["value"] == 1000.0
