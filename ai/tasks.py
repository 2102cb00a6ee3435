"""Celery tasks of the AI app: thin wrappers that take ids and call ai.ingestion / ai.tutor.

Extraction runs on the ``ingest`` queue; embedding and tutor answers on the ``gpu`` queue
(smartedu.celery routes ``embed_*``/``answer_*``), where the models live. Question generation's
tasks live in quizzes.tasks."""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import InterfaceError, OperationalError

from smartedu.db import current_schema
from smartedu.progress import progress_publish

from . import ingestion

logger = logging.getLogger(__name__)

MATERIAL_TOPIC = "material"


def _reporter(material_id: int):
    return lambda payload: progress_publish(MATERIAL_TOPIC, material_id, payload)


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    max_retries=3,
    retry_backoff=5,
    retry_backoff_max=120,
    soft_time_limit=1800,
    time_limit=1860,
)
def extract_material(self, material_id: int) -> str:
    """Extract and chunk one material, then queue its embedding."""
    report = _reporter(material_id)
    try:
        material = ingestion.material_extract(material_id, report=report)
    except (OperationalError, InterfaceError):
        raise
    except SoftTimeLimitExceeded:
        ingestion.material_fail(
            material_id,
            reason="Reading this file took too long (over 30 minutes). Split it into smaller "
            "files and upload them again.",
            report=report,
        )
        return "failed"
    except Exception:
        logger.exception("Extraction of material %s crashed", material_id)
        ingestion.material_fail(
            material_id,
            reason="This file could not be read: it looks damaged or uses a feature we cannot "
            "read. Save it again (e.g. export to PDF) and upload the new file.",
            report=report,
        )
        return "failed"
    if material is None:
        return "deleted"
    if material.state == material.State.EMBEDDING:
        embed_material.delay(material_id)
    return material.state


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    max_retries=3,
    retry_backoff=5,
    soft_time_limit=600,
    time_limit=660,
)
def embed_material(self, material_id: int, deferrals: int = 0) -> str:
    """Embed a slice of one material's chunks; queues itself again until all are embedded."""
    report = _reporter(material_id)
    try:
        outcome = ingestion.material_embed(material_id, report=report)
    except ingestion.EmbeddingDeferred as exc:
        if deferrals >= 8:
            ingestion.material_fail(
                material_id,
                reason=f"Embedding failed: {exc.message} (gave up after {deferrals} retries).",
                report=report,
            )
            return "failed"
        # Bounded exponential backoff: 10 s, 20 s, ... up to 5 minutes.
        embed_material.apply_async(
            (material_id, deferrals + 1), countdown=min(300, 10 * 2**deferrals)
        )
        return "deferred"
    if outcome == "more":
        embed_material.delay(material_id)
    return outcome


@shared_task(acks_late=True, soft_time_limit=120, time_limit=150)
def requeue_stalled_materials() -> int:
    """Queue again the materials of every school whose job died with its worker (runs on
    worker start and every minute from beat)."""
    from django.conf import settings
    from django_tenants.utils import get_public_schema_name, get_tenant_model, schema_context

    count = 0
    schools = get_tenant_model().objects.exclude(
        schema_name__in=[get_public_schema_name(), settings.TENANT_BASE_SCHEMA]
    )
    for schema_name in schools.values_list("schema_name", flat=True):
        with schema_context(schema_name):
            for material_id, step in ingestion.materials_needing_work():
                # The fresh heartbeat keeps the next sweep from queueing it twice.
                ingestion.material_requeue(material_id, step)
                (embed_material if step == "embed" else extract_material).delay(material_id)
                count += 1
    if count:
        logger.info("Queued %s stalled materials again", count)
    return count


def tutor_group(schema_name: str, turn_id: int) -> str:
    return f"{schema_name}.tutor.{turn_id}"


def _tutor_emitter(turn_id: int):
    from smartedu.progress import group_send_quietly

    group = tutor_group(current_schema(), turn_id)

    def emit(event: dict) -> None:
        # The answer is saved either way; a page that missed events fetches it. Every frame
        # (ai.tutor.payloads) already names its turn.
        group_send_quietly(group, {"type": "tutor.event", "event": event})

    return emit


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    max_retries=2,
    retry_backoff=2,
    soft_time_limit=180,
    time_limit=200,
)
def answer_tutor_question(turn_id: int) -> str:
    """Answer one tutor question, streaming the answer to the asker's websocket."""
    from .tutor import services as tutor_services

    emit = _tutor_emitter(turn_id)
    try:
        turn = tutor_services.tutor_answer(turn_id, emit=emit)
    except (OperationalError, InterfaceError):
        raise
    except Exception:
        logger.exception("Tutor turn %s crashed", turn_id)
        tutor_services.tutor_turn_fail(
            turn_id, reason="The tutor could not answer this time. Please ask again.", emit=emit
        )
        return "failed"
    return turn.state
