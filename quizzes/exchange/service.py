"""The two exchange operations the pages and the API call: export a quiz, import questions."""

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from accounts.models import User
from courses.models import Course

from .. import services
from ..models import Question, Quiz
from . import gift, moodle, qti
from .items import export_items
from .parsing import ImportedQuestion, ImportReport

EXPORT_FORMATS = {
    "qti": (qti, "application/zip", "-qti21.zip"),
    "moodle": (moodle, "application/xml", "-moodle.xml"),
    "gift": (gift, "text/plain; charset=utf-8", "-gift.txt"),
}
IMPORT_FORMATS = {"moodle": moodle, "gift": gift}
# A file is read whole and imported in one transaction; this bounds both (an operator can set
# QUIZ_IMPORT_MAX_QUESTIONS).
IMPORT_MAX_QUESTIONS = 1000


@dataclass(frozen=True)
class ExportResult:
    filename: str
    content_type: str
    data: bytes
    warnings: list[str]


def quiz_export(quiz: Quiz, fmt: str) -> ExportResult:
    """``quiz`` as a file in ``fmt`` ("qti", "moodle" or "gift").

    Contract: the questions in QuizItem order, each as its current version, with its points
    where the format has them; quiz settings where the format has them. ``warnings`` lists, one
    line per kind of loss and naming the questions concerned, everything the format cannot
    carry (source citations, units, tags, settings, …). Read-only; the caller has checked that
    the user may see ``quiz`` (it is looked up in the current school's schema). Raises
    ValidationError for an unknown format or a quiz without questions."""
    if fmt not in EXPORT_FORMATS:
        raise ValidationError(
            {"format": f"Unknown export format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}."}
        )
    writer, content_type, suffix = EXPORT_FORMATS[fmt]
    items = export_items(quiz)
    data, warnings = writer.export(quiz, items)
    name = slugify(quiz.title)[:80] or f"quiz-{quiz.pk}"
    return ExportResult(
        filename=name + suffix, content_type=content_type, data=data, warnings=warnings
    )


def _size(n: int) -> str:
    return f"{n / 1_048_576:.1f} MB" if n >= 1_048_576 else f"{n / 1024:.1f} KB"


def _reason(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return " ".join(msg for msgs in exc.message_dict.values() for msg in msgs)
    return " ".join(exc.messages)


def questions_import(
    course: Course, fmt: str, data: bytes, *, imported_by: User | None
) -> ImportReport:
    """Add the questions of a Moodle XML ("moodle") or GIFT ("gift") file to ``course``'s bank.

    Contract:
    - the whole file is read first; a file that is too large (``QUIZ_IMPORT_MAX_BYTES``), not
      well-formed ("line 12: unclosed {"), XML with a DOCTYPE or entities, or without any
      question raises ValidationError and imports nothing;
    - every question then goes through ``services.question_create`` (origin "imported", status
      "draft", created by ``imported_by``), so its content is validated and sanitised like any
      other; one the bank cannot hold (unsupported type, no correct answer, content the checks
      refuse) is reported "skipped" with the reason, the others "imported";
    - what a question had that the bank cannot keep (images, partial credit, penalties,
      per-answer feedback, …) is listed in its ``warnings``;
    - one transaction: all the importable questions are added, or (on any error) none.
    The caller has checked that ``imported_by`` may edit ``course`` in the current school."""
    if fmt not in IMPORT_FORMATS:
        raise ValidationError(
            {"format": f"Unknown import format {fmt!r}; use one of {', '.join(IMPORT_FORMATS)}."}
        )
    limit = settings.QUIZ_IMPORT_MAX_BYTES
    if len(data) > limit:
        raise ValidationError(
            f"The file is {_size(len(data))}; the limit is {_size(limit)}. "
            "Split it into smaller files."
        )
    if not data.strip():
        raise ValidationError("The file is empty.")
    most = getattr(settings, "QUIZ_IMPORT_MAX_QUESTIONS", IMPORT_MAX_QUESTIONS)
    parsed, file_warnings = IMPORT_FORMATS[fmt].parse(data, max_questions=most)
    if not parsed:
        raise ValidationError("The file holds no questions.")
    report = ImportReport(format=fmt, warnings=file_warnings)
    with transaction.atomic():
        for item in parsed:
            entry = ImportedQuestion(
                number=item.number,
                line=item.line,
                title=item.title,
                source_type=item.source_type,
                status="skipped",
                kind=item.kind,
                warnings=list(item.warnings),
            )
            report.questions.append(entry)
            if item.skip_reason:
                entry.reason = item.skip_reason
                continue
            try:
                question = services.question_create(
                    course=course,
                    kind=item.kind,
                    stem=item.stem,
                    options=item.options,
                    answer=item.answer,
                    explanation=item.explanation,
                    created_by=imported_by,
                    status=Question.Status.DRAFT,
                    origin=Question.Origin.IMPORTED,
                    **item.tags,
                )
            except ValidationError as exc:
                entry.reason = _reason(exc)
                continue
            entry.status = "imported"
            entry.question_id = question.pk
    return report
