"""Writes on the question bank: one function per state change, called by the pages, the API,
the generation job and the importers alike.

Versioning: a question's wording and key live in QuestionVersion rows. ``question_update``
rewrites the current version while no attempt has shown it, and creates a new version once one
has (the attempt keeps the version it saw)."""

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import User
from courses.models import Course

from .content import question_content_clean
from .models import AttemptQuestion, Difficulty, Question, QuestionVersion

TAG_FIELDS = ("topic", "objective", "difficulty")


def _clean_tags(tags: dict) -> dict:
    cleaned = {}
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
            limit = Question._meta.get_field(name).max_length
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
    options=None,
    answer=None,
    explanation: str = "",
    created_by: User | None = None,
    status: str = Question.Status.DRAFT,
    origin: str = Question.Origin.MANUAL,
    source: dict | None = None,
    generation_job=None,
    generator: str = "",
    embedding: list[float] | None = None,
    **tags,
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
    """Whether any attempt has shown this version to a student (it is then frozen)."""
    return AttemptQuestion.objects.filter(version=version).exists()


@transaction.atomic
def question_update(
    question: Question,
    *,
    edited_by: User | None = None,
    stem=None,
    options=None,
    answer=None,
    explanation=None,
    kind: str | None = None,
    **tags,
) -> Question:
    """Change a question's content and/or tags. Content not given stays as it is. Returns the
    question with ``current_version`` pointing at the version now in force."""
    question = Question.objects.select_for_update().get(pk=question.pk)
    current = question.current_version
    content_given = any(v is not None for v in (stem, options, answer, explanation, kind))
    if content_given:
        new_kind = kind or question.kind
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
            # The wording changed: its duplicate-detection vector is recomputed on demand.
            question.embedding = None
    for name, value in _clean_tags(tags).items():
        setattr(question, name, value)
    question.save()
    return question


def question_accept(question: Question) -> Question:
    question.status = Question.Status.ACCEPTED
    question.rejection_reason = ""
    question.save(update_fields=["status", "rejection_reason", "updated_at"])
    return question


def question_reject(question: Question, *, reason: str = "") -> Question:
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
