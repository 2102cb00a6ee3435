"""The Celery app. Tasks are tenant-aware: a task enqueued inside a school's schema carries the
schema name in its headers and runs inside that schema on the worker (tenant-schemas-celery).

Workers log through Django's LOGGING (JSON lines with ``LOG_FORMAT=json``), and every line a
task writes carries its school and the request id of the web request that queued it.

Every message carries its publish time (read back by the queue-wait metric); each worker
serves its task durations on SMARTEDU_WORKER_METRICS_PORT (smartedu/metrics.py)."""

import os
import time

from celery.signals import (
    before_task_publish,
    setup_logging,
    task_postrun,
    task_prerun,
    worker_init,
    worker_process_shutdown,
    worker_ready,
)
from tenant_schemas_celery.app import CeleryApp

from .db import current_schema

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smartedu.settings")

app = CeleryApp("smartedu")
app.config_from_object("django.conf:settings", namespace="CELERY")

# Two queues: `ingest` for CPU work (extraction, imports), `gpu` for embeddings and generation.
app.conf.task_queues_names = ("ingest", "gpu")
app.conf.task_routes = {
    "ai.tasks.embed_*": {"queue": "gpu"},
    "ai.tasks.answer_*": {"queue": "gpu"},
    "quizzes.tasks.generate_*": {"queue": "gpu"},
}
# Periodic jobs (`celery -A smartedu beat` runs them).
app.conf.beat_schedule = {
    "requeue-stalled-materials": {
        "task": "ai.tasks.requeue_stalled_materials",
        "schedule": 60.0,
    },
    "requeue-stalled-generation-jobs": {
        "task": "quizzes.tasks.requeue_stalled_generation_jobs",
        "schedule": 60.0,
    },
    # Attempts nobody is connected to when their time runs out.
    "submit-expired-attempts": {
        "task": "quizzes.tasks.submit_expired_attempts",
        "schedule": 30.0,
    },
}
app.autodiscover_tasks()

REQUEST_ID_HEADER = "smartedu_request_id"


@setup_logging.connect
def _use_django_logging(**kwargs) -> None:
    """Connecting this signal stops Celery from replacing the root logger's handlers."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)


@before_task_publish.connect
def _carry_request_id(headers=None, **kwargs) -> None:
    from .logging import request_id_var

    if headers is not None:
        headers.setdefault(REQUEST_ID_HEADER, request_id_var.get())


@before_task_publish.connect
def _stamp_publish_time(headers=None, **kwargs) -> None:
    from .metrics import ENQUEUED_AT_HEADER

    if headers is not None:
        # A retry is published again: its wait starts again.
        headers[ENQUEUED_AT_HEADER] = time.time()


@task_prerun.connect
def _bind_log_context(task=None, task_id=None, **kwargs) -> None:
    # Runs after tenant-schemas-celery's own prerun handler (connected first, at import), so
    # the connection is already in the task's schema.

    from .logging import bind_school, request_id_var

    request = task.request if task is not None else None
    headers = (getattr(request, "headers", None) or {}) if request is not None else {}
    request_id = getattr(request, REQUEST_ID_HEADER, None) or headers.get(REQUEST_ID_HEADER)
    request_id_var.set(request_id if request_id and request_id != "-" else (task_id or "-"))
    bind_school(current_schema())


@task_prerun.connect
def _start_task_clock(task_id=None, **kwargs) -> None:
    from .metrics import task_started

    task_started(task_id)


@task_postrun.connect
def _record_task_duration(task=None, task_id=None, state=None, **kwargs) -> None:
    from .metrics import task_finished

    delivery = (getattr(task.request, "delivery_info", None) or {}) if task is not None else {}
    task_finished(
        task_id,
        task=getattr(task, "name", "-"),
        queue=delivery.get("routing_key") or "-",
        outcome=(state or "unknown").lower(),
    )


@task_postrun.connect
def _unbind_log_context(**kwargs) -> None:
    from .logging import request_id_var, school_var

    request_id_var.set("-")
    school_var.set("-")
    try:
        import sentry_sdk

        sentry_sdk.get_isolation_scope().remove_tag("school")
    except ImportError:  # pragma: no cover - sentry-sdk is a dependency
        pass


@worker_init.connect
def _serve_worker_metrics(**kwargs) -> None:
    """In the worker's main process, before its pool children start."""
    from django.conf import settings

    from .metrics import worker_metrics_serve

    if settings.SMARTEDU_WORKER_METRICS_PORT:
        worker_metrics_serve(settings.SMARTEDU_WORKER_METRICS_PORT)


@worker_process_shutdown.connect
def _forget_pool_child(pid=None, **kwargs) -> None:
    from .metrics import process_exited

    process_exited(pid or os.getpid())


@worker_ready.connect
def _pick_up_interrupted_work(sender=None, **kwargs) -> None:
    """A worker that starts after a crash finds the ingestion and generation jobs the crash
    interrupted."""
    sender.app.send_task("ai.tasks.requeue_stalled_materials")
    sender.app.send_task("quizzes.tasks.requeue_stalled_generation_jobs")
