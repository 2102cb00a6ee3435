"""What the tutor sends and accepts: the frames of ``ws/courses/<course_id>/tutor/`` and the JSON
of a turn and its sources (the websocket's ``done`` frame and the API's answer are the same).

Every frame about a turn carries that turn's id, so a page can tell its questions apart."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from smartedu.payloads import Frame

if TYPE_CHECKING:
    from ..models import TutorTurn

ENDPOINT = "ws/courses/<course_id>/tutor/"


@dataclass(frozen=True)
class SourcePayload:
    """A passage the answer may cite, as the student sees it: where it is and what it says."""

    n: int
    chunk_id: int
    material_id: int
    material_title: str
    page: int | None
    section: str
    similarity: float | None
    # The sentences the answer quoted from it, else the ones that best match the question.
    quote: str


@dataclass(frozen=True)
class TutorTurnPayload:
    """What a student sees of a turn (the websocket's ``done`` frame and the API's answer)."""

    turn: int
    question: str
    answer: str
    supported: bool | None
    # SourcePayload objects as stored on the turn (JSON), in citation order.
    citations: list[dict[str, Any]]
    state: str


def tutor_turn_payload(turn: TutorTurn) -> dict[str, Any]:
    """A turn as JSON: the fields of ``TutorTurnPayload``."""
    return asdict(
        TutorTurnPayload(
            turn=turn.pk,
            question=turn.question,
            answer=turn.answer,
            supported=turn.supported,
            citations=turn.citations,
            state=turn.state,
        )
    )


# --- client → server ------------------------------------------------------------------------


@dataclass(frozen=True)
class AskFrame(Frame):
    """Sent by the page to ask the course tutor a question (answered with ``asked``)."""

    type: ClassVar[str] = "ask"
    sent_by: ClassVar[Literal["server", "client"]] = "client"
    endpoint: ClassVar[str] = ENDPOINT

    question: str


@dataclass(frozen=True)
class PingFrame(Frame):
    """Sent by the page to check the connection is alive (answered with ``pong``)."""

    type: ClassVar[str] = "ping"
    sent_by: ClassVar[Literal["server", "client"]] = "client"
    endpoint: ClassVar[str] = ENDPOINT


# --- server → client ------------------------------------------------------------------------


@dataclass(frozen=True)
class AskedFrame(Frame):
    """Sent once a question is recorded, before its answer is queued: the turn's id."""

    type: ClassVar[str] = "asked"
    sent_by: ClassVar[Literal["server", "client"]] = "server"
    endpoint: ClassVar[str] = ENDPOINT

    turn: int
    # The question as recorded (blank space collapsed).
    question: str


@dataclass(frozen=True)
class SourcesFrame(Frame):
    """Sent first while a turn is answered, when the material has passages that support it."""

    type: ClassVar[str] = "sources"
    sent_by: ClassVar[Literal["server", "client"]] = "server"
    endpoint: ClassVar[str] = ENDPOINT

    sources: list[SourcePayload]
    turn: int


@dataclass(frozen=True)
class DeltaFrame(Frame):
    """Sent as the answer streams: the next piece of its text, to append."""

    type: ClassVar[str] = "delta"
    sent_by: ClassVar[Literal["server", "client"]] = "server"
    endpoint: ClassVar[str] = ENDPOINT

    text: str
    turn: int


@dataclass(frozen=True)
class ResetFrame(Frame):
    """Sent when the text streamed so far is replaced (the model found the material does not
    cover the question, or failed and the offline answer follows): discard it."""

    type: ClassVar[str] = "reset"
    sent_by: ClassVar[Literal["server", "client"]] = "server"
    endpoint: ClassVar[str] = ENDPOINT

    turn: int


@dataclass(frozen=True)
class DoneFrame(TutorTurnPayload, Frame):
    """Sent when a turn is answered: the final answer, whether the material supported it, and
    its citations (the fields of a turn's JSON)."""

    type: ClassVar[str] = "done"
    sent_by: ClassVar[Literal["server", "client"]] = "server"
    endpoint: ClassVar[str] = ENDPOINT


@dataclass(frozen=True)
class TurnFailedFrame(Frame):
    """Sent when the tutor could not answer a turn at all (the student may ask again)."""

    type: ClassVar[str] = "error"
    sent_by: ClassVar[Literal["server", "client"]] = "server"
    endpoint: ClassVar[str] = ENDPOINT

    message: str
    turn: int


@dataclass(frozen=True)
class RefusedFrame(Frame):
    """Sent when a message is refused (not JSON, too large, not a question, a question over the
    length limit or the school's monthly tutor budget); the connection stays open."""

    type: ClassVar[str] = "error"
    sent_by: ClassVar[Literal["server", "client"]] = "server"
    endpoint: ClassVar[str] = ENDPOINT

    message: str


@dataclass(frozen=True)
class PongFrame(Frame):
    """Sent in answer to a ``ping``."""

    type: ClassVar[str] = "pong"
    sent_by: ClassVar[Literal["server", "client"]] = "server"
    endpoint: ClassVar[str] = ENDPOINT
