"""Watching a background job over a websocket, through the real daphne, Redis channel layer
and Celery worker. Only the school's admins may watch a roster import, only on their own
school's host, and two schools never hear each other's jobs."""

import contextlib

import pytest
from django.db import transaction
from django_tenants.utils import schema_context
from websockets.exceptions import ConnectionClosed

from courses import services
from courses.models import RosterImport
from tenants.services import school_reactivate, school_suspend

from .conftest import roster_csv
from .ws import (
    close_code_after_open,
    drain,
    handshake_status,
    receive_json,
    receive_until,
    session_cookie,
    ws_connect,
)

pytestmark = pytest.mark.live


def progress_path(key) -> str:
    return f"/ws/progress/roster-import/{key}/"


def is_final(message: dict) -> bool:
    return message.get("state") in ("done", "failed")


def test_admin_watches_a_real_roster_import_from_queue_to_report(
    live_server_process, celery_worker_process, fresh_school, committed
):
    school = fresh_school()
    port = live_server_process.port
    cookie = session_cookie(school, school.admin)
    with contextlib.ExitStack() as stack, schema_context(school.schema):
        with transaction.atomic():
            roster_import = services.roster_import_create(
                filename="class.csv", content=roster_csv("kid", 30), created_by=school.admin
            )
            # Subscribed before the commit queues the job: not a single event can be missed.
            websocket = stack.enter_context(
                ws_connect(port, school.host, progress_path(roster_import.pk), cookie=cookie)
            )
        events = receive_until(websocket, is_final)
        key = str(roster_import.pk)
        assert events == [
            {"type": "progress", "topic": "roster-import", "key": key,
             "state": "running", "done": 0, "total": 30},
            {"type": "progress", "topic": "roster-import", "key": key,
             "state": "running", "done": 25, "total": 30},
            {"type": "progress", "topic": "roster-import", "key": key,
             "state": "done", "done": 30, "total": 30,
             "summary": {"created": 30, "updated": 0, "unchanged": 0, "rejected": 0}},
        ]  # fmt: skip
        roster_import.refresh_from_db()
        assert roster_import.state == RosterImport.State.DONE
        assert roster_import.summary == events[-1]["summary"]
        assert [row["username"] for row in roster_import.report] == [
            f"kid{i}" for i in range(1, 31)
        ]
        assert {row["outcome"] for row in roster_import.report} == {"created"}


def test_anonymous_visitor_is_refused_with_4401(live_server_process, alpha):
    code = close_code_after_open(live_server_process.port, alpha.host, progress_path(1))
    assert code == 4401


@pytest.mark.parametrize("persona", ["student", "teacher"])
def test_students_and_teachers_cannot_watch_an_import(live_server_process, alpha, persona):
    cookie = session_cookie(alpha, getattr(alpha, persona))
    code = close_code_after_open(
        live_server_process.port, alpha.host, progress_path(1), cookie=cookie
    )
    assert code == 4403


def test_unknown_topic_or_bad_key_is_refused_with_4404(live_server_process, alpha):
    cookie = session_cookie(alpha, alpha.admin)
    port = live_server_process.port
    assert close_code_after_open(port, alpha.host, "/ws/progress/nope/1/", cookie=cookie) == 4404
    assert close_code_after_open(port, alpha.host, progress_path("a.b"), cookie=cookie) == 4404


def test_admin_without_origin_header_is_accepted(live_server_process, alpha):
    """Non-browser clients send no Origin; the session cookie alone decides."""
    cookie = session_cookie(alpha, alpha.admin)
    with ws_connect(
        live_server_process.port, alpha.host, progress_path(1), cookie=cookie, origin=None
    ) as websocket:
        websocket.send('{"type": "ping"}')
        assert receive_json(websocket) == {"type": "pong"}


def test_page_on_another_schools_host_cannot_open_this_schools_socket(
    live_server_process, alpha, beta
):
    port = live_server_process.port
    cookie = session_cookie(alpha, alpha.admin)
    for origin in (f"http://{beta.host}:{port}", "https://evil.example", "null"):
        status = handshake_status(port, alpha.host, progress_path(1), cookie=cookie, origin=origin)
        assert status == 403, origin


