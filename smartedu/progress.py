"""A progress channel any background job can report to.

A job reports with ``progress_publish(topic, key, payload)`` from a task (inside the school's
schema); browsers subscribe on ``/ws/progress/<topic>/<key>/`` and receive
``{"type": "progress", "topic": ..., "key": ..., **payload}``. Each topic registers who may
subscribe, so a student cannot listen to an admin's import. Group names carry the schema:
two schools' jobs with the same key never share a group.

Progress is a courtesy, the database is the record: a job whose progress cannot be delivered
(Redis away, nobody listening) carries on.
"""

import asyncio
import logging
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from .db import current_schema

logger = logging.getLogger(__name__)

KEY_RE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")

# (user, key) -> allowed; runs in the schema. The user is a signed-in accounts.User, which this
# layer (below accounts) cannot name.
CanSubscribe = Callable[[Any, str], bool]


@dataclass(frozen=True)
class ProgressTopic:
    name: str
    can_subscribe: CanSubscribe


_topics: dict[str, ProgressTopic] = {}


def progress_topic_register(name: str, can_subscribe: CanSubscribe) -> None:
    _topics[name] = ProgressTopic(name, can_subscribe)


def progress_topic_get(name: str) -> ProgressTopic | None:
    return _topics.get(name)


def progress_group(schema_name: str, topic: str, key: str) -> str:
    return f"{schema_name}.progress.{topic}.{key}"


def progress_publish(
    topic: str, key: str | int, payload: dict, *, schema_name: str | None = None
) -> bool:
    """Send a progress event to everyone watching ``topic``/``key`` in the current school.

    Returns whether the event reached the channel layer; never raises on delivery failure."""
    schema = schema_name or current_schema()
    return group_send_quietly(
        progress_group(schema, topic, str(key)),
        {"type": "progress.event", "topic": topic, "key": str(key), "payload": payload},
    )


# Events raised by database work that a consumer runs on a worker thread: they wait here and
# the consumer's event loop sends them when the work returns (see ``events_deferred``).
_deferred_events: ContextVar[list[tuple[str, dict]] | None] = ContextVar(
    "deferred_events", default=None
)


def group_send_quietly(group: str, message: dict) -> bool:
    """Send to a channel group from sync code; returns whether it reached the channel layer
    (or, inside ``events_deferred``, was queued for it). Never raises: the database is the
    record, a live event is a courtesy."""
    layer = get_channel_layer()
    if layer is None:
        return False
    deferred = _deferred_events.get()
    if deferred is not None:
        deferred.append((group, message))
        return True
    try:
        if _thread_runs_event_loop():
            # async_to_sync refuses to run on a thread whose event loop is running (a sync
            # caller driven from async code): send from a short-lived thread of its own.
            with ThreadPoolExecutor(max_workers=1) as pool:
                pool.submit(async_to_sync(layer.group_send), group, message).result()
        else:
            async_to_sync(layer.group_send)(group, message)
    except Exception:
        logger.warning("Event for %s could not be delivered", group, exc_info=True)
        return False
    return True


@contextmanager
def events_deferred():
    """Collect the events ``group_send_quietly`` is asked to send in this block instead of
    sending them; yields the list, in the order they were raised. A worker thread that sent
    them itself would wait on the event loop for each (async_to_sync) while holding its
    database connection; under a burst of answers every thread ended up waiting there."""
    events: list[tuple[str, dict]] = []
    token = _deferred_events.set(events)
    try:
        yield events
    finally:
        _deferred_events.reset(token)


async def group_send_many_quietly(events: list[tuple[str, dict]]) -> None:
    """Send collected events one after another, in order, from async code; never raises."""
    layer = get_channel_layer()
    for group, message in events:
        try:
            await layer.group_send(group, message)
        except Exception:
            logger.warning("Event for %s could not be delivered", group, exc_info=True)


def _thread_runs_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
