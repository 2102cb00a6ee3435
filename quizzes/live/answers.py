"""A participant's answer to the open round: the hot path of a live session (a whole class
answers within seconds), so it costs one SQL statement and no reads beyond the cached round.

``live_answer`` is the one write here; its after-commit events are in
``quizzes.live.broadcasts``."""

import datetime as dt
import json
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from smartedu.db import current_schema

from ..attempts.errors import AttemptRefused
from ..attempts.rules import response_clean
from ..grading import grade
from ..models import LiveAnswer, LiveParticipant, LiveRound
from .broadcasts import answer_after_commit
from .payloads import AnswerTaken
from .rules import LiveRefused, speed_points
from .selectors import live_round_cached

_ANSWER_SQL = """
WITH open_round AS (
    SELECT id FROM {round} WHERE id = %(round)s AND closed_at IS NULL
        AND (closes_at IS NULL OR closes_at >= %(now)s)
    FOR SHARE
), inserted AS (
    INSERT INTO {answer}
        (round_id, participant_id, response, score, points_awarded, elapsed_ms, answered_at)
    SELECT id, %(participant)s, %(response)s::jsonb, %(score)s, %(points)s, %(elapsed)s, %(now)s
    FROM open_round
    ON CONFLICT (round_id, participant_id) DO NOTHING
    RETURNING participant_id, points_awarded
), scored AS (
    UPDATE {participant} AS p SET score = p.score + i.points_awarded
    FROM inserted AS i WHERE p.id = i.participant_id
    RETURNING p.score
)
SELECT (SELECT score FROM scored), EXISTS (SELECT 1 FROM open_round)
"""


def live_answer(
    live_round: LiveRound,
    participant: LiveParticipant,
    response: Any,
    *,
    now: dt.datetime | None = None,
    sender: str | None = None,
) -> AnswerTaken:
    """Store and grade the participant's answer to ``live_round`` (as ``live_round_cached``
    loads it) against its pinned version and add its points to their score, in one statement
    that only writes while the round is open as the database sees it then (a share lock on
    the round: a close waits for it). The first answer counts; an answer after the round
    closed or its time ran out (the server's clock) is refused. Raises ``LiveRefused``
    (``not_open``, ``bad_response``, ``closed``, ``already_answered``) and stores nothing then.

    Scoring: the round's quiz item points times the share the answer earned (partial credit
    on multiple-answer questions), up to double with speed scoring (``speed_points``).

    After commit ``answer_after_commit`` runs: the host's count moves, the student's other
    devices hear it and their mastery is recomputed."""
    if participant.session_id != live_round.session_id:
        raise LiveRefused("not_open", "That question is not in your session.")
    try:
        cleaned = response_clean(live_round, response)
    except AttemptRefused as exc:
        raise LiveRefused("bad_response", exc.message) from None
    now = now or timezone.now()
    score = grade(live_round.question.kind, live_round.version, cleaned)
    elapsed_ms = max(0, int((now - live_round.opened_at).total_seconds() * 1000))
    session = live_round.session
    points = speed_points(
        float(live_round.points),
        score,
        elapsed_ms,
        speed_scoring=session.speed_scoring,
        seconds=session.seconds_per_question,
    )
    sql = _ANSWER_SQL.format(
        round=LiveRound._meta.db_table,
        answer=LiveAnswer._meta.db_table,
        participant=LiveParticipant._meta.db_table,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "round": live_round.pk,
                "participant": participant.pk,
                "response": json.dumps(cleaned),
                "score": score,
                "points": points,
                "elapsed": elapsed_ms,
                "now": now,
            },
        )
        total, was_open = cursor.fetchone()
    if total is None:
        if not was_open:
            raise LiveRefused("closed", "Answers to this question are closed.")
        raise LiveRefused(
            "already_answered", "You have already answered this question; your first answer counts."
        )
    taken = AnswerTaken(
        live_round.position,
        cleaned,
        now,
        score,
        points,
        total,
        session_id=live_round.session_id,
        participant_id=participant.pk,
        student_id=participant.student_id,
        course_id=session.quiz.course_id,
    )
    schema = current_schema()
    transaction.on_commit(lambda: answer_after_commit(schema, taken, sender=sender), robust=True)
    return taken


def live_answer_at(
    session_id: int,
    position: int,
    participant: LiveParticipant,
    response: Any,
    *,
    sender: str | None = None,
) -> AnswerTaken:
    """``live_answer`` to the session's round at ``position`` (the number a page sends), read
    from the per-process round cache. Raises ``LiveRefused("not_open")`` when that round has
    not opened, else as ``live_answer``."""
    live_round = live_round_cached(session_id, position)
    if live_round is None:
        raise LiveRefused("not_open", "That question is not open.")
    return live_answer(live_round, participant, response, sender=sender)
