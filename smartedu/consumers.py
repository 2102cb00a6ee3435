import json

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from tenants.realtime import run_in_school

from .metrics import websocket_closed, websocket_opened
from .progress import KEY_RE, progress_group, progress_topic_get

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
        await self.receive_json(content)

    async def send_error(self, message: str) -> None:
        await self.send_json({"type": "error", "message": message})

    async def refuse(self, code: int) -> None:
        """Accept, then close with ``code``: a close code before the handshake never reaches
        the page."""
        await self.accept()
        await self.close(code=code)


class ProgressConsumer(GuardedJsonConsumer):
    """Forwards one job's progress events to a permitted subscriber.

    Read-only: the only message a client may send is ``{"type": "ping"}`` (answered with a
    pong); anything else gets an error message.
    """

    group: str | None = None

    async def connect(self):
        user = self.scope.get("user")
        topic_name = self.scope["url_route"]["kwargs"]["topic"]
        key = self.scope["url_route"]["kwargs"]["key"]
        topic = progress_topic_get(topic_name)
        if user is None or not user.is_authenticated:
            return await self.refuse(CLOSE_NOT_SIGNED_IN)
        if topic is None or not KEY_RE.match(key):
            return await self.refuse(CLOSE_NO_SUCH_TOPIC)
        schema = self.scope["schema_name"]
        if not await run_in_school(schema, topic.can_subscribe, user, key):
            return await self.refuse(CLOSE_FORBIDDEN)
        self.group = progress_group(schema, topic_name, key)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        if isinstance(content, dict) and content.get("type") == "ping":
            return await self.send_json({"type": "pong"})
        await self.send_error("This channel is read-only; the only message accepted is a ping.")

    async def progress_event(self, event):
        await self.send_json(
            {"type": "progress", "topic": event["topic"], "key": event["key"], **event["payload"]}
        )
