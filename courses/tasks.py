import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from smartedu.progress import progress_publish

from .services import rosters

logger = logging.getLogger(__name__)

TOPIC = "roster-import"


@shared_task(
    bind=True,
    acks_late=True,
    # Only a lost database connection is worth retrying; anything else is a bug or bad data.
    autoretry_for=(OperationalError, InterfaceError),
    max_retries=3,
    retry_backoff=5,
    retry_backoff_max=120,
    soft_time_limit=900,
    time_limit=960,
)
def import_roster(self, roster_import_id: int) -> dict:
    """Import a queued roster CSV (runs inside the school's schema; see smartedu.celery).

    Idempotent: a finished import is left as it is, an interrupted one converges on re-run."""
    report = lambda payload: progress_publish(TOPIC, roster_import_id, payload)  # noqa: E731
    try:
        roster_import = rosters.roster_import_run(roster_import_id, report_progress=report)
    except (OperationalError, InterfaceError):
        raise  # retried by autoretry_for
    except Exception:
        # A time limit or a bug must not leave the import "running" forever.
        rosters.roster_import_fail(
            roster_import_id,
            reason=(
                "The import stopped unexpectedly. Rows already applied are kept; uploading the "
                "same file again safely applies the rest."
            ),
            report_progress=report,
        )
        raise
    logger.info(
        "Roster import %s %s: %s",
        roster_import_id,
        roster_import.state,
        roster_import.error or roster_import.summary,
    )
    return {"state": roster_import.state, "summary": roster_import.summary}
