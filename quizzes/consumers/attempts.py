"""A student taking a quiz over a websocket: ``/ws/quizzes/<quiz_id>/attempt/``.

The consumer is thin: every rule lives in ``quizzes.attempts``. Each message is one call of
``quizzes.attempts.player`` (or ``services.answer_save``) and each reply one of the typed frames
of ``quizzes.attempts.payloads``. It holds the attempt it opened and that attempt's questions in
memory, so an answer costs ``answer_save``'s one conditional UPDATE and nothing else; it keeps
a timer that submits the attempt at its deadline; it hears the attempt's group, so saves and
submits from another tab, the API or the sweep reach the page.
The protocol is documented in the manual (docs/websockets.md, "Taking a quiz")."""

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from functools import cached_property
from typing import cast

from django.utils import timezone

from smartedu.consumers import (
    CLOSE_FORBIDDEN,
    CLOSE_NO_SUCH_TOPIC,
    CLOSE_NOT_SIGNED_IN,
    GuardedJsonConsumer,
)
from smartedu.errors import NotFound
from tenants.realtime import SchoolCalls

from ..access import quiz_access
from ..attempts.display import feedback_for
from ..attempts.errors import AttemptRefused
from ..attempts.groups import attempt_group
from ..attempts.payloads import (
    OMITTED,
    AnswerSavedEvent,
    AttemptFrame,
    ErrorFrame,
    PongFrame,
    SavedFrame,
    SubmittedFrame,
)
from ..attempts.player import (
    player_open,
    player_start,
    player_submit,
    player_submit_if_due,
    player_submitted_state,
)
from ..attempts.rules import answer_locks, is_course_student
from ..attempts.services import answer_save
from ..grading import grade
from ..models import Attempt, AttemptQuestion, Quiz

logger = logging.getLogger(__name__)

MAX_REF_CHARS = 40
# The timer fires just after the deadline: the rules take answers up to and at the deadline.
DEADLINE_GRACE_SECONDS = 0.2


# --- database work, run in the school's schema through run_in_school ----------------------


def _quiz_for_student(user, quiz_id: int) -> tuple[Quiz | None, int]:
    """The published quiz ``user`` takes as a student, or (None, the close code saying why
    not): 4404 when they cannot see it or it is not published, 4403 when they are not one of
    its course's students (a teacher, an admin)."""
    try:
        quiz = quiz_access(user, quiz_id)
    except NotFound:
        return None, CLOSE_NO_SUCH_TOPIC
    if quiz.state != Quiz.State.PUBLISHED:
        return None, CLOSE_NO_SUCH_TOPIC
    if not is_course_student(user, quiz):
        return None, CLOSE_FORBIDDEN
    return quiz, 0


# --- the consumer --------------------------------------------------------------------------


