"""Operations: JSON log lines name the school and the request (on the web and in workers, where
the request id follows the task that request queued), replies echo X-Request-ID, and errors
reach Sentry tagged with the school."""

import gzip
import http.client
import json
import subprocess
import sys
import threading
import time
import uuid
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django_tenants.utils import schema_context

from courses.models import RosterImport
from courses.tasks import import_roster
from smartedu.logging import request_id_var

from ..conftest import _free_port, _wait_for_http, live_env
from ..realtime.conftest import roster_csv

pytestmark = pytest.mark.live


def json_lines(path) -> list[dict]:
    records = []
    for line in path.read_text(errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def wait_for_record(path, predicate, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for record in json_lines(path):
            if predicate(record):
                return record
        time.sleep(0.2)
    raise AssertionError(f"no such log record in:\n{path.read_text()[-4000:]}")


@pytest.fixture
def json_daphne(django_db_setup, tmp_path):
    """A daphne of its own, logging JSON lines to a file."""
    port = _free_port()
    log_path = tmp_path / "daphne.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
             "smartedu.asgi:application"],
            env={**live_env(), "LOG_FORMAT": "json"}, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            _wait_for_http(port, process)
            yield port, log_path
        finally:
            process.terminate()
            process.wait(timeout=15)


def get(port: int, host: str, path: str, headers: dict | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers={"Host": host, **(headers or {})})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def test_request_logs_are_json_lines_with_school_and_request_id(json_daphne):
    port, log_path = json_daphne
    request_id = f"ops-{uuid.uuid4().hex[:12]}"
    response = get(port, "alpha.localhost", "/no-such-page-ops/", {"X-Request-ID": request_id})
    assert response.status == 404
    assert response.getheader("X-Request-ID") == request_id

    record = wait_for_record(log_path, lambda r: r.get("request_id") == request_id)
    assert record["school"] == "alpha"
    assert record["level"] == "WARNING" and record["logger"] == "django.request"
    assert record["message"] == "Not Found: /no-such-page-ops/"
    assert {"time", "level", "logger", "message", "school", "request_id"} <= set(record)


def test_a_missing_or_unusable_request_id_is_replaced_with_a_fresh_one(json_daphne):
    port, _ = json_daphne
    fresh = get(port, "alpha.localhost", "/accounts/login/").getheader("X-Request-ID")
    assert len(fresh) == 32 and int(fresh, 16) >= 0
    too_long = get(port, "alpha.localhost", "/accounts/login/", {"X-Request-ID": "x" * 65})
    replaced = too_long.getheader("X-Request-ID")
    assert replaced != "x" * 65 and len(replaced) == 32


def test_worker_logs_carry_the_school_and_the_request_that_queued_the_task(
    django_db_setup, fresh_school, committed, tmp_path
):
    school = fresh_school()
    queue = f"ops-{uuid.uuid4().hex[:8]}"  # a queue of its own: no other worker takes the task
    log_path = tmp_path / "worker.log"
    with open(log_path, "wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "smartedu", "worker", "-Q", queue,
             "--pool", "solo", "--without-gossip", "--without-mingle", "--loglevel", "INFO",
             "--hostname", f"{queue}@%h"],
            env={**live_env(), "LOG_FORMAT": "json"}, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            wait_for_record(log_path, lambda r: r.get("message", "").endswith("ready."), 60)
            with schema_context(school.schema):
                roster_import = RosterImport.objects.create(
                    filename="ops.csv",
                    csv_text=roster_csv("opskid", 2).decode(),
                    created_by=school.admin,
                )
                # What RequestContextMiddleware does for the web request that queues the job.
                token = request_id_var.set("req-ops-42")
                try:
                    import_roster.apply_async((roster_import.pk,), queue=queue)
                finally:
                    request_id_var.reset(token)
            record = wait_for_record(
                log_path, lambda r: r.get("message", "").startswith("Roster import")
            )
        finally:
            worker.terminate()
            worker.wait(timeout=30)
    assert record["message"] == (
        f"Roster import {roster_import.pk} done: "
        "{'created': 2, 'updated': 0, 'unchanged': 0, 'rejected': 0}"
    )
    assert (record["school"], record["request_id"]) == (school.schema, "req-ops-42")
    assert record["logger"] == "courses.tasks"


class EnvelopeCollector(BaseHTTPRequestHandler):
    """Just enough of Sentry's ingestion endpoint: accepts envelopes and keeps their items."""

    received: list[tuple[str, list[tuple[dict, bytes]]]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        self.received.append((self.path, parse_envelope(body)))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def parse_envelope(body: bytes) -> list[tuple[dict, bytes]]:
    _, _, rest = body.partition(b"\n")
    items = []
    while rest.strip():
        header_line, _, rest = rest.partition(b"\n")
        header = json.loads(header_line)
        if "length" in header:
            payload, rest = rest[: header["length"]], rest[header["length"] + 1 :]
        else:
            payload, _, rest = rest.partition(b"\n")
        items.append((header, payload))
    return items


@pytest.fixture
def sentry_server():
    EnvelopeCollector.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), EnvelopeCollector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], EnvelopeCollector.received
    server.shutdown()
    server.server_close()


def manage(*args, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], env=env, capture_output=True, text=True, timeout=60
    )


def test_an_error_in_a_school_reaches_sentry_tagged_with_the_school(django_db_setup, sentry_server):
    port, received = sentry_server
    env = {**live_env(), "SENTRY_DSN": f"http://publickey@127.0.0.1:{port}/1"}
    result = manage("sentry_check", "alpha", env=env)
    assert result.returncode == 0, result.stderr
    events = [
        json.loads(payload)
        for path, items in received
        for header, payload in items
        if header.get("type") == "event" and path == "/api/1/envelope/"
    ]
    assert len(events) == 1
    event = events[0]
    assert event["tags"]["school"] == "alpha"
    exception = event["exception"]["values"][-1]
    assert exception["type"] == "SentryCheckError"
    assert exception["value"] == "Sentry check for Alpha Academy (alpha)"
    assert f"Sent event {event['event_id']} tagged school=alpha." in result.stdout


def test_sentry_check_explains_what_is_missing(django_db_setup, sentry_server):
    port, received = sentry_server
    no_dsn = manage("sentry_check", "alpha", env={**live_env(), "SENTRY_DSN": ""})
    assert no_dsn.returncode == 1
    assert "SENTRY_DSN is not set, so there is nowhere to send the event." in no_dsn.stderr
    env = {**live_env(), "SENTRY_DSN": f"http://publickey@127.0.0.1:{port}/1"}
    unknown = manage("sentry_check", "nowhere", env=env)
    assert unknown.returncode == 1 and "No school 'nowhere'." in unknown.stderr
    assert received == []
