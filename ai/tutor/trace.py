"""Step 4: what a turn records, for the student's history and the teacher's trace: every
retrieved passage with its scores, the provider and its tokens, the answer and its citations,
the answer check's verdict on each of its sentences, the time it took, and why the model was not
used when it failed."""

from __future__ import annotations

import time
from dataclasses import asdict

from django.utils import timezone

from ..models import TutorTurn
from .compose import source_payload
from .retrieve import Retrieval
from .stream import Answer


def turn_answering(turn_id: int) -> None:
    TutorTurn.objects.filter(pk=turn_id).update(state=TutorTurn.State.ANSWERING)


def turn_answered(
    turn: TutorTurn, *, retrieval: Retrieval, answer: Answer, started: float
) -> TutorTurn:
    """Save the answered turn (``started``: time.monotonic() when answering began) and count
    its model tokens against the school's budget."""
    by_n = {s.n: s for s in retrieval.sources}
    turn.retrieved = retrieval.retrieved
    turn.provider = answer.provider
    turn.prompt_tokens = answer.prompt_tokens
    turn.completion_tokens = answer.completion_tokens
    if answer.error:
        turn.error = answer.error
    turn.answer = answer.text
    turn.supported = answer.supported
    turn.answer_check = answer.check
    turn.citations = [
        asdict(source_payload(turn.question, by_n[n], answer.quoted.get(n))) for n in answer.cited
    ]
    turn.state = TutorTurn.State.DONE
    turn.latency_ms = int((time.monotonic() - started) * 1000)
    turn.answered_at = timezone.now()
    turn.save()
    if turn.prompt_tokens or turn.completion_tokens:
        from tenants.quotas import ai_tokens_record

        ai_tokens_record(turn.prompt_tokens, turn.completion_tokens)
    return turn


def turn_failed(turn_id: int, *, reason: str) -> None:
    """Mark a turn that could not be answered failed, unless it was answered meanwhile."""
    TutorTurn.objects.filter(pk=turn_id).exclude(state=TutorTurn.State.DONE).update(
        state=TutorTurn.State.FAILED, error=reason, answered_at=timezone.now()
    )
