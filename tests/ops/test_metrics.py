"""Prometheus metrics: requests are counted by the URL pattern they matched (never their path),
websocket connections rise and fall with real sockets, the Celery backlog and the age of its
oldest job are read from the broker, workers report job durations across their pool children,
AI tokens and failures are counted for the school they belong to, and /metrics is refused to
the public."""

import os
import subprocess
import sys
import time
import urllib.request
import uuid

import pytest
from django.test import Client
from django_tenants.utils import schema_context
from prometheus_client.parser import text_string_to_metric_families
from websockets.exceptions import ConnectionClosed

from ai.tutor import services as tutor
from courses import services as course_services
from courses.models import Material
from quizzes.generation.lifecycle import generation_job_create, generation_job_fail
from smartedu.celery import app
from tests.conftest import _free_port, _wait_for_http, live_env
from tests.fakes import openai_server as fake

from ..ai import samples
from ..ai.conftest import course_with_people, ingest_in_process, upload
from ..realtime.ws import session_cookie, ws_connect


def parse(text: str) -> list:
    return [sample for family in text_string_to_metric_families(text) for sample in family.samples]


def value(samples_: list, name: str, **labels) -> float:
    """The sample ``name`` with exactly these labels (0 when the series does not exist yet)."""
    for sample in samples_:
        if sample.name == name and sample.labels == labels:
            return sample.value
    return 0.0


def scrape(**extra) -> list:
    response = Client().get("/metrics", **extra)
    assert response.status_code == 200
    return parse(response.content.decode())


def scrape_url(url: str) -> list:
    with urllib.request.urlopen(url, timeout=10) as response:
        return parse(response.read().decode())


def wait_for(read, predicate, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while True:
        current = read()
        if predicate(current) or time.monotonic() > deadline:
            return current
        time.sleep(0.2)


# --- requests --------------------------------------------------------------------------------


def test_requests_are_counted_by_url_pattern_never_by_path(school_a):
    with schema_context(school_a.schema):
        biology = course_services.course_create(
            code="MET-1", name="Biology", created_by=school_a.teacher
        )
        chemistry = course_services.course_create(
            code="MET-2", name="Chemistry", created_by=school_a.teacher
        )
    route = {"method": "GET", "route": "/courses/<int:course_id>/"}
    unmatched = {"method": "GET", "route": "<unmatched>", "status": "404"}
    before = scrape()
    teacher = school_a.client(school_a.teacher)

    for course in (biology, chemistry, biology):
        assert teacher.get(f"/courses/{course.pk}/").status_code == 200
    assert teacher.get(f"/no-such-page/{biology.pk}/").status_code == 404
    after = scrape()

    count = "smartedu_http_requests_total"
    assert (
        value(after, count, **route, status="200") - value(before, count, **route, status="200")
        == 3
    )
    assert value(after, count, **unmatched) - value(before, count, **unmatched) == 1
    duration = "smartedu_http_request_duration_seconds_count"
    assert value(after, duration, **route) - value(before, duration, **route) == 3
    labels = {label for sample in after for label in sample.labels.values()}
    raw = (f"/courses/{biology.pk}/", f"/courses/{chemistry.pk}/", "/no-such-page", school_a.host)
    assert not [label for label in labels if any(part in label for part in raw)]


# --- websockets -------------------------------------------------------------------------------


@pytest.fixture
def two_web_processes(django_db_setup, tmp_path):
    """Two daphne processes sharing one metrics folder, as SMARTEDU_WEB_PROCESSES runs them in
    a container: either one's /metrics tells about both."""
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    env = {**live_env(), "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    ports = [_free_port(), _free_port()]
    processes = []
    try:
        for port in ports:
            log = open(tmp_path / f"daphne-{port}.log", "wb")
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port)]
                    + ["smartedu.asgi:application"],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        for port, process in zip(ports, processes, strict=True):
            _wait_for_http(port, process)
        yield ports
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=15)


