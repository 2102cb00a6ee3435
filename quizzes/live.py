"""Live class sessions: a teacher runs a published quiz in class, students join with a code and
answer each question from their own device, and everyone sees the results together.

One write path per state change, called alike by the websocket consumer
(``quizzes.consumers.live``) and the host page's plain forms:

- ``live_session_start``: a session in the lobby with a fresh join code: six characters from an
  alphabet without look-alikes (no 0/O, 1/I/L), unique among running sessions (the database
  constraint ``live_join_code_active_once`` has the last word; a finished session frees it).
- ``live_join``: a course student becomes a participant with a stable alias ("Blue Otter");
  joining again (a reload, another device) finds the same participant, alias and score.
- ``live_round_open_next``: the next question opens as a ``LiveRound`` pinned to the question's
  current version (read under a share lock, like an attempt's start).
- ``live_answer``: a participant's one answer to the open round, graded at once against the
  pinned version. The first answer counts; an answer after the round closed or its time ran
  out (the server's clock) is refused. One SQL statement stores it and adds the points.
- ``live_round_close``: answers stop and the results are revealed. Idempotent: the host's
  button, a page's timer and a reconnecting page may all call it; one of them closes it.
- ``live_session_end``: the final leaderboard; the session is finished and its code free.

Scoring: a round is worth its quiz item's points times the share the answer earned (partial
credit on multiple-answer questions). With speed scoring a right answer earns up to double:
``points × score × (1 + max(0, 1 − elapsed / window))``, the window being the round's seconds
(or ``SPEED_WINDOW_SECONDS`` when the teacher closes each question by hand).

Events reach every open page through the session's channel groups after commit; each is built
once per event, not once per socket: the JSON text every socket sends as it is, and for reveals
and the end a map of each participant's own standing that the consumer splices in."""

import datetime as dt
import json
import secrets
from collections import Counter, OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from courses.selectors import can_manage_course
from smartedu.progress import group_send_quietly

from .attempts.display import citation_for, correct_answer
from .attempts.errors import AttemptRefused
from .attempts.rules import CHOICE_KINDS, is_course_student, response_clean
from .attempts.services import _pin_current_versions
from .grading import grade
from .models import (
    LiveAnswer,
    LiveParticipant,
    LiveRound,
    LiveSession,
    Question,
    Quiz,
    QuizItem,
)
from .rendering import render

JOIN_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 6
SECONDS_PER_QUESTION_MIN = 5
SECONDS_PER_QUESTION_MAX = 600
# Untimed rounds: how fast a right answer must be to earn any speed bonus.
SPEED_WINDOW_SECONDS = 20
LEADERBOARD_SIZE = 10
# A student reloading the play page shortly after the end still sees the final results.
FINISHED_VISIBLE_HOURS = 2

ADJECTIVES = (
    "Amber", "Aqua", "Azure", "Blue", "Bold", "Brave", "Bright", "Calm", "Clever", "Coral",
    "Cosmic", "Crimson", "Daring", "Eager", "Emerald", "Fuzzy", "Gentle", "Golden", "Happy",
    "Indigo", "Jade", "Jolly", "Kind", "Lemon", "Lilac", "Lively", "Lucky", "Mellow", "Mint",
    "Misty", "Navy", "Noble", "Olive", "Orange", "Peach", "Plum", "Quick", "Quiet", "Rosy",
    "Ruby", "Sandy", "Silver", "Sky", "Sunny", "Swift", "Teal", "Violet", "Witty",
)  # fmt: skip
ANIMALS = (
    "Badger", "Bear", "Beaver", "Bison", "Cheetah", "Crane", "Dolphin", "Eagle", "Falcon",
    "Ferret", "Finch", "Fox", "Gazelle", "Gecko", "Heron", "Ibis", "Jaguar", "Koala", "Lemur",
    "Lion", "Lynx", "Marten", "Moose", "Newt", "Ocelot", "Orca", "Otter", "Owl", "Panda",
    "Panther", "Parrot", "Pelican", "Penguin", "Puffin", "Quail", "Rabbit", "Raven", "Robin",
    "Salmon", "Seal", "Sparrow", "Stork", "Swan", "Tiger", "Turtle", "Walrus", "Wolf", "Wren",
)  # fmt: skip


