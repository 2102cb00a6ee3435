"""Prometheus metrics: what the web, the websockets, the Celery queues and the AI spend per
school look like to the operator.

Several processes (daphne processes of one container, a Celery worker's pool children) share
their figures when ``PROMETHEUS_MULTIPROC_DIR`` names a folder they all write to; the folder
must be emptied when the container starts, or a new process would add to a dead one's counts
under a reused process id. Without it every process keeps its own figures (development).

The web serves ``GET /metrics`` before tenant resolution (any host name), to loopback and
private addresses, or to a caller presenting ``SMARTEDU_METRICS_TOKEN``; anyone else gets a
404. Each worker serves its own task metrics on ``SMARTEDU_WORKER_METRICS_PORT``.

Labels never carry a raw path, an id or a user: a request is labelled with the URL pattern it
matched (``/courses/<int:course_id>/``), so the number of series stays bounded. ``school`` is
a school's schema name (one series per school)."""

import hmac
import ipaddress
import json
import logging
import os
import time
from dataclasses import dataclass

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

logger = logging.getLogger(__name__)

UNMATCHED_ROUTE = "<unmatched>"
STATIC_ROUTE = "<static>"
# Answered before URL resolution; their paths are fixed, so they are safe labels.
PRE_TENANT_PATHS = ("/health", "/ready", "/metrics")
# The publish time a message carries, read back while it waits in the broker.
ENQUEUED_AT_HEADER = "smartedu_enqueued_at"