@pytest.mark.live
def test_web_processes_share_their_figures_and_count_open_websockets(
    two_web_processes, fresh_school, committed
):
    serving, scraped = two_web_processes
    school = fresh_school("metws")
    course = course_with_people(school, code="WS-1")
    metrics_url = f"http://127.0.0.1:{scraped}/metrics"

    def open_sockets() -> float:
        return value(
            scrape_url(metrics_url), "smartedu_websocket_connections", consumer="TutorConsumer"
        )

    for _ in range(2):
        login_page = urllib.request.Request(
            f"http://127.0.0.1:{serving}/accounts/login/", headers={"Host": school.host}
        )
        assert urllib.request.urlopen(login_page, timeout=10).status == 200
    login = {"method": "GET", "route": "/accounts/login/", "status": "200"}
    assert value(scrape_url(metrics_url), "smartedu_http_requests_total", **login) == 2

    path = f"/ws/courses/{course.pk}/tutor/"
    cookie = session_cookie(school, school.student)
    with ws_connect(serving, school.host, path, cookie=cookie) as websocket:
        websocket.send('{"type": "ping"}')
        assert '"pong"' in websocket.recv(timeout=10)
        assert open_sockets() == 1
    assert wait_for(open_sockets, lambda n: n == 0) == 0

    # A refused socket (not signed in) is accepted only to carry its close code.
    with ws_connect(serving, school.host, path) as websocket:
        with pytest.raises(ConnectionClosed):
            websocket.recv(timeout=10)
    assert wait_for(open_sockets, lambda n: n == 0) == 0


# --- Celery queues ----------------------------------------------------------------------------


@pytest.fixture
def unconsumed_queues():
    """Two queue names no worker consumes; whatever the broker holds for them is removed after
    the test (the test Redis is shared with the rest of the run)."""
    import redis
    from django.conf import settings

    names = [f"metrics-{kind}-{uuid.uuid4().hex[:8]}" for kind in ("busy", "idle")]
    yield names
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    for name in names:
        for key in client.scan_iter(match=f"*{name}*"):
            client.delete(key)
    client.close()


def test_queue_length_and_the_oldest_jobs_wait_come_from_the_broker(settings, unconsumed_queues):
    busy, idle = unconsumed_queues
    settings.SMARTEDU_METRICS_QUEUES = [busy, idle]
    task = "ai.tasks.requeue_stalled_materials"

    published_from = time.time()
    # The oldest job has the lowest priority, so it sits in another Redis list than the rest.
    app.send_task(task, queue=busy, priority=9)
    published_by = time.time()
    time.sleep(1.5)
    app.send_task(task, queue=busy, priority=0)
    app.send_task(task, queue=busy, priority=0)

    scraped_from = time.time()
    samples_ = scrape()
    scraped_by = time.time()

    assert value(samples_, "smartedu_celery_queue_length", queue=busy) == 3
    waited = value(samples_, "smartedu_celery_queue_wait_seconds", queue=busy)
    assert scraped_from - published_by <= waited <= scraped_by - published_from
    assert value(samples_, "smartedu_celery_queue_length", queue=idle) == 0
    assert value(samples_, "smartedu_celery_queue_wait_seconds", queue=idle) == 0


