"""A progress channel any background job can report to.

A job reports with ``progress_publish(topic, key, payload)`` from a task (inside the school's
schema); browsers subscribe on ``/ws/progress/<topic>/<key>/`` and receive
``{"type": "progress", "topic": ..., "key": ..., **payload}``. Each topic registers who may
subscribe, so a student cannot listen to an admin's import. Group names carry the schema:
two schools' jobs with the same key never share a group.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection

KEY_RE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


@dataclass(frozen=True)
class ProgressTopic:
    name: str
    can_subscribe: Callable[[object, str], bool]  # (user, key) -> allowed; runs in the schema


_topics: dict[str, ProgressTopic] = {}


def progress_topic_register(name: str, can_subscribe: Callable[[object, str], bool]) -> None:
    _topics[name] = ProgressTopic(name, can_subscribe)


def progress_topic_get(name: str) -> ProgressTopic | None:
    return _topics.get(name)


def progress_group(schema_name: str, topic: str, key: str) -> str:
    return f"{schema_name}.progress.{topic}.{key}"


def progress_publish(topic: str, key: str | int, payload: dict, *, schema_name: str | None = None) -> None:
    """Send a progress event to everyone watching ``topic``/``key`` in the current school."""
    schema = schema_name or connection.schema_name
    layer = get_channel_layer()
    if layer is None:
        return
    async_to_sync(layer.group_send)(
        progress_group(schema, topic, str(key)),
        {"type": "progress.event", "topic": topic, "key": str(key), "payload": payload},
    )
