"""A websocket client for tests: talks to the live daphne on 127.0.0.1 while presenting a
school's host name, the way a browser on <school>.localhost would."""

import json
import socket
import time
from contextlib import contextmanager

from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect


def session_cookie(school, user) -> str:
    """A signed-in session for ``user`` on ``school`` (a committed school), as a Cookie header."""
    client = school.client(user)
    return f"sessionid={client.cookies['sessionid'].value}"


@contextmanager
def ws_connect(port: int, host: str, path: str, *, cookie: str = "", origin: str | None = "same"):
    """Open ``ws://<host>:<port><path>``. ``origin="same"`` sends the page origin a browser on
    that host would; ``None`` sends no Origin header (a non-browser client)."""
    if origin == "same":
        origin = f"http://{host}:{port}"
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    headers = {"Cookie": cookie} if cookie else {}
    with connect(
        f"ws://{host}:{port}{path}",
        sock=sock,
        origin=origin,
        additional_headers=headers,
        open_timeout=10,
        close_timeout=5,
        max_size=2**22,
    ) as websocket:
        yield websocket


def handshake_status(port: int, host: str, path: str, **kwargs) -> int:
    """The HTTP status of a refused handshake (101 if it was accepted)."""
    try:
        with ws_connect(port, host, path, **kwargs):
            return 101
    except InvalidStatus as exc:
        return exc.response.status_code


def close_code_after_open(port: int, host: str, path: str, **kwargs) -> int | None:
    """Open the socket and return the close code the server ends it with (None if it stays
    open for two seconds)."""
    with ws_connect(port, host, path, **kwargs) as websocket:
        try:
            websocket.recv(timeout=2)
        except ConnectionClosed as exc:
            return exc.rcvd.code if exc.rcvd else None
        except TimeoutError:
            return None
    return None


def receive_json(websocket, timeout: float = 10) -> dict:
    return json.loads(websocket.recv(timeout=timeout))


def receive_until(websocket, predicate, timeout: float = 60) -> list[dict]:
    """Collect messages until one satisfies ``predicate`` (included); fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    seen = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no matching message within {timeout}s; got {seen}")
        message = receive_json(websocket, timeout=left)
        seen.append(message)
        if predicate(message):
            return seen


def drain(websocket, quiet: float = 1.0) -> list[dict]:
    """Whatever arrives until the socket has been quiet for ``quiet`` seconds."""
    seen = []
    while True:
        try:
            seen.append(receive_json(websocket, timeout=quiet))
        except TimeoutError:
            return seen
