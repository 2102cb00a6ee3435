"""Background jobs on the real Celery worker: they run in the school that queued them, only
after the queuing transaction commits, converge when run again, and fail with a reason."""

import contextlib
import subprocess
import sys
import time

import pytest
from celery.signals import before_task_publish
from django.db import transaction
from django_tenants.utils import schema_context

from accounts.models import User
from courses import services
from courses.models import RosterImport
from courses.tasks import import_roster

from ..conftest import live_env
from .conftest import roster_csv
from .ws import receive_until, session_cookie, ws_connect

pytestmark = pytest.mark.live


@contextlib.contextmanager
def published_tasks():
    """Every task message this process hands to the broker: (task name, args, headers)."""
    seen = []

    def record(sender=None, body=None, headers=None, **kwargs):
        seen.append((sender, tuple(body[0]), dict(headers or {})))

    before_task_publish.connect(record, weak=False)
    try:
        yield seen
    finally:
        before_task_publish.disconnect(record)


def wait_for_state(school, roster_import_id, states=("done", "failed"), timeout=60):
    deadline = time.monotonic() + timeout
    with schema_context(school.schema):
        while time.monotonic() < deadline:
            roster_import = RosterImport.objects.get(pk=roster_import_id)
            if roster_import.state in states:
                return roster_import
            time.sleep(0.2)
    raise AssertionError(f"import {roster_import_id} still {roster_import.state} after {timeout}s")


def usernames(school) -> set[str]:
    with schema_context(school.schema):
        return set(User.objects.values_list("username", flat=True))


def test_a_task_queued_in_a_school_carries_its_schema_and_runs_there(
    celery_worker_process, fresh_school, committed
):
    school, bystander = fresh_school(), fresh_school()
    bystander_people = usernames(bystander)
    with published_tasks() as published, schema_context(school.schema):
        roster_import = services.roster_import_create(
            filename="a.csv", content=roster_csv("pupil", 2), created_by=school.admin
        )
    assert [(name, args) for name, args, _ in published] == [
        ("courses.tasks.import_roster", (roster_import.pk,))
    ]
    assert published[0][2]["_schema_name"] == school.schema
    assert wait_for_state(school, roster_import.pk).state == "done"
    assert {"pupil1", "pupil2"} <= usernames(school)
    assert usernames(bystander) == bystander_people
    with schema_context("public"):
        assert not User.objects.filter(username__startswith="pupil").exists()


def test_a_rolled_back_upload_queues_nothing(celery_worker_process, fresh_school, committed):
    school = fresh_school()
    with published_tasks() as published, schema_context(school.schema):
        with contextlib.suppress(RuntimeError), transaction.atomic():
            services.roster_import_create(
                filename="a.csv", content=roster_csv("ghost", 2), created_by=school.admin
            )
            raise RuntimeError("the request failed after the upload")
        assert published == []
        assert RosterImport.objects.count() == 0

        with transaction.atomic():
            roster_import = services.roster_import_create(
                filename="b.csv", content=roster_csv("real", 2), created_by=school.admin
            )
            assert published == []  # not before the commit...
        assert [args for _, args, _ in published] == [(roster_import.pk,)]  # ...but right after
    wait_for_state(school, roster_import.pk)
    assert "ghost1" not in usernames(school) and "real1" in usernames(school)


def test_running_an_import_again_changes_nothing(celery_worker_process, fresh_school, committed):
    school = fresh_school()
    with schema_context(school.schema):
        roster_import = services.roster_import_create(
            filename="a.csv", content=roster_csv("twice", 3), created_by=school.admin
        )
    first = wait_for_state(school, roster_import.pk)
    people = usernames(school)

    # A duplicate delivery of a finished import: nothing moves.
    with schema_context(school.schema):
        import_roster.delay(roster_import.pk)
        # The worker runs one task at a time in queue order, so once this one is done the
        # duplicate has run too.
        barrier = services.roster_import_create(
            filename="barrier.csv", content=roster_csv("later", 1), created_by=school.admin
        )
    wait_for_state(school, barrier.pk)
    again = wait_for_state(school, roster_import.pk)
    assert (again.state, again.summary, again.report, again.finished_at) == (
        first.state,
        first.summary,
        first.report,
        first.finished_at,
    )

    # A worker that died mid-import leaves it "running"; the redelivered task converges.
    with schema_context(school.schema):
        RosterImport.objects.filter(pk=roster_import.pk).update(state="running")
        import_roster.delay(roster_import.pk)
    redone = wait_for_state(school, roster_import.pk)
    assert redone.state == "done"
    assert redone.summary == {"created": 0, "updated": 0, "unchanged": 3, "rejected": 0}
    assert usernames(school) == people | {"later1"}


def test_an_unreadable_csv_ends_failed_with_a_reason(
    live_server_process, celery_worker_process, fresh_school, committed
):
    school = fresh_school()
    people = usernames(school)
    with schema_context(school.schema):
        # An import stored before its file could be checked (the upload path checks first).
        roster_import = RosterImport.objects.create(
            filename="bad.csv", csv_text="name,age\nann,12\n", created_by=school.admin
        )
    cookie = session_cookie(school, school.admin)
    path = f"/ws/progress/roster-import/{roster_import.pk}/"
    with ws_connect(live_server_process.port, school.host, path, cookie=cookie) as websocket:
        with schema_context(school.schema):
            import_roster.delay(roster_import.pk)
        events = receive_until(websocket, lambda m: m.get("state") in ("done", "failed"))
    reason = (
        "The header row must include a username or external_id column (columns understood: "
        "external_id, username, email, first_name, last_name, role, course_code, course_role)."
    )
    assert events == [
        {"type": "progress", "topic": "roster-import", "key": str(roster_import.pk),
         "state": "failed", "error": reason}
    ]  # fmt: skip
    failed = wait_for_state(school, roster_import.pk)
    assert (failed.state, failed.error, failed.report) == ("failed", reason, [])
    assert failed.finished_at is not None
    assert usernames(school) == people


def test_celery_beat_starts_with_the_app_config(django_db_setup, tmp_path):
    log_path = tmp_path / "beat.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "smartedu", "beat", "--loglevel", "INFO",
             "--schedule", str(tmp_path / "celerybeat-schedule")],
            env=live_env(), stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while b"beat: Starting..." not in log_path.read_bytes():
                assert process.poll() is None, log_path.read_text()[-3000:]
                assert time.monotonic() < deadline, log_path.read_text()[-3000:]
                time.sleep(0.2)
            time.sleep(1)
            assert process.poll() is None, log_path.read_text()[-3000:]
        finally:
            process.terminate()
            process.wait(timeout=15)
