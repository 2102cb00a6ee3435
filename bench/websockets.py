"""Websockets on one machine: how many connections a daphne process holds, how fast a class's
answers come back, how fast a live question reaches a class, and whether a server restart
loses answers.

    make bench BENCH=websockets              # or, by hand:
    python -m smartedu.embedded exec --data .data/bench --redis-port 0 -- \\
        .venv/bin/python bench/websockets.py [--connections 5000] [--class-size 1000]

Everything is real: daphne processes serving ``smartedu.asgi`` (production settings, and
``DATABASE_POOL_MAX_SIZE=8`` as in the Procfile unless the environment sets it), the
scratch database on the embedded PostgreSQL, Redis as the channel layer, a Celery worker for
the progress refreshes answers queue (as ``make run`` starts one), and clients speaking the
websocket protocol from several worker processes (``bench/_ws_clients.py``: asyncio and the
``websockets`` library, compression off) so the load generator is not one Python loop. Clients
and servers share the machine's cores.

1. Connections: signed-in students open ``/ws/progress/student-progress/<own id>/`` (the
   lightest authenticated socket) in steps up to ``--connections``, ``--handshakes`` in flight
   per client process. At each step: the server's resident memory and its growth per
   connection, the handshake latency of the step's new connections, and a ping round trip
   sampled on random open connections. Once with one daphne process, once with
   ``--processes`` (one per core) on their own ports, the clients spread over them.
2. Answers: ``--class-size`` students of one course, each with an attempt in progress (via
   ``attempt_start``) on a published quiz of short-answer questions, connected to
   ``/ws/quizzes/<id>/attempt/`` after ``open``. (a) burst: every student sends one answer at
   the same moment; (b) class pace: every student answers every ``--pace`` s for
   ``--duration`` s, each at a random phase. Round trip = ``answer`` sent → ``saved`` read.
   Afterwards every acknowledged answer is looked up in the database (its text is unique).
3. Live session: the class joined to a live session, the host opens the next question; time
   from the host's command to each student reading the question. (Skipped, with a note, when
   the live-session consumer is not routed.)
4. Restart: the class answering at class pace over ``--processes`` servers while one is killed
   (SIGKILL) and restarted; clients reconnect, ``open`` again and re-send what was not
   acknowledged, as the quiz page does. Sent vs acknowledged vs stored.

``--profile`` samples every daphne thread's Python stack (100 Hz) during part 2 and reports
where the busy time went. Works in its own scratch database (bench_websockets), dropped at the
end.
"""

import sys
from pathlib import Path

_BENCH = Path(__file__).resolve().parent
# This file is named websockets.py: keep bench/ behind site-packages on sys.path, or importing
# the `websockets` library (here, in the client processes) would import this script.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH] + [str(_BENCH)]

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import textwrap  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402
from collections import Counter  # noqa: E402
from dataclasses import dataclass  # noqa: E402

import _common  # noqa: E402
from _ws_clients import (  # noqa: E402
    ClientPool,
    cpu_seconds_of,
    merged,
    raise_open_files_limit,
    rss_mib_of,
)

SLUG = "wsbench"
ANSWER_TARGET_MS = 100
BROADCAST_TARGET_MS = 250
LIVE_CONSUMER = _common.REPO / "quizzes" / "consumers" / "live.py"


def ms(seconds: float) -> str:
    value = seconds * 1000
    if value != value:  # NaN
        return "–"
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def pct(values: list[float], p: float) -> float:
    return _common.percentile(values, p)


def counts(counter) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counter.items(), key=str) if v) or "0"


# --- data ---------------------------------------------------------------------------------------


@dataclass
class Seeded:
    host: str
    schema: str
    teacher_cookie: str
    students: list[tuple[int, str]]  # (user id, Cookie header), the first class_size in class
    course_id: int
    quiz_id: int
    questions: int
    teacher_id: int
    probe_id: int  # the last student of the class: never connected, the in-process figures


