"""A generated question that says what one already in the course's bank says — or what an
earlier question of the same batch says — is a near-duplicate; a different question is not, and
another school's bank never counts. Vectors come from the real local model, questions are saved
through quizzes.services.question_create into real PostgreSQL + pgvector."""

import pytest
from django.conf import settings
from django_tenants.utils import schema_context

from ai.embeddings import embedder
from ai.generation.similarity import question_embedding_text
from quizzes import services as quiz_services
from quizzes.generation.apply import duplicate_flags
from quizzes.models import Question
from quizzes.selectors import question_neighbours
from tests.ai.conftest import course_with_people

POWERHOUSE = {
    "kind": "single",
    "stem": "Which organelles are the powerhouses of the cell?",
    "options": [
        {"text": "Mitochondria", "correct": True},
        {"text": "Ribosomes", "correct": False},
        {"text": "Chloroplasts", "correct": False},
    ],
}
# The same question in other words (and other distractors).
POWERHOUSE_AGAIN = {
    "kind": "single",
    "stem": "Which organelles are known as the powerhouses of a cell?",
    "options": [
        {"text": "Mitochondria", "correct": True},
        {"text": "Lysosomes", "correct": False},
        {"text": "Golgi bodies", "correct": False},
    ],
}
CALVIN = {
    "kind": "single",
    "stem": "Where in the chloroplast does the Calvin cycle run?",
    "options": [
        {"text": "In the stroma", "correct": True},
        {"text": "In the thylakoid membranes", "correct": False},
    ],
}


def vector(question: dict) -> list[float]:
    text = question_embedding_text(question["kind"], question["stem"], question["options"], {})
    (embedded,) = embedder().embed([text])
    return embedded


def bank(school, course, question: dict, **extra) -> Question:
    with schema_context(school.schema):
        return quiz_services.question_create(
            course=course,
            embedding=vector(question),
            created_by=school.teacher,
            **question,
            **extra,
        )


def flags(school, course, questions: list[dict]) -> list[bool]:
    with schema_context(school.schema):
        return duplicate_flags(
            course.pk,
            [vector(q) for q in questions],
            threshold=settings.GENERATION_DUPLICATE_SIMILARITY,
        )


def test_the_same_question_in_other_words_is_a_duplicate_of_the_bank(school_a):
    course = course_with_people(school_a)
    bank(school_a, course, POWERHOUSE)

    assert flags(school_a, course, [POWERHOUSE_AGAIN, CALVIN]) == [True, False]


def test_a_different_question_on_the_same_material_is_not_a_duplicate(school_a):
    course = course_with_people(school_a)
    bank(school_a, course, CALVIN)

    assert flags(school_a, course, [POWERHOUSE]) == [False]


def test_a_repeat_inside_one_batch_is_a_duplicate_of_the_earlier_one(school_a):
    course = course_with_people(school_a)

    assert flags(school_a, course, [POWERHOUSE, CALVIN, POWERHOUSE_AGAIN]) == [False, False, True]


def test_a_question_the_teacher_rejected_is_not_offered_again(school_a):
    course = course_with_people(school_a)
    rejected = bank(school_a, course, POWERHOUSE)
    with schema_context(school_a.schema):
        quiz_services.question_reject(rejected, reason="Too easy")

    assert flags(school_a, course, [POWERHOUSE_AGAIN]) == [True]


def test_another_schools_identical_question_does_not_make_a_duplicate(school_a, school_b):
    course_a = course_with_people(school_a)
    course_b = course_with_people(school_b)
    theirs = bank(school_b, course_b, POWERHOUSE)

    assert flags(school_a, course_a, [POWERHOUSE]) == [False]
    # Asked from school A even with school B's course id, B's bank is out of reach.
    with schema_context(school_a.schema):
        assert theirs.pk not in [qid for qid, _ in question_neighbours(course_b.pk, vector(CALVIN))]


def test_another_course_of_the_same_school_does_not_count(school_a):
    biology = course_with_people(school_a)
    chemistry = course_with_people(school_a, code="CHEM-1", name="Chemistry")
    bank(school_a, chemistry, POWERHOUSE)

    assert flags(school_a, biology, [POWERHOUSE]) == [False]


def test_neighbours_are_the_courses_questions_most_similar_first(school_a):
    course = course_with_people(school_a)
    calvin = bank(school_a, course, CALVIN)
    power = bank(school_a, course, POWERHOUSE)
    with schema_context(school_a.schema):
        unembedded = quiz_services.question_create(course=course, **POWERHOUSE_AGAIN)

        found = question_neighbours(course.pk, vector(POWERHOUSE_AGAIN), k=5)

    assert [qid for qid, _ in found] == [power.pk, calvin.pk]  # no vector, not compared
    assert unembedded.pk not in [qid for qid, _ in found]
    assert found[0][1] > settings.GENERATION_DUPLICATE_SIMILARITY > found[1][1]


def test_a_vector_of_the_wrong_size_is_a_clear_error(school_a):
    course = course_with_people(school_a)
    with schema_context(school_a.schema), pytest.raises(ValueError, match="384 numbers"):
        question_neighbours(course.pk, [0.1, 0.2], k=1)