class LiveRefused(Exception):
    """A request the live rules do not allow, with a stable ``code`` for clients and a message
    for people. Nothing was changed.

    Codes: ``not_found``, ``not_a_student``, ``not_host``, ``not_published``, ``empty``,
    ``bad_settings``, ``finished``, ``round_open``, ``no_questions_left``, ``not_open``,
    ``closed``, ``already_answered``, ``bad_response``."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


NOT_FOUND_MESSAGE = "No running session with that code."


# --- channel groups ------------------------------------------------------------------------


def live_group(schema_name: str, session_id: int) -> str:
    """Every page of a session: the host's screens and every participant's."""
    return f"{schema_name}.live.{session_id}"


def live_host_group(schema_name: str, session_id: int) -> str:
    """The host's screens only (answer counts, joins)."""
    return f"{schema_name}.live.{session_id}.host"


def live_participant_group(schema_name: str, session_id: int, participant_id: int) -> str:
    """One participant's devices (an answer given on one shows on the others)."""
    return f"{schema_name}.live.{session_id}.p{participant_id}"


# --- small process-wide caches of what never changes ---------------------------------------


class _Bounded(OrderedDict):
    """A small LRU map. Only immutable facts go in: a round's pinned version and timing, and a
    closed round's results (no answer is taken after the close)."""

    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def put(self, key, value):
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)
        return value


_rounds = _Bounded(512)
_reveals = _Bounded(256)


def live_round_cached(session_id: int, position: int) -> LiveRound | None:
    """The session's round at ``position`` with its pinned version, question and session (for
    its settings), or None if it has not opened. Cached per process: a round never changes
    what it pinned, so answers from a whole class cost no extra reads."""
    key = (connection.schema_name, session_id, position)
    found = _rounds.get(key)
    if found is not None:
        return found
    found = (
        LiveRound.objects.select_related("version", "question__source_material", "session__quiz")
        .defer("question__embedding")
        .filter(session_id=session_id, position=position)
        .first()
    )
    return _rounds.put(key, found) if found is not None else None


# --- reads ---------------------------------------------------------------------------------


def live_code_clean(text) -> str:
    """A code as people type it ("abc 23k", "ABC-23K") in its stored shape."""
    return "".join(ch for ch in str(text or "").upper() if ch.isalnum())[:12]


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


def live_role(user: User, session: LiveSession) -> str:
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


def live_sessions_running(quiz: Quiz):
    return LiveSession.objects.filter(quiz=quiz).exclude(state=LiveSession.State.FINISHED)


def live_session_get(quiz: Quiz, session_id: int) -> LiveSession | None:
    return (
        LiveSession.objects.select_related("quiz__course").filter(pk=session_id, quiz=quiz).first()
    )


def quiz_question_count(quiz_id: int) -> int:
    return QuizItem.objects.filter(quiz_id=quiz_id).count()


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def session_info(session: LiveSession, total: int) -> dict:
    """What every page shows about the session itself."""
    return {
        "id": session.pk,
        "code": session.join_code,
        "state": session.state,
        "position": session.position,
        "total": total,
        "quiz": session.quiz.title,
        "course": session.quiz.course.code,
        "options": {
            "show_leaderboard": session.show_leaderboard,
            "anonymous_leaderboard": session.anonymous_leaderboard,
            "speed_scoring": session.speed_scoring,
            "seconds_per_question": session.seconds_per_question,
        },
    }


def round_payload(live_round: LiveRound, *, now: dt.datetime | None = None) -> dict:
    """A round's question as everyone sees it while it is open: no key, no feedback."""
    now = now or timezone.now()
    version = live_round.version
    kind = live_round.question.kind
    closed = live_round.closed_at is not None
    remaining = None
    if live_round.closes_at is not None and not closed:
        remaining = max(0.0, round((live_round.closes_at - now).total_seconds(), 3))
    return {
        "position": live_round.position,
        "kind": kind,
        "points": float(live_round.points),
        "stem_html": str(render(version.stem)),
        "options": [
            {"id": o["id"], "text_html": str(render(o.get("text") or o["id"], inline=True))}
            for o in version.options
        ],
        "unit": (version.answer.get("unit") or "") if kind == Question.Kind.NUMERIC else "",
        "opened_at": _iso(live_round.opened_at),
        "closes_at": _iso(live_round.closes_at),
        "closed": closed,
        "remaining_seconds": remaining,
    }


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