@pytest.mark.live
def test_a_worker_reports_job_durations_from_its_pool_children(
    django_db_setup, tmp_path, unconsumed_queues
):
    queue = unconsumed_queues[0]
    port = _free_port()
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    log_path = tmp_path / "worker.log"
    env = live_env()
    env.update(PROMETHEUS_MULTIPROC_DIR=str(metrics_dir), SMARTEDU_WORKER_METRICS_PORT=str(port))
    with open(log_path, "wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "smartedu", "worker", "-Q", queue]
            + ["--concurrency", "2", "--without-gossip", "--without-mingle"]
            + ["--hostname", f"metrics-{os.getpid()}@%h"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while b"ready." not in log_path.read_bytes():
            assert worker.poll() is None and time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.2)
        task = "ai.tasks.extract_material"
        with schema_context(pytest.school_a.schema):
            app.send_task(task, args=[0], queue=queue)  # no such material: done at once
            app.send_task(task, args=[0], queue=queue)
            app.send_task(task, args=[], queue=queue)  # a call that fails

        count = "smartedu_celery_task_duration_seconds_count"
        ok = {"task": task, "queue": queue, "outcome": "success"}
        failed = {"task": task, "queue": queue, "outcome": "failure"}
        samples_ = wait_for(
            lambda: scrape_url(f"http://127.0.0.1:{port}/metrics"),
            lambda s: value(s, count, **ok) == 2 and value(s, count, **failed) == 1,
            timeout=60,
        )
        assert (value(samples_, count, **ok), value(samples_, count, **failed)) == (2, 1)
        assert value(samples_, "smartedu_celery_task_duration_seconds_sum", **ok) > 0
    finally:
        worker.terminate()
        worker.wait(timeout=30)


# --- per school -------------------------------------------------------------------------------


def test_a_failed_ingestion_is_counted_for_its_school_only(school_a, school_b, tmp_path):
    failures = "smartedu_ingestion_failures_total"
    before = scrape()
    course = course_with_people(school_a, code="MET-ING")
    material, _ = upload(school_a, course, samples.pdf_with_pages(tmp_path, [""]))

    assert ingest_in_process(school_a, material.pk).state == Material.State.FAILED
    after = scrape()

    assert value(after, failures, school=school_a.schema) == (
        value(before, failures, school=school_a.schema) + 1
    )
    assert value(after, failures, school=school_b.schema) == (
        value(before, failures, school=school_b.schema)
    )


def test_a_failed_generation_job_is_counted_for_its_school_only(school_a, school_b):
    failures = "smartedu_generation_failures_total"
    course = course_with_people(school_a, code="MET-GEN")
    with schema_context(school_a.schema):
        Material.objects.create(
            course=course,
            title="Cells",
            filename="cells.txt",
            kind="text",
            file="cells.txt",
            size_bytes=1,
            sha256="e" * 64,
            state="ready",
        )
        job = generation_job_create(course=course, requested_by=school_a.teacher, count=2)
    before = scrape()

    with schema_context(school_a.schema):
        generation_job_fail(job.pk, reason="The worker stopped.", report=lambda event: None)
        # Failing a finished job again changes nothing, so it is not counted again.
        generation_job_fail(job.pk, reason="The worker stopped.", report=lambda event: None)
    after = scrape()

    assert value(after, failures, school=school_a.schema) == (
        value(before, failures, school=school_a.schema) + 1
    )
    assert value(after, failures, school=school_b.schema) == (
        value(before, failures, school=school_b.schema)
    )


def test_ai_tokens_are_counted_for_the_school_that_spent_them(
    school_a, school_b, settings, openai_server, tmp_path
):
    openai_server.use_for(settings)
    course = course_with_people(school_a, code="MET-TOK")
    material, _ = upload(school_a, course, samples.text_file(tmp_path, "Mitochondria make ATP."))
    ingest_in_process(school_a, material.pk)
    tokens = "smartedu_ai_tokens_total"
    before = scrape()

    with schema_context(school_a.schema):
        turn = tutor.tutor_turn_create(
            course=course, asked_by=school_a.student, question="What do mitochondria make?"
        )
        turn = tutor.tutor_answer(turn.pk, emit=lambda event: None)
    after = scrape()

    assert turn.completion_tokens == fake.count_tokens(fake.DEFAULT_CHAT_REPLY)
    for kind, spent in (("prompt", turn.prompt_tokens), ("completion", turn.completion_tokens)):
        assert spent > 0
        assert value(after, tokens, school=school_a.schema, kind=kind) == (
            value(before, tokens, school=school_a.schema, kind=kind) + spent
        )
        assert value(after, tokens, school=school_b.schema, kind=kind) == (
            value(before, tokens, school=school_b.schema, kind=kind)
        )


# --- access -----------------------------------------------------------------------------------


def test_metrics_are_refused_to_public_addresses_without_the_token(settings):
    public = {"REMOTE_ADDR": "203.0.113.7"}
    forwarded_for_public = {"REMOTE_ADDR": "10.0.0.5", "HTTP_X_FORWARDED_FOR": "203.0.113.7"}

    assert Client().get("/metrics", **public).status_code == 404
    assert Client().get("/metrics", **forwarded_for_public).status_code == 404
    assert Client().get("/metrics", REMOTE_ADDR="10.0.0.5").status_code == 200

    settings.SMARTEDU_METRICS_TOKEN = "s3cret-scrape-token"
    wrong = {"HTTP_AUTHORIZATION": "Bearer guessed"}
    right = {"HTTP_AUTHORIZATION": "Bearer s3cret-scrape-token"}
    assert Client().get("/metrics", **public, **wrong).status_code == 404
    assert Client().get("/metrics", **public).status_code == 404
    response = Client().get("/metrics", **public, **right)
    assert response.status_code == 200
    assert b"smartedu_http_requests_total" in response.content
