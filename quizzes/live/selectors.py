"""Reads of live sessions: the session a code names, the role the server gives, the rounds, the
counts, the standings and the leaderboard, a closed round's results. No writes."""

import datetime as dt
from collections import Counter, OrderedDict
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import User
from courses.selectors import can_manage_course
from smartedu.db import current_schema

from ..attempts.display import citation_for, correct_answer
from ..attempts.rules import CHOICE_KINDS, is_course_student
from ..models import LiveAnswer, LiveParticipant, LiveRound, LiveSession, Question, Quiz, QuizItem
from ..rendering import render
from .payloads import Role
from .rules import (
    FINISHED_VISIBLE_HOURS,
    LEADERBOARD_SIZE,
    NOT_FOUND_MESSAGE,
    LiveRefused,
    live_code_clean,
)
from .shown import (
    LeaderboardRow,
    LiveCounts,
    OptionShown,
    ResultOption,
    RoundResults,
    RoundShown,
    SessionInfo,
    SessionOptions,
    StandingLine,
    iso,
)

# --- small process-wide caches of what never changes ---------------------------------------


class _Bounded(OrderedDict[Any, Any]):
    """A small LRU map. Only immutable facts go in: a round's pinned version and timing, and a
    closed round's results (no answer is taken after the close)."""

    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def put(self, key: Any, value: Any) -> Any:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)
        return value


_rounds = _Bounded(512)
# Closed rounds' reveals, filled by quizzes.live.snapshots.
reveals_cache = _Bounded(256)


def live_round_cached(session_id: int, position: int) -> LiveRound | None:
    """The session's round at ``position`` with its pinned version, question and session (for
    its settings), or None if it has not opened. Cached per process: a round never changes
    what it pinned, so answers from a whole class cost no extra reads."""
    key = (current_schema(), session_id, position)
    found: LiveRound | None = _rounds.get(key)
    if found is not None:
        return found
    found = (
        LiveRound.objects.select_related("version", "question__source_material", "session__quiz")
        .defer("question__embedding")
        .filter(session_id=session_id, position=position)
        .first()
    )
    return _rounds.put(key, found) if found is not None else None


def live_round_shown(session: LiveSession) -> LiveRound | None:
    """The session's current round, with what its reveal shows (version, source), or None."""
    return (
        LiveRound.objects.select_related("version", "question__source_material")
        .defer("question__embedding")
        .filter(session=session, position=session.position)
        .first()
    )


def live_round_shown_get(round_id: int) -> LiveRound:
    """A round by id, with what its reveal shows."""
    return (
        LiveRound.objects.select_related("version", "question__source_material")
        .defer("question__embedding")
        .get(pk=round_id)
    )


# --- sessions ------------------------------------------------------------------------------


def live_session_find(user: User, code: str, *, session_id: int | None = None) -> LiveSession:
    """The session a code names for ``user``: the running one with that code, or (for its
    participants and the course's teachers, for a while after the end) the finished one, so a
    reload shows the final results. With ``session_id`` (pages that already know the session)
    only that session matches. ``LiveRefused("not_found")`` otherwise."""
    code = live_code_clean(code)
    sessions = LiveSession.objects.select_related("quiz__course").filter(join_code=code)
    if session_id is not None:
        sessions = sessions.filter(pk=session_id)
    session = sessions.exclude(state=LiveSession.State.FINISHED).first()
    if session is None and code:
        since = timezone.now() - dt.timedelta(hours=FINISHED_VISIBLE_HOURS)
        session = (
            sessions.filter(state=LiveSession.State.FINISHED, ended_at__gte=since)
            .filter(Q(participants__student=user) | Q(host=user))
            .order_by("-ended_at")
            .first()
        )
    if session is None:
        raise LiveRefused("not_found", NOT_FOUND_MESSAGE)
    return session


def live_role(user: User, session: LiveSession) -> Role:
    """``host`` for the course's teachers and the school's admins, ``student`` for its
    students; ``LiveRefused("not_a_student")`` for anyone else."""
    course = session.quiz.course
    if can_manage_course(user, course):
        return "host"
    if is_course_student(user, session.quiz):
        return "student"
    raise LiveRefused(
        "not_a_student",
        f"This live session is for the students of {course.code} {course.name}; "
        "you are not one of them.",
    )


def live_sessions_running(quiz: Quiz) -> QuerySet[LiveSession]:
    return LiveSession.objects.filter(quiz=quiz).exclude(state=LiveSession.State.FINISHED)


def live_session_get(quiz: Quiz, session_id: int) -> LiveSession | None:
    return (
        LiveSession.objects.select_related("quiz__course").filter(pk=session_id, quiz=quiz).first()
    )


def live_session_fresh(session_id: int) -> LiveSession:
    return LiveSession.objects.select_related("quiz__course").get(pk=session_id)


def quiz_question_count(quiz_id: int) -> int:
    return QuizItem.objects.filter(quiz_id=quiz_id).count()


def session_info(session: LiveSession, total: int) -> SessionInfo:
    """What every page shows about the session itself."""
    return SessionInfo(
        id=session.pk,
        code=session.join_code,
        state=session.state,
        position=session.position,
        total=total,
        quiz=session.quiz.title,
        course=session.quiz.course.code,
        options=SessionOptions(
            show_leaderboard=session.show_leaderboard,
            anonymous_leaderboard=session.anonymous_leaderboard,
            speed_scoring=session.speed_scoring,
            seconds_per_question=session.seconds_per_question,
        ),
    )


