"""The load generator of bench/websockets.py, and the daphne launcher it profiles with.

Client side: ``ClientPool`` starts worker processes (multiprocessing, spawn); each runs one
asyncio loop holding its share of the connections (the ``websockets`` library) and obeys
commands from the bench: connect, ping, send answers on a schedule, watch for pushed messages,
report, close. Latencies are measured in the worker that owns the connection: from just before
a frame is written to the moment its reply is read. Wall-clock times (``time.time()``) are
comparable across processes on one machine, which is how a broadcast's delay is measured from
the moment the host sent its command.

Server side: ``serve()`` runs daphne in this process after raising its open-files limit and,
with a profile path, samples every thread's Python stack 100 times a second (py-spy is not
installed; cProfile sees only the main thread, and the database calls run in another) and
writes where each thread spent its time when daphne stops.

This module never imports Django; the workers only speak websockets.
"""

import asyncio
import json
import multiprocessing
import os
import random
import resource
import sys
import threading
import time
from collections import Counter, defaultdict
from multiprocessing.connection import wait as wait_for_pipes
from pathlib import Path

_HERE = Path(__file__).resolve().parent


def _import_websockets():
    """The ``websockets`` library, not bench/websockets.py: scripts run from bench/ have that
    folder first on sys.path, where the bench's own websockets.py would shadow the library."""
    saved = list(sys.path)
    sys.path[:] = [p for p in sys.path if Path(p or os.getcwd()).resolve() != _HERE]
    try:
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
    finally:
        sys.path[:] = saved
    return connect, ConnectionClosed, InvalidHandshake, InvalidStatus


ws_connect, ConnectionClosed, InvalidHandshake, InvalidStatus = _import_websockets()