def test_unknown_host_is_refused(live_server_process):
    port = live_server_process.port
    assert handshake_status(port, "nowhere.localhost", progress_path(1)) == 403
    # The platform's own host has no school behind it.
    assert handshake_status(port, "localhost", progress_path(1)) == 403


def test_suspended_school_refuses_websockets_until_reactivated(
    live_server_process, fresh_school, committed
):
    school = fresh_school()
    port = live_server_process.port
    cookie = session_cookie(school, school.admin)
    school_suspend(school.model, reason="unpaid invoice")
    assert handshake_status(port, school.host, progress_path(1), cookie=cookie) == 403
    school_reactivate(school.model)
    assert handshake_status(port, school.host, progress_path(1), cookie=cookie) == 101


def test_school_b_session_cookie_is_anonymous_on_school_a(live_server_process, alpha, beta):
    cookie = session_cookie(beta, beta.admin)
    code = close_code_after_open(
        live_server_process.port, alpha.host, progress_path(1), cookie=cookie
    )
    assert code == 4401


def test_two_schools_importing_with_the_same_id_never_hear_each_other(
    live_server_process, celery_worker_process, fresh_school, committed
):
    first, second = fresh_school(), fresh_school()
    port = live_server_process.port
    plans = [(first, "ann", 3), (second, "bob", 5)]
    with contextlib.ExitStack() as stack:
        sockets, imports = [], []
        for school, prefix, rows in plans:
            cookie = session_cookie(school, school.admin)
            with schema_context(school.schema), transaction.atomic():
                roster_import = services.roster_import_create(
                    filename=f"{prefix}.csv",
                    content=roster_csv(prefix, rows),
                    created_by=school.admin,
                )
                imports.append(roster_import)
                sockets.append(
                    stack.enter_context(
                        ws_connect(
                            port, school.host, progress_path(roster_import.pk), cookie=cookie
                        )
                    )
                )
        assert imports[0].pk == imports[1].pk  # the same key in two schools
        heard = [receive_until(websocket, is_final) for websocket in sockets]
        heard = [
            events + drain(websocket) for events, websocket in zip(heard, sockets, strict=True)
        ]
    assert [[(e["state"], e["total"]) for e in events] for events in heard] == [
        [("running", 3), ("done", 3)],
        [("running", 5), ("done", 5)],
    ]
    for (school, prefix, rows), roster_import in zip(plans, imports, strict=True):
        with schema_context(school.schema):
            roster_import.refresh_from_db()
            assert roster_import.summary["created"] == rows
            assert [r["username"] for r in roster_import.report] == [
                f"{prefix}{i}" for i in range(1, rows + 1)
            ]


def test_malformed_and_oversized_messages_get_an_error_and_the_stream_stays_up(
    live_server_process, alpha
):
    port = live_server_process.port
    cookie = session_cookie(alpha, alpha.admin)
    with ws_connect(port, alpha.host, progress_path(1), cookie=cookie) as websocket:
        for message, error in [
            ("not json {", "Messages must be JSON."),
            (b"\x00\x01binary", "Send JSON text, not binary frames."),
            ("[1, 2, 3]", "This channel is read-only; the only message accepted is a ping."),
            (
                '{"type": "subscribe"}',
                "This channel is read-only; the only message accepted is a ping.",
            ),
            ("x" * 100_000, "Message too large (100000 characters; at most 4096)."),
        ]:
            websocket.send(message)
            assert receive_json(websocket) == {"type": "error", "message": error}
        websocket.send('{"type": "ping"}')
        assert receive_json(websocket) == {"type": "pong"}

    # Beyond the server's 1 MiB message limit the protocol layer drops the connection (with a
    # 1009 close frame or none at all)...
    with ws_connect(port, alpha.host, progress_path(1), cookie=cookie) as websocket:
        with pytest.raises(ConnectionClosed) as closed:
            # The server may drop the connection while the frame is still being sent.
            websocket.send("y" * (2 * 1024 * 1024))
            websocket.recv(timeout=10)
        assert closed.value.rcvd is None or closed.value.rcvd.code == 1009
    # ...and the server goes on serving everyone else.
    with ws_connect(port, alpha.host, progress_path(1), cookie=cookie) as websocket:
        websocket.send('{"type": "ping"}')
        assert receive_json(websocket) == {"type": "pong"}