def seed(students: int, class_size: int, questions: int) -> Seeded:
    """A school of ``students`` signed-in students (users, sessions bulk-created: a session is
    what the login view stores — user id, backend, password hash), a teacher, a course with the
    first ``class_size`` of them, a published quiz of ``questions`` short-answer questions, and
    an attempt in progress for each student of the class, through ``attempt_start``."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone
    from django.utils.crypto import get_random_string
    from django_tenants.utils import schema_context
    from tqdm import tqdm

    from accounts import services as account_services
    from accounts.models import User
    from courses import services as course_services
    from courses.models import Enrollment
    from quizzes import services as quiz_services
    from quizzes.attempts.services import attempt_start
    from quizzes.models import Quiz
    from tenants.services import school_provision

    provisioned = school_provision(name="Websocket Bench School", slug=SLUG)
    schema = provisioned.school.schema_name
    with schema_context(schema):
        teacher = account_services.user_create(
            username="teacher", role="teacher", email="teacher@wsbench.example"
        )
        people = []
        for i in range(students):
            user = User(
                username=f"student{i:05d}",
                email=f"student{i:05d}@wsbench.example",
                first_name="Student",
                last_name=f"{i:05d}",
                role=User.Role.STUDENT,
            )
            user.set_unusable_password()
            people.append(user)
        User.objects.bulk_create(people, batch_size=1000)
        store, backend = SessionStore(), settings.AUTHENTICATION_BACKENDS[0]
        expires = timezone.now() + dt.timedelta(days=1)
        sessions, cookies = [], []
        for user in [teacher, *people]:
            key = get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789")
            data = {
                SESSION_KEY: str(user.pk),
                BACKEND_SESSION_KEY: backend,
                HASH_SESSION_KEY: user.get_session_auth_hash(),
            }
            sessions.append(
                Session(session_key=key, session_data=store.encode(data), expire_date=expires)
            )
            cookies.append(f"{settings.SESSION_COOKIE_NAME}={key}")
        Session.objects.bulk_create(sessions, batch_size=1000)
        print(f"  {students:,} students and their sessions", flush=True)

        course = course_services.course_create(
            code="WS-101", name="Websocket bench", created_by=teacher
        )
        Enrollment.objects.bulk_create(
            [
                Enrollment(course=course, user=user, role=Enrollment.Role.STUDENT)
                for user in people[:class_size]
            ],
            batch_size=1000,
        )
        bank = [
            quiz_services.question_create(
                course=course,
                kind="short_answer",
                stem=f"Question {n}: which molecule carries energy in cells?",
                answer={"accepted": ["ATP"]},
                created_by=teacher,
            )
            for n in range(1, questions + 1)
        ]
        quiz = quiz_services.quiz_create(
            course=course, title="Bench quiz", created_by=teacher, show_feedback="after_submit"
        )
        quiz_services.quiz_questions_add(quiz, [q.pk for q in bank])
        quiz_services.quiz_publish(quiz)
        quiz = Quiz.objects.get(pk=quiz.pk)
        for user in tqdm(
            people[:class_size], desc="  attempts", unit="attempt", file=sys.stdout, ncols=90
        ):
            attempt_start(quiz, user)
    return Seeded(
        host=provisioned.host,
        schema=schema,
        teacher_cookie=cookies[0],
        students=[(user.pk, cookie) for user, cookie in zip(people, cookies[1:], strict=True)],
        course_id=course.pk,
        quiz_id=quiz.pk,
        questions=questions,
        teacher_id=teacher.pk,
        probe_id=people[class_size - 1].pk,
    )


def stored_answers(seeded: Seeded) -> dict[tuple[int, int], str]:
    """(attempt id, position) → stored answer text, for every answered question of the quiz."""
    from django_tenants.utils import schema_context

    from quizzes.models import AttemptQuestion

    with schema_context(seeded.schema):
        rows = AttemptQuestion.objects.filter(
            attempt__quiz_id=seeded.quiz_id, answered_at__isnull=False
        ).values_list("attempt_id", "position", "response")
        return {(a, p): (r or {}).get("text") for a, p, r in rows}


# --- servers ------------------------------------------------------------------------------------

LAUNCH = (
    "import sys; sys.path.append({bench!r}); import _ws_clients; "
    "_ws_clients.serve(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3])"
)


@dataclass
class Server:
    port: int
    process: subprocess.Popen
    log: Path
    profile: Path | None = None


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_start(
    env: dict, log_dir: Path, index: int, open_files: int, *, port=None, profile=False
) -> Server:
    port = port or _free_port()
    log = log_dir / f"daphne-{index}.log"
    profile_path = log_dir / f"profile-{index}-{port}-{int(time.time())}.json" if profile else None
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            LAUNCH.format(bench=str(_BENCH)),
            str(port),
            str(open_files),
            str(profile_path or ""),
        ],
        env=env,
        cwd=_common.REPO,
        stdout=open(log, "ab"),
        stderr=subprocess.STDOUT,
    )
    return Server(port, process, log, profile_path)


def servers_wait(servers: list[Server], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    for server in servers:
        while True:
            if server.process.poll() is not None:
                raise SystemExit(f"daphne on port {server.port} exited; see {server.log}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{server.port}/health", timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit(
                        f"daphne on port {server.port} did not answer /health"
                    ) from None
                time.sleep(0.2)


def servers_start(count: int, env, log_dir, open_files, *, profile=False) -> list[Server]:
    servers = [server_start(env, log_dir, i, open_files, profile=profile) for i in range(count)]
    servers_wait(servers)
    return servers


def servers_stop(servers: list[Server]) -> None:
    for server in servers:
        if server.process.poll() is None:
            server.process.terminate()
    for server in servers:
        try:
            server.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


def servers_rss(servers: list[Server]) -> float:
    return sum(rss_mib_of(s.process.pid) for s in servers)


def servers_cpu(servers: list[Server]) -> float:
    return sum(cpu_seconds_of(s.process.pid) for s in servers if s.process.poll() is None)


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process and its descendants (a Celery worker and its pool)."""
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        try:
            total += cpu_seconds_of(current)
            for task in Path(f"/proc/{current}/task").iterdir():
                todo.extend(int(c) for c in (task / "children").read_text().split())
        except OSError:
            continue
    return total


def start_worker(env: dict, log: Path) -> subprocess.Popen:
    """A Celery worker on the ``ingest`` queue, where answers queue their progress refresh."""
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "smartedu", "worker", "-Q", "ingest",
         "--concurrency", "1", "--without-gossip", "--without-mingle", "--loglevel", "WARNING"],
        # As the Procfile's worker line: no connection pool (one task at a time per process).
        env={**env, "MALLOC_ARENA_MAX": "2", "DATABASE_POOL_MAX_SIZE": "0"}, cwd=_common.REPO,
        stdout=open(log, "ab"), stderr=subprocess.STDOUT,
    )  # fmt: skip


def queue_length(queue: str = "ingest") -> int:
    """Tasks waiting on the bench's broker queue (all priority levels)."""
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    return sum(client.llen(key) for key in client.scan_iter(f"{queue}*"))


# --- measuring ----------------------------------------------------------------------------------


class Meter:
    """CPU seconds used by the servers, the client processes and the worker over one phase."""

    def __init__(self, servers, pool: ClientPool, worker):
        self.servers, self.pool, self.worker = servers, pool, worker
        self.start = self._read()
        self.cpu_start = _common.cpu_times()

    def _read(self):
        worker = tree_cpu(self.worker.pid) if self.worker else 0.0
        return time.monotonic(), servers_cpu(self.servers), self.pool.cpu_seconds(), worker

    def shares(self) -> str:
        """'server x%, clients y%, worker z%' of one core over the phase, and the share of the
        machine's CPU time the hypervisor gave to other guests meanwhile."""
        end = self._read()
        wall = end[0] - self.start[0]
        parts = [
            f"{name} {(b - a) / wall * 100:.0f}%"
            for name, a, b in zip(
                ("daphne", "clients", "worker"), self.start[1:], end[1:], strict=True
            )
        ]
        cpu_now = _common.cpu_times()
        if cpu_now and self.cpu_start:
            spent = [b - a for a, b in zip(self.cpu_start, cpu_now, strict=True)]
            if sum(spent):
                parts.append(f"stolen {spent[7] / sum(spent) * 100:.0f}%")
        return ", ".join(parts)


