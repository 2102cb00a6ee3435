"""The live session as pages see it at one moment, built from the selectors: the state a page
gets on every (re)connect, and the reveal and the end that go out to every page. Reads only."""

import datetime as dt
from dataclasses import dataclass, replace

from django.utils import timezone

from smartedu.db import current_schema

from ..models import LiveAnswer, LiveParticipant, LiveRound, LiveSession
from .payloads import EndedFrame, RevealFrame, Role, StateFrame
from .selectors import (
    Standing,
    leaderboard,
    live_counts,
    live_round_cached,
    live_round_shown,
    live_session_fresh,
    live_standings,
    participant_standing,
    quiz_question_count,
    reveals_cache,
    round_answers,
    round_payload,
    round_results,
    session_info,
    standing_line,
)
from .shown import AnswerShown, FinalShown, RevealShown, StandingLine, YouLine, iso


def _reveal_body(
    session: LiveSession, live_round: LiveRound, standings: list[Standing] | None = None
) -> RevealFrame:
    """The reveal every page gets (cached per process: a closed round's results are final)."""
    key = (current_schema(), live_round.pk)
    cached: RevealFrame | None = reveals_cache.get(key)
    if cached is not None:
        return cached
    if standings is None:
        standings = live_standings(session)
    body = RevealFrame(
        session=session_info(session, quiz_question_count(session.quiz_id)),
        round=round_payload(live_round),
        results=round_results(live_round, len(standings)),
        leaderboard=leaderboard(session, standings),
    )
    reveals_cache.put(key, body)
    return body


def _you_line(standing: StandingLine, answer: tuple[float, float] | None) -> YouLine:
    score, points = answer if answer is not None else (None, 0.0)
    return YouLine(
        participant=standing.participant,
        alias=standing.alias,
        score=standing.score,
        rank=standing.rank,
        answered=score is not None,
        correct=None if score is None else score >= 1.0,
        earned=score,
        points_awarded=round(points, 2),
    )


def _reveal_you(
    session: LiveSession, live_round: LiveRound, standings: list[Standing]
) -> dict[str, YouLine]:
    """Each participant's own line for a reveal: their total and rank, whether they answered,
    the share of the points their answer earned and the points it brought."""
    answers = round_answers(live_round)
    return {
        str(s.participant): _you_line(standing_line(session, s), answers.get(s.participant))
        for s in standings
    }


def reveal_event(
    session: LiveSession, live_round: LiveRound
) -> tuple[RevealFrame, dict[str, YouLine]]:
    """A reveal for every page and each participant's own line (by participant id)."""
    standings = live_standings(session)
    body = _reveal_body(session, live_round, standings)
    return body, _reveal_you(session, live_round, standings)


def end_event(session: LiveSession) -> tuple[EndedFrame, dict[str, StandingLine]]:
    """The end for every page and each participant's own line (by participant id)."""
    standings = live_standings(session)
    body = EndedFrame(
        session=session_info(session, quiz_question_count(session.quiz_id)),
        leaderboard=leaderboard(session, standings),
        participants=len(standings),
    )
    return body, {str(s.participant): standing_line(session, s) for s in standings}


def live_state(
    session: LiveSession,
    *,
    role: Role,
    participant: LiveParticipant | None = None,
    now: dt.datetime | None = None,
) -> StateFrame:
    """Everything a page needs to show the session as it stands (sent on every (re)connect):
    the session, the current round (no key while it is open), the participant's own answer to
    it and standing, the counts, and the results or final board when they are out."""
    now = now or timezone.now()
    if participant is not None:
        # Pages keep their participant from the handshake; its score has moved since.
        participant = LiveParticipant.objects.get(pk=participant.pk)
    total = quiz_question_count(session.quiz_id)
    live_round = None
    if session.position and session.state != LiveSession.State.LOBBY:
        live_round = live_round_shown(session)
    you = participant_standing(session, participant) if participant else None
    shown_round = answer = reveal = final = None
    if live_round is not None and session.state != LiveSession.State.FINISHED:
        shown_round = round_payload(live_round, now=now)
        if participant is not None:
            own = (
                LiveAnswer.objects.select_related("round")
                .filter(round=live_round, participant=participant)
                .first()
            )
            if own is not None:
                answer = AnswerShown(own.round.position, own.response, iso(own.answered_at))
    if session.state == LiveSession.State.REVEAL and live_round is not None:
        body = _reveal_body(session, live_round)
        reveal = RevealShown(body.session, body.round, body.results, body.leaderboard)
        if participant is not None and you is not None:
            scored = (
                LiveAnswer.objects.filter(round=live_round, participant=participant)
                .values_list("score", "points_awarded")
                .first()
            )
            reveal = replace(reveal, you=_you_line(you, scored))
    if session.state == LiveSession.State.FINISHED:
        final = FinalShown(leaderboard(session, live_standings(session)))
    return StateFrame(
        role=role,
        server_time=now.isoformat(),
        session=session_info(session, total),
        you=you,
        round=shown_round,
        answer=answer,
        counts=live_counts(session.pk, session.position),
        reveal=reveal,
        final=final,
    )


@dataclass(frozen=True)
class RoundTrack:
    """What a socket keeps of the current round: which it is, whether it takes answers and
    when it closes (a timestamp, for the socket's timer)."""

    round: int | None
    position: int
    closes_at: float | None
    open: bool


def live_state_tracked(
    session_id: int, role: Role, participant: LiveParticipant | None
) -> tuple[StateFrame, RoundTrack]:
    """The state message for a socket and what it tracks of the current round."""
    session = live_session_fresh(session_id)
    state = live_state(session, role=role, participant=participant)
    track = RoundTrack(None, session.position, None, False)
    if session.state in (LiveSession.State.QUESTION, LiveSession.State.REVEAL):
        live_round = live_round_cached(session.pk, session.position)
        if live_round is not None:
            track = RoundTrack(
                round=live_round.pk,
                position=session.position,
                closes_at=live_round.closes_at.timestamp() if live_round.closes_at else None,
                open=session.state == LiveSession.State.QUESTION,
            )
    return state, track
