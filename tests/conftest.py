"""The test base: two committed schools with fixed personas, clients bound to a school's host,
and (for live tests) real daphne and Celery worker processes against the test database.

Personas: school A ("alpha") has an admin, a teacher and two students; school B ("beta") has a
teacher and an admin. Ordinary tests run in a transaction that is rolled back; live tests get a
fresh school of their own because servers in other processes only see committed data.
"""

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django_tenants.utils import get_public_schema_name, schema_context

from tests.fakes.openai_server import openai_server  # noqa: E402, F401  (a fixture)

PASSWORD = "correct-horse-battery"


@dataclass
class School:
    model: object
    host: str
    admin: object
    teacher: object
    students: list

    @property
    def schema(self) -> str:
        return self.model.schema_name

    @property
    def student(self):
        return self.students[0]

    def client(self, user=None) -> Client:
        """A test client talking to this school's host, signed in as ``user`` if given."""
        client = Client(HTTP_HOST=self.host)
        if user is not None:
            with schema_context(self.schema):
                client.force_login(user)
        return client

    def signs_in(self, username: str, password: str = PASSWORD) -> bool:
        """Whether the login form on this school's host accepts these credentials."""
        response = Client(HTTP_HOST=self.host).post(
            "/accounts/login/", {"username": username, "password": password}
        )
        return response.status_code == 302


def make_school(slug: str, name: str, n_students: int = 2) -> School:
    from accounts import services as account_services
    from tenants.services import school_provision

    provisioned = school_provision(name=name, slug=slug)
    with schema_context(provisioned.school.schema_name):

        def person(username, role, first):
            return account_services.user_create(
                username=username,
                role=role,
                email=f"{username}@{slug}.example",
                first_name=first,
                last_name=name.split()[0],
                password=PASSWORD,
            )

        admin = person(f"{slug}-admin", "admin", "Ada")
        teacher = person(f"{slug}-teacher", "teacher", "Tom")
        students = [
            person(f"{slug}-student{i}", "student", f"Sam{i}") for i in range(1, n_students + 1)
        ]
    return School(provisioned.school, provisioned.host, admin, teacher, students)


# --- markers and xdist groups --------------------------------------------------------------

# A test that uses one of these (directly or through another fixture) starts real server or
# worker processes: it is a live test whatever its module says, so `make test-fast` skips it.
LIVE_FIXTURES = {"live_server_process", "celery_worker_process"}
# Folders whose tests run one after another on a single xdist worker (`--dist loadgroup`):
# deploy/ starts nginx, pgbouncer and a streaming standby made by pg_basebackup of the whole
# cluster; bench/ runs the bench scripts, which share scratch database names and the private
# Redis brokers 13 and 14. Each also gets its own marker (deploy, bench).
SERIAL_FOLDERS = ("deploy", "bench")
_TESTS = Path(__file__).resolve().parent


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the xdist_group marks
def pytest_collection_modifyitems(config, items):
    for item in items:
        if LIVE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.live)
        try:
            folder = item.path.relative_to(_TESTS).parts[0]
        except (ValueError, IndexError):
            continue
        if folder in SERIAL_FOLDERS:
            item.add_marker(getattr(pytest.mark, folder))
            item.add_marker(pytest.mark.xdist_group(folder))


@pytest.hookimpl(trylast=True)  # after xdist's own hook has given grouped items their suffix
def pytest_collection_finish(session):
    # pytest-xdist puts a group on one worker by suffixing the items' ids with "@<group>"; a
    # pytest that ignores the suffix (9.2 with xdist 3.8) would run deploy/ and bench/ on both
    # workers at once, two standbys and two bench runs racing each other. Refuse rather than flake.
    if not getattr(session.config.option, "loadgroup", False):
        return
    for item in session.items:
        if item.get_closest_marker("xdist_group") and "@" not in item.nodeid:
            raise pytest.UsageError(
                "pytest-xdist could not group the serial tests (install the pytest version "
                "pyproject.toml pins)"
            )


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database plus the public tenant, the template and schools A and B, committed."""
    import redis

    from tenants.models import Domain
    from tenants.models import School as SchoolModel
    from tenants.services import template_school_ensure

    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    # pytest-django only creates the test database when a selected test asks for `db`; live
    # tests do not (their writes must commit), so a run of live tests alone creates it here.
    own_test_db = None
    if not connection.settings_dict["NAME"].startswith("test_"):
        from django.test.utils import setup_databases

        with django_db_blocker.unblock():
            own_test_db = setup_databases(verbosity=0, interactive=False, aliases={"default"})
    with django_db_blocker.unblock():
        public, _ = SchoolModel.objects.get_or_create(
            schema_name=get_public_schema_name(), defaults={"name": "Platform"}
        )
        Domain.objects.get_or_create(domain=settings.SMARTEDU_BASE_DOMAIN, tenant=public)
        template_school_ensure()
        pytest.school_a = make_school("alpha", "Alpha Academy")
        pytest.school_b = make_school("beta", "Beta High", n_students=1)
        connection.set_schema_to_public()
    yield
    # A live server's last database session may outlive its process by a moment; end it so the
    # test database can be dropped.
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    if own_test_db is not None:
        from django.test.utils import teardown_databases

        with django_db_blocker.unblock():
            teardown_databases(own_test_db, verbosity=0)


@pytest.fixture
def school_a(db) -> School:
    return pytest.school_a


@pytest.fixture
def school_b(db) -> School:
    return pytest.school_b


@pytest.fixture(autouse=True)
def _public_schema_between_tests():
    """Each test starts in the public schema, whatever the last request switched to."""
    yield
    if connection.connection is not None:
        try:
            connection.set_schema_to_public()
        except Exception:
            pass


@pytest.fixture
def in_school():
    """``with in_school(school): ...`` runs ORM code inside that school's schema."""
    return lambda school: schema_context(school.schema)