def leaderboard(session: LiveSession, standings: list[Standing]) -> list[dict] | None:
    """The top of the board as shared screens show it (aliases when anonymous), or None when
    the session shows no leaderboard."""
    if not session.show_leaderboard:
        return None
    return [
        {
            "rank": s.rank,
            "participant": s.participant,
            "name": s.alias if session.anonymous_leaderboard else s.name,
            "score": s.score,
        }
        for s in standings[:LEADERBOARD_SIZE]
    ]


def _standing_payload(session: LiveSession, standing: Standing) -> dict:
    return {
        "participant": standing.participant,
        "alias": standing.alias,
        "score": standing.score,
        "rank": standing.rank if session.show_leaderboard else None,
    }


def participant_standing(session: LiveSession, participant: LiveParticipant) -> dict:
    """One participant's alias, score and (when the board is shown) rank."""
    rank = None
    if session.show_leaderboard:
        rank = (
            LiveParticipant.objects.filter(session=session, score__gt=participant.score).count() + 1
        )
    return {
        "participant": participant.pk,
        "alias": participant.alias,
        "score": round(participant.score, 2),
        "rank": rank,
    }


def live_counts(session_id: int, position: int) -> dict:
    """``{"position", "answered", "participants"}``: who has answered the round at
    ``position`` out of who has joined."""
    answered = 0
    if position:
        answered = LiveAnswer.objects.filter(
            round__session_id=session_id, round__position=position
        ).count()
    return {
        "position": position,
        "answered": answered,
        "participants": LiveParticipant.objects.filter(session_id=session_id).count(),
    }


def _chosen(response: dict) -> list[str]:
    if "option" in response:
        return [response["option"]]
    return list(response.get("options") or [])


def round_results(live_round: LiveRound, participants: int) -> dict:
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
                {
                    "id": option["id"],
                    "text_html": str(render(option.get("text") or option["id"], inline=True)),
                    "correct": bool(option.get("correct")),
                    "count": count,
                    "percent": round(100 * count / answered) if answered else 0,
                }
            )
    version = live_round.version
    return {
        "kind": kind,
        "participants": participants,
        "answered": answered,
        "unanswered": max(0, participants - answered),
        "right": right,
        "partial": partial,
        "wrong": answered - right - partial,
        "options": options,
        "correct_answer": correct_answer(live_round),
        "explanation_html": str(render(version.explanation)) if version.explanation else "",
        "source": citation_for(live_round.question),
    }


def _reveal_body(
    session: LiveSession, live_round: LiveRound, standings: list[Standing] | None = None
) -> dict:
    """The reveal every page gets (cached per process: a closed round's results are final)."""
    key = (connection.schema_name, live_round.pk)
    cached = _reveals.get(key)
    if cached is not None:
        return cached
    if standings is None:
        standings = live_standings(session)
    body = {
        "type": "reveal",
        "session": session_info(session, quiz_question_count(session.quiz_id)),
        "round": round_payload(live_round),
        "results": round_results(live_round, len(standings)),
        "leaderboard": leaderboard(session, standings),
    }
    return _reveals.put(key, body)


def _answer_payload(answer: LiveAnswer | None) -> dict | None:
    if answer is None:
        return None
    return {
        "position": answer.round.position,
        "response": answer.response,
        "answered_at": _iso(answer.answered_at),
    }


def _you_line(session: LiveSession, standing: dict, answer: tuple | None) -> dict:
    score, points = answer if answer is not None else (None, 0.0)
    return {
        **standing,
        "answered": score is not None,
        "correct": None if score is None else score >= 1.0,
        "earned": score,
        "points_awarded": round(points, 2),
    }


