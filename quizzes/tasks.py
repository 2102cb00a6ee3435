"""Celery tasks: thin wrappers that take ids, run in the school's schema (tenant-schemas-celery)
and call a service. Services enqueue them by name (``quizzes.tasks.<name>``), so nothing below
imports this module."""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from .attempts.services import attempts_submit_expired
from .progress.services import progress_refresh_and_publish

logger = logging.getLogger(__name__)


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    max_retries=3,
    retry_backoff=2,
    soft_time_limit=60,
    time_limit=90,
)
def refresh_progress(student_id: int, course_id: int, submitted_attempt: int | None = None):
    """Recompute a student's mastery in a course and push it live. Idempotent: it rewrites the
    rows from the answers, whatever ran before."""
    progress_refresh_and_publish(student_id, course_id, submitted_attempt=submitted_attempt)


@shared_task(acks_late=True, soft_time_limit=120, time_limit=150)
def submit_expired_attempts() -> int:
    """Submit attempts left open past their deadline, in every active school (each minute)."""
    from django.conf import settings
    from django_tenants.utils import get_public_schema_name, get_tenant_model, schema_context

    total = 0
    schools = get_tenant_model().objects.exclude(
        schema_name__in=[get_public_schema_name(), settings.TENANT_BASE_SCHEMA]
    )
    for schema_name in schools.values_list("schema_name", flat=True):
        with schema_context(schema_name):
            try:
                total += attempts_submit_expired()
            except Exception:
                logger.exception("Submitting expired attempts failed in %s", schema_name)
    return total
