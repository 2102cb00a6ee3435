"""Writes of the tutor: record a question, answer it, give up on it."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import User
from courses.models import Course

from ..ingestion import release_connection
from ..models import TutorTurn
from . import trace
from .compose import NOT_COVERED, source_payload
from .payloads import DoneFrame, SourcesFrame, TurnFailedFrame, tutor_turn_payload
from .retrieve import retrieve
from .stream import Emit, answer_stream


def tutor_turn_create(
    *, course: Course, asked_by: User | None, question: str, via: str = "web"
) -> TutorTurn:
    """Record a question, counting it against the school's monthly tutor budget
    (tenants.quotas.QuotaExceeded, and nothing recorded, when it is spent). The caller has
    checked that ``asked_by`` may see ``course``."""
    from tenants.quotas import TUTOR_QUESTIONS, ai_usage_reserve

    question = " ".join((question or "").split())
    if not question:
        raise ValidationError({"question": "Type a question first."})
    limit = settings.TUTOR_MAX_QUESTION_CHARS
    if len(question) > limit:
        raise ValidationError(
            {"question": f"Questions can be at most {limit} characters ({len(question)} given)."}
        )
    with transaction.atomic():
        ai_usage_reserve(TUTOR_QUESTIONS, 1)
        return TutorTurn.objects.create(
            course=course, asked_by=asked_by, question=question, via=via
        )


def tutor_answer(turn_id: int, *, emit: Emit) -> TutorTurn:
    """Answer a recorded question, emitting frames as it goes:
    ``sources`` (the passages), ``delta`` (answer text as it streams), then ``done`` (the final
    answer and citations) or ``error``. Idempotent: an answered turn is returned as it is."""
    turn = TutorTurn.objects.select_related("course").get(pk=turn_id)
    if turn.state == TutorTurn.State.DONE:
        return turn
    started = time.monotonic()
    trace.turn_answering(turn_id)
    retrieval = retrieve(turn.question, course_id=turn.course_id)
    course_name = str(turn.course)
    # No model may run while this process holds a database connection.
    release_connection()
    if retrieval.sources:
        sources = [source_payload(turn.question, s) for s in retrieval.sources]
        emit(SourcesFrame(sources=sources, turn=turn.pk).as_message())
    answer = answer_stream(
        turn_id=turn.pk,
        course_name=course_name,
        question=turn.question,
        sources=retrieval.sources,
        emit=emit,
        not_covered=retrieval.refusal.message if retrieval.refusal else NOT_COVERED,
    )
    turn = trace.turn_answered(turn, retrieval=retrieval, answer=answer, started=started)
    emit(DoneFrame(**tutor_turn_payload(turn)).as_message())
    return turn


def tutor_turn_fail(turn_id: int, *, reason: str, emit: Emit) -> None:
    """Mark a turn failed with ``reason`` (a sentence for the student) and say so; an answered
    turn keeps its answer."""
    trace.turn_failed(turn_id, reason=reason)
    emit(TurnFailedFrame(message=reason, turn=turn_id).as_message())