def _reveal_you(session, live_round, standings) -> dict[str, dict]:
    """Each participant's own line for a reveal: their total and rank, whether they answered,
    the share of the points their answer earned and the points it brought."""
    answers = {
        pid: (score, points)
        for pid, score, points in LiveAnswer.objects.filter(round=live_round).values_list(
            "participant_id", "score", "points_awarded"
        )
    }
    return {
        str(s.participant): _you_line(
            session, _standing_payload(session, s), answers.get(s.participant)
        )
        for s in standings
    }


def live_state(
    session: LiveSession,
    *,
    role: str,
    participant: LiveParticipant | None = None,
    now: dt.datetime | None = None,
) -> dict:
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
        live_round = (
            LiveRound.objects.select_related("version", "question__source_material")
            .defer("question__embedding")
            .filter(session=session, position=session.position)
            .first()
        )
    state = {
        "type": "state",
        "role": role,
        "server_time": now.isoformat(),
        "session": session_info(session, total),
        "you": participant_standing(session, participant) if participant else None,
        "round": None,
        "answer": None,
        "counts": live_counts(session.pk, session.position),
        "reveal": None,
        "final": None,
    }
    if live_round is not None and session.state != LiveSession.State.FINISHED:
        state["round"] = round_payload(live_round, now=now)
        if participant is not None:
            own = (
                LiveAnswer.objects.select_related("round")
                .filter(round=live_round, participant=participant)
                .first()
            )
            state["answer"] = _answer_payload(own)
    if session.state == LiveSession.State.REVEAL and live_round is not None:
        body = _reveal_body(session, live_round)
        state["reveal"] = {k: v for k, v in body.items() if k != "type"}
        if participant is not None:
            own = (
                LiveAnswer.objects.filter(round=live_round, participant=participant)
                .values_list("score", "points_awarded")
                .first()
            )
            state["reveal"]["you"] = _you_line(session, state["you"], own)
    if session.state == LiveSession.State.FINISHED:
        standings = live_standings(session)
        state["final"] = {"leaderboard": leaderboard(session, standings)}
    return state


# --- starting and joining ------------------------------------------------------------------


def _random_codes() -> Iterable[str]:
    while True:
        yield "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def _check_manager(user: User | None, session_or_quiz) -> None:
    quiz = session_or_quiz if isinstance(session_or_quiz, Quiz) else session_or_quiz.quiz
    if user is None or not can_manage_course(user, quiz.course):
        raise LiveRefused(
            "not_host", "Only the course's teachers and the school's admins run live sessions."
        )


def live_session_start(
    quiz: Quiz,
    host: User,
    *,
    show_leaderboard: bool = True,
    anonymous_leaderboard: bool = False,
    speed_scoring: bool = True,
    seconds_per_question: int | None = None,
    codes: Iterable[str] | None = None,
) -> LiveSession:
    """Open a session of a published quiz in the lobby, with a join code no running session
    has. ``codes``: the candidates to try, in order (random by default). Raises
    ``LiveRefused`` (``not_host``, ``not_published``, ``empty``, ``bad_settings``)."""
    _check_manager(host, quiz)
    if quiz.state != Quiz.State.PUBLISHED:
        raise LiveRefused("not_published", "Publish the quiz before running it live.")
    if not QuizItem.objects.filter(quiz=quiz).exists():
        raise LiveRefused("empty", "This quiz has no questions yet.")
    if seconds_per_question is not None and not (
        SECONDS_PER_QUESTION_MIN <= seconds_per_question <= SECONDS_PER_QUESTION_MAX
    ):
        raise LiveRefused(
            "bad_settings",
            f"Seconds per question must be between {SECONDS_PER_QUESTION_MIN} and "
            f"{SECONDS_PER_QUESTION_MAX} (or empty: you close each question).",
        )
    for tries, code in enumerate(codes or _random_codes()):
        if tries >= 50:
            break
        try:
            with transaction.atomic():
                return LiveSession.objects.create(
                    quiz=quiz,
                    host=host,
                    join_code=code,
                    show_leaderboard=show_leaderboard,
                    anonymous_leaderboard=anonymous_leaderboard,
                    speed_scoring=speed_scoring,
                    seconds_per_question=seconds_per_question,
                )
        except IntegrityError:
            continue  # a running session has this code: try the next one
    raise LiveRefused("busy", "No free join code was found; try again.")


