"""Typed websocket messages.

Every message a consumer sends or accepts is a frozen dataclass deriving from ``Frame``, declared
in its app's ``payloads`` module beside the endpoint it belongs to. The manual's websocket
protocol page is generated from these classes (their ``type``, ``sent_by``, docstring and fields),
so the docstring's first line says when the message is sent.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, ClassVar, Literal


@dataclass(frozen=True)
class Frame:
    """A websocket message: its ``type`` is the JSON ``"type"`` field."""

    type: ClassVar[str]
    sent_by: ClassVar[Literal["server", "client"]]
    # The route it travels on, as smartedu.routing writes it ("ws/live/<code>/").
    endpoint: ClassVar[str]

    def as_message(self) -> dict[str, Any]:
        """The JSON object sent on the socket: ``{"type": ..., **fields}``."""
        return {"type": self.type, **asdict(self)}
