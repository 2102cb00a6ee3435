"""A live class session over a websocket: ``/ws/live/<code>/`` (pages that know the session
add ``?session=<id>``, so a reused code never lands them in someone else's session).

The server gives the role: the course's teachers and the school's admins are hosts, its students
are participants (joined on connect; the same participant on every reconnect), anyone else is
refused. Every rule lives in ``quizzes.live``; this consumer holds what it needs to stay cheap:

- broadcasts arrive as ready JSON text, built once per event for every socket; a socket sends
  it as it is, splicing in its participant's own line (``you``) for reveals and the end;
- it remembers the open round, so an answer is one call to ``live_answer`` (one statement);
- the host's sockets refresh "answered n / m" at most every ``COUNT_DEBOUNCE_SECONDS``,
  however fast answers come;
- with seconds per question, the host's sockets close the round at its time; students' sockets
  are the fallback a little later (spread out, so a class without its host does not stampede),
  and closing is idempotent.

Every frame it sends or accepts is a dataclass of ``quizzes.live.payloads``; the message
protocol is documented in the manual (docs/websockets.md, "Live class sessions")."""

import asyncio
import logging
import random
import re
import time
from functools import cached_property
from urllib.parse import parse_qs

from accounts.models import User
from smartedu.consumers import (
    CLOSE_FORBIDDEN,
    CLOSE_NO_SUCH_TOPIC,
    CLOSE_NOT_SIGNED_IN,
    GuardedJsonConsumer,
)
from smartedu.payloads import Frame
from tenants.realtime import SchoolCalls

from ..live.answers import live_answer_at
from ..live.groups import live_group, live_host_group, live_participant_group
from ..live.payloads import (
    HOST_COMMANDS,
    MAX_REF_CHARS,
    AnswerFrame,
    CloseFrame,
    CountsFrame,
    ErrorFrame,
    HostCommand,
    NextFrame,
    PingFrame,
    PongFrame,
    StartFrame,
    StateFrame,
    StateRequestFrame,
    ref_valid,
)
from ..live.rules import NOT_FOUND_MESSAGE, LiveRefused
from ..live.selectors import live_counts
from ..live.services import (
    live_connect,
    live_round_close,
    live_round_open_next,
    live_session_end,
    live_state_refreshed,
)
from ..live.shown import dumps
from ..live.snapshots import RoundTrack, live_state_tracked

logger = logging.getLogger(__name__)

CODE_RE = re.compile(r"^[A-Za-z0-9-]{1,16}$")
COUNT_DEBOUNCE_SECONDS = 0.15
HOST_CLOSE_GRACE_SECONDS = 0.05
STUDENT_CLOSE_GRACE_SECONDS = 1.5
STUDENT_CLOSE_SPREAD_SECONDS = 2.0
HOST_ONLY_MESSAGE = "Only the teacher running the session can do that."
ANSWER_SHAPE = 'Send {"type": "answer", "round": <question number>, "response": {...}}.'
UNKNOWN_MESSAGE = (
    "Unknown message. Send one of: ping, state, answer (students); start, next, close, "
    "end (the teacher)."
)


def _command(command: HostCommand, session_id: int, user: User) -> bool:
    """Run a host's command (in the school's schema); whether it changed the session."""
    if isinstance(command, StartFrame | NextFrame):
        live_round_open_next(session_id, by=user)
        return True
    if isinstance(command, CloseFrame):
        return live_round_close(session_id, by=user)
    return live_session_end(session_id, by=user)


# --- one listener per session and server process ------------------------------------------


class _Room:
    """The sockets of one session in this server process. Its broadcasts are read off the
    channel layer once, on a channel of the room's own, and handed to each socket in turn: the
    per-socket cost of an event is then the socket's own send, not a channel-layer delivery
    (a buffer, a wake-up and a dispatch) for each of a thousand sockets."""

    def __init__(self, group: str, layer) -> None:
        self.group = group
        self.members: set = set()
        self.ready = asyncio.Event()
        # Scheduled, not started: it runs once the opener awaits.
        self.task: asyncio.Future[None] = asyncio.ensure_future(self.run(layer))

    async def run(self, layer) -> None:
        try:
            # The process's own channel prefix: the layer reads one Redis list per process
            # for all of them (another prefix would wait on its own list).
            channel = await layer.new_channel()
            await layer.group_add(self.group, channel)
        finally:
            # Sockets waiting to join go on either way (without the layer they hear nothing,
            # as any consumer would).
            self.ready.set()
        try:
            while True:
                event = await layer.receive(channel)
                if event.get("type") != "live.event":
                    continue
                for consumer in list(self.members):
                    try:
                        await consumer.live_event(event)
                    except Exception:
                        logger.exception("A live event could not reach one socket")
        finally:
            await asyncio.shield(layer.group_discard(self.group, channel))


