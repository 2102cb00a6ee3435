"""The messages of a live session's websocket (``ws/live/<code>/``), as frozen dataclasses
deriving from ``smartedu.payloads.Frame``: ``as_message()`` gives the JSON object sent on the
socket (the state the host and play pages embed is the same object), ``as_text()`` the compact
text a broadcast carries once for every socket. Their pieces are in ``quizzes.live.shown``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from smartedu.payloads import Frame

from .shown import (
    AnswerShown,
    FinalShown,
    LeaderboardRow,
    LiveCounts,
    RevealShown,
    RoundResults,
    RoundShown,
    SessionInfo,
    StandingLine,
    YouLine,
    dumps,
    plain,
)

ENDPOINT = "ws/live/<code>/"
Role = Literal["host", "student"]


class _Wire:
    """``as_message`` and ``as_text`` for this module's frames (kept out of the ``Frame``
    hierarchy, so the protocol page lists only real messages)."""

    type: ClassVar[str]

    def as_message(self) -> dict[str, Any]:
        """The JSON object sent on the socket: ``{"type": ..., **fields}``."""
        return {"type": self.type, **plain(self)}

    def as_text(self) -> str:
        """``as_message()`` as compact JSON text, built once for every socket."""
        return dumps(self.as_message())


# --- server → client -----------------------------------------------------------------------


@dataclass(frozen=True)
class StateFrame(_Wire, Frame):
    """Sent on every (re)connect and when a page asks for ``state``: the session as it stands.

    The current round (no key while it is open), the participant's own answer to it and
    standing, the counts, and the results or final board when they are out. The host and play
    pages embed the same object for their first paint."""

    type: ClassVar[str] = "state"
    sent_by: ClassVar[Literal["server", "client"]] = "server"
    endpoint: ClassVar[str] = ENDPOINT

    role: Role
    server_time: str
    session: SessionInfo
    you: StandingLine | None
    round: RoundShown | None
    answer: AnswerShown | None
    counts: LiveCounts
    reveal: RevealShown | None
    final: FinalShown | None


@dataclass(frozen=True)
class QuestionFrame(_Wire, Frame):
    """Sent to every page when the host opens the next question."""

    type: ClassVar[str] = "question"
    sent_by: ClassVar[Literal["server", "client"]] = "server"
    endpoint: ClassVar[str] = ENDPOINT

    session: SessionInfo
    round: RoundShown
    counts: LiveCounts


@dataclass(frozen=True)
class CountsFrame(_Wire, Frame):
    """Sent to the host's pages when answers or joins come in (at most every 0.15 s)."""

    type: ClassVar[str] = "counts"
    sent_by: ClassVar[Literal["server", "client"]] = "server"
    endpoint: ClassVar[str] = ENDPOINT

    position: int
    answered: int
    participants: int


@dataclass(frozen=True)
class AnswerReceivedFrame(_Wire, Frame):
    """Sent when a student's answer is stored: to the socket it came from and their other devices.

    Only the socket that sent the answer gets its ``ref`` back."""

    OMIT_WHEN_NONE: ClassVar[frozenset[str]] = frozenset({"ref"})
    type: ClassVar[str] = "answer_received"
    sent_by: ClassVar[Literal["server", "client"]] = "server"
    endpoint: ClassVar[str] = ENDPOINT

    position: int
    response: dict[str, Any]
    answered_at: str
    ref: str | None = None


@dataclass(frozen=True)
class RevealFrame(_Wire, Frame):
    """Sent to every page when a round closes: its results and the leaderboard.

    The text is built once for every socket; a participant's socket adds their own ``you``."""

    OMIT_WHEN_NONE: ClassVar[frozenset[str]] = frozenset({"you"})
    type: ClassVar[str] = "reveal"
    sent_by: ClassVar[Literal["server", "client"]] = "server"
    endpoint: ClassVar[str] = ENDPOINT

    session: SessionInfo
    round: RoundShown
    results: RoundResults
    leaderboard: list[LeaderboardRow] | None
    you: YouLine | None = None


@dataclass(frozen=True)
class EndedFrame(_Wire, Frame):
    """Sent to every page when the host ends the session: the final leaderboard.

    The text is built once for every socket; a participant's socket adds their own ``you``."""

    OMIT_WHEN_NONE: ClassVar[frozenset[str]] = frozenset({"you"})
    type: ClassVar[str] = "ended"
    sent_by: ClassVar[Literal["server", "client"]] = "server"
    endpoint: ClassVar[str] = ENDPOINT

    session: SessionInfo
    leaderboard: list[LeaderboardRow] | None
    participants: int
    you: StandingLine | None = None


@dataclass(frozen=True)
class PongFrame(_Wire, Frame):
    """Sent in answer to a ``ping``: the server's clock (seconds since the epoch)."""

    type: ClassVar[str] = "pong"
    sent_by: ClassVar[Literal["server", "client"]] = "server"
    endpoint: ClassVar[str] = ENDPOINT

    server_time: float