def _alias_for(session: LiveSession) -> str:
    taken = set(LiveParticipant.objects.filter(session=session).values_list("alias", flat=True))
    free = [f"{a} {b}" for a in ADJECTIVES for b in ANIMALS if f"{a} {b}" not in taken]
    if free:
        return secrets.choice(free)
    base = f"{secrets.choice(ADJECTIVES)} {secrets.choice(ANIMALS)}"
    number = 2
    while f"{base} {number}" in taken:
        number += 1
    return f"{base} {number}"


def live_join(session: LiveSession, student: User) -> tuple[LiveParticipant, bool]:
    """The student's participant in the session, made on the first join (a free alias); the
    same one on every later join. Returns (participant, created). Raises ``LiveRefused``
    (``not_a_student``, ``finished``)."""
    existing = LiveParticipant.objects.filter(session=session, student=student).first()
    if existing is not None:
        return existing, False
    if live_role(student, session) != "student":
        raise LiveRefused("not_a_student", "Teachers run live sessions; students join them.")
    if session.state == LiveSession.State.FINISHED:
        raise LiveRefused("finished", "This live session has ended.")
    for _ in range(10):
        try:
            with transaction.atomic():
                participant = LiveParticipant.objects.create(
                    session=session, student=student, alias=_alias_for(session)
                )
        except IntegrityError:
            # Two devices joined at once, or two students drew the same alias.
            existing = LiveParticipant.objects.filter(session=session, student=student).first()
            if existing is not None:
                return existing, False
            continue
        group = live_host_group(connection.schema_name, session.pk)
        transaction.on_commit(
            lambda group=group: group_send_quietly(group, {"type": "live.event", "event": "joined"})
        )
        return participant, True
    raise LiveRefused("busy", "Joining failed; try again.")


def live_connect(
    user: User, code: str, *, session_id: int | None = None, now: dt.datetime | None = None
) -> tuple[LiveSession, str, LiveParticipant | None]:
    """What a page opening a session gets: the session, the role the server gives ``user``
    and, for a student, their participant (joined now if they had not). A round whose time is
    up is closed first, so the page sees the results. Raises ``LiveRefused`` (``not_found``,
    ``not_a_student``)."""
    session = live_session_find(user, code, session_id=session_id)
    role = live_role(user, session)
    participant = None
    if role == "student":
        if session.state == LiveSession.State.FINISHED:
            participant = LiveParticipant.objects.filter(session=session, student=user).first()
            if participant is None:
                raise LiveRefused("not_found", NOT_FOUND_MESSAGE)
        else:
            participant, _ = live_join(session, user)
    if live_round_close(session.pk, only_if_due=True, now=now):
        session.refresh_from_db()
    return session, role, participant


# --- the host's pace -----------------------------------------------------------------------


def _round_is_due(live_round: LiveRound, now: dt.datetime) -> bool:
    return live_round.closes_at is not None and now >= live_round.closes_at


def _locked_session(session_id: int) -> LiveSession:
    return (
        LiveSession.objects.select_for_update(of=("self",))
        .select_related("quiz__course")
        .get(pk=session_id)
    )


@transaction.atomic
def live_round_open_next(session_id: int, *, by: User, now: dt.datetime | None = None) -> LiveRound:
    """Open the next question (the first from the lobby) pinned to its current version, with
    its closing time when the session is timed. Raises ``LiveRefused`` (``not_host``,
    ``finished``, ``round_open``, ``no_questions_left``)."""
    now = now or timezone.now()
    session = _locked_session(session_id)
    _check_manager(by, session)
    if session.state == LiveSession.State.FINISHED:
        raise LiveRefused("finished", "This live session has ended.")
    if session.state == LiveSession.State.QUESTION:
        raise LiveRefused("round_open", "Close the answers to this question first.")
    items = list(
        QuizItem.objects.filter(quiz_id=session.quiz_id)
        .order_by("position", "id")
        .values_list("question_id", "points")
    )
    if session.position >= len(items):
        raise LiveRefused(
            "no_questions_left",
            "That was the last question; end the session to show the final leaderboard.",
        )
    question_id, points = items[session.position]
    version_id, _ = _pin_current_versions([question_id])[question_id]
    closes_at = None
    if session.seconds_per_question:
        closes_at = now + dt.timedelta(seconds=session.seconds_per_question)
    live_round = LiveRound.objects.create(
        session=session,
        position=session.position + 1,
        question_id=question_id,
        version_id=version_id,
        points=points,
        opened_at=now,
        closes_at=closes_at,
    )
    session.state = LiveSession.State.QUESTION
    session.position = live_round.position
    session.save(update_fields=["state", "position"])
    schema = connection.schema_name
    transaction.on_commit(lambda: _broadcast_question(schema, session, live_round.pk))
    return live_round


