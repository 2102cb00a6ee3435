"""Small request helpers the bank and quiz pages share. Who may open what is not here: the
pages ask ``courses.access`` and ``quizzes.access``, naming the course in the URL, so an id from
another course (or school) is a 404 and a course a person may see but not manage is a 403."""

import importlib.util

from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from courses.models import Course
from quizzes.models import GenerationJob

EXPORT_FORMATS = {"qti": "QTI 2.1", "moodle": "Moodle XML", "gift": "GIFT"}
ACTIVE_JOB_STATES = (GenerationJob.State.QUEUED, GenerationJob.State.RUNNING)
# An htmx form whose input was refused answers 422 with the form again; bank.js swaps it in.
INVALID = 422


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