class Progress:
    """A progress bar fed with the client processes' interim counts."""

    def __init__(self, total: int, desc: str):
        from tqdm import tqdm

        self.bar = tqdm(total=total, desc=desc, unit="conn", file=sys.stdout, ncols=90)

    def __call__(self, done: int) -> None:
        self.bar.n = min(done, self.bar.total)
        self.bar.refresh()

    def close(self) -> None:
        self.bar.n = self.bar.total
        self.bar.close()


def connect(pool: ClientPool, specs: list[dict], concurrency: int, open_attempt: bool, desc):
    """Open these connections (spread over the client processes); returns merged figures."""
    pool.assign([s["id"] for s in specs])
    groups = pool.split(specs, key=lambda s: s["id"])
    progress = Progress(len(specs), desc)
    try:
        results = pool.call(
            "connect",
            [
                {"specs": group, "concurrency": concurrency, "open_attempt": open_attempt}
                for group in groups
            ],
            progress=progress,
        )
    finally:
        progress.close()
    return {key: merged(results, key) for key in ("handshake", "open", "failures")}


def pings(pool: ClientPool, total: int) -> tuple[list[float], Counter]:
    share = max(1, total // len(pool))
    results = pool.call("ping", [{"count": share} for _ in range(len(pool))])
    return merged(results, "ping"), merged(results, "failures")


def open_count(pool: ClientPool) -> tuple[int, Counter]:
    stats = pool.call("stats")
    return merged(stats, "open"), merged(stats, "closed")


# --- 1. connections -----------------------------------------------------------------------------


def part_connections(args, seeded: Seeded, env, log_dir, pool, worker) -> tuple[list, list]:
    """Ramp up idle progress sockets on 1 process, then on ``--processes``. Returns rows."""
    rows, notes = [], []
    for processes in sorted({1, args.processes}):
        print(f"\n[1] connections, {processes} daphne process(es)", flush=True)
        open_files = args.connections * 2 // processes + 1000
        servers = servers_start(processes, env, log_dir, open_files)
        ports = [s.port for s in servers]
        pool.call("reset")
        try:
            # Warm-up (untimed): the first sockets import lazily loaded code and open caches.
            warm = [
                _progress_spec(seeded, i, ports, prefix=f"w{processes}-")
                for i in range(2 * processes)
            ]
            connect(pool, warm, 4, False, "  warm-up")
            pool.call("close")
            pool.call("reset")
            time.sleep(1)
            baseline = servers_rss(servers)
            opened = 0
            for step in [s for s in args.steps if s <= args.connections]:
                batch = [
                    _progress_spec(seeded, i, ports, prefix=f"c{processes}-")
                    for i in range(opened, step)
                ]
                meter = Meter(servers, pool, worker)
                done = connect(pool, batch, args.handshakes, False, f"  to {step:,}")
                time.sleep(1.5)  # let the last accepts and group joins settle
                now_open, closed = open_count(pool)
                rss = servers_rss(servers)
                ping, ping_failures = pings(pool, args.ping_samples)
                opened = step
                failures = done["failures"] + ping_failures
                row = [
                    processes,
                    f"{now_open:,}",
                    f"{rss:,.0f}",
                    f"{(rss - baseline) * 1024 / max(1, now_open):,.0f}",
                    ms(pct(done["handshake"], 50)),
                    ms(pct(done["handshake"], 95)),
                    ms(pct(ping, 50)),
                    ms(pct(ping, 95)),
                    counts(failures + closed),
                    meter.shares(),
                ]
                rows.append(row)
                print("  " + " | ".join(str(c) for c in row), flush=True)
                if now_open < step * 0.99:
                    notes.append(
                        f"With {processes} process(es) the ramp stopped at {now_open:,} open "
                        f"connections of {step:,} attempted ({counts(failures + closed)})."
                    )
                    break
            pool.call("close")
            time.sleep(2)
            notes.append(
                f"{processes} process(es): {servers_rss(servers):,.0f} MiB resident after every "
                f"connection closed (baseline {baseline:,.0f} MiB)."
            )
        finally:
            servers_stop(servers)
    return rows, notes


def _progress_spec(seeded: Seeded, i: int, ports: list[int], prefix: str) -> dict:
    user_id, cookie = seeded.students[i % len(seeded.students)]
    return {
        "id": f"{prefix}{i}",
        "port": ports[i % len(ports)],
        "host": seeded.host,
        "path": f"/ws/progress/student-progress/{user_id}/",
        "cookie": cookie,
    }


# --- setups -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Setup:
    """How many daphne processes, and settings that differ from the product's defaults."""

    processes: int
    settings: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, text: str) -> "Setup":
        """``2`` or ``2:DATABASE_POOL_MAX_SIZE=0,OTHER=1``."""
        count, _, rest = text.partition(":")
        pairs = tuple(tuple(item.split("=", 1)) for item in rest.split(",") if "=" in item)
        if not count.isdigit() or int(count) < 1 or (rest and not pairs):
            raise argparse.ArgumentTypeError(f"{text!r}: write N or N:SETTING=value,...")
        return cls(int(count), pairs)

    @property
    def label(self) -> str:
        extra = ", ".join(f"{k}={v}" for k, v in self.settings)
        return f"{self.processes}" + (f" ({extra})" if extra else "")

    def env(self, base: dict) -> dict:
        return {**base, **dict(self.settings)}


# --- 2. answers ---------------------------------------------------------------------------------


class Positions:
    """Hands out question positions: every measured answer goes to a question of its own, so
    the database must hold exactly one stored answer per acknowledgement."""

    def __init__(self, total: int):
        self.next, self.total = 1, total

    def take(self, n: int) -> list[int]:
        if self.next + n - 1 > self.total:
            raise SystemExit(f"The quiz has too few questions ({self.total}); raise --questions.")
        taken = list(range(self.next, self.next + n))
        self.next += n
        return taken


