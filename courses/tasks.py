from celery import shared_task

from smartedu.progress import progress_publish

from . import services


@shared_task(bind=True, acks_late=True, max_retries=3, retry_backoff=True)
def import_roster(self, roster_import_id: int) -> dict:
    """Import a queued roster CSV (runs inside the school's schema; see smartedu.celery)."""
    roster_import = services.roster_import_run(
        roster_import_id,
        report_progress=lambda payload: progress_publish("roster-import", roster_import_id, payload),
    )
    return {"state": roster_import.state, "summary": roster_import.summary}
