"""PgBouncer in front of the app, for real: Debian's pgbouncer between a daphne process and the
test PostgreSQL. Session mode serves two schools interleaved and concurrently, each always its
own data, through fewer server connections than clients; transaction mode is shown unsafe with
schema tenancy (one client's search_path reaches the next client)."""

import http.client
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

from tenants.models import SchoolAPIKey
from tenants.services import api_key_create

from ..conftest import _free_port, _wait_for_http, daphne_command, live_env

PGBOUNCER = "/usr/sbin/pgbouncer"
POOL_SIZE = 3

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(not Path(PGBOUNCER).exists(), reason="apt-get install pgbouncer"),
]


class Bouncer:
    def __init__(self, folder: Path, mode: str):
        db = settings.DATABASES["default"]
        self.user, self.name = db["USER"], db["NAME"]
        self.port = _free_port()
        host = db["HOST"] or "127.0.0.1"
        server = f"host={host} port={db.get('PORT') or 5432} dbname={self.name}"
        (folder / "userlist.txt").write_text(f'"{self.user}" "{db.get("PASSWORD") or ""}"\n')
        # The shipped file with this machine's addresses and sizes; the rules stay as shipped.
        ini = (Path(settings.BASE_DIR) / "deploy" / "pgbouncer" / "pgbouncer.ini").read_text()
        replacements = {
            "smartedu = host=postgres port=5432 dbname=smartedu": f"{self.name} = {server}",
            "listen_addr = 0.0.0.0": "listen_addr = 127.0.0.1",
            "listen_port = 6432": f"listen_port = {self.port}",
            "pool_mode = session": f"pool_mode = {mode}",
            "default_pool_size = 40": f"default_pool_size = {POOL_SIZE}",
            "reserve_pool_size = 10": "reserve_pool_size = 0",
            "auth_type = scram-sha-256": "auth_type = trust",
            "auth_file = /etc/pgbouncer/userlist.txt": f"auth_file = {folder / 'userlist.txt'}",
            "admin_users = pgbouncer_admin": f"admin_users = {self.user}",
        }
        for shipped, local in replacements.items():
            assert shipped in ini, shipped
            ini = ini.replace(shipped, local)
        ini += f"logfile = {folder / 'pgbouncer.log'}\npidfile = {folder / 'pgbouncer.pid'}\n"
        if os.geteuid() == 0:
            # PgBouncer refuses to run as root; it becomes the user the test PostgreSQL runs as.
            owner = Path(host).owner() if host.startswith("/") else "nobody"
            ini += f"user = {owner}\n"
        (folder / "pgbouncer.ini").write_text(ini)
        self.process = subprocess.Popen(
            [PGBOUNCER, str(folder / "pgbouncer.ini")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                self.connect().close()
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise
                time.sleep(0.1)

    @property
    def url(self) -> str:
        return f"postgres://{self.user}@127.0.0.1:{self.port}/{self.name}"

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(self.url, autocommit=True)

    def pools(self) -> dict:
        """SHOW POOLS for the app's database (the admin console speaks the simple protocol)."""
        with psycopg.connect(
            f"postgres://{self.user}@127.0.0.1:{self.port}/pgbouncer", autocommit=True
        ) as admin:
            result = admin.pgconn.exec_(b"SHOW POOLS")
            names = [result.fname(i).decode() for i in range(result.nfields)]
            for row in range(result.ntuples):
                values = {
                    names[i]: (result.get_value(row, i) or b"").decode()
                    for i in range(result.nfields)
                }
                if values["database"] == self.name:
                    return values
        return {}

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def bouncer():
    started, folders = [], []

    def start(mode: str) -> Bouncer:
        # Outside pytest's private temp folders: PgBouncer may run as another user.
        folder = Path(tempfile.mkdtemp(prefix=f"pgbouncer-{mode}-"))
        folder.chmod(0o777)
        folders.append(folder)
        started.append(Bouncer(folder, mode))
        return started[-1]

    yield start
    for one in started:
        one.stop()
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def keys(committed):
    made = {}
    for school in (pytest.school_a, pytest.school_b):
        key, secret = api_key_create(school=school.model, name="pgbouncer test", scope="read")
        made[school.model.schema_name] = (school, secret)
    yield made
    SchoolAPIKey.objects.filter(name="pgbouncer test").delete()


def test_session_mode_serves_each_school_its_own_data_through_a_small_pool(bouncer, keys, tmp_path):
    pgbouncer = bouncer("session")
    port = _free_port()
    # No app-side pool: each request opens a client connection and PgBouncer reuses servers.
    env = {**live_env(), "DATABASE_URL": pgbouncer.url, "DATABASE_POOL_MAX_SIZE": "0"}
    log = open(tmp_path / "daphne.log", "wb")
    daphne = subprocess.Popen(
        daphne_command(port),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    most_servers, most_clients, sampling = 0, 0, True

    def sample():
        nonlocal most_servers, most_clients
        while sampling:
            pool = pgbouncer.pools()
            if pool:
                servers = sum(int(pool[k]) for k in pool if k.startswith("sv_"))
                clients = int(pool["cl_active"]) + int(pool["cl_waiting"])
                most_servers, most_clients = max(most_servers, servers), max(most_clients, clients)
            time.sleep(0.02)

    def users_of(schema: str, host_schema: str) -> tuple[int, list[str]]:
        school, secret = keys[schema]
        host = keys[host_schema][0].host
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            conn.request(
                "GET",
                "/api/v1/users/?page_size=100",
                headers={"Host": host, "Authorization": f"Api-Key {secret}"},
            )
            response = conn.getresponse()
            body = response.read()
        finally:
            conn.close()
        names = []
        if response.status == 200:
            names = [user["username"] for user in json.loads(body)["results"]]
        return response.status, names

    sampler = threading.Thread(target=sample, daemon=True)
    try:
        _wait_for_http(port, daphne)
        sampler.start()
        schemas = sorted(keys)
        jobs = [schemas[i % 2] for i in range(80)]
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(lambda schema: (schema, users_of(schema, schema)), jobs))
            # A school's key on the other school's host is refused there.
            crossed = list(pool.map(lambda s: users_of(s, schemas[1 - schemas.index(s)]), schemas))
    finally:
        sampling = False
        daphne.terminate()
        daphne.wait(timeout=20)
        log.close()

    for schema, (status, names) in answers:
        assert status == 200
        assert names and all(name.startswith(f"{schema}-") for name in names), (schema, names)
    assert all(status == 401 for status, _ in crossed)
    # Eight concurrent clients, never more than the pool's server connections.
    assert 0 < most_servers <= POOL_SIZE
    assert most_clients > POOL_SIZE


def test_transaction_mode_hands_one_schools_search_path_to_the_next_client(bouncer, school_a):
    """Why session mode: django-tenants sets search_path once per connection, outside any
    transaction. In transaction mode PgBouncer gives the server connection to the next client
    after that statement, search_path and all."""
    schema = school_a.model.schema_name
    for mode, leaks in (("transaction", True), ("session", False)):
        pgbouncer = bouncer(mode)
        first = pgbouncer.connect()
        first.execute(f'SET search_path = "{schema}", public')
        if mode == "session":
            first.close()  # session mode: the server connection is reset (DISCARD ALL) first
        second = pgbouncer.connect()
        seen = second.execute("SHOW search_path").fetchone()[0]
        second.close()
        if not first.closed:
            first.close()
        assert (schema in seen) is leaks, (mode, seen)
