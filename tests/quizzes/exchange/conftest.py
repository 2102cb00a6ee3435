"""A quiz in school A with one question of every kind (text that needs escaping in GIFT,
Markdown, tags, a citation, points, a unit), and helpers to compare questions across formats."""

import pytest
from django_tenants.utils import schema_context

from tests.ai.conftest import course_with_people

# (kind, content, tags, points, source) in quiz order.
QUESTIONS = [
    (
        "single",
        {
            "stem": "Which organelle makes most of a cell's **ATP**?\n"
            "Mind the specials: ratio 2:1, {braces}, #hash, ~tilde, a = b, back\\slash.",
            "options": [
                {
                    "text": "Mitochondrion = powerhouse",
                    "correct": True,
                    "feedback": "Yes: respiration #1.",
                },
                {"text": "Ribosome ~ protein factory", "feedback": "No: that makes proteins."},
                {"text": "Nucleus {DNA}"},
            ],
            "explanation": "Cellular respiration happens in mitochondria.\nSee chapter 3.",
        },
        {"topic": "Cell biology", "objective": "Explain where ATP is made", "difficulty": "easy"},
        2,
        {"quote": "Mitochondria make most of the ATP.", "page": 4},
    ),
    (
        "multiple",
        {
            "stem": "Which of these are noble gases?",
            "options": [
                {"text": "Neon", "correct": True},
                {"text": "Argon", "correct": True},
                {"text": "Oxygen", "feedback": "Oxygen is reactive."},
                {"text": "Nitrogen"},
            ],
            "explanation": "Group 18.",
        },
        {"topic": "Chemistry", "difficulty": "medium"},
        1.5,
        None,
    ),
    (
        "true_false",
        {
            "stem": "Water boils at 100 °C at sea level.",
            "options": [{"id": "true", "correct": True}, {"id": "false"}],
        },
        {"difficulty": "hard"},
        1,
        None,
    ),
    (
        "short_answer",
        {
            "stem": "Give the chemical symbol for sodium.",
            "answer": {"accepted": ["Na"], "case_sensitive": True},
            "explanation": "From the Latin natrium.",
        },
        {"topic": "Chemistry"},
        1,
        None,
    ),
    (
        "numeric",
        {
            "stem": "At what temperature does water boil at sea level?",
            "answer": {"value": 100, "tolerance": 0.5, "unit": "°C"},
        },
        {"topic": "Physics"},
        1,
        None,
    ),
    (
        "fill_blank",
        {
            "stem": "The powerhouse of the cell is the ____.",
            "answer": {"accepted": ["mitochondrion", "mitochondria"]},
        },
        {"topic": "Cell biology"},
        1,
        None,
    ),
    (
        "fill_blank",
        {
            "stem": "Cells store energy as: ____",
            "answer": {"accepted": ["ATP"]},
        },
        {},
        1,
        None,
    ),
    (
        "numeric",
        {
            "stem": "What is -40.5 plus zero?",
            "answer": {"value": -40.5, "tolerance": 0.25},
            "explanation": "Adding zero changes nothing.",
        },
        {},
        1,
        None,
    ),
]


def build_quiz(school, course, **settings):
    """The quiz above in ``course`` (call inside the school's schema)."""
    from quizzes.models import Quiz, QuizItem
    from quizzes.services import question_create

    quiz = Quiz.objects.create(
        course=course,
        title=settings.pop("title", "Cells & energy: unit 1/2"),
        description=settings.pop("description", "Covers chapters 1–3."),
        **settings,
    )
    for position, (kind, content, tags, points, source) in enumerate(QUESTIONS, start=1):
        question = question_create(
            course=course,
            kind=kind,
            created_by=school.teacher,
            status="accepted",
            source=source,
            **content,
            **tags,
        )
        QuizItem.objects.create(quiz=quiz, question=question, position=position, points=points)
    return quiz


@pytest.fixture
def quiz_a(school_a):
    course = course_with_people(school_a, code="EXCH-1", name="Exchange")
    with schema_context(school_a.schema):
        return build_quiz(
            school_a,
            course,
            time_limit_minutes=30,
            shuffle_questions=True,
            shuffle_options=True,
            show_feedback="immediately",
        )


@pytest.fixture
def other_course_a(school_a):
    return course_with_people(school_a, code="EXCH-2", name="Exchange copy")


def content_of(question) -> dict:
    """What a question says and grades by, independent of ids and bookkeeping."""
    version = question.current_version
    return {
        "kind": question.kind,
        "stem": version.stem,
        "options": [
            (o["id"], o["text"], o["correct"], o.get("feedback", "")) for o in version.options
        ],
        "answer": version.answer,
        "explanation": version.explanation,
        "topic": question.topic,
        "objective": question.objective,
        "difficulty": question.difficulty,
    }


def quiz_contents(quiz) -> list[dict]:
    return [content_of(item.question) for item in quiz.items.order_by("position")]


def imported_contents(report) -> list[dict]:
    from quizzes.models import Question

    by_id = Question.objects.select_related("current_version").in_bulk(report.question_ids)
    return [content_of(by_id[pk]) for pk in report.question_ids]