def _attempt_specs(seeded: Seeded, size: int, ports: list[int], prefix: str) -> list[dict]:
    return [
        {
            "id": f"{prefix}{i}",
            "port": ports[i % len(ports)],
            "host": seeded.host,
            "path": f"/ws/quizzes/{seeded.quiz_id}/attempt/",
            "cookie": seeded.students[i][1],
        }
        for i in range(size)
    ]


def send_answers(pool, schedule, settle: float, *, reset: dict | None = None) -> dict:
    """Run a schedule of (wall time, client id, position) answers; merged figures."""
    pool.call("reset", [reset or {} for _ in range(len(pool))])
    groups = pool.split(schedule, key=lambda item: item[1])
    results = pool.call("answers", [{"schedule": g, "settle": settle} for g in groups])
    return {key: merged(results, key) for key in results[0]}


def class_pace(ids: list[str], pace: float, positions: list[int], start: float) -> list:
    """Every client answers every ``pace`` seconds from ``start``, at a random phase."""
    schedule = []
    for client_id in ids:
        phase = random.uniform(0, pace)
        schedule += [(start + phase + k * pace, client_id, p) for k, p in enumerate(positions)]
    return schedule


def answer_row(label: str, figures: dict, seconds: float, shares: str) -> list:
    rtt = figures["rtt"]
    p95 = pct(rtt, 95)
    verdict = "**meets**" if p95 * 1000 < ANSWER_TARGET_MS else "**misses**"
    return [
        label,
        f"{seconds:.1f} s",
        f"{figures['sent']:,}",
        f"{figures['acks']:,}",
        f"{figures['acks'] / seconds:,.0f}" if seconds else "–",
        ms(pct(rtt, 50)),
        ms(p95),
        ms(pct(rtt, 99)),
        ms(max(rtt) if rtt else float("nan")),
        verdict,
        counts(figures["refused"] + figures["failures"]) + f"; unacked {figures['unacked']}",
        shares,
    ]


