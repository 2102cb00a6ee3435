"""What a quiz player shows, built from an attempt: a question as the student sees it, the
feedback on an answer, the whole state of an attempt and its result. The websocket and the API
send the same payloads (their shapes are in ``.payloads``)."""

import datetime as dt
from typing import Any

from django.utils import timezone

from ..models import Attempt, AttemptQuestion, Question
from ..rendering import render
from .payloads import (
    AttemptResultPayload,
    AttemptStatePayload,
    CitationPayload,
    FeedbackPayload,
    QuestionPayload,
)
from .rules import CHOICE_KINDS, TEXT_KINDS, ShownQuestion, answer_locks
from .selectors import attempt_questions, feedback_visible


def correct_answer(attempt_question: ShownQuestion) -> dict[str, Any]:
    version = attempt_question.version
    kind = attempt_question.question.kind
    if kind in CHOICE_KINDS:
        return {"options": [o["id"] for o in version.options if o.get("correct")]}
    if kind in TEXT_KINDS:
        return {"accepted": list(version.answer.get("accepted", []))}
    return {
        "value": version.answer.get("value"),
        "tolerance": version.answer.get("tolerance") or 0,
        "unit": version.answer.get("unit") or "",
    }


def citation_for(question: Question) -> CitationPayload | None:
    """Where the key comes from: the material, page/section and the supporting passage."""
    if not (question.source_material_id or question.source_quote):
        return None
    material = question.source_material
    return {
        "material": material.pk if material else None,
        "title": (material.title if material else "") or "",
        "page": question.source_page,
        "section": question.source_section,
        "quote": question.source_quote,
    }


def feedback_for(attempt_question: AttemptQuestion) -> FeedbackPayload:
    """The feedback on an answered (or unanswered) question: the share of points earned, the
    right answer, the explanation, per-option feedback and the citation."""
    version = attempt_question.version
    score = attempt_question.score
    chosen: set[str] = set()
    response = attempt_question.response or {}
    if "option" in response:
        chosen = {response["option"]}
    elif "options" in response:
        chosen = set(response["options"])
    return {
        "position": attempt_question.position,
        "score": score,
        "correct": score == 1.0,
        "answered": attempt_question.answered_at is not None,
        "points_earned": round(float(attempt_question.points) * (score or 0.0), 4),
        "correct_answer": correct_answer(attempt_question),
        "explanation_html": str(render(version.explanation)) if version.explanation else "",
        "option_feedback": [
            {
                "id": o["id"],
                "correct": bool(o.get("correct")),
                "chosen": o["id"] in chosen,
                "feedback_html": str(render(o.get("feedback"), inline=True))
                if o.get("feedback")
                else "",
            }
            for o in version.options
        ],
        "source": citation_for(attempt_question.question),
    }


def question_payload(attempt_question: AttemptQuestion) -> QuestionPayload:
    """A question as the student sees it before feedback: no key, options in the attempt's
    order."""
    version = attempt_question.version
    by_id = {o["id"]: o for o in version.options}
    order = attempt_question.option_order or list(by_id)
    kind = attempt_question.question.kind
    return {
        "position": attempt_question.position,
        "kind": kind,
        "points": float(attempt_question.points),
        "stem_html": str(render(version.stem)),
        "options": [
            {"id": oid, "text_html": str(render(by_id[oid].get("text"), inline=True))}
            for oid in order
            if oid in by_id
        ],
        "unit": (version.answer.get("unit") or "") if kind == Question.Kind.NUMERIC else "",
        "response": attempt_question.response,
        "saved_at": attempt_question.answered_at.isoformat()
        if attempt_question.answered_at
        else None,
    }


def attempt_state(
    attempt: Attempt,
    questions: list[AttemptQuestion] | None = None,
    *,
    now: dt.datetime | None = None,
) -> AttemptStatePayload:
    """Everything a quiz player needs to show (or resume) an attempt: its questions in the
    attempt's order with every saved answer, the deadline and the server's clock, and feedback
    and results where the quiz shows them."""
    now = now or timezone.now()
    questions = attempt_questions(attempt) if questions is None else questions
    show_feedback = feedback_visible(attempt, now=now)
    locks = answer_locks(attempt.quiz)
    payload_questions = []
    for aq in questions:
        item = question_payload(aq)
        item["locked"] = attempt.state == Attempt.State.SUBMITTED or (
            locks and aq.answered_at is not None
        )
        if show_feedback and (aq.answered_at is not None or attempt.state == "submitted"):
            item["feedback"] = feedback_for(aq)
        payload_questions.append(item)
    remaining = None
    if attempt.deadline is not None and attempt.state == Attempt.State.IN_PROGRESS:
        remaining = max(0.0, (attempt.deadline - now).total_seconds())
    state: AttemptStatePayload = {
        "attempt": attempt.pk,
        "quiz": attempt.quiz_id,
        "number": attempt.number,
        "state": attempt.state,
        "started_at": attempt.started_at.isoformat() if attempt.started_at else None,
        "deadline": attempt.deadline.isoformat() if attempt.deadline else None,
        "server_time": now.isoformat(),
        "remaining_seconds": remaining,
        "show_feedback": attempt.quiz.show_feedback,
        "feedback_visible": show_feedback,
        "answered": sum(1 for aq in questions if aq.answered_at is not None),
        "questions": payload_questions,
    }
    if attempt.state == Attempt.State.SUBMITTED:
        state["result"] = attempt_result(attempt)
    return state


def attempt_result(attempt: Attempt) -> AttemptResultPayload:
    return {
        "score": attempt.score,
        "max_score": attempt.max_score,
        "percent": attempt.percent,
        "submitted_at": attempt.submitted_at.isoformat() if attempt.submitted_at else None,
        "submit_reason": attempt.submit_reason,
        "late": attempt.is_late,
        "late_penalty_percent": attempt.quiz.late_penalty_percent if attempt.is_late else 0,
    }
