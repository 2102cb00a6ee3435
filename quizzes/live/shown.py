"""The pieces the live messages are made of (``quizzes.live.payloads``): what pages show of the
session, a round, the counts, a standing, the results. Frozen dataclasses; ``plain()`` turns
them into JSON-ready data.

A field listed in a class's ``OMIT_WHEN_NONE`` is left out of the JSON while it is None (the
wire has always done so: the participant's own line of a reveal or the end, an answer's
``ref``) rather than sent as null."""

from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass, fields, is_dataclass
from typing import Any, ClassVar

from ..attempts.payloads import CitationPayload

# Values JSON takes as they are: the common case, checked first.
_SCALARS = (str, int, float, type(None))


@functools.cache
def _layout(cls: type) -> tuple[tuple[str, ...], frozenset[str]] | None:
    """A dataclass's field names and those it leaves out while None; None for other types.
    Cached per class: the answer round trip builds a frame per answer."""
    if not is_dataclass(cls):
        return None
    omit: frozenset[str] = getattr(cls, "OMIT_WHEN_NONE", frozenset())
    return tuple(f.name for f in fields(cls)), omit


def plain(value: Any) -> Any:
    """``value`` as JSON-ready data: dataclasses become dicts (without the fields their
    ``OMIT_WHEN_NONE`` leaves out while None), lists and dicts are walked."""
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    cls: type = type(value)
    layout = _layout(cls)
    if layout is None:
        return value
    names, omit = layout
    out = {}
    for name in names:
        item = getattr(value, name)
        if item is None and name in omit:
            continue
        out[name] = plain(item)
    return out


def dumps(message: dict[str, Any]) -> str:
    """Compact JSON, as broadcasts carry it."""
    return json.dumps(message, separators=(",", ":"))


def iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


# --- the pieces ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionOptions:
    show_leaderboard: bool
    anonymous_leaderboard: bool
    speed_scoring: bool
    seconds_per_question: int | None


@dataclass(frozen=True)
class SessionInfo:
    """What every page shows about the session itself."""

    id: int
    code: str
    state: str  # lobby, question, reveal, finished
    position: int  # the current round's number (0 in the lobby)
    total: int  # questions in the quiz
    quiz: str
    course: str
    options: SessionOptions


@dataclass(frozen=True)
class OptionShown:
    id: str
    text_html: str


@dataclass(frozen=True)
class RoundShown:
    """A round's question as everyone sees it while it is open: no key, no feedback."""

    position: int
    kind: str
    points: float
    stem_html: str
    options: list[OptionShown]
    unit: str
    opened_at: str | None
    closes_at: str | None
    closed: bool
    remaining_seconds: float | None  # by the server's clock; None when untimed or closed


@dataclass(frozen=True)
class LiveCounts:
    """Who has answered the round at ``position`` out of who has joined."""

    position: int
    answered: int
    participants: int


@dataclass(frozen=True)
class StandingLine:
    """One participant's alias, score and (when the board is shown) rank."""

    participant: int
    alias: str
    score: float
    rank: int | None


@dataclass(frozen=True)
class YouLine(StandingLine):
    """A participant's own line after a reveal: their standing, whether they answered, the
    share of the points their answer earned and the points it brought."""

    answered: bool = False
    correct: bool | None = None
    earned: float | None = None
    points_awarded: float = 0.0


@dataclass(frozen=True)
class LeaderboardRow:
    rank: int
    participant: int
    name: str  # the alias when the board is anonymous
    score: float


@dataclass(frozen=True)
class ResultOption:
    id: str
    text_html: str
    correct: bool
    count: int
    percent: int


@dataclass(frozen=True)
class RoundResults:
    """A closed round's results."""

    kind: str
    participants: int
    answered: int
    unanswered: int
    right: int
    partial: int
    wrong: int
    options: list[ResultOption]  # choice questions only
    correct_answer: dict[str, Any]
    explanation_html: str
    source: CitationPayload | None


@dataclass(frozen=True)
class AnswerShown:
    """A participant's answer to a round, as their pages show it."""

    position: int
    response: dict[str, Any]
    answered_at: str | None


@dataclass(frozen=True)
class RevealShown:
    """The results of the current round inside a state (a reveal without its ``type``)."""

    OMIT_WHEN_NONE: ClassVar[frozenset[str]] = frozenset({"you"})

    session: SessionInfo
    round: RoundShown
    results: RoundResults
    leaderboard: list[LeaderboardRow] | None
    you: YouLine | None = None  # participants' pages only


@dataclass(frozen=True)
class FinalShown:
    leaderboard: list[LeaderboardRow] | None
