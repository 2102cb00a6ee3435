"""Roster import: one path for the CSV upload (UI, background job) and the API bulk upsert."""

import csv
import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field

from celery import current_app
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import services as account_services
from accounts.models import User

from ..models import Course, RosterImport
from .enrollment import enrollment_add

ROSTER_COLUMNS = [
    "external_id",
    "username",
    "email",
    "first_name",
    "last_name",
    "role",
    "course_code",
    "course_role",
]
ROSTER_MAX_ROWS = 20_000
ROSTER_MAX_BYTES = 5 * 1024 * 1024

# One person's row: ROSTER_COLUMNS to values (a CSV row's strings, or an API record's JSON).
RosterRecord = Mapping[str, object]
# Told each step of an import (its state, counts, summary); what it returns is ignored.
ProgressReport = Callable[[dict[str, object]], object]


@dataclass
class RosterRowResult:
    row: int
    outcome: str  # created | updated | unchanged | rejected
    username: str = ""
    external_id: str = ""
    reasons: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)


def _error_text(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [f"{name}: {msg}" for name, msgs in exc.message_dict.items() for msg in msgs]
    return list(exc.messages)


def roster_upsert_record(record: RosterRecord, *, row: int) -> RosterRowResult:
    """Create or update one person (matched by external_id, else username) and optionally
    enroll them in ``course_code``. Runs in its own savepoint: a bad row changes nothing."""
    clean = {key: (str(record.get(key) or "")).strip() for key in ROSTER_COLUMNS}
    result = RosterRowResult(
        row=row, outcome="rejected", username=clean["username"], external_id=clean["external_id"]
    )
    if not clean["username"] and not clean["external_id"]:
        result.reasons.append("username or external_id is required")
        return result
    course = None
    if clean["course_code"]:
        course = Course.objects.filter(code__iexact=clean["course_code"]).first()
        if course is None:
            result.reasons.append(f"no course with code {clean['course_code']!r}; create it first")
            return result
    try:
        with transaction.atomic():
            user = None
            if clean["external_id"]:
                user = User.objects.filter(external_id=clean["external_id"]).first()
            if user is None and clean["username"]:
                user = User.objects.filter(username__iexact=clean["username"]).first()
                if (
                    user is not None
                    and user.external_id
                    and clean["external_id"]
                    and user.external_id != clean["external_id"]
                ):
                    taken = f"{user.username} already belongs to external id {user.external_id}"
                    raise ValidationError({"username": taken})
            if user is None:
                if not clean["username"]:
                    raise ValidationError({"username": "required to create a new person"})
                user = account_services.user_create(
                    username=clean["username"],
                    role=clean["role"] or User.Role.STUDENT,
                    email=clean["email"],
                    first_name=clean["first_name"],
                    last_name=clean["last_name"],
                    external_id=clean["external_id"] or None,
                )
                result.outcome = "created"
            else:
                changes = {
                    key: clean[key]
                    for key in (
                        "username",
                        "email",
                        "first_name",
                        "last_name",
                        "role",
                        "external_id",
                    )
                    if clean[key] and clean[key] != (getattr(user, key) or "")
                }
                if "email" in changes and changes["email"].lower() == (user.email or "").lower():
                    changes.pop("email")
                if changes:
                    account_services.user_update(user, **changes)
                    result.changes = sorted(changes)
                result.outcome = "updated" if changes else "unchanged"
            if course is not None:
                _, enrolled = enrollment_add(
                    course=course, user=user, role=clean["course_role"] or None
                )
                if enrolled:
                    result.changes.append(f"enrolled in {course.code}")
                    if result.outcome == "unchanged":
                        result.outcome = "updated"
            result.username = user.username
    except ValidationError as exc:
        result.outcome = "rejected"
        result.changes = []
        result.reasons = _error_text(exc)
    return result


def roster_upsert(
    records: Iterable[RosterRecord], *, progress: Callable[[int], object] | None = None
) -> list[RosterRowResult]:
    """Upsert many records; one result per record, in order.

    ``progress(done)`` is called every 25 records."""
    results = []
    for index, record in enumerate(records, start=1):
        results.append(roster_upsert_record(record, row=index))
        if progress and (index % 25 == 0):
            progress(index)
    return results


def roster_summary(results: list[RosterRowResult]) -> dict[str, int]:
    summary = {"created": 0, "updated": 0, "unchanged": 0, "rejected": 0}
    for result in results:
        summary[result.outcome] += 1
    return summary


def roster_parse_csv(text: str) -> list[dict[str, str | None]]:
    """Read a roster CSV (header row required; see ROSTER_COLUMNS). Row numbers in the report
    count data rows from 1."""
    if len(text.encode()) > ROSTER_MAX_BYTES:
        raise ValidationError(f"The file is larger than {ROSTER_MAX_BYTES // (1024 * 1024)} MB.")
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    if not header:
        raise ValidationError("The file is empty; the first line must name the columns.")
    if "username" not in header and "external_id" not in header:
        raise ValidationError(
            "The header row must include a username or external_id column "
            f"(columns understood: {', '.join(ROSTER_COLUMNS)})."
        )
    # A misspelt column ("emial") would otherwise be dropped silently, row after row.
    unknown = [name for name in header if name and name not in ROSTER_COLUMNS]
    if unknown:
        raise ValidationError(
            f"The header row has {'a column' if len(unknown) == 1 else 'columns'} SmartEdu does "
            f"not know: {', '.join(repr(name) for name in unknown)}. "
            f"Use only these columns: {', '.join(ROSTER_COLUMNS)}."
        )
    reader.fieldnames = header
    rows = []
    for record in reader:
        rows.append({key: value for key, value in record.items() if key})
        if len(rows) > ROSTER_MAX_ROWS:
            raise ValidationError(f"The file has more than {ROSTER_MAX_ROWS} rows; split it.")
    if not rows:
        raise ValidationError("The file has a header but no rows.")
    return rows


def roster_import_create(*, filename: str, content: bytes, created_by: User) -> RosterImport:
    """Check a CSV upload and queue its import. Nothing is imported if the file is unreadable."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            "The file is not UTF-8 text. Save it as 'CSV UTF-8' and retry."
        ) from exc
    roster_parse_csv(text)  # fail fast, before any work is queued
    roster_import = RosterImport.objects.create(
        filename=filename[:255], csv_text=text, created_by=created_by
    )
    # By name: courses.tasks calls these services, so they never import it back.
    transaction.on_commit(
        lambda: current_app.send_task("courses.tasks.import_roster", args=[roster_import.pk])
    )
    return roster_import


def roster_import_fail(
    roster_import_id: int, *, reason: str, report_progress: ProgressReport
) -> RosterImport:
    """Mark an import failed with a reason a person understands, and say so to its watchers."""
    roster_import = RosterImport.objects.get(pk=roster_import_id)
    roster_import.state = RosterImport.State.FAILED
    roster_import.error = reason
    roster_import.finished_at = timezone.now()
    roster_import.save(update_fields=["state", "error", "finished_at"])
    report_progress({"state": "failed", "error": reason})
    return roster_import


def roster_import_run(roster_import_id: int, *, report_progress: ProgressReport) -> RosterImport:
    """Run a queued import. Idempotent: rows are upserts, so a re-run after a crash converges."""
    roster_import = RosterImport.objects.get(pk=roster_import_id)
    if roster_import.state == RosterImport.State.DONE:
        return roster_import
    RosterImport.objects.filter(pk=roster_import_id).update(state=RosterImport.State.RUNNING)
    try:
        records = roster_parse_csv(roster_import.csv_text)
    except ValidationError as exc:
        return roster_import_fail(
            roster_import_id, reason="; ".join(exc.messages), report_progress=report_progress
        )
    total = len(records)
    report_progress({"state": "running", "done": 0, "total": total})
    results = roster_upsert(
        records,
        progress=lambda done: report_progress({"state": "running", "done": done, "total": total}),
    )
    roster_import.report = [asdict(result) for result in results]
    roster_import.summary = roster_summary(results)
    roster_import.state = RosterImport.State.DONE
    roster_import.finished_at = timezone.now()
    roster_import.save(update_fields=["report", "summary", "state", "finished_at"])
    report_progress(
        {"state": "done", "done": total, "total": total, "summary": roster_import.summary}
    )
    return roster_import
