"""Throughput and latency of ``GET /api/v1/users/`` (first page, 50 people, school of 2,000)
served by real daphne processes on loopback, under load from ``wrk``.

    make bench BENCH=roster_api              # or, by hand:
    python -m smartedu.embedded exec --data .data/bench --redis-port 0 -- \
        .venv/bin/python bench/roster_api.py [--users 2000] [--duration 10]

1 and 2 daphne processes (2 on separate ports; the load is split evenly between them, one wrk
per server, and the latency histograms are merged exactly), 16 and 64 connections, with an API
key and with a signed-in admin's session. Without ``wrk`` on the PATH a plain asyncio client
does the same job (slower; the table says which client ran). Works in its own scratch database
(bench_roster_api), dropped at the end.
"""

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import _common

LUA = Path(__file__).resolve().parent / "wrk_report.lua"
PATH = "/api/v1/users/"
SLUG = "roster"
PASSWORD = "bench-admin-password-1"


@dataclass
class Load:
    """What one load run measured: requests, duration and the latency histogram (µs → n)."""

    requests: int = 0
    seconds: float = 0.0
    errors: Counter = field(default_factory=Counter)
    latency_us: Counter = field(default_factory=Counter)

    def merge(self, other: "Load") -> None:
        self.requests += other.requests
        self.seconds = max(self.seconds, other.seconds)
        self.errors.update(other.errors)
        self.latency_us.update(other.latency_us)

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile_ms(self, p: float) -> float:
        """Nearest-rank percentile of the recorded latencies, in milliseconds."""
        total = sum(self.latency_us.values())
        if not total:
            return float("nan")
        rank = max(1, -(-total * p // 100))
        seen = 0
        for micros in sorted(self.latency_us):
            seen += self.latency_us[micros]
            if seen >= rank:
                return micros / 1000
        return max(self.latency_us) / 1000


# --- data ------------------------------------------------------------------------------------

FIRST = ["Ada", "Ben", "Cleo", "Dan", "Eva", "Finn", "Gia", "Hugo", "Ines", "Jon", "Kai", "Lea"]
LAST = ["Novak", "Okafor", "Park", "Quinn", "Rossi", "Silva", "Tanaka", "Usman", "Varga", "Weber"]


def seed(users: int) -> tuple[str, str, str]:
    """The school with ``users`` people (one admin, the rest students), an API key and a
    signed-in admin session, all through the product's services. Returns (host, key, session)."""
    from django.conf import settings
    from django.test import Client
    from django_tenants.utils import schema_context
    from tqdm import tqdm

    from accounts import services as account_services
    from tenants.services import api_key_create, school_provision

    provisioned = school_provision(name="Roster Bench School", slug=SLUG)
    with schema_context(provisioned.school.schema_name):
        admin = account_services.user_create(
            username="admin", role="admin", email="admin@roster.example", password=PASSWORD
        )
        for i in tqdm(range(1, users), desc="people", unit="person", file=sys.stdout):
            account_services.user_create(
                username=f"student{i:05d}",
                role="student",
                email=f"student{i:05d}@roster.example",
                first_name=FIRST[i % len(FIRST)],
                last_name=LAST[(i // len(FIRST)) % len(LAST)],
                external_id=f"SIS-{i:06d}",
            )
        client = Client(HTTP_HOST=provisioned.host)
        client.force_login(admin)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
    _, key = api_key_create(school=provisioned.school, name="bench", scope="read")
    return provisioned.host, key, f"{settings.SESSION_COOKIE_NAME}={session}"


def in_process(headers: dict[str, str], requests: int = 30) -> tuple[float, int]:
    """The same request through Django's test client, no HTTP server: median milliseconds and
    SQL queries per request. The gap to the served latency is the server and the queueing."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    meta = {"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()}
    client = Client(**meta)
    client.get(PATH)  # warm-up
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(PATH)
        samples.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise SystemExit(f"GET {PATH} in process answered {response.status_code}")
    connection.set_schema_to_public()
    return _common.percentile(samples, 50) * 1000, len(queries)


# --- servers ---------------------------------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_servers(count: int, env: dict, log_dir: Path) -> list[tuple[int, subprocess.Popen]]:
    servers = []
    for i in range(count):
        port = _free_port()
        log = open(log_dir / f"daphne-{i}.log", "wb")
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "daphne",
                "-b",
                "127.0.0.1",
                "-p",
                str(port),
                "smartedu.asgi:application",
            ],
            env=env,
            cwd=_common.REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        servers.append((port, process))
    deadline = time.monotonic() + 60
    for port, process in servers:
        while True:
            if process.poll() is not None:
                raise SystemExit(f"daphne on port {port} exited; see {log_dir}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit(f"daphne on port {port} did not answer /health") from None
                time.sleep(0.2)
    return servers


def stop_servers(servers) -> list[int]:
    """SIGTERM each server; returns the ports of those still running after 10 s (then killed)."""
    for _, process in servers:
        process.terminate()
    hung = []
    for port, process in servers:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            hung.append(port)
    return hung


def leftovers(database_url: str, servers) -> tuple[int, int]:
    """Database connections and threads the servers still hold once the load has stopped.
    An idle daphne holds none and a handful of threads; anything more is requests that never
    finished."""
    import psycopg

    time.sleep(2)  # let requests that were in flight when the clients stopped finish
    with psycopg.connect(database_url, autocommit=True) as conn:
        held = conn.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()[0]
    threads = 0
    for _, process in servers:
        status = Path(f"/proc/{process.pid}/status")
        if status.exists():
            for line in status.read_text().splitlines():
                if line.startswith("Threads:"):
                    threads += int(line.split()[1])
    return held, threads


def check_endpoint(port: int, headers: dict[str, str], users: int) -> None:
    """One request before the load: the endpoint answers a full, correct page or we stop."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{PATH}", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            body = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise SystemExit(
            f"GET {PATH} answered {exc.code}: {exc.read()[:300]!r}. Is the users API in place?"
        ) from None
    if body.get("count") != users or len(body.get("results", [])) != min(50, users):
        raise SystemExit(f"GET {PATH} returned an unexpected page: count={body.get('count')}")


# --- load ------------------------------------------------------------------------------------


def _parse_wrk(output: str) -> Load:
    load = Load()
    for line in output.splitlines():
        kind, *numbers = line.split()
        if kind == "summary":
            requests, micros, *errors = (int(n) for n in numbers)
            load.requests, load.seconds = requests, micros / 1e6
            names = ("connect", "read", "write", "status", "timeout")
            load.errors.update({k: v for k, v in zip(names, errors, strict=True) if v})
        elif kind == "hist":
            load.latency_us[int(numbers[0])] += int(numbers[1])
    return load


def run_wrk(ports: list[int], connections: int, seconds: float, headers: dict[str, str]) -> Load:
    """One wrk per server, started together, connections split evenly between them."""
    env = os.environ.copy()
    env["BENCH_PATH"] = PATH
    env["BENCH_HEADERS"] = "\n".join(f"{k}: {v}" for k, v in headers.items())
    share = max(1, connections // len(ports))
    processes = [
        subprocess.Popen(
            [
                "wrk",
                "-t1",
                f"-c{share}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "60s",
                "-s",
                str(LUA),
                f"http://127.0.0.1:{port}{PATH}",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for port in ports
    ]
    total = Load()
    for process in processes:
        output, _ = process.communicate()
        if process.returncode != 0 or "summary" not in output:
            raise SystemExit(f"wrk failed:\n{output[-2000:]}")
        total.merge(_parse_wrk(output))
    return total


async def _http_get(reader, writer, request: bytes) -> int:
    """One keep-alive HTTP/1.1 GET on an open connection; returns the status code."""
    writer.write(request)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    fields = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
    if "content-length" in fields:
        await reader.readexactly(int(fields["content-length"]))
    elif fields.get("transfer-encoding", "").lower() == "chunked":
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            await reader.readexactly(size + 2)
        await reader.readuntil(b"\r\n")
    return status


def run_asyncio(
    ports: list[int], connections: int, seconds: float, headers: dict[str, str]
) -> Load:
    """The fallback client (no wrk): ``connections`` keep-alive connections, each driven by
    its own asyncio task, spread evenly over the servers. Python is a slower client than wrk,
    and it shares the CPU with the servers."""
    lines = [f"GET {PATH} HTTP/1.1", *(f"{k}: {v}" for k, v in headers.items())]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()

    async def main() -> Load:
        load = Load()
        deadline = time.perf_counter() + seconds

        async def worker(port: int) -> None:
            writer = None
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                try:
                    if writer is None:
                        reader, writer = await asyncio.open_connection("127.0.0.1", port)
                    status = await asyncio.wait_for(_http_get(reader, writer, request), 60)
                # TimeoutError is an OSError.
                except (
                    OSError,
                    asyncio.IncompleteReadError,
                    asyncio.LimitOverrunError,
                    ValueError,
                ):
                    load.errors["read"] += 1
                    if writer is not None:
                        writer.close()
                    writer = None
                    continue
                load.latency_us[int((time.perf_counter() - started) * 1e6)] += 1
                load.requests += 1
                if status >= 400:
                    load.errors["status"] += 1
            if writer is not None:
                writer.close()

        started = time.perf_counter()
        await asyncio.gather(*(worker(ports[i % len(ports)]) for i in range(connections)))
        load.seconds = time.perf_counter() - started
        return load

    return asyncio.run(main())


# --- main ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=2000, help="people in the school")
    parser.add_argument("--duration", type=float, default=10, help="seconds per load run")
    parser.add_argument("--connections", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument(
        "--auth", nargs="+", choices=["api-key", "session"], default=["api-key", "session"]
    )
    parser.add_argument("--client", choices=["auto", "wrk", "asyncio"], default="auto")
    parser.add_argument("--db", default="bench_roster_api", help="scratch database name")
    parser.add_argument("--results", type=Path, default=_common.RESULTS)
    parser.add_argument("--keep-db", action="store_true", help="leave the scratch database")
    args = parser.parse_args(argv)

    client = args.client
    if client == "auto":
        client = "wrk" if shutil.which("wrk") else "asyncio"
    if client == "wrk" and not shutil.which("wrk"):
        raise SystemExit("wrk is not on the PATH (Debian: apt-get install -y wrk).")
    drive = run_wrk if client == "wrk" else run_asyncio

    url = _common.scratch_database_create(args.db)
    servers = []
    rows = []
    try:
        _common.django_setup(url)
        print(f"Seeding a school of {args.users} people...", flush=True)
        host, key, cookie = seed(args.users)
        info = _common.machine()
        auth_headers = {
            "api-key": {"Host": host, "Authorization": f"Api-Key {key}"},
            "session": {"Host": host, "Cookie": cookie},
        }
        direct = {auth: in_process(auth_headers[auth]) for auth in args.auth}
        from django.db import connections

        connections.close_all()  # the servers, not this process, use the database from here on
        info["client"] = f"{client}, on the same machine as the servers"
        info["server"] = "daphne (smartedu.asgi), DEBUG off, DATABASE_CONN_MAX_AGE=" + (
            os.environ.get("DATABASE_CONN_MAX_AGE", "0 (default)")
        )
        print(_common.machine_markdown(info), flush=True)
        log_dir = Path(tempfile.mkdtemp(prefix="bench-roster-"))
        servers = start_servers(max(args.processes), _common.bench_env(url), log_dir)
        ports = [port for port, _ in servers]
        for auth in args.auth:
            for port in ports:
                check_endpoint(port, auth_headers[auth], args.users)
        before = leftovers(url, servers)
        for auth in args.auth:
            # Untimed warm-up: first requests import lazily loaded code and fill caches.
            drive(ports, 4 * len(ports), min(2.0, args.duration), auth_headers[auth])

        for auth in args.auth:
            for processes in args.processes:
                for conns in args.connections:
                    load = drive(ports[:processes], conns, args.duration, auth_headers[auth])
                    errors = ", ".join(f"{k} {v}" for k, v in sorted(load.errors.items()))
                    row = [
                        auth,
                        processes,
                        conns,
                        f"{load.requests:,}",
                        f"{load.per_second:,.1f}",
                        f"{load.percentile_ms(50):,.0f}",
                        f"{load.percentile_ms(95):,.0f}",
                        f"{load.percentile_ms(99):,.0f}",
                        errors or "0",
                    ]
                    rows.append(row)
                    print("  " + " | ".join(str(c) for c in row), flush=True)
        info["load after"] = _common.load_average()
        after = leftovers(url, servers)
    finally:
        hung = stop_servers(servers)
        if not args.keep_db:
            from django.db import connections

            connections.close_all()
            _common.scratch_database_drop(url)

    headers = [
        "auth",
        "daphne processes",
        "connections",
        "requests",
        "req/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "errors",
    ]
    result_table = _common.table(headers, rows)
    direct_table = _common.table(
        ["auth", "median ms", "SQL queries"],
        [[auth, f"{ms:.1f}", queries] for auth, (ms, queries) in direct.items()],
    )
    aftermath = (
        f"Left behind by the servers, 2 s after the last run: {after[0]} database connections "
        f"and {after[1]} threads (before the load: {before[0]} and {before[1]}). On SIGTERM, "
        f"{len(hung)} of {len(servers)} daphne processes were still running after 10 s and "
        "were killed."
    )
    aftermath = textwrap.fill(aftermath, width=96)
    print("\n" + result_table + "\n\nIn process, one at a time:\n" + direct_table)
    print("\n" + aftermath)
    body = f"""{_common.machine_markdown(info)}

`GET {PATH}` on the host of a school with {args.users:,} people (first page: 50 people plus
the total count), {args.duration:g} s per run after an untimed warm-up. Before the load each
server answered one request that was checked (status 200, count {args.users:,}, 50 results).
"errors" counts failed connections, timeouts and non-2xx answers.

{result_table}

The same request in the bench process through Django's test client (no HTTP server, one at a
time, median of 30): what one request costs the application itself.

{direct_table}

{aftermath}
"""
    _common.record("roster_api", "Roster API under load (bench/roster_api.py)", body, args.results)
    print(f"\nRecorded in {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