def _is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class AttemptConsumer(GuardedJsonConsumer):
    """One student's attempt at one quiz.

    Client → server: ``ping``, ``open``, ``start``, ``answer`` (attempt, position, response,
    ref), ``submit`` (attempt, ref). Server → client: ``pong``, ``status``, ``attempt``,
    ``saved``, ``submitted``, ``error`` (with a ``code`` for refusals and bad shapes). Only the
    attempt this socket opened or started can be answered or submitted."""

    quiz_id: int
    attempt: Attempt | None = None
    questions: dict[int, AttemptQuestion]
    group: str | None = None
    timer: asyncio.Task | None = None
    # Whether the page has been told this attempt is submitted (push it once, whoever did it).
    announced: bool = False

    async def connect(self):
        self.questions = {}
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            return await self.refuse(CLOSE_NOT_SIGNED_IN)
        self.quiz_id = int(self.scope["url_route"]["kwargs"]["quiz_id"])
        quiz, close_code = await self._db(_quiz_for_student, user, self.quiz_id)
        if quiz is None:
            return await self.refuse(close_code)
        await self.accept()

    async def disconnect(self, code):
        self._cancel_timer()
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    @cached_property
    def _db(self) -> SchoolCalls:
        return SchoolCalls(self.scope["schema_name"])

    async def receive_json(self, content, **kwargs):
        kind = content.get("type") if isinstance(content, dict) else None
        kind = kind if isinstance(kind, str) else None  # a list or object is no message type
        handlers: dict[str | None, Callable[[dict], Awaitable[None]]] = {
            "ping": self.on_ping,
            "open": self.on_open,
            "start": self.on_start,
            "answer": self.on_answer,
            "submit": self.on_submit,
        }
        handler = handlers.get(kind)
        if handler is None:
            return await self._error(
                "bad_message",
                'Unknown message; send {"type": ...} with one of ping, open, start, answer, '
                "submit.",
            )
        await handler(content)

    async def _send(self, frame: AttemptFrame) -> None:
        await self.send_json(frame.as_message())

    async def _error(self, code: str, message: str, **extra) -> None:
        await self._send(ErrorFrame(code, message, **extra))

    # --- handlers --------------------------------------------------------------------------

    async def on_ping(self, content):
        await self._send(PongFrame(server_time=timezone.now().isoformat()))

    async def on_open(self, content):
        try:
            attempt, questions, frame = await self._db(
                player_open, self.quiz_id, self.scope["user"]
            )
        except Quiz.DoesNotExist:
            return await self._error("not_found", "This quiz no longer exists.")
        await self._hold(attempt, questions)
        await self._send(frame)

    async def on_start(self, content):
        # A refusal (AttemptRefused) goes back as the socket's error frame, code and sentence.
        try:
            attempt, questions, frame = await self._db(
                player_start, self.quiz_id, self.scope["user"]
            )
        except Quiz.DoesNotExist:
            return await self._error("not_found", "This quiz no longer exists.")
        await self._hold(attempt, questions)
        await self._send(frame)

    async def on_answer(self, content):
        ref, problem = _ref_of(content)
        if problem:
            return await self._error("bad_message", problem, ref=None)
        position = content.get("position")
        if not _is_id(content.get("attempt")) or not _is_id(position):
            return await self._error(
                "bad_message",
                'An answer names its attempt and question: {"type": "answer", "attempt": <id>, '
                '"position": <number>, "response": {...}, "ref": "..."}.',
                ref=ref,
                position=position if _is_id(position) else None,
            )
        if not self._holds(content["attempt"]):
            return await self._error(
                "not_found",
                "No such attempt on this connection: send open (or start) and answer the "
                "attempt it returns.",
                ref=ref,
                position=position,
            )
        question = self.questions.get(position)
        if question is None:
            return await self._error(
                "no_such_question",
                f"This attempt has no question {position} (it has 1 to {len(self.questions)}).",
                ref=ref,
                position=position,
            )
        if self.announced:
            # Known submitted (by this page, its timer or elsewhere): no need to ask the database.
            return await self._error(
                "submitted",
                "This attempt is already submitted; its answers can no longer change.",
                ref=ref,
                position=position,
            )
        try:
            saved = await self._db(
                answer_save,
                self.attempt,
                question,
                content.get("response"),
                sender=self.channel_name,
            )
        except AttemptRefused as refused:
            return await self._error(refused.code, refused.message, ref=ref, position=position)
        feedback = saved.feedback if saved.feedback is not None else OMITTED
        await self._send(self._saved_frame(question, saved.saved_at, ref=ref, feedback=feedback))

    async def on_submit(self, content):
        ref, problem = _ref_of(content)
        if problem:
            return await self._error("bad_message", problem, ref=None)
        if not _is_id(content.get("attempt")):
            return await self._error(
                "bad_message",
                'A submit names its attempt: {"type": "submit", "attempt": <id>, "ref": "..."}.',
                ref=ref,
            )
        if not self._holds(content["attempt"]):
            return await self._error(
                "not_found",
                "No such attempt on this connection: send open (or start) and submit the "
                "attempt it returns.",
                ref=ref,
            )
        self.announced = True
        self._cancel_timer()
        questions, state, changed = await self._db(
            player_submit, self.attempt, Attempt.SubmitReason.STUDENT, self.channel_name
        )
        self.questions = {q.position: q for q in questions}
        await self._send(
            SubmittedFrame(
                reason=state["result"]["submit_reason"],
                already_submitted=not changed,
                ref=ref,
                state=state,
            )
        )

    # --- what this socket holds ------------------------------------------------------------

    def _holds(self, attempt_id: int) -> bool:
        return self.attempt is not None and self.attempt.pk == attempt_id

    async def _hold(self, attempt: Attempt | None, questions: list[AttemptQuestion]) -> None:
        """Keep ``attempt`` and its questions for answers; hear its group and run its timer
        while it is in progress."""
        self._cancel_timer()
        group = attempt_group(self.scope["schema_name"], attempt.pk) if attempt else None
        if self.group and self.group != group:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            self.group = None
        self.attempt = attempt
        self.questions = {q.position: q for q in questions}
        self.announced = attempt is None or attempt.state == Attempt.State.SUBMITTED
        if attempt is None or self.announced:
            return
        if self.group != group:
            await self.channel_layer.group_add(group, self.channel_name)
            self.group = group
        if attempt.deadline is not None:
            self.timer = asyncio.create_task(self._submit_at(attempt.pk, attempt.deadline))

    def _cancel_timer(self) -> None:
        if self.timer is not None and self.timer is not asyncio.current_task():
            self.timer.cancel()
        self.timer = None

    async def _submit_at(self, attempt_id: int, deadline: dt.datetime) -> None:
        """The server's clock: at the deadline, submit and tell the page (the sweep task covers
        attempts whose page is gone)."""
        try:
            while True:
                wait = (deadline - timezone.now()).total_seconds() + DEADLINE_GRACE_SECONDS
                await asyncio.sleep(max(0.0, wait))
                if not self._holds(attempt_id) or self.announced:
                    return
                later, questions, state = await self._db(
                    player_submit_if_due, attempt_id, self.channel_name
                )
                if state is not None:
                    break
                if later is None:
                    return
                deadline = later
            if not self._holds(attempt_id) or self.announced:
                return
            self.announced = True
            self.questions = {q.position: q for q in questions}
            await self._send(SubmittedFrame(reason=state["result"]["submit_reason"], state=state))
        except asyncio.CancelledError:
            raise
        except Exception:
            # The sweep task submits the attempt anyway; the page learns it on its next message.
            logger.exception("Submitting attempt %s at its deadline failed", attempt_id)

    def _saved_frame(
        self, question: AttemptQuestion, saved_at, *, ref=None, feedback=OMITTED
    ) -> SavedFrame:
        assert self.attempt is not None  # answers are saved only to the attempt held here
        return SavedFrame(
            ref=ref,
            attempt=self.attempt.pk,
            position=question.position,
            response=question.response,
            saved_at=saved_at.isoformat(),
            answered=sum(1 for q in self.questions.values() if q.answered_at is not None),
            feedback=feedback,
        )

    # --- events from the attempt's group (another tab, the API, the sweep) -----------------

    async def attempt_event(self, event):
        if event.get("sender") == self.channel_name or self.attempt is None:
            return
        payload = event.get("event") or {}
        if payload.get("type") == "saved":
            # The channel layer hands it over untyped; answer_saved_broadcast built it as one.
            await self._saved_elsewhere(self.attempt, cast(AnswerSavedEvent, payload))
        elif payload.get("type") == "submitted" and not self.announced:
            self.announced = True
            self._cancel_timer()
            attempt_id = self.attempt.pk
            questions, state = await self._db(player_submitted_state, attempt_id)
            if self._holds(attempt_id):
                self.questions = {q.position: q for q in questions}
            await self._send(SubmittedFrame(reason=state["result"]["submit_reason"], state=state))

    async def _saved_elsewhere(self, attempt: Attempt, payload: AnswerSavedEvent) -> None:
        """Mirror another page's saved answer in memory (grading is pure: no database) and
        pass it on, with its feedback when the quiz shows feedback at once."""
        question = self.questions.get(payload["position"])
        if question is None or self.announced:
            return
        saved_at = dt.datetime.fromisoformat(payload["saved_at"])
        question.response = payload["response"]
        question.score = grade(question.question.kind, question.version, question.response)
        question.answered_at = saved_at
        feedback = feedback_for(question) if answer_locks(attempt.quiz) else OMITTED
        await self._send(self._saved_frame(question, saved_at, feedback=feedback))


def _ref_of(content: dict) -> tuple[str | None, str | None]:
    """The client's ``ref`` (optional text echoed in the reply), or a problem with it."""
    ref = content.get("ref")
    if ref is None:
        return None, None
    if not isinstance(ref, str) or len(ref) > MAX_REF_CHARS:
        return None, f"ref must be text of at most {MAX_REF_CHARS} characters."
    return ref, None
