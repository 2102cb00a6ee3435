"""Quiz exchange formats: export a quiz as QTI 2.1 (zip), Moodle XML or GIFT; import Moodle XML
and GIFT into a course's question bank. Anything a format cannot carry is reported, never
dropped silently. See ``service`` for the contracts."""

from .parsing import ImportedQuestion, ImportReport
from .service import (
    EXPORT_FORMATS,
    IMPORT_FORMATS,
    ExportResult,
    questions_import,
    quiz_export,
)

__all__ = [
    "EXPORT_FORMATS",
    "IMPORT_FORMATS",
    "ExportResult",
    "ImportReport",
    "ImportedQuestion",
    "questions_import",
    "quiz_export",
]