def round_payload(live_round: LiveRound, *, now: dt.datetime | None = None) -> RoundShown:
    """A round's question as everyone sees it while it is open: no key, no feedback."""
    now = now or timezone.now()
    version = live_round.version
    kind = live_round.question.kind
    closed = live_round.closed_at is not None
    remaining = None
    if live_round.closes_at is not None and not closed:
        remaining = max(0.0, round((live_round.closes_at - now).total_seconds(), 3))
    return RoundShown(
        position=live_round.position,
        kind=kind,
        points=float(live_round.points),
        stem_html=str(render(version.stem)),
        options=[
            OptionShown(o["id"], str(render(o.get("text") or o["id"], inline=True)))
            for o in version.options
        ],
        unit=(version.answer.get("unit") or "") if kind == Question.Kind.NUMERIC else "",
        opened_at=iso(live_round.opened_at),
        closes_at=iso(live_round.closes_at),
        closed=closed,
        remaining_seconds=remaining,
    )


# --- standings -----------------------------------------------------------------------------


def _display(first: str, last: str, username: str) -> str:
    return f"{first} {last}".strip() or username


@dataclass
class Standing:
    participant: int
    alias: str
    name: str
    score: float
    rank: int


def live_standings(session: LiveSession) -> list[Standing]:
    """Every participant by score, best first; equal scores share a rank (1, 1, 3)."""
    rows = (
        LiveParticipant.objects.filter(session=session)
        .order_by("-score", "alias")
        .values_list(
            "pk", "alias", "score", "student__first_name", "student__last_name", "student__username"
        )
    )
    standings: list[Standing] = []
    previous = None
    for index, (pk, alias, score, first, last, username) in enumerate(rows):
        rank = standings[-1].rank if standings and score == previous else index + 1
        previous = score
        standings.append(
            Standing(pk, alias, _display(first, last, username), round(score, 2), rank)
        )
    return standings


def leaderboard(session: LiveSession, standings: list[Standing]) -> list[LeaderboardRow] | None:
    """The top of the board as shared screens show it (aliases when anonymous), or None when
    the session shows no leaderboard."""
    if not session.show_leaderboard:
        return None
    return [
        LeaderboardRow(
            rank=s.rank,
            participant=s.participant,
            name=s.alias if session.anonymous_leaderboard else s.name,
            score=s.score,
        )
        for s in standings[:LEADERBOARD_SIZE]
    ]


def standing_line(session: LiveSession, standing: Standing) -> StandingLine:
    return StandingLine(
        participant=standing.participant,
        alias=standing.alias,
        score=standing.score,
        rank=standing.rank if session.show_leaderboard else None,
    )


def participant_standing(session: LiveSession, participant: LiveParticipant) -> StandingLine:
    """One participant's alias, score and (when the board is shown) rank."""
    rank = None
    if session.show_leaderboard:
        rank = (
            LiveParticipant.objects.filter(session=session, score__gt=participant.score).count() + 1
        )
    return StandingLine(
        participant=participant.pk,
        alias=participant.alias,
        score=round(participant.score, 2),
        rank=rank,
    )


def live_counts(session_id: int, position: int) -> LiveCounts:
    """Who has answered the round at ``position`` out of who has joined."""
    answered = 0
    if position:
        answered = LiveAnswer.objects.filter(
            round__session_id=session_id, round__position=position
        ).count()
    return LiveCounts(
        position=position,
        answered=answered,
        participants=LiveParticipant.objects.filter(session_id=session_id).count(),
    )


# --- a closed round ------------------------------------------------------------------------


def _chosen(response: dict[str, Any]) -> list[str]:
    if "option" in response:
        return [response["option"]]
    return list(response.get("options") or [])


def round_results(live_round: LiveRound, participants: int) -> RoundResults:
    """A closed round's results: how many answered, right, partly right and wrong; per option
    how many chose it (choice questions); the right answer, the explanation and the passage
    the key comes from."""
    answers = list(LiveAnswer.objects.filter(round=live_round).values_list("response", "score"))
    answered = len(answers)
    right = sum(1 for _, score in answers if score >= 1.0)
    partial = sum(1 for _, score in answers if 0.0 < score < 1.0)
    kind = live_round.question.kind
    options = []
    if kind in CHOICE_KINDS:
        picks = Counter(option for response, _ in answers for option in _chosen(response))
        for option in live_round.version.options:
            count = picks.get(option["id"], 0)
            options.append(
                ResultOption(
                    id=option["id"],
                    text_html=str(render(option.get("text") or option["id"], inline=True)),
                    correct=bool(option.get("correct")),
                    count=count,
                    percent=round(100 * count / answered) if answered else 0,
                )
            )
    version = live_round.version
    return RoundResults(
        kind=kind,
        participants=participants,
        answered=answered,
        unanswered=max(0, participants - answered),
        right=right,
        partial=partial,
        wrong=answered - right - partial,
        options=options,
        correct_answer=correct_answer(live_round),
        explanation_html=str(render(version.explanation)) if version.explanation else "",
        source=citation_for(live_round.question),
    )


def round_answers(live_round: LiveRound) -> dict[int, tuple[float, float]]:
    """Each participant's (score, points awarded) for the round, by participant id."""
    return {
        pid: (score, points)
        for pid, score, points in LiveAnswer.objects.filter(round=live_round).values_list(
            "participant_id", "score", "points_awarded"
        )
    }
