"""Step 3: the answer, streamed to the asker as it is written.

A language model writes it when one is configured (held back while it may still turn out to be
the NOT_COVERED sentinel); when none is, or it fails, the offline answerer quotes the sources.
A model's finished answer is checked sentence by sentence (``check``): when the check removes or
re-cites anything, a ``reset`` withdraws the streamed text and the checked answer follows.
Runs without a database connection: the caller released it before, the turn is written after."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings

from .check import check_answer, offline_verdicts
from .compose import (
    NOT_COVERED,
    NOT_COVERED_SENTINEL,
    OFFLINE_PROVIDER,
    offline_answer,
    tutor_messages,
)
from .payloads import DeltaFrame, ResetFrame
from .retrieve import Source

logger = logging.getLogger(__name__)

# Takes one frame as JSON (Frame.as_message()).
Emit = Callable[[dict[str, Any]], None]


@dataclass
class Answer:
    """What the streaming step produced, for the trace."""

    provider: str
    text: str = NOT_COVERED
    # Source numbers the answer cites, in order.
    cited: list[int] = field(default_factory=list)
    supported: bool = False
    # Offline answers: {source number: the sentences quoted from it}.
    quoted: dict[int, list[str]] = field(default_factory=dict)
    # The verdict on each sentence of the answer (check.Verdict as JSON), for the trace.
    check: list[dict[str, Any]] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    # Why the language model was not used after all (it failed; the offline answer stands in).
    error: str = ""


def answer_stream(
    *,
    turn_id: int,
    course_name: str,
    question: str,
    sources: list[Source],
    emit: Emit,
    not_covered: str = NOT_COVERED,
) -> Answer:
    """Write the answer to ``question`` from ``sources``, emitting ``delta`` frames (and a
    ``reset`` when the streamed text is withdrawn). No sources: ``not_covered``, the refusal.
    A provider failure falls back to the offline answer; nothing is raised for it."""
    from ..embeddings import EmbeddingError
    from ..llm import LLMError, chat_provider

    provider = chat_provider(task="tutor") if sources else None
    answer = Answer(provider=provider.name if provider else OFFLINE_PROVIDER, text=not_covered)
    if sources and provider is not None:
        streamed: list[str] = []
        released = False

        def on_delta(text: str) -> None:
            nonlocal released
            streamed.append(text)
            if released:
                emit(DeltaFrame(text=text, turn=turn_id).as_message())
                return
            so_far = "".join(streamed).lstrip()
            if NOT_COVERED_SENTINEL.startswith(so_far):
                return  # hold back what may yet turn out to be the sentinel
            released = True
            emit(DeltaFrame(text=so_far, turn=turn_id).as_message())

        try:
            result = provider.stream_chat(
                tutor_messages(course_name, question, sources),
                on_delta=on_delta,
                max_tokens=settings.LLM_MAX_OUTPUT_TOKENS,
            )
            # The trace names the provider that answered, not the whole order tried.
            answer.provider = result.provider or answer.provider
            answer.prompt_tokens = result.prompt_tokens
            answer.completion_tokens = result.completion_tokens
            if result.text.strip() == NOT_COVERED_SENTINEL:
                answer.text = NOT_COVERED
                emit(ResetFrame(turn=turn_id).as_message())
            else:
                checked = check_answer(result.text.strip(), sources, not_covered=NOT_COVERED)
                answer.text, answer.cited = checked.text, checked.cited
                answer.supported, answer.check = checked.supported, checked.as_json()
                shown = "".join(streamed).strip() if released else ""
                if answer.text != shown:
                    # The student's screen must end with what the turn stores.
                    if released:
                        emit(ResetFrame(turn=turn_id).as_message())
                    emit(DeltaFrame(text=answer.text, turn=turn_id).as_message())
        except (LLMError, EmbeddingError) as exc:
            # The material is still there: fall back to quoting it rather than failing (an
            # answer that cannot be checked is not shown either).
            logger.warning("Tutor turn %s: AI provider failed: %s", turn_id, exc.message)
            answer.error = exc.message
            answer.provider = f"{OFFLINE_PROVIDER} (fallback: {exc.message})"[:200]
            emit(ResetFrame(turn=turn_id).as_message())
            provider = None
    if sources and provider is None:
        answer.text, answer.quoted = offline_answer(question, sources)
        answer.cited = sorted(answer.quoted)
        # Every quoted sentence passed the answerability check's similarity floor.
        answer.supported = bool(answer.quoted)
        answer.check = [asdict(v) for v in offline_verdicts(answer.quoted, sources)]
        for line in answer.text.splitlines(keepends=True):
            emit(DeltaFrame(text=line, turn=turn_id).as_message())
    if not sources:
        emit(DeltaFrame(text=answer.text, turn=turn_id).as_message())
    return answer
