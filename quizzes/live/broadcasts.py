"""What a committed change tells the session's open pages, through its channel groups. The
services schedule these with ``transaction.on_commit``; none of them raises (a live event is a
courtesy, the database is the record).

Each event is built once, not once per socket: the JSON text every socket sends as it is, and
for reveals and the end a map of each participant's own line that the consumer splices in."""

from typing import Any

from smartedu.progress import group_send_quietly

from .groups import live_group, live_host_group, live_participant_group
from .payloads import AnswerTaken, QuestionFrame
from .selectors import (
    live_counts,
    live_round_cached,
    live_round_shown_get,
    live_session_fresh,
    quiz_question_count,
    round_payload,
    session_info,
)
from .shown import plain
from .snapshots import end_event, reveal_event

# A channel-layer message: ``{"type": "live.event", "event": ..., ...}``.
LiveEvent = dict[str, Any]


def _event(kind: str, **extra: Any) -> LiveEvent:
    return {"type": "live.event", "event": kind, **extra}


def broadcast_joined(schema: str, session_id: int) -> None:
    """A nudge to the host's screens: someone joined (they count again)."""
    group_send_quietly(live_host_group(schema, session_id), _event("joined"))


def answer_events(
    schema: str, taken: AnswerTaken, *, sender: str | None
) -> list[tuple[str, LiveEvent]]:
    """The channel messages a stored answer sends, as (group, message): a nudge to the host's
    screens (they count again) and the answer to the student's other devices (``sender``,
    the socket it came from, skips it)."""
    return [
        (live_host_group(schema, taken.session_id), _event("answered")),
        (
            live_participant_group(schema, taken.session_id, taken.participant_id),
            _event("answer", text=taken.frame().as_text(), sender=sender),
        ),
    ]


def answer_after_commit(schema: str, taken: AnswerTaken, *, sender: str | None = None) -> None:
    """Everything a committed answer sets off (see ``live_answer``), from sync code."""
    # Imported here: the mastery side is only needed once an answer is in.
    from ..progress.services import progress_changed

    for group, message in answer_events(schema, taken, sender=sender):
        group_send_quietly(group, message)
    progress_changed(taken.student_id, taken.course_id)


def broadcast_question(schema: str, session_id: int, round_id: int) -> None:
    """The question just opened, to every page (with its closing time for the sockets' timers)."""
    session = live_session_fresh(session_id)
    live_round = live_round_cached(session.pk, session.position)
    if live_round is None or live_round.pk != round_id:
        return  # another round is open already; its own broadcast carries it
    body = QuestionFrame(
        session=session_info(session, quiz_question_count(session.quiz_id)),
        round=round_payload(live_round),
        counts=live_counts(session.pk, live_round.position),
    )
    group_send_quietly(
        live_group(schema, session.pk),
        _event(
            "question",
            text=body.as_text(),
            round=live_round.pk,
            position=live_round.position,
            closes_at=live_round.closes_at.timestamp() if live_round.closes_at else None,
        ),
    )


def broadcast_reveal(schema: str, session_id: int, round_id: int) -> None:
    """The closed round's results, to every page (each participant's own line beside them)."""
    session = live_session_fresh(session_id)
    live_round = live_round_shown_get(round_id)
    body, you = reveal_event(session, live_round)
    group_send_quietly(
        live_group(schema, session_id),
        _event(
            "reveal",
            text=body.as_text(),
            you={key: plain(line) for key, line in you.items()},
            round=round_id,
            position=live_round.position,
        ),
    )


def broadcast_end(schema: str, session_id: int) -> None:
    """The final leaderboard, to every page (each participant's own line beside it)."""
    body, you = end_event(live_session_fresh(session_id))
    group_send_quietly(
        live_group(schema, session_id),
        _event("ended", text=body.as_text(), you={key: plain(line) for key, line in you.items()}),
    )
