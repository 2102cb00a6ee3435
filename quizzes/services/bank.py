"""Writes on the question bank: one function per state change, called by the pages, the API,
the generation job and the importers alike.

Versioning: a question's wording and key live in QuestionVersion rows. ``question_update``
rewrites the current version while no attempt has shown it, and creates a new version once one
has (the attempt keeps the version it saw)."""

from typing import Any, TypedDict

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import User
from courses.models import Course
from smartedu.db import max_length

from ..content import question_content_clean
from ..models import (
    AttemptQuestion,
    Difficulty,
    GenerationJob,
    LiveRound,
    Question,
    QuestionVersion,
    Quiz,
)

TAG_FIELDS = ("topic", "objective", "difficulty")


class QuestionSource(TypedDict, total=False):
    """Where a question came from: the passage that supports its key, and the quote from it."""

    chunk_id: int | None
    material_id: int | None
    page: int | None
    section: str
    quote: str


def _clean_tags(tags: dict[str, object]) -> dict[str, str]:
    unknown = sorted(set(tags) - set(TAG_FIELDS))
    if unknown:
        # A misspelt field silently ignored would look to the caller like a saved edit.
        raise ValidationError({name: "Not a field of a question." for name in unknown})
    cleaned: dict[str, str] = {}
    for name in TAG_FIELDS:
        if name not in tags:
            continue
        value = " ".join(str(tags[name] or "").split())
        if name == "difficulty":
            if value not in Difficulty.values:
                raise ValidationError(
                    {"difficulty": f"Difficulty is one of {', '.join(Difficulty.values)}."}
                )
        else:
            limit = max_length(Question, name)
            if len(value) > limit:
                raise ValidationError({name: f"At most {limit} characters."})
        cleaned[name] = value
    return cleaned


@transaction.atomic
def question_create(
    *,
    course: Course,
    kind: str,
    stem: str,
    options: list[dict[str, Any]] | None = None,
    answer: dict[str, Any] | None = None,
    explanation: str = "",
    created_by: User | None = None,
    status: str = Question.Status.DRAFT,
    origin: str = Question.Origin.MANUAL,
    source: QuestionSource | None = None,
    generation_job: GenerationJob | None = None,
    generator: str = "",
    embedding: list[float] | None = None,
    embedding_model: str = "",
    **tags: object,
) -> Question:
    """Add a question to ``course``'s bank with its first version. ``source`` carries where it
    came from: ``{"chunk_id", "material_id", "page", "section", "quote"}``. Content is cleaned
    and checked by quizzes.content (ValidationError on anything half-formed)."""
    content = question_content_clean(
        kind=kind, stem=stem, options=options, answer=answer, explanation=explanation
    )
    source = source or {}
    question = Question.objects.create(
        course=course,
        kind=kind,
        status=status,
        origin=origin,
        source_chunk_id=source.get("chunk_id"),
        source_material_id=source.get("material_id"),
        source_page=source.get("page"),
        source_section=(source.get("section") or "")[:500],
        source_quote=source.get("quote") or "",
        generation_job=generation_job,
        generator=generator[:200],
        embedding=embedding,
        embedding_model=embedding_model if embedding is not None else "",
        created_by=created_by,
        **_clean_tags(tags),
    )
    version = QuestionVersion.objects.create(
        question=question, number=1, created_by=created_by, **content
    )
    question.current_version = version
    question.save(update_fields=["current_version"])
    return question


def version_was_shown(version: QuestionVersion) -> bool:
    """Whether any attempt or live round has shown this version to students (it is then
    frozen: they are graded against it)."""
    return (
        AttemptQuestion.objects.filter(version=version).exists()
        or LiveRound.objects.filter(version=version).exists()
    )


@transaction.atomic
def question_update(
    question: Question,
    *,
    edited_by: User | None = None,
    stem: str | None = None,
    options: list[dict[str, Any]] | None = None,
    answer: dict[str, Any] | None = None,
    explanation: str | None = None,
    kind: str | None = None,
    **tags: object,
) -> Question:
    """Change a question's content and/or tags. Content not given stays as it is. Returns the
    question with ``current_version`` pointing at the version now in force."""
    question = Question.objects.select_for_update().get(pk=question.pk)
    current = question.current
    cleaned_tags = _clean_tags(tags)
    content_given = any(v is not None for v in (stem, options, answer, explanation, kind))
    if content_given:
        new_kind = kind or question.kind
        if new_kind != question.kind and (
            AttemptQuestion.objects.filter(question=question).exists()
            or LiveRound.objects.filter(question=question).exists()
        ):
            # The type is the question's, not the version's: a shown version graded as another
            # type would change results already given.
            raise ValidationError(
                {
                    "kind": "Students have seen this question, so its type cannot change; "
                    "write a new question instead."
                }
            )
        content = question_content_clean(
            kind=new_kind,
            stem=current.stem if stem is None else stem,
            options=(current.options if options is None else options),
            answer=(current.answer if answer is None else answer),
            explanation=current.explanation if explanation is None else explanation,
        )
        unchanged = new_kind == question.kind and all(
            getattr(current, name) == value for name, value in content.items()
        )
        if not unchanged:
            if version_was_shown(current):
                current = QuestionVersion.objects.create(
                    question=question,
                    number=current.number + 1,
                    created_by=edited_by,
                    **content,
                )
                question.current_version = current
            else:
                for name, value in content.items():
                    setattr(current, name, value)
                current.save(update_fields=list(content))
            question.kind = new_kind
            # The wording changed: the next generation job embeds it again before it looks
            # for duplicates (quizzes.generation.apply).
            question.embedding = None
            question.embedding_model = ""
    for name, value in cleaned_tags.items():
        setattr(question, name, value)
    question.save()
    return question


def question_accept(question: Question) -> Question:
    question.status = Question.Status.ACCEPTED
    question.rejection_reason = ""
    question.save(update_fields=["status", "rejection_reason", "updated_at"])
    return question


def question_reject(question: Question, *, reason: str = "") -> Question:
    """Mark the question rejected. Refused while a published quiz uses it: students would go on
    being asked a question the teacher has rejected."""
    published = list(
        Quiz.objects.filter(items__question=question, state=Quiz.State.PUBLISHED)
        .order_by("title")
        .values_list("title", flat=True)
    )
    if published:
        raise ValidationError(
            "This question is in a published quiz ("
            + ", ".join(f"“{title}”" for title in published)
            + "); take it out of the quiz or unpublish the quiz first."
        )
    question.status = Question.Status.REJECTED
    question.rejection_reason = " ".join((reason or "").split())[:300]
    question.save(update_fields=["status", "rejection_reason", "updated_at"])
    return question


@transaction.atomic
def questions_bulk_accept(course: Course, question_ids: list[int]) -> int:
    """Accept these drafts of ``course`` at once; ids of other courses are ignored. Returns how
    many changed."""
    return Question.objects.filter(
        course=course, pk__in=question_ids, status=Question.Status.DRAFT
    ).update(status=Question.Status.ACCEPTED, rejection_reason="")


def question_delete(question: Question) -> None:
    """Delete a question that no quiz uses and no attempt has shown; otherwise refuse (reject
    it instead, which keeps the history)."""
    if question.quiz_items.exists():
        raise ValidationError("This question is in a quiz; remove it from the quiz first.")
    if AttemptQuestion.objects.filter(question=question).exists():
        raise ValidationError(
            "Students have seen this question, so it is kept for their results; reject it instead."
        )
    question.delete()
