"""The production nginx configuration (deploy/nginx/) in front of two real daphne processes:
TLS and the https redirect, every school host reaching its own school, security headers on pages
and errors, gzip, static files, the upload limit, the hidden /metrics, a live class broadcast
reaching students on both backends, rate limits, and traffic surviving a killed backend."""

import json
import re
import time
import uuid

import pytest

from tests.deploy import nginx_harness
from tests.realtime.test_live_websocket import make_class
from tests.realtime.ws import session_cookie

# The fixtures: nginx in front of two daphne processes.
edge, edge_to_break = nginx_harness.edge, nginx_harness.edge_to_break

pytestmark = pytest.mark.live

SECURITY_HEADERS = (
    "Strict-Transport-Security",
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Permissions-Policy",
)


def receive_until(websocket, kind: str, timeout: float = 20) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(websocket.recv(timeout=max(deadline - time.monotonic(), 0.1)))
        if message.get("type") == kind:
            return message


def test_plain_http_redirects_to_https_with_the_same_host_and_path(edge, school_a):
    status, headers, _ = edge.request(school_a.host, "/accounts/login/?next=/x", tls=False)
    assert status == 301
    assert headers["Location"] == f"https://{school_a.host}/accounts/login/?next=/x"


def test_each_school_host_reaches_its_own_school_over_tls(edge, school_a, school_b):
    for school, other in [(school_a, school_b), (school_b, school_a)]:
        status, _, body = edge.request(school.host, "/accounts/login/")
        assert status == 200
        assert f"Sign in to {school.model.name}" in body.decode()
        assert other.model.name not in body.decode()
    assert edge.request(school_a.host, "/health")[0] == 200


def test_a_clients_request_id_is_kept_and_other_requests_get_one(edge, school_a):
    kept, minted = f"/health?kept={uuid.uuid4().hex}", f"/health?minted={uuid.uuid4().hex}"
    edge.request(school_a.host, kept, headers={"X-Request-ID": "trace-42"})
    edge.request(school_a.host, minted)
    # By URI, not by position: nginx workers write their lines after answering, in any order.
    deadline = time.monotonic() + 10
    while True:
        ids = {entry["uri"]: entry["request_id"] for entry in edge.access_log()}
        if {kept, minted} <= ids.keys() or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert ids[kept] == "trace-42" and re.fullmatch(r"[0-9a-f]{32}", ids[minted])


def test_security_headers_are_on_pages_and_on_errors(edge, school_a):
    for path, expected in [("/accounts/login/", 200), ("/no-such-page/", 404)]:
        status, headers, _ = edge.request(school_a.host, path)
        assert status == expected
        for name in SECURITY_HEADERS:
            assert headers[name], f"{name} missing on {path}"
            # Once: two differing copies (the app's and the edge's) leave browsers guessing.
            assert len(headers.get_all(name)) == 1, f"{name} sent twice on {path}"
        assert "max-age=31536000" in headers["Strict-Transport-Security"]
        assert headers["X-Frame-Options"] == "DENY"
        assert "Server" not in headers or "nginx/" not in headers["Server"]


def test_the_csp_allows_the_pages_own_scripts(edge, school_a):
    """Every <script> on the page is either a same-origin file or the one hashed inline script."""
    import base64
    import hashlib
    import re

    _, headers, body = edge.request(school_a.host, "/accounts/login/")
    csp = headers["Content-Security-Policy"]
    for attributes, inline in re.findall(r"<script([^>]*)>(.*?)</script>", body.decode(), re.S):
        if inline.strip():
            digest = base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode()
            assert f"'sha256-{digest}'" in csp, f"inline script blocked by the CSP: {inline!r}"
        else:
            assert 'src="/static/' in attributes
    assert "connect-src 'self' wss:" in csp


def test_html_and_css_are_gzipped_and_static_files_are_cached(edge, school_a):
    gzip = {"Accept-Encoding": "gzip"}
    status, headers, _ = edge.request(school_a.host, "/accounts/login/", headers=gzip)
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    status, headers, _ = edge.request(school_a.host, "/static/app.css", headers=gzip)
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert headers["Cache-Control"] == "max-age=3600"
    assert headers["Content-Security-Policy"]


