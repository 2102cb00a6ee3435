"""The progress channel: a long job's progress events (an import, an ingestion, a generation),
forwarded to the subscribers the job's topic permits, checked inside the school's schema."""

from smartedu.consumers import (
    CLOSE_FORBIDDEN,
    CLOSE_NO_SUCH_TOPIC,
    CLOSE_NOT_SIGNED_IN,
    GuardedJsonConsumer,
)
from smartedu.progress import KEY_RE, progress_group, progress_topic_get

from .realtime import run_in_school


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