@transaction.atomic
def live_round_close(
    session_id: int,
    *,
    by: User | None = None,
    round_id: int | None = None,
    only_if_due: bool = False,
    now: dt.datetime | None = None,
) -> bool:
    """Stop answers to the open round and reveal its results. Returns whether this call closed
    it (False: nothing was open, it was another round, or with ``only_if_due`` its time is not
    up yet). Timers and reconnecting pages pass ``only_if_due`` and no ``by``; anyone else must
    run the session (``LiveRefused("not_host")``)."""
    now = now or timezone.now()
    if not only_if_due:
        session = _locked_session(session_id)
        _check_manager(by, session)
    else:
        # Cheap when nothing is due: most calls find the round still running or already shut.
        due = LiveRound.objects.filter(
            session_id=session_id,
            session__state=LiveSession.State.QUESTION,
            closed_at__isnull=True,
            closes_at__lte=now,
        )
        if round_id is not None:
            due = due.filter(pk=round_id)
        if not due.exists():
            return False
        session = _locked_session(session_id)
    if session.state != LiveSession.State.QUESTION:
        return False
    live_round = LiveRound.objects.get(session=session, position=session.position)
    if round_id is not None and live_round.pk != round_id:
        return False
    if only_if_due and not _round_is_due(live_round, now):
        return False
    # Waits for answers being stored right now (they hold a share lock on the round).
    LiveRound.objects.filter(pk=live_round.pk).update(closed_at=now)
    session.state = LiveSession.State.REVEAL
    session.save(update_fields=["state"])
    schema = connection.schema_name
    transaction.on_commit(lambda: _broadcast_reveal(schema, session.pk, live_round.pk))
    return True


@transaction.atomic
def live_session_end(session_id: int, *, by: User, now: dt.datetime | None = None) -> bool:
    """Finish the session (closing an open round first): the final leaderboard goes out and
    the join code is free. Returns whether this call ended it (False: it had ended)."""
    now = now or timezone.now()
    session = _locked_session(session_id)
    _check_manager(by, session)
    if session.state == LiveSession.State.FINISHED:
        return False
    LiveRound.objects.filter(session=session, closed_at__isnull=True).update(closed_at=now)
    session.state = LiveSession.State.FINISHED
    session.ended_at = now
    session.save(update_fields=["state", "ended_at"])
    schema = connection.schema_name
    transaction.on_commit(lambda: _broadcast_end(schema, session.pk))
    return True


# --- answering -----------------------------------------------------------------------------


def speed_points(
    points: float, score: float, elapsed_ms: int, *, speed_scoring: bool, seconds: int | None
) -> float:
    """Leaderboard points for an answer: the round's points times the share earned, up to
    double for a fast right answer when the session scores speed."""
    earned = points * score
    if speed_scoring and score > 0:
        window_ms = (seconds or SPEED_WINDOW_SECONDS) * 1000
        earned *= 1 + max(0.0, 1 - elapsed_ms / window_ms)
    return round(earned, 2)


