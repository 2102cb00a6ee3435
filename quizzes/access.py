"""Who may open what of the quizzes app: a quiz, a bank question, a generation job, a live
session. Built on ``courses.access`` and with its two answers: what a principal may not see
does not exist for them (``NotFound``), what they may see but not change is ``Forbidden``.

The bank and generation jobs hold answer keys, so only the people who run a course (its
teachers, the school's admins, API keys) open them; students only ever see published quizzes.
When the URL names a course (``course=``), an id from another course is not found either. The
pages, the API views and the consumers call these, nothing else decides."""

from typing import TypeVar

from django.db.models import Model, Prefetch, QuerySet

from courses.access import MANAGER_ONLY, Principal
from courses.models import Course
from courses.selectors import can_manage_course, course_list_for
from smartedu.errors import Forbidden, NotFound

from .live.selectors import live_session_get
from .models import GenerationJob, LiveSession, Question, Quiz

__all__ = [
    "MANAGER_ONLY",
    "generation_job_access",
    "live_session_access",
    "question_access",
    "quiz_access",
]


M = TypeVar("M", bound=Model)


def _in_courses_of(
    principal: Principal, objects: QuerySet[M], course: Course | None
) -> QuerySet[M]:
    """``objects`` of the courses ``principal`` sees (of ``course`` alone, when given)."""
    objects = objects.filter(course__in=course_list_for(principal, include_archived=True))
    return objects if course is None else objects.filter(course=course)


def _not_found(what: str, course: Course | None) -> NotFound:
    return NotFound(f"No such {what} in this course." if course else f"No such {what}.")


def quiz_access(
    principal: Principal,
    quiz_id: int,
    *,
    course: Course | None = None,
    manage: bool = False,
    denied: str = MANAGER_ONLY,
) -> Quiz:
    """The quiz if ``principal`` may see it: any quiz of a course they run, a published one of
    a course they take. With ``manage``, Forbidden (``denied``) unless they run its course.
    Reads only: the quiz, and whether the principal runs its course."""
    quizzes = _in_courses_of(principal, Quiz.objects.select_related("course"), course)
    quiz = quizzes.filter(pk=quiz_id).first()
    if quiz is None:
        raise _not_found("quiz", course)
    managing = can_manage_course(principal, quiz.course)
    if not managing and quiz.state != Quiz.State.PUBLISHED:
        raise NotFound("No such quiz.")
    if manage and not managing:
        raise Forbidden(denied)
    return quiz


def question_access(
    principal: Principal,
    question_id: int,
    *,
    course: Course | None = None,
    denied: str = MANAGER_ONLY,
) -> Question:
    """A bank question (with its current version and source) of a course ``principal`` runs:
    NotFound when they do not see its course, Forbidden (``denied``) when they only take it."""
    questions = Question.objects.select_related(
        "course", "current_version", "source_material"
    ).defer("embedding")
    question = _in_courses_of(principal, questions, course).filter(pk=question_id).first()
    if question is None:
        raise _not_found("question", course)
    if not can_manage_course(principal, question.course):
        raise Forbidden(denied)
    return question


def generation_job_access(
    principal: Principal,
    job_id: int,
    *,
    course: Course | None = None,
    denied: str = MANAGER_ONLY,
) -> GenerationJob:
    """A generation job (with its materials) of a course ``principal`` runs; NotFound and
    Forbidden as for questions."""
    jobs = GenerationJob.objects.select_related("course").prefetch_related(Prefetch("materials"))
    job = _in_courses_of(principal, jobs, course).filter(pk=job_id).first()
    if job is None:
        raise _not_found("generation job", course)
    if not can_manage_course(principal, job.course):
        raise Forbidden(denied)
    return job


def live_session_access(
    principal: Principal, quiz_id: int, session_id: int, *, course: Course
) -> LiveSession:
    """A live session of a quiz of ``course`` that ``principal`` runs (its host screen and
    controls): NotFound for a quiz or session they may not see, Forbidden when they only take
    the course. Who joins a session by its code is ``quizzes.live``'s to say."""
    quiz = quiz_access(principal, quiz_id, course=course, manage=True)
    session = live_session_get(quiz, session_id)
    if session is None:
        raise NotFound("No such live session of this quiz.")
    return session
