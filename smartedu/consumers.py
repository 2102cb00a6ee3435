from channels.generic.websocket import AsyncJsonWebsocketConsumer

from tenants.realtime import run_in_school

from .progress import KEY_RE, progress_group, progress_topic_get


class ProgressConsumer(AsyncJsonWebsocketConsumer):
    """Forwards one job's progress events to a permitted subscriber. Read-only."""

    async def connect(self):
        user = self.scope.get("user")
        topic_name = self.scope["url_route"]["kwargs"]["topic"]
        key = self.scope["url_route"]["kwargs"]["key"]
        topic = progress_topic_get(topic_name)
        if user is None or not user.is_authenticated:
            return await self.close(code=4401)
        if topic is None or not KEY_RE.match(key):
            return await self.close(code=4404)
        schema = self.scope["schema_name"]
        if not await run_in_school(schema, topic.can_subscribe, user, key):
            return await self.close(code=4403)
        self.group = progress_group(schema, topic_name, key)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        await self.send_json({"type": "error", "message": "This channel is read-only."})

    async def progress_event(self, event):
        await self.send_json(
            {"type": "progress", "topic": event["topic"], "key": event["key"], **event["payload"]}
        )
