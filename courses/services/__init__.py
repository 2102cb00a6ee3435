"""Writes on courses, enrollments, rosters and course material.

Each kind has its module (``courses``, ``enrollment``, ``rosters``, ``materials``); this package
names the app's write API in one place, for callers that use ``courses.services`` as a whole."""

from .courses import course_create, course_update
from .enrollment import enrollment_add, enrollment_remove
from .materials import material_delete, material_retry, material_upload
from .rosters import (
    ROSTER_COLUMNS,
    ROSTER_MAX_BYTES,
    ROSTER_MAX_ROWS,
    RosterRowResult,
    roster_import_create,
    roster_import_fail,
    roster_import_run,
    roster_parse_csv,
    roster_summary,
    roster_upsert,
    roster_upsert_record,
)

__all__ = [
    "course_create",
    "course_update",
    "enrollment_add",
    "enrollment_remove",
    "material_delete",
    "material_retry",
    "material_upload",
    "ROSTER_COLUMNS",
    "ROSTER_MAX_BYTES",
    "ROSTER_MAX_ROWS",
    "RosterRowResult",
    "roster_import_create",
    "roster_import_fail",
    "roster_import_run",
    "roster_parse_csv",
    "roster_summary",
    "roster_upsert",
    "roster_upsert_record",
]