HTTP_REQUESTS = Counter(
    "smartedu_http_requests_total",
    "HTTP requests answered, by method, matched URL pattern and status code.",
    ["method", "route", "status"],
)
HTTP_REQUEST_DURATION = Histogram(
    "smartedu_http_request_duration_seconds",
    "Time to produce an HTTP response (until its body starts), by method and URL pattern.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
WEBSOCKET_CONNECTIONS = Gauge(
    "smartedu_websocket_connections",
    "Open websocket connections, by consumer.",
    ["consumer"],
    multiprocess_mode="livesum",  # the sum over live processes: a dead one holds no sockets
)
CELERY_TASK_DURATION = Histogram(
    "smartedu_celery_task_duration_seconds",
    "Time a Celery task ran on a worker, by task, queue and outcome (success, failure, retry).",
    ["task", "queue", "outcome"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600),
)
AI_TOKENS = Counter(
    "smartedu_ai_tokens_total",
    "Tokens the AI provider counted for a school, by kind (prompt or completion).",
    ["school", "kind"],
)
INGESTION_FAILURES = Counter(
    "smartedu_ingestion_failures_total",
    "Course materials that failed ingestion, by school.",
    ["school"],
)
GENERATION_FAILURES = Counter(
    "smartedu_generation_failures_total",
    "Question generation jobs that failed, by school.",
    ["school"],
)


def multiprocess_dir() -> str:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.environ.get(
        "prometheus_multiproc_dir", ""
    )


class _ThisProcess:
    """The process's own default registry, as one collector of a scrape's registry."""

    def collect(self):
        yield from REGISTRY.collect()


def metrics_registry(*, with_queues: bool) -> CollectorRegistry:
    """A registry for one scrape: every process's figures (multiprocess mode) or this
    process's, plus the Celery queues read from the broker when ``with_queues``."""
    registry = CollectorRegistry()
    if multiprocess_dir():
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    if with_queues:
        registry.register(CeleryQueueCollector())
    return registry


# --- recording ------------------------------------------------------------------------------


def ai_tokens_count(school: str, prompt_tokens: int, completion_tokens: int) -> None:
    if prompt_tokens > 0:
        AI_TOKENS.labels(school=school, kind="prompt").inc(prompt_tokens)
    if completion_tokens > 0:
        AI_TOKENS.labels(school=school, kind="completion").inc(completion_tokens)


def ingestion_failure_count(school: str) -> None:
    INGESTION_FAILURES.labels(school=school).inc()


def generation_failure_count(school: str) -> None:
    GENERATION_FAILURES.labels(school=school).inc()


def websocket_opened(consumer: str) -> None:
    WEBSOCKET_CONNECTIONS.labels(consumer=consumer).inc()


def websocket_closed(consumer: str) -> None:
    WEBSOCKET_CONNECTIONS.labels(consumer=consumer).dec()


_task_started: dict[str, float] = {}


def task_started(task_id: str) -> None:
    _task_started[task_id] = time.monotonic()


def task_finished(task_id: str, *, task: str, queue: str, outcome: str) -> None:
    started = _task_started.pop(task_id, None)
    if started is not None:
        CELERY_TASK_DURATION.labels(task=task, queue=queue, outcome=outcome).observe(
            time.monotonic() - started
        )


# --- HTTP -----------------------------------------------------------------------------------


def request_route(request) -> str:
    """The URL pattern a request matched (never its path, which carries ids and names)."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        if match.route is not None:
            return "/" + match.route.lstrip("^")
        return match.view_name or UNMATCHED_ROUTE
    from django.conf import settings

    if request.path in PRE_TENANT_PATHS:
        return request.path
    if settings.STATIC_URL and request.path.startswith(settings.STATIC_URL):
        return STATIC_ROUTE
    return UNMATCHED_ROUTE


# Loopback and the private ranges (RFC 1918, IPv6 unique local): where Prometheus and the
# container network live. Python's ``is_private`` is wider (it counts documentation ranges).
INTERNAL_NETWORKS = tuple(
    ipaddress.ip_network(network)
    for network in ("127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
    + ("::1/128", "fc00::/7")
)


def _is_internal(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in INTERNAL_NETWORKS)


def metrics_access_allowed(request) -> bool:
    """Whether a request may read /metrics: it presents the configured token, or it comes from
    a loopback or private address and was not forwarded on behalf of a public one (a proxy in
    front adds the public client to X-Forwarded-For)."""
    from django.conf import settings

    token = settings.SMARTEDU_METRICS_TOKEN
    if token:
        presented = request.headers.get("Authorization", "")
        if hmac.compare_digest(presented.encode(), f"Bearer {token}".encode()):
            return True
    chain = [request.META.get("REMOTE_ADDR", "")]
    forwarded = request.headers.get("X-Forwarded-For", "")
    chain += [hop for hop in forwarded.split(",") if hop.strip()]
    return all(_is_internal(hop) for hop in chain)


def metrics_response(request):
    from django.http import HttpResponse, HttpResponseNotFound

    if request.method not in ("GET", "HEAD") or not metrics_access_allowed(request):
        return HttpResponseNotFound()
    body = generate_latest(metrics_registry(with_queues=True))
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)


class MetricsMiddleware:
    """First in MIDDLEWARE: serves /metrics on any host and times every request, labelled with
    the URL pattern it matched once the rest of the stack has resolved it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        if request.path == "/metrics":
            response = metrics_response(request)
        else:
            response = self.get_response(request)
        route = request_route(request)
        HTTP_REQUEST_DURATION.labels(method=request.method, route=route).observe(
            time.perf_counter() - started
        )
        HTTP_REQUESTS.labels(method=request.method, route=route, status=response.status_code).inc()
        return response


# --- Celery queues --------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueBacklog:
    length: int
    oldest_enqueued_at: float | None  # a UNIX time; None when empty or no message says


def _queue_keys(queue: str, options: dict) -> list[str]:
    """The Redis lists kombu keeps for one queue: one per priority step, the first (step 0)
    under the bare name, the others as ``<queue><sep><step>``."""
    prefix = options.get("global_keyprefix", "")
    sep = options.get("sep", "\x06\x16")
    steps = options.get("priority_steps", [0, 3, 6, 9])
    return [f"{prefix}{queue}{sep}{step}" if step else f"{prefix}{queue}" for step in steps]


def _enqueued_at(raw: bytes | None) -> float | None:
    if raw is None:
        return None
    try:
        value = json.loads(raw).get("headers", {}).get(ENQUEUED_AT_HEADER)
        return float(value) if value is not None else None
    except (ValueError, TypeError, AttributeError):
        return None


def celery_queue_backlogs(queues: list[str]) -> dict[str, QueueBacklog]:
    """How many messages wait in each queue and when the oldest was published.

    kombu pushes on the left of a list and takes from the right, so the rightmost message of
    each priority list is the one that has waited longest there; the queue's oldest is the
    oldest of those."""
    import redis
    from django.conf import settings

    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    client = redis.Redis.from_url(
        settings.CELERY_BROKER_URL, socket_connect_timeout=2, socket_timeout=2
    )
    try:
        pipe = client.pipeline(transaction=False)
        keys = {queue: _queue_keys(queue, options) for queue in queues}
        for queue in queues:
            for key in keys[queue]:
                pipe.llen(key)
                pipe.lindex(key, -1)
        replies = iter(pipe.execute())
    finally:
        client.close()
    backlogs = {}
    for queue in queues:
        length, stamps = 0, []
        for _ in keys[queue]:
            length += next(replies)
            stamp = _enqueued_at(next(replies))
            if stamp is not None:
                stamps.append(stamp)
        backlogs[queue] = QueueBacklog(length, min(stamps) if length and stamps else None)
    return backlogs


class CeleryQueueCollector:
    """Reads the queues from the broker at scrape time (nothing to keep in step)."""

    def collect(self):
        from django.conf import settings

        try:
            backlogs = celery_queue_backlogs(list(settings.SMARTEDU_METRICS_QUEUES))
        except Exception as exc:  # a broker outage must not break the rest of the scrape
            logger.warning("celery queues unreadable for metrics: %s", exc)
            return
        length = GaugeMetricFamily(
            "smartedu_celery_queue_length", "Jobs waiting in a Celery queue.", labels=["queue"]
        )
        wait = GaugeMetricFamily(
            "smartedu_celery_queue_wait_seconds",
            "How long the oldest job waiting in a Celery queue has waited (0 when empty).",
            labels=["queue"],
        )
        now = time.time()
        for queue, backlog in backlogs.items():
            length.add_metric([queue], backlog.length)
            if not backlog.length:
                wait.add_metric([queue], 0.0)
            elif backlog.oldest_enqueued_at is not None:
                wait.add_metric([queue], max(0.0, now - backlog.oldest_enqueued_at))
        yield length
        yield wait


# --- Celery worker --------------------------------------------------------------------------


def worker_metrics_serve(port: int) -> None:
    """Serve this worker's task metrics on ``port`` (all pool children in multiprocess mode).
    A port already taken is logged, not fatal: the worker's jobs matter more than its
    figures."""
    from prometheus_client import start_http_server

    if not multiprocess_dir():
        logger.warning(
            "PROMETHEUS_MULTIPROC_DIR is not set: task metrics of the worker's pool children "
            "will not reach its metrics port."
        )
    try:
        start_http_server(port, registry=metrics_registry(with_queues=False))
    except OSError as exc:
        logger.warning("worker metrics not served on port %s: %s", port, exc)
        return
    logger.info("worker metrics on port %s at /metrics", port)


def process_exited(pid: int) -> None:
    """Drop a dead process's live gauges (its counters stay in the totals)."""
    if multiprocess_dir():
        multiprocess.mark_process_dead(pid)
