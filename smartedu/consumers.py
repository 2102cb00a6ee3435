import json

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from .errors import DomainError
from .metrics import websocket_closed, websocket_opened

# Clients send pings and short questions; anything bigger is not worth parsing.
MAX_CLIENT_MESSAGE_CHARS = 4096

# Close codes a page can act on (the handshake is accepted first so the code reaches it).
CLOSE_NOT_SIGNED_IN = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NO_SUCH_TOPIC = 4404


class GuardedJsonConsumer(AsyncJsonWebsocketConsumer):
    """Refuses binary, oversized and malformed messages with an ``error`` message (the
    connection stays open, so a buggy page cannot take the stream down) before
    ``receive_json`` sees them. Counts its open connections (smartedu_websocket_connections)."""

    _counted = False

    async def accept(self, subprotocol=None, headers=None):
        await super().accept(subprotocol, headers)
        if not self._counted:
            self._counted = True
            websocket_opened(type(self).__name__)

    async def websocket_disconnect(self, message):
        if self._counted:
            self._counted = False
            websocket_closed(type(self).__name__)
        await super().websocket_disconnect(message)

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if text_data is None:
            return await self.send_error("Send JSON text, not binary frames.")
        if len(text_data) > MAX_CLIENT_MESSAGE_CHARS:
            return await self.send_error(
                f"Message too large ({len(text_data)} characters; at most "
                f"{MAX_CLIENT_MESSAGE_CHARS})."
            )
        try:
            content = json.loads(text_data)
        except ValueError:
            return await self.send_error("Messages must be JSON.")
        try:
            await self.receive_json(content)
        except DomainError as refusal:
            # A refused message changes nothing; the socket stays open for the next one.
            await self.send_domain_error(refusal)

    async def send_error(self, message: str) -> None:
        await self.send_json({"type": "error", "message": message})

    async def send_domain_error(self, refusal: DomainError, **extra) -> None:
        """The error frame of a refusal: ``{"type": "error", "code", "message", ...extras}``."""
        await self.send_json({"type": "error", **refusal.as_body(), **extra})

    async def refuse(self, code: int) -> None:
        """Accept, then close with ``code``: a close code before the handshake never reaches
        the page."""
        await self.accept()
        await self.close(code=code)