@dataclass
class AnswerTaken:
    position: int
    response: dict
    answered_at: dt.datetime
    score: float  # 0..1, kept from the page until the reveal
    points_awarded: float
    total: float  # the participant's score now
    session_id: int
    participant_id: int
    student_id: int
    course_id: int

    def payload(self) -> dict:
        return {
            "type": "answer_received",
            "position": self.position,
            "response": self.response,
            "answered_at": self.answered_at.isoformat(),
        }


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
    response,
    *,
    now: dt.datetime | None = None,
    sender: str | None = None,
) -> AnswerTaken:
    """Store and grade the participant's answer to ``live_round`` (as ``live_round_cached``
    loads it) and add its points to their score, in one statement that only writes while the
    round is open as the database sees it then. Raises ``LiveRefused`` (``bad_response``,
    ``closed``, ``already_answered``) and stores nothing then.

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
    schema = connection.schema_name
    transaction.on_commit(lambda: answer_after_commit(schema, taken, sender=sender), robust=True)
    return taken


def answer_events(schema: str, taken: AnswerTaken, *, sender: str | None) -> list[tuple]:
    """The channel messages a stored answer sends, as (group, message): a nudge to the host's
    screens (they count again) and the answer to the student's other devices (``sender``,
    the socket it came from, skips it)."""
    return [
        (
            live_host_group(schema, taken.session_id),
            {"type": "live.event", "event": "answered"},
        ),
        (
            live_participant_group(schema, taken.session_id, taken.participant_id),
            {
                "type": "live.event",
                "event": "answer",
                "text": _dumps(taken.payload()),
                "sender": sender,
            },
        ),
    ]


def answer_after_commit(schema: str, taken: AnswerTaken, *, sender: str | None = None) -> None:
    """Everything a committed answer sets off (see ``live_answer``), from sync code."""
    from .progress.services import progress_changed

    for group, message in answer_events(schema, taken, sender=sender):
        group_send_quietly(group, message)
    progress_changed(taken.student_id, taken.course_id)


# --- broadcasts (after commit, built once for every socket) --------------------------------


def _dumps(payload: dict) -> str:
    return json.dumps(payload, separators=(",", ":"))


def _fresh_session(session_id: int) -> LiveSession:
    return LiveSession.objects.select_related("quiz__course").get(pk=session_id)


def _broadcast_question(schema: str, session: LiveSession, round_id: int) -> None:
    session = _fresh_session(session.pk)
    live_round = live_round_cached(session.pk, session.position)
    if live_round is None or live_round.pk != round_id:
        return  # another round is open already; its own broadcast carries it
    body = {
        "type": "question",
        "session": session_info(session, quiz_question_count(session.quiz_id)),
        "round": round_payload(live_round),
        "counts": live_counts(session.pk, live_round.position),
    }
    group_send_quietly(
        live_group(schema, session.pk),
        {
            "type": "live.event",
            "event": "question",
            "text": _dumps(body),
            "round": live_round.pk,
            "position": live_round.position,
            "closes_at": live_round.closes_at.timestamp() if live_round.closes_at else None,
        },
    )


def reveal_event(session: LiveSession, live_round: LiveRound) -> tuple[dict, dict[str, dict]]:
    """A reveal for every page and each participant's own line (by participant id)."""
    standings = live_standings(session)
    body = _reveal_body(session, live_round, standings)
    return body, _reveal_you(session, live_round, standings)


def _broadcast_reveal(schema: str, session_id: int, round_id: int) -> None:
    session = _fresh_session(session_id)
    live_round = (
        LiveRound.objects.select_related("version", "question__source_material")
        .defer("question__embedding")
        .get(pk=round_id)
    )
    body, you = reveal_event(session, live_round)
    group_send_quietly(
        live_group(schema, session_id),
        {
            "type": "live.event",
            "event": "reveal",
            "text": _dumps(body),
            "you": you,
            "round": round_id,
            "position": live_round.position,
        },
    )


def end_event(session: LiveSession) -> tuple[dict, dict[str, dict]]:
    standings = live_standings(session)
    body = {
        "type": "ended",
        "session": session_info(session, quiz_question_count(session.quiz_id)),
        "leaderboard": leaderboard(session, standings),
        "participants": len(standings),
    }
    return body, {str(s.participant): _standing_payload(session, s) for s in standings}


def _broadcast_end(schema: str, session_id: int) -> None:
    body, you = end_event(_fresh_session(session_id))
    group_send_quietly(
        live_group(schema, session_id),
        {"type": "live.event", "event": "ended", "text": _dumps(body), "you": you},
    )
