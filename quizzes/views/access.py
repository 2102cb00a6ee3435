"""Who may open what on the bank and quiz pages, and small request helpers shared by them.

Every id is looked up inside the course in the URL, so an id from another course (or school)
is a 404; a course a person may see but not manage is a 403."""

import importlib.util

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from courses import selectors as course_selectors
from courses.models import Course
from quizzes.models import GenerationJob

from .. import selectors
from ..models import Question, Quiz

EXPORT_FORMATS = {"qti": "QTI 2.1", "moodle": "Moodle XML", "gift": "GIFT"}
ACTIVE_JOB_STATES = (GenerationJob.State.QUEUED, GenerationJob.State.RUNNING)
# An htmx form whose input was refused answers 422 with the form again; bank.js swaps it in.
INVALID = 422


def visible_course(request, course_id: int) -> Course:
    return course_selectors.course_get_for(request.user, course_id)


def managed_course(request, course_id: int) -> Course:
    """404 when the person cannot see the course, 403 when they can see but not manage it."""
    course = visible_course(request, course_id)
    if not course_selectors.can_manage_course(request.user, course):
        raise PermissionDenied("Only the course's teachers and the school's admins can do this.")
    return course


def course_question(request, course: Course, question_id: int) -> Question:
    question = selectors.question_get_for(request.user, question_id)
    if question.course_id != course.pk:
        raise Http404("No such question in this course.")
    return question


def course_quiz(request, course: Course, quiz_id: int, *, manage: bool = False) -> Quiz:
    quiz = selectors.quiz_get_for(request.user, quiz_id, manage=manage)
    if quiz.course_id != course.pk:
        raise Http404("No such quiz in this course.")
    return quiz


def course_job(request, course: Course, job_id: int) -> GenerationJob:
    job = selectors.generation_job_get_for(request.user, job_id)
    if job.course_id != course.pk:
        raise Http404("No such generation job in this course.")
    return job


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def back_url(request, fallback: str) -> str:
    """Where a plain (non-htmx) form goes back to: the page it came from, if it is ours."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def exchange_module():
    """quizzes.exchange (QTI, Moodle XML, GIFT) when it is installed in this build."""
    if importlib.util.find_spec("quizzes.exchange") is None:
        return None
    from .. import exchange

    if not (hasattr(exchange, "quiz_export") and hasattr(exchange, "questions_import")):
        return None
    return exchange


def bank_url(course: Course) -> str:
    return reverse("quizzes:bank", kwargs={"course_id": course.pk})