def test_an_upload_over_the_limit_is_refused_with_413(edge, school_a):
    too_big = 1011 * 1024 * 1024
    status, _, _ = edge.request(
        school_a.host,
        "/courses/1/materials/",
        method="POST",
        headers={"Content-Length": str(too_big), "Content-Type": "application/octet-stream"},
        body=b"x",
    )
    assert status == 413


def test_metrics_are_not_reachable_through_the_edge(edge, school_a):
    assert edge.request(school_a.host, "/metrics")[0] == 404
    assert edge.request("localhost", "/metrics")[0] == 404


def test_a_live_class_broadcast_reaches_students_on_both_backends(edge, fresh_school, committed):
    live = make_class(fresh_school, students=2, speed_scoring=False)
    path = f"/ws/live/{live.session.join_code}/"
    cookies = [session_cookie(live.school, u) for u in [live.school.teacher, *live.students]]
    before = len(edge.access_log())
    with (
        edge.ws_connect(live.school.host, path, cookies[0]) as host,
        edge.ws_connect(live.school.host, path, cookies[1]) as first,
        edge.ws_connect(live.school.host, path, cookies[2]) as second,
    ):
        for websocket in (host, first, second):
            receive_until(websocket, "state")
        host.send('{"type": "start"}')
        questions = [receive_until(ws, "question") for ws in (first, second)]
        assert {q["round"]["position"] for q in questions} == {1}
    # A websocket is logged when it closes; round robin spread the three over both backends.
    sockets = [e for e in edge.access_log()[before:] if e["uri"].startswith("/ws/")]
    assert len(sockets) == 3 and all(e["status"] == 101 for e in sockets)
    assert {e["upstream_addr"] for e in sockets} == {f"127.0.0.1:{p}" for p in edge.backend_ports}


def test_login_is_rate_limited_per_address_but_pages_are_not(edge, school_b):
    attacker, neighbour = "127.0.0.7", "127.0.0.8"
    tries = [edge.request(school_b.host, "/accounts/login/", client=attacker) for _ in range(8)]
    statuses = [status for status, _, _ in tries]
    # One request at once plus a burst of 5, then 5 a minute: the 7th and 8th are refused.
    assert statuses[:6] == [200] * 6 and statuses[6:] == [429, 429]
    refused = tries[-1][1]
    assert refused["Retry-After"] == "60" and refused["Strict-Transport-Security"]
    # Other pages from the same address, and the login page from another address, still work.
    pages = [edge.request(school_b.host, "/health", client=attacker)[0] for _ in range(30)]
    assert pages == [200] * 30
    assert edge.request(school_b.host, "/accounts/login/", client=neighbour)[0] == 200


def test_traffic_continues_when_one_backend_is_killed(edge_to_break, fresh_school, committed):
    edge = edge_to_break
    live = make_class(fresh_school, students=1, speed_scoring=False)
    path = f"/ws/live/{live.session.join_code}/"
    teacher = session_cookie(live.school, live.school.teacher)
    student = session_cookie(live.school, live.students[0])
    # The teacher has the session open on two devices; round robin puts them on both backends.
    with (
        edge.ws_connect(live.school.host, path, teacher) as laptop,
        edge.ws_connect(live.school.host, path, teacher) as tablet,
    ):
        for websocket in (laptop, tablet):
            receive_until(websocket, "state")
        edge.backends[1].kill()
        edge.backends[1].wait()

        statuses = [
            edge.request(live.school.host, "/accounts/password/done/")[0] for _ in range(40)
        ]
        assert all(status in (200, 302) for status in statuses), statuses

        still_open = [ws for ws in (laptop, tablet) if _is_open(ws)]
        assert len(still_open) == 1, "exactly the socket on the killed backend is gone"
        with edge.ws_connect(live.school.host, path, student) as pupil:
            receive_until(pupil, "state")
            still_open[0].send('{"type": "start"}')
            assert receive_until(pupil, "question")["round"]["position"] == 1
            assert receive_until(still_open[0], "question")["round"]["position"] == 1


def _is_open(websocket) -> bool:
    from websockets.exceptions import ConnectionClosed

    try:
        while True:
            websocket.recv(timeout=1.5)
    except TimeoutError:
        return True
    except ConnectionClosed:
        return False
