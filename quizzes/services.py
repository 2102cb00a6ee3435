"""Writes on the question bank: one function per state change, called by the pages, the API,
the generation job and the importers alike.

Versioning: a question's wording and key live in QuestionVersion rows. ``question_update``
rewrites the current version while no attempt has shown it, and creates a new version once one
has (the attempt keeps the version it saw)."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import User
from courses.models import Course

from .content import question_content_clean
from .models import (
    AttemptQuestion,
    Difficulty,
    LiveRound,
    Question,
    QuestionVersion,
    Quiz,
    QuizItem,
)
from .rendering import clean_text

TAG_FIELDS = ("topic", "objective", "difficulty")


def _clean_tags(tags: dict) -> dict:
    unknown = sorted(set(tags) - set(TAG_FIELDS))
    if unknown:
        # A misspelt field silently ignored would look to the caller like a saved edit.
        raise ValidationError({name: "Not a field of a question." for name in unknown})
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
    embedding_model: str = "",
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
    tags = _clean_tags(tags)
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
    for name, value in tags.items():
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


# --- quizzes -------------------------------------------------------------------------------

QUIZ_SETTING_FIELDS = (
    "title",
    "description",
    "time_limit_minutes",
    "attempts_allowed",
    "shuffle_questions",
    "shuffle_options",
    "show_feedback",
    "opens_at",
    "closes_at",
    "late_minutes",
    "late_penalty_percent",
)
TIME_LIMIT_MAX_MINUTES = 24 * 60
ATTEMPTS_MAX = 100
LATE_MAX_MINUTES = 30 * 24 * 60


def _clean_quiz_settings(values: dict, *, current: Quiz | None = None) -> dict:
    unknown = set(values) - set(QUIZ_SETTING_FIELDS)
    if unknown:
        raise ValidationError({name: "Unknown quiz setting." for name in sorted(unknown)})
    cleaned = dict(values)
    errors = {}
    if "title" in cleaned:
        cleaned["title"] = " ".join(str(cleaned["title"] or "").split())
        if not cleaned["title"]:
            errors["title"] = "A quiz needs a title."
        elif len(cleaned["title"]) > 200:
            errors["title"] = "At most 200 characters."
    if "description" in cleaned:
        cleaned["description"] = clean_text(cleaned["description"], max_length=5000)
    limit = cleaned.get("time_limit_minutes")
    if limit is not None and (
        isinstance(limit, bool)
        or not isinstance(limit, int)
        or not 1 <= limit <= TIME_LIMIT_MAX_MINUTES
    ):
        errors["time_limit_minutes"] = (
            f"A time limit is 1 to {TIME_LIMIT_MAX_MINUTES} minutes (empty for none)."
        )
    attempts = cleaned.get("attempts_allowed")
    if "attempts_allowed" in cleaned and (
        isinstance(attempts, bool)
        or not isinstance(attempts, int)
        or not 0 <= attempts <= ATTEMPTS_MAX
    ):
        errors["attempts_allowed"] = f"Attempts allowed is 0 (unlimited) to {ATTEMPTS_MAX}."
    for flag in ("shuffle_questions", "shuffle_options"):
        if flag in cleaned and not isinstance(cleaned[flag], bool):
            errors[flag] = "Yes or no (true/false)."
    if "show_feedback" in cleaned and cleaned["show_feedback"] not in Quiz.Feedback.values:
        errors["show_feedback"] = f"One of {', '.join(Quiz.Feedback.values)}."
    late = cleaned.get("late_minutes")
    if "late_minutes" in cleaned and (
        isinstance(late, bool) or not isinstance(late, int) or not 0 <= late <= LATE_MAX_MINUTES
    ):
        errors["late_minutes"] = f"Late minutes is 0 (no late work) to {LATE_MAX_MINUTES}."
    penalty = cleaned.get("late_penalty_percent")
    if "late_penalty_percent" in cleaned and (
        isinstance(penalty, bool) or not isinstance(penalty, int) or not 0 <= penalty <= 100
    ):
        errors["late_penalty_percent"] = "The late penalty is 0 to 100 percent."
    for name in ("opens_at", "closes_at"):
        if cleaned.get(name) is not None and not isinstance(cleaned[name], dt.datetime):
            errors[name] = "A date and time (or empty)."
    opens = cleaned.get("opens_at", current.opens_at if current else None)
    closes = cleaned.get("closes_at", current.closes_at if current else None)
    # Every mistake at once: the date order is checked along with the rest when both are dates.
    dates = isinstance(opens, dt.datetime) and isinstance(closes, dt.datetime)
    if dates and "opens_at" not in errors and "closes_at" not in errors and closes <= opens:
        errors["closes_at"] = "The quiz must close after it opens."
    if errors:
        raise ValidationError(errors)
    return cleaned


def _question_ids(question_ids) -> list[int]:
    try:
        return [int(i) for i in question_ids]
    except (TypeError, ValueError):
        raise ValidationError({"questions": "Question ids are whole numbers."}) from None


def quiz_create(*, course: Course, title: str, created_by: User | None = None, **settings) -> Quiz:
    """A draft quiz in ``course`` with these settings (see QUIZ_SETTING_FIELDS)."""
    cleaned = _clean_quiz_settings({"title": title, **settings})
    return Quiz.objects.create(course=course, created_by=created_by, **cleaned)


def quiz_update(quiz: Quiz, **settings) -> Quiz:
    """Change a quiz's title, description or settings. Settings apply to attempts started from
    now on; attempts already started keep the questions they were shown."""
    cleaned = _clean_quiz_settings(settings, current=quiz)
    for name, value in cleaned.items():
        setattr(quiz, name, value)
    quiz.save()
    return quiz


@transaction.atomic
def quiz_questions_add(quiz: Quiz, question_ids: list[int], *, points=1) -> list[QuizItem]:
    """Append these questions of the quiz's course to it, in the order given. A draft is
    accepted as it is added; a rejected question, one of another course or one already in the
    quiz is refused with the reason (nothing is added then)."""
    quiz = Quiz.objects.select_for_update().get(pk=quiz.pk)
    ids = list(dict.fromkeys(_question_ids(question_ids)))
    if not ids:
        raise ValidationError({"questions": "Choose at least one question."})
    found = {q.pk: q for q in Question.objects.filter(course=quiz.course_id, pk__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationError(
            {"questions": f"No such question in this course: {', '.join(map(str, missing))}."}
        )
    rejected = [i for i in ids if found[i].status == Question.Status.REJECTED]
    if rejected:
        raise ValidationError(
            {
                "questions": "Rejected questions cannot go into a quiz: "
                f"{', '.join(map(str, rejected))}. Accept them first."
            }
        )
    already = set(
        QuizItem.objects.filter(quiz=quiz, question_id__in=ids).values_list(
            "question_id", flat=True
        )
    )
    if already:
        raise ValidationError(
            {"questions": f"Already in this quiz: {', '.join(map(str, sorted(already)))}."}
        )
    Question.objects.filter(pk__in=ids, status=Question.Status.DRAFT).update(
        status=Question.Status.ACCEPTED
    )
    last = (
        QuizItem.objects.filter(quiz=quiz)
        .order_by("-position")
        .values_list("position", flat=True)
        .first()
        or 0
    )
    items = [
        QuizItem(quiz=quiz, question_id=qid, position=last + n, points=points)
        for n, qid in enumerate(ids, start=1)
    ]
    return QuizItem.objects.bulk_create(items)


def quiz_question_remove(quiz: Quiz, question_id: int) -> None:
    """Take a question out of the quiz (attempts already made keep it in their results)."""
    deleted, _ = QuizItem.objects.filter(quiz=quiz, question_id=question_id).delete()
    if not deleted:
        raise ValidationError({"question": "That question is not in this quiz."})


@transaction.atomic
def quiz_questions_reorder(quiz: Quiz, question_ids: list[int]) -> None:
    """Put the quiz's questions in this order; the list must name each of them once."""
    items = {i.question_id: i for i in QuizItem.objects.select_for_update().filter(quiz=quiz)}
    ids = _question_ids(question_ids)
    if sorted(ids) != sorted(items):
        raise ValidationError({"questions": "List every question of the quiz exactly once."})
    for position, qid in enumerate(ids, start=1):
        items[qid].position = position
    QuizItem.objects.bulk_update(items.values(), ["position"])


def quiz_publish(quiz: Quiz) -> Quiz:
    """Make the quiz available to the course's students. It needs at least one question, and
    every question in it must be accepted."""
    from django.utils import timezone

    items = QuizItem.objects.filter(quiz=quiz).select_related("question")
    if not items.exists():
        raise ValidationError("Add at least one question before publishing this quiz.")
    not_accepted = [i.question_id for i in items if i.question.status != Question.Status.ACCEPTED]
    if not_accepted:
        raise ValidationError(
            "Every question must be accepted before publishing; not accepted: "
            f"{', '.join(map(str, not_accepted))}."
        )
    quiz.state = Quiz.State.PUBLISHED
    quiz.published_at = quiz.published_at or timezone.now()
    quiz.save(update_fields=["state", "published_at"])
    return quiz


def quiz_unpublish(quiz: Quiz) -> Quiz:
    """Hide the quiz from students again (attempts and results are kept)."""
    quiz.state = Quiz.State.DRAFT
    quiz.save(update_fields=["state"])
    return quiz