def part_answers(args, seeded, env, log_dir, pool, worker, positions) -> dict:
    """Burst and class pace for each setup of ``--answer-setups``."""
    out = {"rows": [], "connect_rows": [], "acked": [], "profiles": []}
    size = args.class_size
    for n, setup in enumerate(args.answer_setups):
        print(f"\n[2] answers, {size:,} students, daphne processes: {setup.label}", flush=True)
        servers = servers_start(
            setup.processes,
            setup.env(env),
            log_dir,
            size * 2 // setup.processes + 1000,
            profile=args.profile,
        )
        ports = [s.port for s in servers]
        pool.call("reset")
        try:
            before = servers_rss(servers)
            specs = _attempt_specs(seeded, size, ports, prefix=f"a{n}-")
            done = connect(pool, specs, args.handshakes, True, "  connect + open")
            rss = servers_rss(servers)
            out["connect_rows"].append(
                [
                    setup.label,
                    f"{len(done['open']):,}",
                    ms(pct(done["handshake"], 50)),
                    ms(pct(done["handshake"], 95)),
                    ms(pct(done["open"], 50)),
                    ms(pct(done["open"], 95)),
                    f"{rss:,.0f}",
                    f"{(rss - before) * 1024 / max(1, len(done['open'])):,.0f}",
                    counts(done["failures"]),
                ]
            )
            ids = [s["id"] for s in specs]
            # Warm-up (untimed, but checked like the rest): one answer from a tenth of the class.
            (position,) = positions.take(1)
            warm = [(time.time() + 0.2, i, position) for i in ids[: max(1, size // 10)]]
            out["acked"] += send_answers(pool, warm, 60)["acked"]
            time.sleep(2)  # let the worker catch up on the warm-up's progress refreshes

            (position,) = positions.take(1)
            at = time.time() + 1.5
            meter = Meter(servers, pool, worker)
            figures = send_answers(pool, [(at, i, position) for i in ids], args.settle)
            row = answer_row(f"burst, {setup.label}", figures, time.time() - at, meter.shares())
            out["rows"].append(row)
            out["acked"] += figures["acked"]
            print("  " + " | ".join(str(c) for c in row), flush=True)
            time.sleep(2)

            rounds = max(1, int(args.duration // args.pace))
            start = time.time() + 1.0
            schedule = class_pace(ids, args.pace, positions.take(rounds), start)
            meter = Meter(servers, pool, worker)
            figures = send_answers(pool, schedule, args.settle)
            row = answer_row(
                f"every {args.pace:g} s for {rounds * args.pace:g} s, {setup.label}",
                figures,
                time.time() - start,
                meter.shares(),
            )
            out["rows"].append(row)
            out["acked"] += figures["acked"]
            print("  " + " | ".join(str(c) for c in row), flush=True)
            pool.call("close")
        finally:
            servers_stop(servers)
        out["profiles"] += [(setup.label, s.profile) for s in servers if s.profile]
    return out


def in_process(seeded: Seeded, samples: int = 50) -> list[list]:
    """What one answer costs the application itself, with no websocket: the consumer's
    database calls made the way it makes them (``run_in_school`` from an asyncio loop, so the
    pool thread, the pooled connection and the events sent afterwards run as in daphne), one
    at a time, on the probe student's attempt (not connected anywhere)."""
    import asyncio

    from django.db import connection, connections
    from django.test.utils import CaptureQueriesContext
    from django_tenants.utils import schema_context

    from quizzes.attempts.groups import attempt_group
    from quizzes.attempts.selectors import attempt_questions
    from quizzes.attempts.services import answer_save
    from quizzes.models import Attempt
    from quizzes.progress.services import progress_changed
    from smartedu.progress import group_send_quietly
    from tenants.realtime import run_in_school

    with schema_context(seeded.schema):
        attempt = Attempt.objects.select_related("quiz").get(
            quiz_id=seeded.quiz_id, student_id=seeded.probe_id
        )
        question = attempt_questions(attempt)[-1]
    connections.close_all()
    group = attempt_group(seeded.schema, attempt.pk)

    def select_one():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")

    def answer(n):
        answer_save(attempt, question, {"text": f"probe {n}"}, sender="probe")

    steps = [
        ("a database call: borrow a pooled connection, SELECT 1", select_one),
        ("answer_save, as the consumer calls it (its event included)", answer),
        ("of which: the attempt group's event (group_send)",
         lambda n: group_send_quietly(group, {"type": "attempt.event", "sender": "probe",
                                              "event": {"type": "saved"}})),
        ("a final answer adds: progress_changed (dedupe key + Celery task)",
         lambda n: progress_changed(seeded.probe_id, seeded.course_id)),
    ]  # fmt: skip

    async def measure() -> list[list]:
        rows = []
        for label, func in steps:
            times, queries = [], 0

            def timed(n, func=func):
                nonlocal queries
                with CaptureQueriesContext(connection) as captured:
                    func(n) if func is not select_one else func()
                queries = len(captured)

            await run_in_school(seeded.schema, timed, -1)  # warm-up
            for n in range(samples):
                started = time.perf_counter()
                await run_in_school(seeded.schema, timed, n)
                times.append(time.perf_counter() - started)
            rows.append([label, ms(pct(times, 50)), ms(pct(times, 95)), queries])
        return rows

    try:
        return asyncio.run(measure())
    finally:
        connections.close_all()


# --- 3. live session ----------------------------------------------------------------------------


def live_session_new(seeded: Seeded):
    from django.db import connections
    from django_tenants.utils import schema_context

    from accounts.models import User
    from quizzes.live.services import live_session_start
    from quizzes.models import Quiz

    with schema_context(seeded.schema):
        session = live_session_start(
            Quiz.objects.select_related("course").get(pk=seeded.quiz_id),
            User.objects.get(pk=seeded.teacher_id),
        )
    connections.close_all()
    return session


def live_answers_stored(seeded: Seeded, session_id: int) -> int:
    from django.db import connections
    from django_tenants.utils import schema_context

    from quizzes.models import LiveAnswer

    with schema_context(seeded.schema):
        stored = LiveAnswer.objects.filter(round__session_id=session_id).count()
    connections.close_all()
    return stored


def broadcast(pool, command: dict, kind: str, position: int, expected: int, timeout: float):
    """The host sends ``command``; seconds from just before it was sent to each student reading
    the ``kind`` message about ``position``, how many never did within ``timeout``, and the
    errors anyone was sent meanwhile (by code; the host's marked as such)."""
    pool.call("watch", [{"types": [kind, "error"]} for _ in range(len(pool))])
    sent_at = pool.call_one("host", "send", client_id="host", message=command)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if merged(pool.call("stats"), "watched") >= expected + 1:  # the host hears it too
            break
        time.sleep(0.05)
    seen = merged(pool.call("watched"), "watched")
    delays = [
        at - sent_at
        for at, client_id, summary in seen
        if client_id != "host" and summary["type"] == kind and summary["position"] == position
    ]
    errors = Counter(
        f"{'host' if client_id == 'host' else 'student'} error {summary['code']}"
        for _, client_id, summary in seen
        if summary["type"] == "error"
    )
    return delays, expected - len(delays), errors


def part_live(args, seeded, env, log_dir, pool, worker) -> dict:
    """A live session per setup: the class joins, the host runs ``--live-rounds`` questions;
    each round: question broadcast, every student answers (spread over 2 s), reveal."""
    out = {"rows": [], "notes": []}
    if not LIVE_CONSUMER.exists():
        out["notes"].append("Not measured: quizzes/consumers/live.py is not in this tree.")
        return out
    size = args.class_size
    for n, setup in enumerate(args.live_setups):
        print(f"\n[3] live session, {size:,} students, daphne processes: {setup.label}")
        session = live_session_new(seeded)
        path = f"/ws/live/{session.join_code}/?session={session.pk}"
        servers = servers_start(
            setup.processes, setup.env(env), log_dir, size * 2 // setup.processes + 1000
        )
        ports = [s.port for s in servers]
        pool.call("reset")
        try:
            host = {"id": "host", "port": ports[0], "host": seeded.host, "path": path,
                    "cookie": seeded.teacher_cookie}  # fmt: skip
            pool.owner.pop("host", None)
            connect(pool, [host], 1, False, "  host")
            specs = [
                {**spec, "path": path}
                for spec in _attempt_specs(seeded, size, ports, prefix=f"l{n}-")
            ]
            joined = connect(pool, specs, args.handshakes, False, "  students join")
            time.sleep(2)  # the join events and each page's first state settle
            questions, reveals, answers = [], [], []
            missed = Counter()
            for position in range(1, args.live_rounds + 1):
                command = {"type": "start" if position == 1 else "next"}
                delays, lost, errors = broadcast(pool, command, "question", position, size, 30)
                questions += delays
                missed["question"] += lost
                missed.update(errors)
                print(f"  question {position}: p50 {ms(pct(delays, 50))} ms, "
                      f"p95 {ms(pct(delays, 95))} ms, max {ms(max(delays, default=float('nan')))}"
                      f" ms, {len(delays):,} students", flush=True)  # fmt: skip
                start = time.time() + 0.3
                schedule = [
                    (start + random.uniform(0, 2.0), spec["id"],
                     {"type": "answer", "round": position, "response": {"text": "ATP"}})
                    for spec in specs
                ]  # fmt: skip
                pool.call("reset", [{} for _ in range(len(pool))])
                groups = pool.split(schedule, key=lambda item: item[1])
                results = pool.call("requests", [{"schedule": g, "settle": 60} for g in groups])
                answers += merged(results, "rtt")
                missed["answer unanswered"] += merged(results, "unanswered")
                missed.update(merged(results, "refused") + merged(results, "failures"))
                delays, lost, errors = broadcast(
                    pool, {"type": "close"}, "reveal", position, size, 30
                )
                reveals += delays
                missed["reveal"] += lost
                missed.update(errors)
                print(f"  reveal {position}: p50 {ms(pct(delays, 50))} ms, "
                      f"p95 {ms(pct(delays, 95))} ms, {len(delays):,} students"
                      + (f" ({counts(errors)})" if errors else ""), flush=True)  # fmt: skip
            pool.call_one("host", "send", client_id="host", message={"type": "end"})
            time.sleep(1)
            pool.call("close")
        finally:
            servers_stop(servers)
        stored = live_answers_stored(seeded, session.pk)
        p95 = pct(questions, 95)
        out["rows"].append(
            [
                setup.label,
                f"{len(joined['handshake']):,}",
                ms(pct(joined["handshake"], 50)),
                ms(pct(joined["handshake"], 95)),
                ms(pct(questions, 50)),
                ms(p95),
                ms(max(questions, default=float("nan"))),
                "**meets**" if p95 * 1000 < BROADCAST_TARGET_MS else "**misses**",
                ms(pct(answers, 50)),
                ms(pct(answers, 95)),
                f"{len(answers):,} / {stored:,}",
                ms(pct(reveals, 50)),
                ms(pct(reveals, 95)),
                counts(missed + joined["failures"]),
            ]
        )
    return out


# --- 4. restart ---------------------------------------------------------------------------------


def part_restart(args, seeded, env, log_dir, pool, worker, positions) -> dict:
    """Class pace over ``--processes`` servers; server 0 is killed and restarted a third of the
    way in."""
    size = args.class_size
    processes = max(2, args.processes)
    print(f"\n[4] restart: {size:,} students answering, {processes} daphne processes", flush=True)
    open_files = size * 2 // processes + 1000
    servers = servers_start(processes, env, log_dir, open_files)
    ports = [s.port for s in servers]
    pool.call("reset")
    outage = {}
    try:
        specs = _attempt_specs(seeded, size, ports, prefix="r-")
        connect(pool, specs, args.handshakes, True, "  connect + open")
        rounds = max(2, int(args.restart_duration // args.pace))
        schedule = class_pace(
            [s["id"] for s in specs], args.pace, positions.take(rounds), time.time() + 1.0
        )

        def kill_and_restart() -> None:
            victim = servers[0]
            killed = time.monotonic()
            victim.process.send_signal(signal.SIGKILL)
            victim.process.wait()
            print(f"  killed daphne on port {victim.port}; restarting it", flush=True)
            fresh = server_start(env, log_dir, 0, open_files, port=victim.port)
            servers[0] = fresh
            servers_wait([fresh])
            outage["seconds"] = time.monotonic() - killed
            print(f"  daphne on port {fresh.port} answers again after "
                  f"{outage['seconds']:.1f} s", flush=True)  # fmt: skip

        timer = threading.Timer(1.0 + args.restart_duration / 3, kill_and_restart)
        timer.start()
        figures = send_answers(pool, schedule, args.settle, reset={"reconnect": True})
        timer.join()
    finally:
        pool.call("close")
        servers_stop(servers)
    figures["outage"] = outage.get("seconds", float("nan"))
    figures["victims"] = size // processes
    return figures


# --- profile ------------------------------------------------------------------------------------

# Where the database thread's calls come from (a sample counts for each of these on its stack).
ENTRY_POINTS = [
    ("answer_save", "quizzes/attempts/services.py:answer_save"),
    ("open (attempt state)", "quizzes/attempts/player.py:player_open"),
    ("handshake: school from Host", "tenants/realtime.py:_school_for_host"),
    ("handshake: session's user", "tenants/realtime.py:_user_for_session"),
    ("handshake: quiz visible to the student", "quizzes/consumers/attempts.py:_quiz_for_student"),
]


def profile_summary(profiles: list[tuple[str, Path]]) -> str:
    """Per daphne process of part 2: each thread's busy share and what its busy samples were
    doing (each sample counts once, for the first activity of ``_ws_clients.ACTIVITIES`` on
    its stack), and for the database thread, which of the consumer's calls they were in."""
    blocks = []
    for label, path in profiles:
        if not path or not path.exists():
            continue
        report = json.loads(path.read_text())
        lines = [f"Daphne process of the {label}-process run ({path.name}):", ""]
        for name, stats in sorted(report["threads"].items(), key=lambda kv: -kv[1]["samples"]):
            busy = stats["samples"] - stats["idle"]
            if stats["samples"] == 0 or busy < max(10, stats["samples"] // 100):
                continue
            lines.append(
                f"- thread {name}: busy in {busy / stats['samples'] * 100:.0f}% of "
                f"{stats['samples']:,} samples ({report['interval'] * 1000:g} ms apart); of "
                "its busy samples:"
            )
            for activity, n in stats["activities"]:
                if n / busy >= 0.02:
                    lines.append(f"  - {n / busy * 100:4.0f}%  {activity}")
            cumulative = dict(stats["cumulative"])
            entries = [
                f"{label} {cumulative.get(key, 0) / busy * 100:.0f}%"
                for label, key in ENTRY_POINTS
                if cumulative.get(key, 0) / busy >= 0.02
            ]
            if entries:
                lines.append("  - in the consumer's calls: " + ", ".join(entries))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


# --- main ---------------------------------------------------------------------------------------


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=5000, help="part 1's last step")
    parser.add_argument("--steps", type=int, nargs="+", default=[1000, 2000, 3000, 4000, 5000])
    parser.add_argument("--processes", type=int, default=2, help="N: one per core")
    parser.add_argument("--clients", type=int, default=4, help="client processes")
    parser.add_argument("--handshakes", type=int, default=10, help="in flight per client")
    parser.add_argument("--ping-samples", type=int, default=400)
    parser.add_argument("--class-size", type=int, default=1000)
    parser.add_argument("--pace", type=float, default=10, help="seconds between answers")
    parser.add_argument("--duration", type=float, default=60, help="class-pace seconds")
    parser.add_argument("--settle", type=float, default=300, help="wait for late acks, s")
    parser.add_argument(
        "--answer-setups",
        type=Setup.parse,
        nargs="+",
        default=None,
        help="part 2's daphne setups: N or N:SETTING=value,... (default: 1 and N)",
    )
    parser.add_argument("--live-setups", type=Setup.parse, nargs="+", default=None)
    parser.add_argument("--live-rounds", type=int, default=3)
    parser.add_argument("--restart-duration", type=float, default=30)
    parser.add_argument("--questions", type=int, default=40)
    parser.add_argument(
        "--parts",
        nargs="+",
        choices=["connections", "answers", "live", "restart"],
        default=["connections", "answers", "live", "restart"],
    )
    parser.add_argument("--no-worker", action="store_true", help="no Celery worker")
    parser.add_argument("--profile", action="store_true", help="sample daphne during part 2")
    parser.add_argument("--note", default="", help="a line for the results (e.g. the load)")
    parser.add_argument("--db", default="bench_websockets", help="scratch database name")
    parser.add_argument("--results", type=Path, default=_common.RESULTS)
    parser.add_argument("--keep-db", action="store_true", help="leave the scratch database")
    args = parser.parse_args(argv)
    args.steps = sorted({s for s in args.steps if s < args.connections} | {args.connections})
    default_setups = [Setup(1)] + ([Setup(args.processes)] if args.processes > 1 else [])
    args.answer_setups = args.answer_setups or default_setups
    args.live_setups = args.live_setups or default_setups
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # The class plus one probe student, whose attempt the in-process figures use.
    students = max(args.connections, args.class_size + 1)
    open_files = raise_open_files_limit(students * 2 + 1000)
    # A broker database of its own: no other worker on this Redis takes the bench's tasks.
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    os.environ["CELERY_BROKER_URL"] = redis_url.rsplit("/", 1)[0] + "/13"
    # Web processes as the Procfile runs them: a connection pool of 4 unless the environment
    # says otherwise (DATABASE_POOL_MAX_SIZE=0 measures connections opened per call).
    if not os.environ.get("DATABASE_POOL_MAX_SIZE"):
        os.environ["DATABASE_POOL_MAX_SIZE"] = "8"
    url = _common.scratch_database_create(args.db)
    worker = pool = None
    results: dict = {}
    try:
        _common.django_setup(url)
        from django.conf import settings
        from django.db import connections

        print(f"Seeding {students:,} students, a class of {args.class_size:,}...", flush=True)
        seeded = seed(students, args.class_size + 1, args.questions)
        connections.close_all()
        info = _common.machine()
        pool_size = settings.DATABASES["default"].get("OPTIONS", {}).get("pool")
        info["server"] = (
            "daphne (smartedu.asgi), DEBUG off, "
            + (
                f"a connection pool per process (max {pool_size['max_size']})"
                if pool_size
                else "DATABASE_CONN_MAX_AGE=" + str(settings.DATABASES["default"]["CONN_MAX_AGE"])
            )
            + f", open-files limit {open_files:,}"
        )
        info["clients"] = (
            f"{args.clients} client processes (asyncio + websockets, compression off), "
            f"{args.handshakes} handshakes in flight per process, on the same machine"
        )
        info["worker"] = "none" if args.no_worker else "1 Celery worker (ingest queue, 1 process)"
        print(_common.machine_markdown(info), flush=True)
        env = _common.bench_env(url)
        log_dir = Path(tempfile.mkdtemp(prefix="bench-websockets-"))
        print(f"Server logs in {log_dir}", flush=True)
        if not args.no_worker:
            worker = start_worker(env, log_dir / "worker.log")
        pool = ClientPool(args.clients, open_files)
        positions = Positions(args.questions)
        if "connections" in args.parts:
            results["connections"] = part_connections(args, seeded, env, log_dir, pool, worker)
        if "answers" in args.parts:
            print("\n[2] one answer in process, no websocket...", flush=True)
            results["in_process"] = in_process(seeded)
            results["answers"] = part_answers(args, seeded, env, log_dir, pool, worker, positions)
        if "live" in args.parts:
            results["live"] = part_live(args, seeded, env, log_dir, pool, worker)
        if "restart" in args.parts:
            results["restart"] = part_restart(args, seeded, env, log_dir, pool, worker, positions)
        stored = stored_answers(seeded)
        backlog = queue_length() if worker else 0
        info["load after"] = _common.load_average()
        info["stolen by the hypervisor"] = _common.cpu_stolen_since_start()
    finally:
        if pool is not None:
            pool.close()
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
        if not args.keep_db:
            from django.db import connections

            connections.close_all()
            _common.scratch_database_drop(url)

    body = report(args, info, results, stored, backlog, seeded)
    print("\n" + body)
    _common.record("websockets", "Websockets (bench/websockets.py)", body, args.results)
    print(f"\nRecorded in {args.results}")
    return 0


def verify(acked: list, stored: dict) -> tuple[int, int, int]:
    """(acknowledged, found stored with the same text, lost)."""
    found = sum(1 for attempt, position, text in acked if stored.get((attempt, position)) == text)
    return len(acked), found, len(acked) - found


def fill(text: str) -> str:
    return textwrap.fill(" ".join(text.split()), width=96)


def report(args, info, results, stored, backlog, seeded) -> str:
    sections = [_common.machine_markdown(info)]
    if args.note:
        sections.append(fill(f"**Note:** {args.note}"))
    if "connections" in results:
        rows, notes = results["connections"]
        table = _common.table(
            ["daphne processes", "open connections", "server RSS MiB", "KiB per connection",
             "handshake p50 ms", "handshake p95 ms", "ping p50 ms", "ping p95 ms",
             "failed / closed", "CPU over the step (of one core)"],
            rows,
        )  # fmt: skip
        sections.append(
            "### 1. Idle connections\n\n"
            + fill(
                f"""Signed-in students open /ws/progress/student-progress/<own id>/ in steps;
                {args.handshakes} handshakes in flight per client process ({args.clients}
                processes). Handshake = TCP connect to HTTP 101: the middleware's school and
                session lookups and the consumer's permission check and group join all happen
                before the 101. Ping = {args.ping_samples} ping → pong round trips on random
                open connections after each step, one at a time per client process. RSS is the
                sum over the daphne processes; KiB per connection is its growth over the
                warmed-up baseline divided by the open connections."""
            )
            + "\n\n"
            + table
            + ("\n\n" + "\n".join(f"- {n}" for n in notes) if notes else "")
        )
    if "answers" in results:
        out = results["answers"]
        connect_table = _common.table(
            ["daphne processes", "attempt sockets", "handshake p50 ms", "handshake p95 ms",
             "open p50 ms", "open p95 ms", "server RSS MiB", "KiB per socket", "failures"],
            out["connect_rows"],
        )  # fmt: skip
        answer_table = _common.table(
            ["run (daphne processes)", "all acknowledged after", "answers sent",
             "acknowledged", "acks/s", "p50 ms", "p95 ms", "p99 ms", "max ms",
             f"p95 < {ANSWER_TARGET_MS} ms", "refused / failed", "CPU (of one core)"],
            out["rows"],
        )  # fmt: skip
        probe_table = _common.table(
            ["step", "median ms", "p95 ms", "SQL queries"], results["in_process"]
        )
        total, found, lost = verify(out["acked"], stored)
        sections.append(
            f"### 2. Answer round trip, {args.class_size:,} students\n\n"
            + fill(
                f"""Each student has an attempt in progress (attempt_start) on a published quiz
                of {seeded.questions} short-answer questions and is connected to
                /ws/quizzes/<id>/attempt/ after open (which returns the whole attempt). Round
                trip = answer sent → saved read, in the client process. Burst: every student
                sends one answer at the same moment. Class pace: every student answers every
                {args.pace:g} s at a random phase ({args.class_size / args.pace:,.0f} answers/s
                offered). An untimed warm-up (a tenth of the class answers once) precedes each
                setup's runs. "All acknowledged after" runs from the first scheduled send to the
                last acknowledgement."""
            )
            + "\n\n"
            + connect_table
            + "\n\n"
            + answer_table
            + "\n\n"
            + fill(
                f"""Checked in the database afterwards: {total:,} answers acknowledged (warm-ups
                included), {found:,} stored with exactly the acknowledged text, **{lost}
                lost**."""
            )
            + "\n\n"
            + fill(
                """One answer without a websocket: the consumer's database calls made as it
                makes them (run_in_school from an asyncio loop: a thread of the loop's pool,
                a pooled connection, then the events the call raised sent from the loop), one
                at a time, median of 50, on an otherwise idle server. The bench quiz shows
                feedback after the submit, so its answers queue no mastery recompute; the last
                row is what a final answer adds:"""
            )
            + "\n\n"
            + probe_table
        )
        if out["profiles"]:
            sections.append(
                "#### Where daphne's time went (part 2, stack samples)\n\n"
                + profile_summary(out["profiles"])
            )
    if "live" in results:
        out = results["live"]
        body = f"### 3. Live-session broadcast, {args.class_size:,} students\n\n"
        if out["rows"]:
            body += (
                fill(
                    f"""The class joins a live session of the quiz (/ws/live/<code>/, joining on
                    connect), then the host runs {args.live_rounds} rounds: start/next →
                    every student reads the question; every student answers within 2 s
                    (answer → answer_received); close → every student reads the reveal (its
                    own standing spliced in). Broadcast delay = the host's command written →
                    the message read by a student, across client processes on one clock."""
                )
                + "\n\n"
                + _common.table(
                    [
                        "daphne processes",
                        "students joined",
                        "join p50 ms",
                        "join p95 ms",
                        "question p50 ms",
                        "question p95 ms",
                        "question max ms",
                        f"p95 < {BROADCAST_TARGET_MS} ms",
                        "answer p50 ms",
                        "answer p95 ms",
                        "answers acked / stored",
                        "reveal p50 ms",
                        "reveal p95 ms",
                        "missed / refused",
                    ],
                    out["rows"],
                )  # fmt: skip
            )
        body += "\n".join(f"- {n}" for n in out["notes"])
        sections.append(body)
    if "restart" in results:
        figures = results["restart"]
        total, found, lost = verify(figures["acked"], stored)
        sections.append(
            "### 4. No answer lost across a server restart\n\n"
            + fill(
                f"""{args.class_size:,} students answering every {args.pace:g} s for
                {args.restart_duration:g} s over {max(2, args.processes)} daphne processes; a
                third of the way in, one process ({figures["victims"]:,} students) is killed
                with SIGKILL and restarted on its port (answering again after
                {figures["outage"]:.1f} s). Clients reconnect on the quiz page's schedule
                (after 1 s, doubling up to 15 s, plus up to 0.3 s at random), open again and
                re-send every answer not acknowledged (answers due while disconnected wait for
                the reconnect), as the quiz page does. A refused or cut-off handshake counts
                as a failed reconnect attempt."""
            )
            + "\n\n"
            + _common.table(
                [
                    "answers sent",
                    "re-sent after reconnect",
                    "reconnects",
                    "acknowledged",
                    "stored (same text)",
                    "lost",
                    "unacknowledged at the end",
                    "refused / failed",
                ],
                [
                    [
                        f"{figures['sent']:,}",
                        f"{figures['resent']:,}",
                        f"{figures['reconnects']:,}",
                        f"{total:,}",
                        f"{found:,}",
                        f"**{lost}**",
                        f"{figures['unacked']:,}",
                        counts(figures["refused"] + figures["failures"]),
                    ]
                ],
            )  # fmt: skip
        )
    if backlog:
        sections.append(
            fill(f"Progress refreshes still queued for the worker at the end: {backlog:,}.")
        )
    return "\n\n".join(sections)


if __name__ == "__main__":
    sys.exit(main())
