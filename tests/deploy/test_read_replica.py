"""Reports on a read replica, for real: a hot standby of the test PostgreSQL, made with
pg_basebackup and fed by streaming replication, serves the report pages and API once a replica
alias is configured. The tests pause its replay to tell its answers from the primary's: a report
shows what the replica has replayed, everything else what the primary holds, and nothing writes
to the standby (it would refuse). Each school reads only its own rows through it."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from courses.models import Course
from quizzes.progress.services import mastery_refresh
from smartedu.db_routers import REPLICA, reports_from_replica

from ..api.conftest import api, make_keys
from ..api.test_attempts_api import course_with_students, make_quiz
from ..api.test_results_api import RIGHT, take
from ..conftest import _free_port

pytestmark = pytest.mark.live

ROOT = Path(__file__).resolve().parents[2]


def _pg_bin(name: str) -> str:
    """The embedded PostgreSQL's own tools (the standby must be the same version)."""
    import pgserver

    return str(Path(pgserver.__file__).parent / "pginstall" / "bin" / name)


def _as_owner(command: list[str], owner: str) -> list[str]:
    # PostgreSQL refuses to run as root; the standby runs as the primary's owner.
    return ["runuser", "-u", owner, "--", *command] if os.geteuid() == 0 else command


class Standby:
    """A hot standby of the test database's cluster on its own port and socket folder."""

    def __init__(self, folder: Path):
        primary = settings.DATABASES["default"]
        host = primary["HOST"]
        if not host.startswith("/"):
            pytest.skip("the replica test starts a standby of the embedded PostgreSQL")
        self.owner = Path(host).owner()
        self.folder, self.data = folder, folder / "data"
        self.socket_dir = folder / "socket"
        self.socket_dir.mkdir()
        shutil.chown(folder, self.owner)
        shutil.chown(self.socket_dir, self.owner)
        self.port = _free_port()
        subprocess.run(
            _as_owner(
                [
                    _pg_bin("pg_basebackup"),
                    f"--host={host}",
                    f"--port={primary.get('PORT') or 5432}",
                    f"--username={primary['USER']}",
                    f"--pgdata={self.data}",
                    "--write-recovery-conf",
                    "--wal-method=stream",
                    "--checkpoint=fast",
                ],
                self.owner,
            ),
            check=True,
            capture_output=True,
        )
        subprocess.run(
            _as_owner(
                [
                    _pg_bin("pg_ctl"),
                    "start",
                    "--wait",
                    f"--pgdata={self.data}",
                    f"--log={folder / 'standby.log'}",
                    "-o",
                    f"-p {self.port} -k {self.socket_dir} -c listen_addresses='' -c hot_standby=on",
                ],
                self.owner,
            ),
            check=True,
            capture_output=True,
        )
        self.settings_dict = {
            **connections[DEFAULT_DB_ALIAS].settings_dict,
            "HOST": str(self.socket_dir),
            "PORT": str(self.port),
        }

    def sql(self, statement: str):
        with psycopg.connect(
            host=str(self.socket_dir),
            port=self.port,
            user=self.settings_dict["USER"],
            dbname=self.settings_dict["NAME"],
            autocommit=True,
        ) as conn:
            return conn.execute(statement).fetchone()[0]

    def catch_up(self, timeout: float = 120) -> None:
        """Wait until the standby has replayed everything the primary has written (the whole
        cluster's WAL: on a loaded machine the other worker's tests write a lot of it)."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()::text")
            target = cursor.fetchone()[0]
        deadline = time.monotonic() + timeout
        while not self.sql(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"):
            if time.monotonic() > deadline:
                replayed = self.sql("SELECT pg_last_wal_replay_lsn()::text")
                log = (self.folder / "standby.log").read_text(errors="replace")[-2000:]
                pytest.fail(f"the standby replayed {replayed} of {target} in {timeout} s:\n{log}")
            time.sleep(0.05)

    def stop(self) -> None:
        subprocess.run(
            _as_owner(
                [_pg_bin("pg_ctl"), "stop", "--mode=fast", f"--pgdata={self.data}"], self.owner
            ),
            capture_output=True,
        )


@pytest.fixture(scope="module")
def standby(django_db_setup, django_db_blocker):
    folder = Path(tempfile.mkdtemp(prefix="smartedu-standby-"))
    with django_db_blocker.unblock():
        standby = Standby(folder)
    assert standby.sql("SELECT pg_is_in_recovery()") is True
    yield standby
    standby.stop()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def replica(standby, committed):
    """The app configured with the standby as its ``replica`` database, as
    DATABASE_REPLICA_URL configures it."""
    connections.settings[REPLICA] = dict(standby.settings_dict)
    yield standby
    standby.sql("SELECT pg_wal_replay_resume()")
    connections[REPLICA].close()
    del connections[REPLICA]
    del connections.settings[REPLICA]


def school_with_results(fresh_school):
    """A course whose quiz Sam1 answered all right and Sam2 half right, with mastery."""
    school = fresh_school("rep")
    course = course_with_students(school)
    quiz = make_quiz(school, course, attempts_allowed=3)
    sam1, sam2 = school.students
    with schema_context(school.schema):
        take(quiz, sam1, RIGHT, start=0, submit=5)
        take(quiz, sam2, {1: {"option": "b"}, 2: RIGHT[2]}, start=0, submit=5)
        for student in (sam1, sam2):
            mastery_refresh(student.pk, course.pk)
    school.course, school.quiz, school.keys = course, quiz, make_keys(school)
    connection.set_schema_to_public()
    return school


def statistics(school) -> dict:
    response = api(school, school.keys.read).get(f"/api/v1/quizzes/{school.quiz.pk}/statistics/")
    assert response.status_code == 200, response.content
    return response.json()


def test_reports_read_what_the_replica_has_replayed_and_the_rest_reads_the_primary(
    replica, fresh_school
):
    school = school_with_results(fresh_school)
    replica.catch_up()
    assert statistics(school)["summary"]["attempts"] == 2

    replica.sql("SELECT pg_wal_replay_pause()")
    with schema_context(school.schema):
        take(school.quiz, school.students[0], RIGHT, start=10, submit=15)  # Sam1's second
    connection.set_schema_to_public()

    # The report comes from the paused replica: the new attempt is not there yet...
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        assert statistics(school)["summary"]["attempts"] == 2
    assert any("quizzes_attempt" in q["sql"] for q in on_replica.captured_queries)
    # ...while the attempts list, not a report, reads the primary and has it.
    results = api(school, school.keys.read).get(f"/api/v1/quizzes/{school.quiz.pk}/attempts/")
    assert results.status_code == 200, results.content
    assert results.json()["count"] == 3

    replica.sql("SELECT pg_wal_replay_resume()")
    replica.catch_up()
    assert statistics(school)["summary"]["attempts"] == 3


def test_the_report_pages_render_from_the_replica(replica, fresh_school):
    school = school_with_results(fresh_school)
    replica.catch_up()

    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        dashboard = school.client(school.teacher).get(f"/courses/{school.course.pk}/dashboard/")
        overview = school.client(school.admin).get("/school/overview/")
        progress = api(school, school.keys.read).get(
            f"/api/v1/courses/{school.course.pk}/progress/"
        )

    assert dashboard.status_code == 200 and overview.status_code == 200
    assert progress.status_code == 200, progress.content
    assert [row["overall"]["percent"] for row in progress.json()["results"]] == [100.0, 50.0]
    assert "Sam2" in dashboard.content.decode() and "Biology" in overview.content.decode()
    sql = " ".join(q["sql"] for q in on_replica.captured_queries)
    assert "quizzes_mastery" in sql and "quizzes_attempt" in sql


def test_a_row_read_from_the_replica_is_saved_to_the_primary(replica, fresh_school):
    school = school_with_results(fresh_school)
    replica.catch_up()

    with schema_context(school.schema), reports_from_replica():
        course = Course.objects.get(pk=school.course.pk)
        assert course._state.db == REPLICA
        course.name = "Biology II"
        course.save()  # the standby would refuse: "cannot execute UPDATE in a read-only..."
        assert Course.objects.using(DEFAULT_DB_ALIAS).get(pk=course.pk).name == "Biology II"


def test_each_school_reads_only_its_own_rows_through_the_replica(replica, fresh_school):
    first, second = school_with_results(fresh_school), school_with_results(fresh_school)
    with schema_context(second.schema):
        take(second.quiz, second.students[0], RIGHT, start=10, submit=15)
    connection.set_schema_to_public()
    replica.catch_up()
    # The same quiz id in both schools; each school's report counts its own attempts.
    assert first.quiz.pk == second.quiz.pk

    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        for _ in range(2):  # alternating, on the one replica connection
            assert statistics(first)["summary"]["attempts"] == 2
            assert statistics(second)["summary"]["attempts"] == 3
    assert sum("quizzes_attempt" in q["sql"] for q in on_replica.captured_queries) >= 4
    # A key of one school cannot read the other's report.
    other = api(first, second.keys.read).get(f"/api/v1/quizzes/{first.quiz.pk}/statistics/")
    assert other.status_code == 401


def test_replica_settings_come_from_the_environment_and_the_replica_is_never_migrated():
    script = (
        "import django, json; django.setup(); from django.conf import settings; "
        "from django.db import router; r = settings.DATABASES.get('replica'); "
        "print(json.dumps({'replica': r and {k: r[k] for k in ('ENGINE', 'HOST', 'NAME')}, "
        "'routers': settings.DATABASE_ROUTERS, "
        "'migrate': router.allow_migrate('replica', 'quizzes') if r else None}))"
    )

    def configured(**env) -> dict:
        environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "smartedu.settings"}
        environment.pop("DATABASE_REPLICA_URL", None)
        environment.update(env)
        done = subprocess.run(
            [sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True
        )
        assert done.returncode == 0, done.stderr.decode()
        return json.loads(done.stdout)

    assert configured()["replica"] is None
    with_replica = configured(DATABASE_REPLICA_URL="postgres://reports@standby.internal:5432/app")
    assert with_replica["replica"] == {
        "ENGINE": "django_tenants.postgresql_backend",
        "HOST": "standby.internal",
        "NAME": "app",
    }
    assert with_replica["routers"][0] == "smartedu.db_routers.ReportReplicaRouter"
    assert with_replica["migrate"] is False


@pytest.mark.parametrize(
    "url", ["standby.internal", "mysql://reports:s3cret@standby/app", "postgres://reports@standby"]
)
def test_a_replica_url_that_is_not_a_postgres_database_stops_start_up_saying_so(url):
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "smartedu.settings",
        "DATABASE_REPLICA_URL": url,
    }
    done = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; settings.DATABASES"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )

    assert done.returncode != 0
    assert "DATABASE_REPLICA_URL must be a PostgreSQL URL with a database name" in done.stderr
    assert "s3cret" not in done.stderr