_rooms: dict[str, _Room] = {}


async def _room_join(layer, group: str, consumer) -> None:
    """Put the socket in its session's room (opening the room if it is the first here); returns
    once the room listens, so no broadcast after this is missed."""
    room = _rooms.get(group)
    if room is None:
        room = _rooms[group] = _Room(group, layer)
    room.members.add(consumer)
    await room.ready.wait()


def _room_leave(group: str, consumer) -> None:
    room = _rooms.get(group)
    if room is None:
        return
    room.members.discard(consumer)
    if not room.members:
        del _rooms[group]
        room.task.cancel()


# --- the consumer --------------------------------------------------------------------------


class LiveConsumer(GuardedJsonConsumer):
    """One page (host screen or student device) of one live session.

    Client → server: ``ping``, ``state``, ``answer`` (students: round, response, ref), and for
    hosts ``start``/``next``, ``close``, ``end``. Server → client: ``state``, ``question``,
    ``counts`` (hosts), ``answer_received``, ``reveal``, ``ended``, ``pong``, ``error`` (with a
    ``code`` for refusals). A refused handshake gets an ``error`` and then close code 4401 (not
    signed in), 4403 (not one of the course's people) or 4404 (no such session)."""

    session_id: int | None = None
    role: str | None = None
    participant = None
    you_key: str | None = None
    groups_joined: list[str]
    round_id: int | None = None
    position: int = 0
    round_open: bool = False
    timer: asyncio.Future | None = None
    counts_task: asyncio.Future | None = None
    counts_stale: bool = False
    room: str | None = None

    async def connect(self):
        self.groups_joined = []
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            return await self.refuse(CLOSE_NOT_SIGNED_IN)
        code = self.scope["url_route"]["kwargs"]["code"]
        hint = parse_qs(self.scope.get("query_string", b"").decode("latin-1")).get("session")
        session_id = int(hint[0]) if hint and hint[0].isdigit() else None
        if not CODE_RE.match(code) or (hint and session_id is None):
            return await self._refuse(LiveRefused("not_found", NOT_FOUND_MESSAGE))
        try:
            session, role, participant = await self._db(
                live_connect, user, code, session_id=session_id
            )
        except LiveRefused as exc:
            return await self._refuse(exc)
        self.session_id, self.role, self.participant = session.pk, role, participant
        schema = self.scope["schema_name"]
        # Listen before reading the state: nothing that happens in between is missed (a page
        # may hear an event twice, which it takes in its stride).
        if role == "host":
            group = live_host_group(schema, session.pk)
        else:
            self.you_key = str(participant.pk)
            group = live_participant_group(schema, session.pk, participant.pk)
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined.append(group)
        self.room = live_group(schema, session.pk)
        await _room_join(self.channel_layer, self.room, self)
        await self.accept()
        await self._send_state(await self._db(live_state_tracked, session.pk, role, participant))

    async def _refuse(self, refusal: LiveRefused) -> None:
        await self.accept()
        await self.send_frame(ErrorFrame(refusal.code, refusal.message))
        await self.close(
            code=CLOSE_NO_SUCH_TOPIC if refusal.code == "not_found" else CLOSE_FORBIDDEN
        )

    async def disconnect(self, code):
        for task in (self.timer, self.counts_task):
            if task is not None:
                task.cancel()
        if self.room is not None:
            _room_leave(self.room, self)
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    @cached_property
    def _db(self) -> SchoolCalls:
        return SchoolCalls(self.scope["schema_name"])

    async def send_frame(self, frame: Frame) -> None:
        await self.send_json(frame.as_message())

    async def _send_state(self, state_and_track: tuple[StateFrame, RoundTrack]) -> None:
        state, track = state_and_track
        self._track(track.round, track.position, track.closes_at, track.open)
        await self.send_frame(state)

    # --- from the page ---------------------------------------------------------------------

    async def receive_json(self, content, **kwargs):
        message = content if isinstance(content, dict) else {}
        if self.session_id is None:
            return
        ref = message.get("ref")
        if not ref_valid(ref):
            return await self.send_frame(
                ErrorFrame("bad_message", f"A ref is text of at most {MAX_REF_CHARS} characters.")
            )
        kind = message.get("type")
        if kind == PingFrame.type:
            return await self.send_frame(PongFrame(time.time()))
        if kind == StateRequestFrame.type:
            return await self._send_state(
                await self._db(live_state_refreshed, self.session_id, self.role, self.participant)
            )
        if kind == AnswerFrame.type:
            return await self.on_answer(message, ref or None)
        command = HOST_COMMANDS.get(kind) if isinstance(kind, str) else None
        if command is not None:
            return await self.on_command(command(ref or None))
        await self.send_frame(ErrorFrame("bad_message", UNKNOWN_MESSAGE))

    async def on_answer(self, message: dict, ref: str | None) -> None:
        if self.role != "student":
            return await self.send_frame(
                ErrorFrame(
                    "students_only", "Only students answer; you are running this session.", ref=ref
                )
            )
        answer = AnswerFrame.parse(message, ref)
        if answer is None:
            return await self.send_frame(ErrorFrame("bad_message", ANSWER_SHAPE, ref=ref))
        try:
            taken = await self._db(
                live_answer_at,
                self.session_id,
                answer.round,
                self.participant,
                answer.response,
                sender=self.channel_name,
            )
        except LiveRefused as exc:
            return await self.send_frame(
                ErrorFrame(exc.code, exc.message, round=answer.round, ref=ref)
            )
        await self.send_frame(taken.frame(ref))

    async def on_command(self, command: HostCommand) -> None:
        ref = command.ref
        if self.role != "host":
            return await self.send_frame(ErrorFrame("host_only", HOST_ONLY_MESSAGE, ref=ref))
        try:
            changed = await self._db(_command, command, self.session_id, self.scope["user"])
        except LiveRefused as exc:
            return await self.send_frame(ErrorFrame(exc.code, exc.message, ref=ref))
        if not changed:
            if isinstance(command, CloseFrame):
                await self.send_frame(ErrorFrame("not_open", "No question is open.", ref=ref))
            else:
                await self.send_frame(ErrorFrame("finished", "The session has ended.", ref=ref))

    # --- from the session's groups ---------------------------------------------------------

    async def live_event(self, event):
        kind = event["event"]
        if kind in ("answered", "joined"):
            if self.role == "host":
                self._refresh_counts()
            return
        if kind == "answer":
            if event.get("sender") != self.channel_name:
                await self.send(text_data=event["text"])
            return
        if kind == "question":
            self._track(event["round"], event["position"], event["closes_at"], True)
        elif kind == "reveal":
            self._track(event["round"], event["position"], None, False)
        elif kind == "ended":
            self._track(None, self.position, None, False)
        text = event["text"]
        you = event.get("you")
        if you is not None and self.you_key is not None:
            # The shared text is an object: its closing brace makes room for this page's line.
            text = f'{text[:-1]},"you":{dumps(you.get(self.you_key))}}}'
        await self.send(text_data=text)

    # --- timers ----------------------------------------------------------------------------

    def _track(self, round_id, position: int, closes_at: float | None, is_open: bool) -> None:
        self.round_id, self.position, self.round_open = round_id, position, is_open
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if is_open and closes_at is not None:
            if self.role == "host":
                at = closes_at + HOST_CLOSE_GRACE_SECONDS
            else:
                at = (
                    closes_at
                    + STUDENT_CLOSE_GRACE_SECONDS
                    + random.random() * STUDENT_CLOSE_SPREAD_SECONDS
                )
            self.timer = asyncio.ensure_future(self._close_when_due(round_id, at))

    async def _close_when_due(self, round_id: int, at: float) -> None:
        for _ in range(10):
            await asyncio.sleep(max(0.0, at - time.time()))
            if not (self.round_open and self.round_id == round_id):
                return
            try:
                if await self._db(
                    live_round_close, self.session_id, round_id=round_id, only_if_due=True
                ):
                    return
            except Exception:
                logger.exception("Closing live round %s at its time failed", round_id)
            # Not due by the database's clock yet, or closed elsewhere and the reveal is on
            # its way: look again shortly.
            at = time.time() + 1.0

    def _refresh_counts(self) -> None:
        if self.counts_task is not None and not self.counts_task.done():
            self.counts_stale = True
            return
        self.counts_task = asyncio.ensure_future(self._send_counts())

    async def _send_counts(self) -> None:
        while True:
            self.counts_stale = False
            await asyncio.sleep(COUNT_DEBOUNCE_SECONDS)
            counts = await self._db(live_counts, self.session_id, self.position)
            await self.send_frame(
                CountsFrame(counts.position, counts.answered, counts.participants)
            )
            if not self.counts_stale:
                return
