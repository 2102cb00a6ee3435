"""The Celery app. Tasks are tenant-aware: a task enqueued inside a school's schema carries the
schema name in its headers and runs inside that schema on the worker (tenant-schemas-celery)."""

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smartedu.settings")

app = CeleryApp("smartedu")
app.config_from_object("django.conf:settings", namespace="CELERY")

# Two queues: `ingest` for CPU work (extraction, imports), `gpu` for embeddings and generation.
app.conf.task_queues_names = ("ingest", "gpu")
app.conf.task_routes = {
    "ai.tasks.embed_*": {"queue": "gpu"},
    "ai.tasks.generate_*": {"queue": "gpu"},
    "quizzes.tasks.generate_*": {"queue": "gpu"},
}
app.autodiscover_tasks()
