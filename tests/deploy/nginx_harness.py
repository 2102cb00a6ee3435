"""The shipped nginx configuration, rendered for loopback and run with the system's nginx in
front of two real daphne processes of the app. Only paths, ports and the domain change; every
directive that shapes traffic is the production one."""

import getpass
import json
import os
import shutil
import socket
import ssl
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import _free_port, _wait_for_http, daphne_command, live_env

REPO = Path(__file__).resolve().parents[2]
NGINX_DIR = REPO / "deploy" / "nginx"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and *.localhost, like a wildcard from DNS-01."""
    cert, key = directory / "fullchain.pem", directory / "privkey.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
        + ["-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost"]
        + ["-addext", "subjectAltName=DNS:localhost,DNS:*.localhost"],
        check=True,
        capture_output=True,
    )
    return cert, key


def render(prefix: Path, *, http_port: int, https_port: int, backends: list[int]) -> Path:
    """Write nginx.conf, conf.d/smartedu.conf and conf.d/upstream.conf under ``prefix``."""
    for name in ("conf.d", "logs", "static", "tls", "acme"):
        (prefix / name).mkdir(parents=True, exist_ok=True)
    main = (NGINX_DIR / "nginx.conf").read_text()
    main = (
        main.replace("/var/log/nginx/", f"{prefix}/logs/")
        .replace("/var/run/nginx.pid", f"{prefix}/nginx.pid")
        .replace("/etc/nginx/conf.d/", f"{prefix}/conf.d/")
        .replace("worker_processes auto;", "worker_processes 1;")
        # The tests' temporary folders are private to the user running them.
        .replace("user nginx;", f"user {getpass.getuser()};" if os.geteuid() == 0 else "")
    )
    (prefix / "nginx.conf").write_text(main)

    site = (NGINX_DIR / "smartedu.conf.template").read_text()
    site = (
        site.replace("${SMARTEDU_BASE_DOMAIN}", "localhost")
        .replace("listen [::]:80;", "")
        .replace("listen [::]:443 ssl http2;", "")
        .replace("listen 80;", f"listen 127.0.0.1:{http_port};")
        .replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
        .replace("/etc/nginx/tls/", f"{prefix}/tls/")
        .replace("/srv/smartedu/static/", f"{prefix}/static/")
        .replace("/var/www/certbot", f"{prefix}/acme")
    )
    assert "${" not in site
    (prefix / "conf.d" / "smartedu.conf").write_text(site)

    upstream = (NGINX_DIR / "upstream.conf").read_text()
    servers = "".join(
        f"    server 127.0.0.1:{port} max_fails=3 fail_timeout=10s;\n" for port in backends
    )
    start, end = upstream.index("    server web:8000"), upstream.index("    keepalive")
    (prefix / "conf.d" / "upstream.conf").write_text(upstream[:start] + servers + upstream[end:])
    make_certificate(prefix / "tls")
    return prefix / "nginx.conf"


def start_daphne(port: int, log_path: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        daphne_command(port),
        env=live_env(),
        stdout=open(log_path, "wb"),
        stderr=subprocess.STDOUT,
    )
    return process


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Edge:
    """nginx on loopback ports, proxying to two daphne processes."""

    prefix: Path
    http_port: int
    https_port: int
    backend_ports: list[int]
    backends: list[subprocess.Popen]
    nginx: subprocess.Popen
    tls: ssl.SSLContext = field(repr=False)

    def request(
        self, host, path, *, method="GET", headers=None, body=None, tls=True, client="127.0.0.1"
    ):
        """One request to nginx presenting ``host``, sent from the loopback address ``client``
        (rate limits count per address); returns (status, headers, body bytes)."""
        import http.client

        source = (client, 0)
        if tls:
            conn = http.client.HTTPSConnection(
                "127.0.0.1", self.https_port, context=self.tls, timeout=15, source_address=source
            )
        else:
            conn = http.client.HTTPConnection(
                "127.0.0.1", self.http_port, timeout=15, source_address=source
            )
        try:
            conn.request(method, path, body=body, headers={"Host": host, **(headers or {})})
            response = conn.getresponse()
            return response.status, response.headers, response.read()
        finally:
            conn.close()

    def access_log(self) -> list[dict]:
        path = self.prefix / "logs" / "access.log"
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def ws_connect(self, host: str, path: str, cookie: str):
        from websockets.sync.client import connect

        sock = socket.create_connection(("127.0.0.1", self.https_port), timeout=30)
        return connect(
            f"wss://{host}:{self.https_port}{path}",
            sock=sock,
            ssl=self.tls,
            server_hostname=host,
            origin=f"https://{host}:{self.https_port}",
            additional_headers={"Cookie": cookie},
            # The first socket a fresh backend accepts loads its consumer stack; beside the rest
            # of the suite on two cores that has taken more than 10 s.
            open_timeout=30,
            close_timeout=5,
        )


def _wait_for_port(port: int, process: subprocess.Popen, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("nginx did not listen in time")


@contextmanager
def running_edge(prefix: Path):
    backend_ports = [_free_port(), _free_port()]
    http_port, https_port = _free_port(), _free_port()
    config = render(prefix, http_port=http_port, https_port=https_port, backends=backend_ports)
    shutil.copy(REPO / "static" / "css" / "app.css", prefix / "static" / "app.css")
    backends = [start_daphne(port, prefix / f"daphne-{port}.log") for port in backend_ports]
    nginx = None
    try:
        for port, process in zip(backend_ports, backends, strict=True):
            _wait_for_http(port, process)
        nginx = subprocess.Popen(
            [NGINX, "-p", str(prefix), "-c", str(config)]
            + ["-g", f"daemon off; error_log {prefix}/logs/error.log;"],
            stdout=subprocess.DEVNULL,
            stderr=open(prefix / "logs" / "nginx.out", "wb"),
        )
        _wait_for_port(https_port, nginx)
        # Trust exactly our certificate. The wildcard itself is not checked against the host:
        # OpenSSL refuses "*.localhost" (a wildcard over a single-label name).
        tls = ssl.create_default_context(cafile=str(prefix / "tls" / "fullchain.pem"))
        tls.check_hostname = False
        yield Edge(prefix, http_port, https_port, backend_ports, backends, nginx, tls)
    finally:
        if nginx is not None:
            stop(nginx)
        for process in backends:
            stop(process)


@pytest.fixture(scope="module")
def edge(django_db_setup, tmp_path_factory):
    """nginx in front of two daphne processes, shared by the tests that leave both running."""
    with running_edge(tmp_path_factory.mktemp("nginx")) as running:
        yield running


@pytest.fixture
def edge_to_break(django_db_setup, tmp_path_factory):
    """A separate nginx and two daphne processes, for a test that kills one of them."""
    with running_edge(tmp_path_factory.mktemp("nginx-failover")) as running:
        yield running
