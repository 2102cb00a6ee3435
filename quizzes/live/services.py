"""Every write of a live session, one function per state change, called alike by the websocket
consumer (``quizzes.consumers.live``) and the host page's plain forms. Each raises
``LiveRefused`` (nothing changed then) and tells the open pages after commit
(``quizzes.live.broadcasts``)."""

import datetime as dt
import secrets
from collections.abc import Iterable
from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from courses.selectors import can_manage_course
from smartedu.db import current_schema

from ..attempts.services import _pin_current_versions
from ..models import LiveParticipant, LiveRound, LiveSession, Quiz, QuizItem
from .aliases import alias_free
from .broadcasts import (
    broadcast_end,
    broadcast_joined,
    broadcast_question,
    broadcast_reveal,
)
from .payloads import Role, StateFrame
from .rules import (
    JOIN_CODE_ALPHABET,
    JOIN_CODE_LENGTH,
    NOT_FOUND_MESSAGE,
    SECONDS_PER_QUESTION_MAX,
    SECONDS_PER_QUESTION_MIN,
    LiveRefused,
)
from .selectors import live_role, live_session_find
from .snapshots import RoundTrack, live_state_tracked

# --- starting and joining ------------------------------------------------------------------


def _random_codes() -> Iterable[str]:
    while True:
        yield "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def _check_manager(user: User | None, session_or_quiz: LiveSession | Quiz) -> None:
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
    has: six characters from an alphabet without look-alikes (no 0/O, 1/I/L). ``codes``: the
    candidates to try, in order (random by default); the database constraint
    ``live_join_code_active_once`` has the last word, and a finished session frees its code.
    Raises ``LiveRefused`` (``not_host``, ``not_published``, ``empty``, ``bad_settings``, and
    ``busy`` when 50 candidates were all taken)."""
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


def live_join(session: LiveSession, student: User) -> tuple[LiveParticipant, bool]:
    """The student's participant in the session, made on the first join with a stable alias
    ("Blue Otter"); the same one, alias and score on every later join (a reload, another
    device): idempotent, and two devices joining at once get one participant (the unique
    constraint decides). Returns (participant, created); the host's screens hear of a new one
    after commit. Raises ``LiveRefused`` (``not_a_student``, ``finished``, ``busy``)."""
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
                taken = set(
                    LiveParticipant.objects.filter(session=session).values_list("alias", flat=True)
                )
                participant = LiveParticipant.objects.create(
                    session=session, student=student, alias=alias_free(taken)
                )
        except IntegrityError:
            # Two devices joined at once, or two students drew the same alias.
            existing = LiveParticipant.objects.filter(session=session, student=student).first()
            if existing is not None:
                return existing, False
            continue
        transaction.on_commit(partial(broadcast_joined, current_schema(), session.pk))
        return participant, True
    raise LiveRefused("busy", "Joining failed; try again.")


def live_connect(
    user: User, code: str, *, session_id: int | None = None, now: dt.datetime | None = None
) -> tuple[LiveSession, Role, LiveParticipant | None]:
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


def live_state_refreshed(
    session_id: int, role: Role, participant: LiveParticipant | None
) -> tuple[StateFrame, RoundTrack]:
    """A state asked for again: a round whose time is up is closed first (as
    ``live_round_close`` with ``only_if_due``), then the state as ``live_state_tracked``."""
    live_round_close(session_id, only_if_due=True)
    return live_state_tracked(session_id, role, participant)


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
    """Open the next question (the first from the lobby) as a ``LiveRound`` pinned to the
    question's current version (read under a share lock, like an attempt's start), with its
    closing time when the session is timed. Locks the session row, so two hosts' clicks open
    one round each in turn (the second is refused). Every page hears the question after
    commit. Raises ``LiveRefused`` (``not_host``, ``finished``, ``round_open``,
    ``no_questions_left``)."""
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
    schema = current_schema()
    transaction.on_commit(lambda: broadcast_question(schema, session.pk, live_round.pk))
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
    up yet). Idempotent: the host's button, a page's timer and a reconnecting page may all
    call it; the session's row lock lets one of them close it. Timers and reconnecting pages
    pass ``only_if_due`` and no ``by``; anyone else must run the session
    (``LiveRefused("not_host")``). Every page hears the reveal after commit."""
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
    schema = current_schema()
    transaction.on_commit(lambda: broadcast_reveal(schema, session.pk, live_round.pk))
    return True


@transaction.atomic
def live_session_end(session_id: int, *, by: User, now: dt.datetime | None = None) -> bool:
    """Finish the session (closing an open round first): the final leaderboard goes out after
    commit and the join code is free. Locks the session row. Returns whether this call ended
    it (False: it had ended; idempotent). Raises ``LiveRefused("not_host")``."""
    now = now or timezone.now()
    session = _locked_session(session_id)
    _check_manager(by, session)
    if session.state == LiveSession.State.FINISHED:
        return False
    LiveRound.objects.filter(session=session, closed_at__isnull=True).update(closed_at=now)
    session.state = LiveSession.State.FINISHED
    session.ended_at = now
    session.save(update_fields=["state", "ended_at"])
    schema = current_schema()
    transaction.on_commit(lambda: broadcast_end(schema, session.pk))
    return True
