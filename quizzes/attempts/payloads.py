"""The shapes of what a quiz player is sent: the attempt's state, its questions, feedback and
result (typed dicts: ``.display`` builds them, the API and the socket send them as they are),
and the typed frames of the attempt socket (``/ws/quizzes/<quiz_id>/attempt/``), from which the
protocol page of the manual is generated."""

from dataclasses import asdict, dataclass, fields, is_dataclass
from typing import Any, ClassVar, Literal, NotRequired, TypedDict

from smartedu.payloads import Frame

# --- the attempt's payloads -------------------------------------------------------------------


class OptionPayload(TypedDict):
    id: str
    text_html: str


class OptionFeedbackPayload(TypedDict):
    id: str
    correct: bool
    chosen: bool
    feedback_html: str


class CitationPayload(TypedDict):
    material: int | None
    title: str
    page: int | None
    section: str
    quote: str


class FeedbackPayload(TypedDict):
    position: int
    score: float | None
    correct: bool
    answered: bool
    points_earned: float
    # Choice questions: {"options"}; typed answers: {"accepted"}; numeric: {"value",
    # "tolerance", "unit"}.
    correct_answer: dict[str, Any]
    explanation_html: str
    option_feedback: list[OptionFeedbackPayload]
    source: CitationPayload | None


class QuestionPayload(TypedDict):
    position: int
    kind: str
    points: float
    stem_html: str
    options: list[OptionPayload]
    unit: str
    response: dict[str, Any] | None
    saved_at: str | None
    # Added by attempt_state.
    locked: NotRequired[bool]
    feedback: NotRequired[FeedbackPayload]


class AttemptResultPayload(TypedDict):
    score: float | None
    max_score: float | None
    percent: float | None
    submitted_at: str | None
    submit_reason: str
    late: bool
    late_penalty_percent: int


class AttemptStatePayload(TypedDict):
    attempt: int
    quiz: int
    number: int
    state: str
    started_at: str | None
    deadline: str | None
    server_time: str
    remaining_seconds: float | None
    show_feedback: str
    feedback_visible: bool
    answered: int
    questions: list[QuestionPayload]
    result: NotRequired[AttemptResultPayload]


class AnswerSavedEvent(TypedDict):
    """What an attempt's other open pages hear when one of its answers commits
    (``.broadcasts``); their consumers pass it on as a ``saved`` frame."""

    type: Literal["saved"]
    position: int
    response: dict[str, Any] | None
    saved_at: str


# --- the attempt socket's messages ---------------------------------------------------------
# The consumer sends exactly these; smartedu.payloads.Frame's docs page is generated from them.

ENDPOINT = "ws/quizzes/<quiz_id>/attempt/"


class _Omitted:
    """A field left out of the message (not sent as null)."""

    def __repr__(self) -> str:
        return "OMITTED"


OMITTED: Any = _Omitted()


@dataclass(frozen=True)
class AttemptFrame(Frame):
    """A message on the attempt socket. Fields set to ``OMITTED`` are not sent; a field named
    ``state`` is an attempt's whole state (``attempt_state``), sent at the top level."""

    endpoint: ClassVar[str] = ENDPOINT

    def as_message(self) -> dict[str, Any]:
        message: dict[str, Any] = {"type": self.type}
        for item in fields(self):
            value = getattr(self, item.name)
            if value is OMITTED:
                continue
            if item.name == "state":
                message.update(value)
            else:
                message[item.name] = (
                    asdict(value) if is_dataclass(value) and not isinstance(value, type) else value
                )
        return message


@dataclass(frozen=True)
class PingFrame(AttemptFrame):
    """Sent by the page to read the server's clock."""

    type: ClassVar[str] = "ping"
    sent_by: ClassVar[Literal["server", "client"]] = "client"


@dataclass(frozen=True)
class OpenFrame(AttemptFrame):
    """Sent by the page when it loads: the attempt in progress, or the quiz's status."""

    type: ClassVar[str] = "open"
    sent_by: ClassVar[Literal["server", "client"]] = "client"


@dataclass(frozen=True)
class StartFrame(AttemptFrame):
    """Sent by the page to start an attempt (or resume the one in progress)."""

    type: ClassVar[str] = "start"
    sent_by: ClassVar[Literal["server", "client"]] = "client"


@dataclass(frozen=True)
class AnswerFrame(AttemptFrame):
    """Sent by the page with an answer to one question of the attempt it opened."""

    type: ClassVar[str] = "answer"
    sent_by: ClassVar[Literal["server", "client"]] = "client"

    attempt: int
    position: int
    response: dict[str, Any]
    # Echoed in the reply (at most 40 characters).
    ref: str | None = None


@dataclass(frozen=True)
class SubmitFrame(AttemptFrame):
    """Sent by the page to submit the attempt it opened."""

    type: ClassVar[str] = "submit"
    sent_by: ClassVar[Literal["server", "client"]] = "client"

    attempt: int
    ref: str | None = None


@dataclass(frozen=True)
class PongFrame(AttemptFrame):
    """Sent in reply to ``ping``: the server's clock, which owns every deadline."""

    type: ClassVar[str] = "pong"
    sent_by: ClassVar[Literal["server", "client"]] = "server"

    server_time: str


@dataclass(frozen=True)
class AvailabilityPayload:
    """Whether the student may start an attempt now, and why not (``Availability``)."""

    can_start: bool
    code: str
    message: str
    window: str
    attempts_used: int
    attempts_allowed: int


@dataclass(frozen=True)
class StatusFrame(AttemptFrame):
    """Sent in reply to ``open`` when no attempt is in progress: whether one may start, and the
    latest submitted attempt (its state) if any."""

    type: ClassVar[str] = "status"
    sent_by: ClassVar[Literal["server", "client"]] = "server"

    availability: AvailabilityPayload
    last_attempt: AttemptStatePayload | None


@dataclass(frozen=True)
class AttemptStateFrame(AttemptFrame):
    """Sent in reply to ``open`` or ``start`` with an attempt in progress: its whole state.

    The state's fields (``AttemptStatePayload``) are sent at the top level of the message."""

    type: ClassVar[str] = "attempt"
    sent_by: ClassVar[Literal["server", "client"]] = "server"

    state: AttemptStatePayload


@dataclass(frozen=True)
class SavedFrame(AttemptFrame):
    """Sent when an answer is stored, in reply to ``answer`` or when another page saved one;
    with ``feedback`` when the quiz shows feedback after each answer."""

    type: ClassVar[str] = "saved"
    sent_by: ClassVar[Literal["server", "client"]] = "server"

    ref: str | None
    attempt: int
    position: int
    response: dict[str, Any] | None
    saved_at: str
    answered: int
    feedback: FeedbackPayload | None = OMITTED


@dataclass(frozen=True, kw_only=True)
class SubmittedFrame(AttemptFrame):
    """Sent when the attempt is submitted (by this page, another, the API or the clock): its
    final state with the result; ``already_submitted`` and ``ref`` in reply to ``submit``."""

    type: ClassVar[str] = "submitted"
    sent_by: ClassVar[Literal["server", "client"]] = "server"

    reason: str
    already_submitted: bool = OMITTED
    ref: str | None = OMITTED
    state: AttemptStatePayload


@dataclass(frozen=True)
class ErrorFrame(AttemptFrame):
    """Sent when a message is refused: a stable ``code`` and a sentence; ``ref`` and
    ``position`` of the answer or submit it refuses, where known."""

    type: ClassVar[str] = "error"
    sent_by: ClassVar[Literal["server", "client"]] = "server"

    code: str
    message: str
    ref: str | None = OMITTED
    position: int | None = OMITTED
