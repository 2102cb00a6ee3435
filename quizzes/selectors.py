"""Reads on the question bank and quizzes.

The bank holds answer keys, so only people who manage a course (its teachers, the school's
admins, API keys) read it; students only ever see published quizzes, and never their keys
from here. Finding one quiz, question or job as the asking person (404 / 403) is
``quizzes.access``'s; these read inside a course the caller has already been let into."""

import math
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from pgvector.django import CosineDistance

from ai.models import EMBEDDING_DIMENSIONS
from courses.models import Course
from courses.selectors import Principal, can_manage_course

from .models import AttemptQuestion, GenerationJob, Question, QuestionVersion, Quiz, QuizItem

BANK_FILTERS = ("status", "kind", "topic", "objective", "difficulty", "job", "material", "search")


def question_list(course: Course, **filters: Any) -> QuerySet[Question]:
    """The course's bank, newest first, narrowed by ``filters`` (any of BANK_FILTERS; ``job`` is
    a generation job id, ``material`` a material id, ``search`` words in the current wording)."""
    questions = (
        Question.objects.filter(course=course)
        .select_related("current_version", "source_material")
        .defer("embedding")
        .order_by("-created_at", "-id")
    )
    for name in ("status", "kind", "difficulty"):
        if filters.get(name):
            questions = questions.filter(**{name: filters[name]})
    if filters.get("topic"):
        questions = questions.filter(topic__iexact=filters["topic"])
    if filters.get("objective"):
        questions = questions.filter(objective__iexact=filters["objective"])
    if filters.get("job"):
        questions = questions.filter(generation_job_id=filters["job"])
    if filters.get("material"):
        questions = questions.filter(source_material_id=filters["material"])
    if filters.get("search"):
        for word in str(filters["search"]).split()[:10]:
            questions = questions.filter(current_version__stem__icontains=word)
    return questions


def question_versions(question: Question) -> QuerySet[QuestionVersion]:
    """Every version of the question, oldest first, each with ``shown``: whether an attempt
    has shown it to a student (it is then frozen)."""
    return (
        QuestionVersion.objects.filter(question=question)
        .annotate(shown=Exists(AttemptQuestion.objects.filter(version=OuterRef("pk"))))
        .order_by("number")
    )


def question_topics(course: Course) -> list[str]:
    """The topics used in the course's bank, for filters and suggestions."""
    return list(
        Question.objects.filter(course=course)
        .exclude(topic="")
        .order_by("topic")
        .values_list("topic", flat=True)
        .distinct()
    )


def bank_counts(course: Course) -> dict[str, int]:
    """How many questions of each status the bank holds."""
    rows = Question.objects.filter(course=course).values("status").annotate(n=Count("id"))
    counts = {status: 0 for status in Question.Status.values}
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def quiz_list_for(user: Principal, course: Course) -> QuerySet[Quiz]:
    """The course's quizzes as ``user`` may list them: managers see every quiz, students the
    published ones."""
    quizzes = Quiz.objects.filter(course=course).annotate(
        question_count=Count("items", distinct=True)
    )
    if not can_manage_course(user, course):
        quizzes = quizzes.filter(state=Quiz.State.PUBLISHED)
    return quizzes.order_by("-created_at", "-id")


def quiz_items(quiz: Quiz) -> QuerySet[QuizItem]:
    """The quiz's questions in order, with their current versions."""
    return (
        QuizItem.objects.filter(quiz=quiz)
        .select_related("question__current_version", "question__source_material")
        .defer("question__embedding")
        .order_by("position", "id")
    )


def generation_job_list(course: Course) -> QuerySet[GenerationJob]:
    return (
        GenerationJob.objects.filter(course=course)
        .prefetch_related("materials")
        .order_by("-created_at", "-id")
    )


def published_filter() -> Q:
    return Q(state=Quiz.State.PUBLISHED)


# --- question bank near-duplicates ------------------------------------------------------------


def question_neighbours(
    course_id: int, vector: list[float], k: int = 1, *, model: str | None = None
) -> list[tuple[int, float]]:
    """(question id, cosine similarity) of the ``k`` questions of ``course_id``'s bank nearest
    to ``vector``, most similar first. Questions of every status count (a rejected one too);
    those without an embedding do not. An exact scan through the course index: a course's bank
    holds hundreds of questions, not millions, so no vector index is needed. Runs in the current
    schema, so only this school's bank is searched. With ``model``, only questions embedded by
    that model are compared (another model's vectors live in another space). Raises ValueError
    for a vector of the wrong size or with NaNs."""
    if k <= 0:
        return []
    values = [float(x) for x in vector]
    if len(values) != EMBEDDING_DIMENSIONS:
        raise ValueError(
            f"A query vector needs {EMBEDDING_DIMENSIONS} numbers; this one has {len(values)}."
        )
    if not all(math.isfinite(x) for x in values):
        raise ValueError("A query vector must hold finite numbers only.")
    questions = Question.objects.filter(course_id=course_id, embedding__isnull=False)
    if model is not None:
        questions = questions.filter(embedding_model=model)
    rows = (
        questions.annotate(distance=CosineDistance("embedding", values))
        .order_by("distance", "id")
        .values_list("id", "distance")[:k]
    )
    return [(question_id, 1.0 - float(distance)) for question_id, distance in rows]