@dataclass(frozen=True)
class ErrorFrame(_Wire, Frame):
    """Sent when a message or the handshake is refused; nothing changed.

    ``code`` is stable for clients (the refusal codes of ``LiveRefused``, ``bad_message``,
    ``students_only``, ``host_only``); a refused answer names its ``round``; a message that
    carried a ``ref`` gets it back. A refused handshake closes after it. (Binary, oversized or
    malformed JSON text gets ``smartedu.consumers``' error, a ``message`` without a ``code``.)"""

    OMIT_WHEN_NONE: ClassVar[frozenset[str]] = frozenset({"round", "ref"})
    type: ClassVar[str] = "error"
    sent_by: ClassVar[Literal["server", "client"]] = "server"
    endpoint: ClassVar[str] = ENDPOINT

    code: str
    message: str
    round: int | None = None
    ref: str | None = None


# --- client → server -----------------------------------------------------------------------


@dataclass(frozen=True)
class PingFrame(_Wire, Frame):
    """Sent by a page to read the server's clock; answered with a ``pong``."""

    type: ClassVar[str] = "ping"
    sent_by: ClassVar[Literal["server", "client"]] = "client"
    endpoint: ClassVar[str] = ENDPOINT


@dataclass(frozen=True)
class StateRequestFrame(_Wire, Frame):
    """Sent by a page that wants the whole state again (a round whose time is up closes first)."""

    type: ClassVar[str] = "state"
    sent_by: ClassVar[Literal["server", "client"]] = "client"
    endpoint: ClassVar[str] = ENDPOINT


@dataclass(frozen=True)
class AnswerFrame(_Wire, Frame):
    """Sent by a student to answer the open round (``round``: its number); the first counts."""

    type: ClassVar[str] = "answer"
    sent_by: ClassVar[Literal["server", "client"]] = "client"
    endpoint: ClassVar[str] = ENDPOINT

    round: int
    response: Any = None  # as for an attempt: {"option": id}, {"options": [...]}, {"value": n}
    ref: str | None = None

    @classmethod
    def parse(cls, content: dict[str, Any], ref: str | None) -> AnswerFrame | None:
        """The answer ``content`` asks for, or None when its round is not a number."""
        position = content.get("round")
        if not isinstance(position, int) or isinstance(position, bool):
            return None
        return cls(position, content.get("response"), ref)


@dataclass(frozen=True)
class StartFrame(_Wire, Frame):
    """Sent by the host to open the first question (the same as ``next``)."""

    type: ClassVar[str] = "start"
    sent_by: ClassVar[Literal["server", "client"]] = "client"
    endpoint: ClassVar[str] = ENDPOINT

    ref: str | None = None


@dataclass(frozen=True)
class NextFrame(_Wire, Frame):
    """Sent by the host to open the next question; refused while one is open."""

    type: ClassVar[str] = "next"
    sent_by: ClassVar[Literal["server", "client"]] = "client"
    endpoint: ClassVar[str] = ENDPOINT

    ref: str | None = None


@dataclass(frozen=True)
class CloseFrame(_Wire, Frame):
    """Sent by the host to stop answers to the open question and reveal its results."""

    type: ClassVar[str] = "close"
    sent_by: ClassVar[Literal["server", "client"]] = "client"
    endpoint: ClassVar[str] = ENDPOINT

    ref: str | None = None


@dataclass(frozen=True)
class EndFrame(_Wire, Frame):
    """Sent by the host to finish the session and show the final leaderboard."""

    type: ClassVar[str] = "end"
    sent_by: ClassVar[Literal["server", "client"]] = "client"
    endpoint: ClassVar[str] = ENDPOINT

    ref: str | None = None


HostCommand = StartFrame | NextFrame | CloseFrame | EndFrame
HOST_COMMANDS: dict[str, type[HostCommand]] = {
    frame.type: frame for frame in (StartFrame, NextFrame, CloseFrame, EndFrame)
}
MAX_REF_CHARS = 40


def ref_valid(ref: object) -> bool:
    """A client's ``ref`` (echoed on the reply) is absent or text of at most 40 characters."""
    return ref is None or (isinstance(ref, str) and len(ref) <= MAX_REF_CHARS)


# --- what a stored answer sets off -----------------------------------------------------------


@dataclass(frozen=True)
class AnswerTaken:
    """An answer ``live_answer`` stored, with what its after-commit events need."""

    position: int
    response: dict[str, Any]
    answered_at: dt.datetime
    score: float  # 0..1, kept from the page until the reveal
    points_awarded: float
    total: float  # the participant's score now
    session_id: int
    participant_id: int
    student_id: int
    course_id: int

    def frame(self, ref: str | None = None) -> AnswerReceivedFrame:
        return AnswerReceivedFrame(self.position, self.response, self.answered_at.isoformat(), ref)
