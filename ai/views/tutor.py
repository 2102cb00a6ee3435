"""The tutor pages: the student's conversation (websocket, or a plain form without scripts),
one turn as JSON, and the teacher's traces."""

import re

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from courses import selectors as course_selectors
from courses.access import course_access
from courses.models import Course
from smartedu.errors import NotFound
from tenants.quotas import QuotaExceeded

from .. import selectors
from ..models import TutorTurn

TRACES_PER_PAGE = 50
HISTORY_LENGTH = 30
_CITATION_RE = re.compile(r"\[(\d{1,2})\]")


def _answer_parts(turn: TutorTurn) -> list[dict]:
    """The answer split into text and citation markers, so the template can turn ``[n]`` into
    a button without ever marking material text safe."""
    by_n = {c.get("n"): c for c in turn.citations or []}
    parts, last = [], 0
    for match in _CITATION_RE.finditer(turn.answer or ""):
        citation = by_n.get(int(match.group(1)))
        if citation is None:
            continue
        if match.start() > last:
            parts.append({"text": turn.answer[last : match.start()]})
        parts.append({"citation": citation})
        last = match.end()
    if last < len(turn.answer or ""):
        parts.append({"text": turn.answer[last:]})
    return parts


def _material_url(course: Course, citation: dict) -> str:
    url = reverse(
        "ai:material", kwargs={"course_id": course.pk, "material_id": citation["material_id"]}
    )
    return f"{url}?chunk={citation['chunk_id']}#chunk-{citation['chunk_id']}"


def _link_citations(course: Course, turn: TutorTurn) -> None:
    for citation in turn.citations or []:
        if citation.get("material_id") and citation.get("chunk_id"):
            citation["href"] = _material_url(course, citation)


def _queue_answer(turn_id: int) -> None:
    from ..tasks import answer_tutor_question

    # Questions jump ahead of embedding batches waiting on the same queue (as over the socket).
    transaction.on_commit(lambda: answer_tutor_question.apply_async((turn_id,), priority=0))


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def tutor(request, course_id: int):
    """Ask the course tutor. The page talks to the tutor over a websocket; without scripts the
    form posts the question, which a worker answers, and the page lists it."""
    course = course_access(request.user, course_id)
    error, question = "", ""
    if request.method == "POST":
        from ..tutor.services import tutor_turn_create

        question = request.POST.get("question", "")
        try:
            turn = tutor_turn_create(
                course=course, asked_by=request.user, question=question, via="web"
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
        except QuotaExceeded as exc:
            error = exc.message
        else:
            _queue_answer(turn.pk)
            messages.success(request, "Your question was sent; the answer appears below.")
            return redirect("ai:tutor", course_id=course.pk)
    # Each turn with its answer's parts (ai/_turn.html).
    turns: list[tuple[TutorTurn, list[dict]]] = []
    for turn in selectors.tutor_turn_list(course, asked_by=request.user)[:HISTORY_LENGTH]:
        _link_citations(course, turn)
        turns.append((turn, _answer_parts(turn)))
    return render(
        request,
        "ai/tutor.html",
        {
            "course": course,
            "can_manage": course_selectors.can_manage_course(request.user, course),
            "turns": turns,
            "error": error,
            "question": question,
            "material_url_base": reverse("ai:materials", kwargs={"course_id": course.pk}),
            "max_question_chars": settings.TUTOR_MAX_QUESTION_CHARS,
        },
        status=400 if error else 200,
    )


@never_cache
@login_required
@require_GET
def tutor_turn(request, course_id: int, turn_id: int):
    """One of the asker's own turns as JSON: what the page fetches when its socket dropped
    while an answer was on its way."""
    from ..tutor.payloads import tutor_turn_payload

    course = course_access(request.user, course_id)
    turn = selectors.tutor_turn_get(course, turn_id, asked_by=request.user)
    if turn is None:
        return JsonResponse({"error": "No such question."}, status=404)
    payload = tutor_turn_payload(turn)
    if turn.state == TutorTurn.State.FAILED:
        payload["error"] = turn.error or "The tutor could not answer this time. Please ask again."
    for citation in payload["citations"]:
        if citation.get("material_id") and citation.get("chunk_id"):
            citation["href"] = _material_url(course, citation)
    return JsonResponse(payload)


@login_required
@require_GET
def tutor_traces(request, course_id: int):
    course = course_access(request.user, course_id, manage=True)
    page = Paginator(selectors.tutor_turn_list(course), TRACES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "ai/tutor_traces.html", {"course": course, "page": page})


@login_required
@require_GET
def tutor_trace(request, course_id: int, turn_id: int):
    course = course_access(request.user, course_id, manage=True)
    turn = selectors.tutor_turn_get(course, turn_id)
    if turn is None:
        raise NotFound("No such tutor question in this course.")
    _link_citations(course, turn)
    cited = {c.get("chunk_id"): c.get("n") for c in turn.citations or []}
    retrieved = []
    for rank, hit in enumerate(turn.retrieved or [], start=1):
        retrieved.append(
            {
                # Turns answered before a check existed lack its readings.
                "sentence_similarity": None,
                "coverage": None,
                "unanswered_words": [],
                **hit,
                "rank": rank,
                "cited_as": cited.get(hit.get("chunk_id")),
                "href": _material_url(course, hit) if hit.get("material_id") else "",
            }
        )
    return render(
        request,
        "ai/tutor_trace.html",
        {"course": course, "turn": turn, "retrieved": retrieved},
    )
