"""Helpers for question-bank tests: a course in school A with its teacher and a student, valid
content for each kind of question, and the rows an attempt leaves (made directly: the attempt
flow is not what these tests are about)."""

import pytest
from django_tenants.utils import schema_context

from courses import services as course_services

# One well-formed question of each kind, as a teacher or a generator would send it.
VALID = {
    "single": {
        "stem": "Which organelle makes most of a cell's ATP?",
        "options": [
            {"text": "Mitochondrion", "correct": True, "feedback": "Yes: respiration."},
            {"text": "Ribosome"},
            {"text": "Nucleus"},
        ],
    },
    "multiple": {
        "stem": "Which of these are noble gases?",
        "options": [
            {"text": "Neon", "correct": True},
            {"text": "Argon", "correct": True},
            {"text": "Oxygen"},
            {"text": "Nitrogen"},
        ],
    },
    "true_false": {
        "stem": "Water boils at 100 °C at sea level.",
        "options": [{"id": "true", "correct": True}, {"id": "false"}],
    },
    "short_answer": {
        "stem": "Name the molecule cells use to carry energy.",
        "answer": {"accepted": ["ATP", "adenosine triphosphate"]},
    },
    "numeric": {
        "stem": "At what temperature does water boil at sea level?",
        "answer": {"value": 100, "tolerance": 0.5, "unit": "°C"},
    },
    "fill_blank": {
        "stem": "The powerhouse of the cell is the ______.",
        "answer": {"accepted": ["mitochondrion", "mitochondria"]},
    },
}


def course_in(school, code: str = "BIO-101", name: str = "Biology"):
    """A course in ``school`` taught by its teacher and taken by its first student."""
    with schema_context(school.schema):
        course = course_services.course_create(code=code, name=name, created_by=school.teacher)
        course_services.enrollment_add(course=course, user=school.student, role="student")
    return course


@pytest.fixture
def biology(school_a):
    return course_in(school_a)


@pytest.fixture
def bank(school_a, biology):
    """``bank(kind, **overrides)`` adds a question of that kind to Biology (in school A's
    schema, which the caller is in)."""
    from quizzes.services import question_create

    def make(kind: str = "single", **overrides):
        content = {**VALID[kind], **overrides}
        return question_create(course=biology, kind=kind, created_by=school_a.teacher, **content)

    return make


def show_in_attempt(question, student, *, quiz=None, response=None):
    """What the attempt flow will do when a student opens a quiz: a quiz holding the question
    (unless given), an attempt, and the AttemptQuestion pinning the current version."""
    from quizzes.models import Attempt, AttemptQuestion, Quiz, QuizItem

    if quiz is None:
        quiz = Quiz.objects.create(course=question.course, title="Pinned")
        QuizItem.objects.create(quiz=quiz, question=question, position=1)
    number = Attempt.objects.filter(quiz=quiz, student=student).count() + 1
    attempt = Attempt.objects.create(quiz=quiz, student=student, number=number)
    return AttemptQuestion.objects.create(
        attempt=attempt,
        question=question,
        version=question.current_version,
        position=1,
        response=response,
    )