# --- live processes ------------------------------------------------------------------------


def _test_database_url() -> str:
    db = settings.DATABASES["default"]
    host = quote(db["HOST"], safe="") if db["HOST"].startswith("/") else db["HOST"]
    port = f":{db['PORT']}" if db.get("PORT") else ""
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{host}{port}/{db['NAME']}"


def live_env() -> dict:
    env = os.environ.copy()
    # The browser tests lift Django's async-safety check in this process (Playwright's sync API
    # runs an event loop here); the processes under test keep it, as in production.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update(
        DATABASE_URL=_test_database_url(),
        DJANGO_SETTINGS_MODULE="smartedu.settings",
        DJANGO_DEBUG="true",
        PYTHONUNBUFFERED="1",
        # As the Procfile runs the web process: borrowing pooled connections.
        DATABASE_POOL_MAX_SIZE=env.get("DATABASE_POOL_MAX_SIZE", "8"),
    )
    return env


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_http(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1)
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not answer /health in time")


def daphne_command(port: int, *options: str) -> list[str]:
    """A web process of the app, as the image runs it, on a loopback port."""
    return [
        sys.executable,
        "-m",
        "daphne",
        "-b",
        "127.0.0.1",
        "-p",
        str(port),
        *options,
        "smartedu.asgi:application",
    ]


@dataclass
class LiveServer:
    port: int
    process: subprocess.Popen

    def url(self, school: School, path: str = "/") -> str:
        return f"http://{school.model.schema_name}.localhost:{self.port}{path}"

    def ws_url(self, school: School, path: str) -> str:
        return f"ws://{school.model.schema_name}.localhost:{self.port}{path}"


@pytest.fixture(scope="session")
def live_server_process(django_db_setup, tmp_path_factory):
    """A real daphne process serving the ASGI app on a free loopback port."""
    port = _free_port()
    log = open(tmp_path_factory.mktemp("daphne") / "daphne.log", "wb")
    process = subprocess.Popen(
        daphne_command(port),
        env=live_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for_http(port, process)
        yield LiveServer(port, process)
    finally:
        process.terminate()
        process.wait(timeout=15)


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, tmp_path_factory):
    """A real Celery worker consuming both queues, against the test database."""
    log_path = tmp_path_factory.mktemp("celery") / "worker.log"
    log = open(log_path, "wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "smartedu",
            "worker",
            "-Q",
            "ingest,gpu",
            "--concurrency",
            "1",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "INFO",
            "--hostname",
            f"test-{os.getpid()}@%h",
        ],
        env=live_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while b"ready." not in log_path.read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("celery worker did not start:\n" + log_path.read_text()[-3000:])
        time.sleep(0.2)
    yield process
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture
def fresh_school(django_db_setup, django_db_blocker, request):
    """A factory of committed schools for tests whose servers run in other processes.
    Every school made is dropped after the test."""
    from tenants.services import school_delete

    made = []

    def make(slug_prefix: str = "live") -> School:
        slug = f"{slug_prefix}{len(made)}{os.getpid() % 10000}{int(time.time() * 1000) % 100000}"
        with django_db_blocker.unblock():
            school = make_school(slug, f"Live School {len(made)}")
            connection.set_schema_to_public()
        made.append(school)
        return school

    yield make
    with django_db_blocker.unblock():
        for school in made:
            school_delete(school.model)


@contextmanager
def tasks_run_in_process():
    """Celery runs queued tasks in this process at once (configuration, not a patch): each one
    has finished when the call that queued it returns, and no worker sees it."""
    from celery import current_app

    conf = current_app.conf
    before = conf.task_always_eager, conf.task_eager_propagates
    conf.task_always_eager, conf.task_eager_propagates = True, True
    try:
        yield
    finally:
        conf.task_always_eager, conf.task_eager_propagates = before


@pytest.fixture
def eager_tasks():
    with tasks_run_in_process():
        yield


@pytest.fixture
def committed(django_db_setup, django_db_blocker):
    """Database access outside a transaction: what you write is visible to live processes."""
    with django_db_blocker.unblock():
        yield
        connection.set_schema_to_public()
