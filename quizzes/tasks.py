"""Celery tasks: thin wrappers that take ids, run in the school's schema (tenant-schemas-celery)
and call a service. Services enqueue them by name (``quizzes.tasks.<name>``), so nothing below
imports this module."""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from .attempts.services import attempts_submit_expired
from .generation import lifecycle, slices  # the generation tasks below (appended)
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


# --- question generation (moved from ai.tasks) ----------------------------------------------

GENERATION_TOPIC = "generation"
GENERATION_CRASHED = (
    "Question generation stopped because of an unexpected error. The questions made so far are "
    "in the bank as drafts and the unused part of the budget was given back; try again, or ask "
    "for fewer questions."
)


def _generation_reporter(job_id: int):
    from smartedu.progress import progress_publish

    return lambda payload: progress_publish(GENERATION_TOPIC, job_id, payload)


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    max_retries=3,
    retry_backoff=5,
    retry_backoff_max=120,
    soft_time_limit=600,
    time_limit=660,
)
def generate_questions(job_id: int) -> str:
    """Run one slice of a generation job; queues itself again while there is more to do, so
    jobs of several schools take turns on the ``gpu`` queue. Idempotent: a finished job, or one
    another worker is running right now, is left alone."""
    from celery.exceptions import SoftTimeLimitExceeded

    from ai.openai_compat import ProviderError

    report = _generation_reporter(job_id)
    try:
        outcome = slices.generation_job_run(job_id, report=report)
    except (OperationalError, InterfaceError):
        raise
    except ProviderError as exc:
        # The language model's failures are handled inside (offline takes over); this is the
        # embedding service the checks and the offline generator need.
        lifecycle.generation_job_fail(
            job_id,
            reason=f"An AI service failed: {exc.message} The questions made so far are in the "
            "bank as drafts; try again later.",
            report=report,
        )
        return "failed"
    except SoftTimeLimitExceeded:
        lifecycle.generation_job_fail(
            job_id,
            reason="Question generation took too long (over 10 minutes for one step). The "
            "questions made so far are in the bank as drafts; try again with fewer questions.",
            report=report,
        )
        return "failed"
    except Exception:
        logger.exception("Generation job %s crashed", job_id)
        lifecycle.generation_job_fail(job_id, reason=GENERATION_CRASHED, report=report)
        return "failed"
    if outcome == "more":
        generate_questions.delay(job_id)
    return outcome


@shared_task(acks_late=True, soft_time_limit=120, time_limit=150)
def requeue_stalled_generation_jobs() -> int:
    """Queue again the generation jobs of every school whose worker died (runs on worker start
    and every minute from beat). A re-run continues from the job's saved cursor."""
    from django.conf import settings
    from django_tenants.utils import get_public_schema_name, get_tenant_model, schema_context

    count = 0
    schools = get_tenant_model().objects.exclude(
        schema_name__in=[get_public_schema_name(), settings.TENANT_BASE_SCHEMA]
    )
    for schema_name in schools.values_list("schema_name", flat=True):
        with schema_context(schema_name):
            for job_id in lifecycle.generation_jobs_stalled():
                lifecycle.generation_job_requeue(job_id)
                generate_questions.delay(job_id)
                count += 1
    if count:
        logger.info("Queued %s stalled generation jobs again", count)
    return count