def raise_open_files_limit(wanted: int) -> int:
    """Raise this process's soft RLIMIT_NOFILE towards ``wanted`` (never above the hard limit);
    returns the limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def cpu_seconds_of(pid: int) -> float:
    """User + system CPU seconds a process has used (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib_of(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# --- one connection ----------------------------------------------------------------------------

# The quiz page's reconnect schedule (static/quizzes/attempt.js, scheduleReconnect): 1 s, doubling
# up to 15 s, plus up to 0.3 s at random.
RETRY_FIRST_SECONDS = 1.0
RETRY_MAX_SECONDS = 15.0
RETRY_JITTER_SECONDS = 0.3


class Client:
    """One student's socket: its pending (sent, unacknowledged) answers by position — the
    latest only, as the quiz page keeps them — and what it has been told."""

    def __init__(self, worker: "Worker", spec: dict):
        self.worker = worker
        self.spec = spec
        self.ws = None
        self.reader: asyncio.Task | None = None
        self.attempt: int | None = None
        self.opened: asyncio.Future | None = None
        self.pong: asyncio.Future | None = None
        self.pending: dict[int, tuple[str, str, float | None]] = {}  # position → ref, text, sent
        self.acked: dict[int, str] = {}
        self.close_code: int | None = None
        self.reconnecting = False
        self.requests: dict[str, float] = {}  # ref → sent (other requests than quiz answers)

    @property
    def is_open(self) -> bool:
        return self.ws is not None and self.reader is not None and not self.reader.done()

    async def connect(self) -> float:
        """Open the socket (and, for attempt sockets, send ``open``); returns the handshake's
        seconds. Raises on a refused or failed handshake."""
        spec = self.spec
        started = time.perf_counter()
        self.ws = await ws_connect(
            f"ws://{spec['host']}:{spec['port']}{spec['path']}",
            host="127.0.0.1",
            port=spec["port"],
            origin=f"http://{spec['host']}:{spec['port']}",
            additional_headers={"Cookie": spec["cookie"]},
            compression=None,
            proxy=None,
            ping_interval=None,  # idle means idle; daphne's own pings are still answered
            open_timeout=60,
            close_timeout=5,
            max_size=2**22,
            max_queue=None,
        )
        handshake = time.perf_counter() - started
        self.close_code = None
        self.reader = asyncio.create_task(self.read())
        return handshake

    async def open_attempt(self, timeout: float = 60) -> float:
        """Send ``open`` and wait for the attempt in progress; returns the round trip."""
        self.opened = asyncio.get_running_loop().create_future()
        started = time.perf_counter()
        await self.ws.send(json.dumps({"type": "open"}))
        await asyncio.wait_for(asyncio.shield(self.opened), timeout)
        return time.perf_counter() - started

    async def ping(self, timeout: float = 30) -> float:
        self.pong = asyncio.get_running_loop().create_future()
        started = time.perf_counter()
        await self.ws.send('{"type": "ping"}')
        await asyncio.wait_for(asyncio.shield(self.pong), timeout)
        return time.perf_counter() - started

    async def send_json(self, message: dict) -> None:
        await self.ws.send(json.dumps(message))

    async def answer(self, position: int, text: str) -> None:
        """Send one answer (or keep it for later when the socket is down, as the page does)."""
        self.worker.sent += 1
        ref = f"{self.spec['id']}-{position}-{self.worker.sent}"
        if not self.is_open:
            self.pending[position] = (ref, text, None)
            self.worker.queued_offline += 1
            return
        self.pending[position] = (ref, text, time.perf_counter())
        try:
            await self._send_answer(position, ref, text)
        except ConnectionClosed:
            self.pending[position] = (ref, text, None)

    async def _send_answer(self, position: int, ref: str, text: str) -> None:
        await self.ws.send(
            json.dumps(
                {
                    "type": "answer",
                    "attempt": self.attempt,
                    "position": position,
                    "response": {"text": text},
                    "ref": ref,
                }
            )
        )

    async def read(self) -> None:
        worker = self.worker
        try:
            async for raw in self.ws:
                now_wall, now = time.time(), time.perf_counter()
                message = json.loads(raw)
                kind = message.get("type")
                worker.received[kind] += 1
                if kind in worker.watch:
                    worker.watched.append((now_wall, self.spec["id"], _summary(message)))
                if message.get("ref") in self.requests:
                    sent = self.requests.pop(message["ref"])
                    if kind == "error":
                        worker.refused[message.get("code") or "?"] += 1
                    else:
                        worker.request_rtt.append(now - sent)
                elif kind == "pong" and self.pong and not self.pong.done():
                    self.pong.set_result(now)
                elif kind == "saved":
                    self._saved(message, now)
                elif kind == "error":
                    self._refused(message)
                elif kind in ("attempt", "status") and self.opened and not self.opened.done():
                    self.attempt = message.get("attempt")
                    self.opened.set_result(message)
        except ConnectionClosed as exc:
            self.close_code = exc.rcvd.code if exc.rcvd else 1006
        except Exception as exc:  # a bug or a bad frame: count it, do not take the worker down
            worker.failures[f"reader: {type(exc).__name__}"] += 1
            self.close_code = -1
        else:
            self.close_code = self.ws.close_code
        finally:
            if not worker.closing:
                worker.closed[self.close_code] += 1
            if worker.reconnect and not self.reconnecting and not worker.closing:
                asyncio.get_running_loop().create_task(self.reconnect())

    def _saved(self, message: dict, now: float) -> None:
        position = message.get("position")
        mine = self.pending.get(position)
        if mine is None or message.get("ref") != mine[0]:
            return  # a push about another tab's answer, or an ack overtaken by a newer answer
        ref, text, sent = self.pending.pop(position)
        self.acked[position] = text
        self.worker.acks += 1
        if sent is not None and not self.worker.resent_refs.get(ref):
            self.worker.rtt.append(now - sent)
        elif sent is not None:
            self.worker.resent_rtt.append(now - sent)

    def _refused(self, message: dict) -> None:
        position = message.get("position")
        mine = self.pending.get(position)
        if mine is not None and message.get("ref") == mine[0]:
            self.pending.pop(position)
            self.worker.refused[message.get("code") or "?"] += 1
        elif message.get("ref") is None and position is None:
            self.worker.refused[f"error: {message.get('message', '')[:60]}"] += 1

    async def reconnect(self) -> None:
        """Reconnect with backoff, open the attempt again, re-send every answer not
        acknowledged — what the quiz page does after a dropped connection."""
        self.reconnecting = True
        delay = RETRY_FIRST_SECONDS
        try:
            while self.worker.reconnect:
                await asyncio.sleep(delay + random.random() * RETRY_JITTER_SECONDS)
                delay = min(delay * 2, RETRY_MAX_SECONDS)
                try:
                    await self.connect()
                    await self.open_attempt(timeout=30)
                    self.worker.reconnects += 1
                    for position, (ref, text, _) in list(self.pending.items()):
                        self.pending[position] = (ref, text, time.perf_counter())
                        self.worker.resent_refs[ref] = True
                        self.worker.resent += 1
                        await self._send_answer(position, ref, text)
                except (OSError, InvalidHandshake, ConnectionClosed, TimeoutError) as exc:
                    # A server still starting (or just killed) refuses, or closes mid-handshake
                    # (InvalidMessage), or drops the new socket: try again, as the page does.
                    self.worker.failures[f"reconnect: {type(exc).__name__}"] += 1
                    continue
                if self.is_open:
                    return
        finally:
            self.reconnecting = False


def _summary(message: dict) -> dict:
    """What a watched message says about itself: its type and the question it is about."""
    position = message.get("position")
    if isinstance(message.get("round"), dict):
        position = message["round"].get("position")
    return {"type": message.get("type"), "position": position, "code": message.get("code")}


# --- one worker process ------------------------------------------------------------------------


class Worker:
    """The connections of one client process and the figures they collect."""

    def __init__(self, pipe, index: int):
        self.pipe = pipe
        self.index = index
        self.clients: dict[str, Client] = {}
        self.watch: set[str] = set()
        self.reconnect = False
        self.reset()

    def reset(self) -> None:
        self.rtt: list[float] = []
        self.request_rtt: list[float] = []
        self.resent_rtt: list[float] = []
        self.resent_refs: dict[str, bool] = {}
        self.sent = self.acks = self.resent = self.reconnects = self.queued_offline = 0
        self.refused: Counter = Counter()
        self.failures: Counter = Counter()
        self.closed: Counter = Counter()
        self.received: Counter = Counter()
        self.watched: list[tuple[float, str, dict]] = []
        self.closing = False
        for client in self.clients.values():
            client.acked.clear()
            client.requests.clear()

    def progress(self, done: int) -> None:
        self.pipe.send(("progress", done))

    async def cmd_connect(self, specs: list[dict], concurrency: int, open_attempt: bool) -> dict:
        gate = asyncio.Semaphore(concurrency)
        handshakes, opens = [], []
        failures: Counter = Counter()
        done = 0

        async def one(spec: dict) -> None:
            nonlocal done
            client = Client(self, spec)
            async with gate:
                try:
                    handshakes.append(await client.connect())
                    if open_attempt:
                        opens.append(await client.open_attempt())
                    self.clients[spec["id"]] = client
                except InvalidStatus as exc:
                    failures[f"HTTP {exc.response.status_code}"] += 1
                except ConnectionClosed as exc:
                    failures[f"closed {exc.rcvd.code if exc.rcvd else 1006}"] += 1
                except (OSError, TimeoutError, InvalidHandshake) as exc:
                    failures[type(exc).__name__] += 1
            done += 1
            if done % 100 == 0:
                self.progress(done)

        await asyncio.gather(*(one(spec) for spec in specs))
        return {"handshake": handshakes, "open": opens, "failures": failures}

    async def cmd_ping(self, count: int) -> dict:
        """``count`` pings, one at a time, each on a connection picked at random."""
        live = [c for c in self.clients.values() if c.is_open]
        samples, failures = [], Counter()
        for client in random.sample(live, min(count, len(live))):
            try:
                samples.append(await client.ping())
            except (ConnectionClosed, TimeoutError) as exc:
                failures[type(exc).__name__] += 1
        return {"ping": samples, "failures": failures}

    async def cmd_answers(self, schedule: list[tuple[float, str, int]], settle: float) -> dict:
        """Send each (wall time, client id, position) answer at its time, then wait up to
        ``settle`` seconds for the acknowledgements still missing."""
        for at, client_id, position in sorted(schedule):
            delay = at - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            client = self.clients.get(client_id)
            if client is None:
                self.failures["never connected"] += 1
                continue
            await client.answer(position, f"{client_id}:{position}:{self.sent + 1}")
        deadline = time.monotonic() + settle
        while time.monotonic() < deadline and any(c.pending for c in self.clients.values()):
            await asyncio.sleep(0.05)
        return self.figures()

    async def cmd_requests(self, schedule: list[tuple[float, str, dict]], settle: float) -> dict:
        """Send each (wall time, client id, message) at its time with a ref of its own, then
        wait up to ``settle`` seconds for the replies carrying those refs."""
        for n, (at, client_id, message) in enumerate(sorted(schedule, key=lambda x: x[0])):
            delay = at - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            client = self.clients.get(client_id)
            if client is None or not client.is_open:
                self.failures["not connected"] += 1
                continue
            ref = f"{client_id}-r{n}"
            client.requests[ref] = time.perf_counter()
            self.sent += 1
            await client.send_json({**message, "ref": ref})
        deadline = time.monotonic() + settle
        while time.monotonic() < deadline and any(c.requests for c in self.clients.values()):
            await asyncio.sleep(0.05)
        return {
            "rtt": self.request_rtt,
            "sent": self.sent,
            "unanswered": sum(len(c.requests) for c in self.clients.values()),
            "refused": self.refused,
            "failures": self.failures,
        }

    def cmd_watched(self, clear: bool = False) -> dict:
        """The watched messages received so far (and forget them with ``clear``)."""
        watched = self.watched
        if clear:
            self.watched = []
        return {"watched": watched}

    async def cmd_send(self, client_id: str, message: dict) -> float:
        """Send one message from one connection; returns the wall time just before sending."""
        at = time.time()
        await self.clients[client_id].send_json(message)
        return at

    def figures(self) -> dict:
        return {
            "rtt": self.rtt,
            "resent_rtt": self.resent_rtt,
            "sent": self.sent,
            "acks": self.acks,
            "resent": self.resent,
            "reconnects": self.reconnects,
            "queued_offline": self.queued_offline,
            "unacked": sum(len(c.pending) for c in self.clients.values()),
            "refused": self.refused,
            "failures": self.failures,
            "closed": self.closed,
            "acked": [
                (c.attempt, position, text)
                for c in self.clients.values()
                for position, text in c.acked.items()
            ],
        }

    def cmd_stats(self) -> dict:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return {
            "open": sum(1 for c in self.clients.values() if c.is_open),
            "closed": self.closed,
            "received": self.received,
            "watched": len(self.watched),
            "cpu_s": usage.ru_utime + usage.ru_stime,
            "rss_mib": rss_mib_of(os.getpid()),
        }

    async def cmd_close(self) -> dict:
        self.reconnect = False
        self.closing = True
        clients = list(self.clients.values())
        await asyncio.gather(*(c.ws.close() for c in clients if c.ws), return_exceptions=True)
        self.clients.clear()
        return {"closed": len(clients)}

    async def serve(self) -> None:
        loop = asyncio.get_running_loop()
        inbox: asyncio.Queue = asyncio.Queue()

        def listen() -> None:
            while True:
                try:
                    message = self.pipe.recv()
                except EOFError:
                    message = ("quit", {})
                loop.call_soon_threadsafe(inbox.put_nowait, message)
                if message[0] == "quit":
                    return

        threading.Thread(target=listen, daemon=True).start()
        while True:
            command, kwargs = await inbox.get()
            try:
                if command == "quit":
                    await self.cmd_close()
                    self.pipe.send(("result", {}))
                    return
                if command == "reset":
                    self.reset()
                    self.watch = set(kwargs.get("watch", ()))
                    self.reconnect = kwargs.get("reconnect", False)
                    result = {}
                elif command == "stats":
                    result = self.cmd_stats()
                elif command == "figures":
                    result = self.figures()
                elif command == "watched":
                    result = self.cmd_watched(**kwargs)
                elif command == "watch":
                    self.watch = set(kwargs.get("types", ()))
                    self.watched = []
                    result = {}
                else:
                    result = await getattr(self, f"cmd_{command}")(**kwargs)
            except Exception as exc:
                self.pipe.send(("error", f"{command}: {type(exc).__name__}: {exc}"))
                continue
            self.pipe.send(("result", result))


def _worker_main(pipe, index: int, open_files: int) -> None:
    raise_open_files_limit(open_files)
    asyncio.run(Worker(pipe, index).serve())


class ClientPool:
    """``processes`` client worker processes; connection ids are spread over them."""

    def __init__(self, processes: int, open_files: int):
        context = multiprocessing.get_context("spawn")
        self.pipes, self.processes = [], []
        for index in range(processes):
            parent, child = context.Pipe()
            process = context.Process(
                target=_worker_main, args=(child, index, open_files), daemon=True
            )
            process.start()
            self.pipes.append(parent)
            self.processes.append(process)
        self.owner: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self.pipes)

    def assign(self, ids: list[str]) -> None:
        """Give each new connection id to a worker, round robin."""
        for client_id in ids:
            self.owner.setdefault(client_id, len(self.owner) % len(self.pipes))

    def call(self, command: str, per_worker: list[dict] | None = None, *, progress=None):
        """Send ``command`` to every worker (with its own kwargs) and gather their results.
        ``progress(total_done)`` sees the workers' interim counts."""
        per_worker = per_worker or [{} for _ in self.pipes]
        for pipe, kwargs in zip(self.pipes, per_worker, strict=True):
            pipe.send((command, kwargs))
        results: dict[int, object] = {}
        counts = [0] * len(self.pipes)
        while len(results) < len(self.pipes):
            for pipe in wait_for_pipes([p for i, p in enumerate(self.pipes) if i not in results]):
                index = self.pipes.index(pipe)
                kind, payload = pipe.recv()
                if kind == "progress":
                    counts[index] = payload
                    if progress:
                        progress(sum(counts))
                elif kind == "error":
                    raise RuntimeError(f"client worker {index}: {payload}")
                else:
                    results[index] = payload
        return [results[i] for i in range(len(self.pipes))]

    def call_one(self, owner_of: str, command: str, **kwargs):
        """One command to the worker that owns the connection ``owner_of``; its result."""
        pipe = self.pipes[self.owner[owner_of]]
        pipe.send((command, kwargs))
        while True:
            kind, payload = pipe.recv()
            if kind == "error":
                raise RuntimeError(f"client worker {self.owner[owner_of]}: {payload}")
            if kind == "result":
                return payload

    def split(self, items: list, key) -> list[list]:
        """``items`` grouped by the worker that owns ``key(item)``."""
        groups = [[] for _ in self.pipes]
        for item in items:
            groups[self.owner[key(item)]].append(item)
        return groups

    def cpu_seconds(self) -> float:
        return sum(cpu_seconds_of(p.pid) for p in self.processes if p.is_alive())

    def close(self) -> None:
        for pipe, process in zip(self.pipes, self.processes, strict=True):
            try:
                if process.is_alive():
                    pipe.send(("quit", {}))
            except (BrokenPipeError, OSError):
                pass
        for process in self.processes:
            process.join(timeout=15)
            if process.is_alive():
                process.kill()


def merged(results: list[dict], key: str):
    """One figure gathered from every worker: lists are concatenated, counters added, numbers
    summed."""
    values = [r[key] for r in results]
    if isinstance(values[0], list):
        return [v for value in values for v in value]
    if isinstance(values[0], dict):
        total: Counter = Counter()
        for value in values:
            total.update(value)
        return total
    return sum(values)


# --- the server side ---------------------------------------------------------------------------

# Frames a thread sits in while it waits for work (the top Python frame; the C call below it,
# epoll or a lock, does not show): samples there count as idle.
IDLE_FRAMES = {
    ("selectors.py", "select"),
    ("thread.py", "_worker"),
    ("threading.py", "wait"),
    ("queue.py", "get"),
    ("base_events.py", "_run_once"),
}


# What a busy sample's stack says the thread was doing: the first of these found anywhere on
# the stack wins, so the order matters (a pool's health check runs a statement, too).
ACTIVITIES = [
    ("PostgreSQL: borrowing a pooled connection (health check)", "psycopg_pool/pool.py:getconn"),
    ("PostgreSQL: opening a connection", "psycopg/connection.py:connect"),
    ("PostgreSQL: setting the search_path", "postgresql_backend/base.py:_handle_search_path"),
    ("progress_changed (Redis dedupe key, Celery task)", "progress/services.py:progress_changed"),
    ("after-commit group_send (async_to_sync)", "smartedu/progress.py:group_send_quietly"),
    ("PostgreSQL: the statements themselves", "psycopg/cursor.py:execute"),
    ("channel layer (Redis)", "channels_redis/"),
    ("rendering question text", "quizzes/rendering.py:render"),
    ("websocket frames (autobahn)", "autobahn/"),
    ("importing code (start-up)", "<frozen importlib._bootstrap>:_find_and_load"),
    ("Django ORM (building queries, models)", "django/db/models/"),
]  # fmt: skip


class StackSampler(threading.Thread):
    """Every ``interval`` seconds, the Python stack of every other thread: per thread, how many
    samples were idle, and the functions busy samples were in (self = the top frame;
    cumulative = anywhere on the stack)."""

    def __init__(self, interval: float = 0.01):
        super().__init__(daemon=True, name="bench-stack-sampler")
        self.interval = interval
        self.stopped = threading.Event()
        self.threads: dict[str, dict] = defaultdict(
            lambda: {
                "samples": 0,
                "idle": 0,
                "self": Counter(),
                "cumulative": Counter(),
                "activities": Counter(),
            }
        )

    @staticmethod
    def _where(code) -> str:
        path = code.co_filename
        for marker in ("site-packages/", "/lib/python3"):
            if marker in path:
                path = path.split(marker, 1)[1]
                break
        else:
            path = os.path.relpath(path, os.getcwd()) if path.startswith("/") else path
        return f"{path}:{code.co_name}"

    def run(self) -> None:
        me = threading.get_ident()
        while not self.stopped.wait(self.interval):
            names = {t.ident: t.name for t in threading.enumerate()}
            for ident, frame in sys._current_frames().items():
                if ident == me:
                    continue
                name = names.get(ident, f"thread-{ident}")
                if name.startswith("ThreadPoolExecutor"):
                    name = "ThreadPoolExecutor (" + name.split("_")[0] + ")"
                stats = self.threads[name]
                stats["samples"] += 1
                top = frame.f_code
                if (Path(top.co_filename).name, top.co_name) in IDLE_FRAMES:
                    stats["idle"] += 1
                    continue
                stats["self"][self._where(top)] += 1
                seen = set()
                while frame is not None:
                    seen.add(self._where(frame.f_code))
                    frame = frame.f_back
                stats["cumulative"].update(seen)
                activity = next(
                    (a for a, marker in ACTIVITIES if any(marker in where for where in seen)),
                    "other",
                )
                stats["activities"][activity] += 1

    def dump(self, path: Path) -> None:
        report = {
            name: {
                "samples": s["samples"],
                "idle": s["idle"],
                "self": s["self"].most_common(30),
                "cumulative": s["cumulative"].most_common(),
                "activities": s["activities"].most_common(),
            }
            for name, s in self.threads.items()
        }
        Path(path).write_text(json.dumps({"interval": self.interval, "threads": report}))


def serve(port: int, open_files: int, profile: str = "") -> None:
    """Run daphne on 127.0.0.1:``port`` in this process (see the module docstring)."""
    raise_open_files_limit(open_files)
    sampler = None
    if profile:
        sampler = StackSampler()
        sampler.start()
    sys.argv = ["daphne", "-b", "127.0.0.1", "-p", str(port), "smartedu.asgi:application"]
    from daphne.cli import CommandLineInterface

    try:
        CommandLineInterface.entrypoint()
    finally:
        if sampler is not None:
            sampler.stopped.set()
            sampler.join(timeout=2)
            sampler.dump(Path(profile))
