"""Websockets get what django-tenants gives HTTP: the school from the Host header, then the
session's user looked up inside that school's schema. Consumers run database code through
``run_in_school`` so every query hits the right schema, whichever thread runs it."""

import asyncio
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, load_backend
from django.contrib.auth.models import AnonymousUser
from django.utils.crypto import constant_time_compare
from django_tenants.utils import get_public_schema_name, remove_www, schema_context

from smartedu.progress import events_deferred, group_send_many_quietly

if TYPE_CHECKING:
    from .models import School


def _header(scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return ""


def _host_without_port(host: str) -> str:
    return remove_www(host.rsplit(":", 1)[0] if host.count(":") == 1 else host).lower()


def _school_for_host(hostname: str) -> "School | None":
    from .models import Domain

    with schema_context(get_public_schema_name()):
        domain = Domain.objects.select_related("tenant").filter(domain=hostname).first()
    return domain.tenant if domain else None


def _user_for_session(schema_name: str, session_key: str | None):
    if not session_key:
        return AnonymousUser()
    from importlib import import_module

    engine = import_module(settings.SESSION_ENGINE)
    with schema_context(schema_name):
        session = engine.SessionStore(session_key)
        try:
            user_id = session[SESSION_KEY]
            backend_path = session[BACKEND_SESSION_KEY]
        except KeyError:
            return AnonymousUser()
        if backend_path not in settings.AUTHENTICATION_BACKENDS:
            return AnonymousUser()
        user = load_backend(backend_path).get_user(user_id)
        if user is None or not user.is_active:
            return AnonymousUser()
        session_hash = session.get(HASH_SESSION_KEY)
        if not (session_hash and constant_time_compare(session_hash, user.get_session_auth_hash())):
            return AnonymousUser()  # the password changed since this session signed in
        return user


def _session_key_from_cookies(scope) -> str | None:
    from http.cookies import SimpleCookie

    cookie = SimpleCookie()
    try:
        cookie.load(_header(scope, b"cookie"))
    except Exception:
        return None
    morsel = cookie.get(settings.SESSION_COOKIE_NAME)
    return morsel.value if morsel else None


async def run_in_school(schema_name: str, func, *args, **kwargs):
    """Run a blocking database function inside a school's schema, on a thread of the event
    loop's pool rather than Channels' one database thread: the calls of many sockets (a class
    opening a quiz, answering at once) overlap their round trips instead of queueing behind
    each other. Each thread has its own connection (borrowed from the pool when one is set).

    Channel-layer events the function raises (``group_send_quietly``) are sent from the event
    loop once it returns or raises, in the order raised, so the thread never waits on them."""
    events: list = []
    try:
        return await _collecting_events(schema_name, func, args, kwargs, events)
    finally:
        if events:
            await group_send_many_quietly(events)


class SchoolCalls:
    """A consumer's ``run_in_school``, except that it does not wait for the events a call
    raises: they are sent in the background, so the consumer replies to its own socket first
    (under a burst of answers, a thousand event sends interleave on Redis and would hold every
    reply until the last). Events still leave in the order raised, call after call."""

    _sending: set[asyncio.Task] = set()  # referenced until done, as asyncio asks

    def __init__(self, schema_name: str):
        self.schema_name = schema_name
        self._last: asyncio.Task | None = None

    async def __call__(self, func, *args, **kwargs):
        events: list = []
        try:
            return await _collecting_events(self.schema_name, func, args, kwargs, events)
        finally:
            if events:
                self._last = task = asyncio.ensure_future(self._send_after(self._last, events))
                self._sending.add(task)
                task.add_done_callback(self._sending.discard)

    @staticmethod
    async def _send_after(previous: asyncio.Task | None, events: list) -> None:
        if previous is not None:
            await asyncio.wait([previous])
        await group_send_many_quietly(events)


async def _collecting_events(schema_name: str, func, args, kwargs, events: list):
    def call():
        with events_deferred() as raised, schema_context(schema_name):
            try:
                return func(*args, **kwargs)
            finally:
                events.extend(raised)

    return await database_sync_to_async(call, thread_sensitive=False)()


class TenantWebsocketMiddleware:
    """Resolve the school from Host, check the Origin is that same host, authenticate the session.

    Puts ``school``, ``schema_name`` and ``user`` in the scope. Unknown hosts, suspended schools
    and foreign origins are refused before the handshake completes (HTTP 403 to the client).
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            return await self.app(scope, receive, send)
        host = _host_without_port(_header(scope, b"host"))
        origin = _header(scope, b"origin")
        origin_host = _host_without_port(urlsplit(origin).netloc) if origin else ""
        school = (
            await database_sync_to_async(_school_for_host, thread_sensitive=False)(host)
            if host
            else None
        )
        if (
            school is None
            or school.schema_name == get_public_schema_name()
            or school.is_suspended
            # Browsers always send Origin; a page on another host (another school!) must not
            # ride on this school's session cookie.
            or (origin and origin_host != host)
        ):
            await receive()  # the websocket.connect message
            await send({"type": "websocket.close", "code": 4403})
            return
        user = await database_sync_to_async(_user_for_session, thread_sensitive=False)(
            school.schema_name, _session_key_from_cookies(scope)
        )
        scope = dict(scope, school=school, schema_name=school.schema_name, user=user)
        return await self.app(scope, receive, send)
