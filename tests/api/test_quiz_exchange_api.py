"""Exchange formats through the API: a quiz downloads as QTI 2.1, Moodle XML or GIFT with what
the format could not carry listed beside the file; Moodle XML and GIFT files import into the
bank with a question-by-question report; a quiz exported and imported again through the API
comes back the same; and only the people who run a course move its keys in or out."""

import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from courses import services as course_services
from quizzes import services as quiz_services
from quizzes.api.views import EXPORT_WARNINGS_HEADER_MAX_BYTES, warnings_header
from quizzes.models import Question

from .conftest import api

GIFT = """// A partner's question bank
::Powerhouse::What do mitochondria produce? {=ATP ~DNA ~Glucose}

::Membrane::Cells are surrounded by a membrane. {TRUE}

::Boiling::At what temperature in °C does water boil at sea level? {#100:0.5}

::Essay::Discuss the origin of life. {}
"""


@pytest.fixture
def course(school_a):
    with schema_context(school_a.schema):
        course = course_services.course_create(
            code="BIO-101", name="Biology", created_by=school_a.teacher
        )
        course_services.enrollment_add(course=course, user=school_a.students[0])
    return course


def quiz_with_questions(school, course, title: str = "Cells: unit 1"):
    with schema_context(school.schema):
        made = [
            quiz_services.question_create(
                course=course,
                kind="single",
                stem="What do mitochondria produce?",
                options=[
                    {"text": "ATP", "correct": True, "feedback": "Yes."},
                    {"text": "DNA"},
                    {"text": "Glucose"},
                ],
                explanation="Respiration stores energy in ATP.",
                topic="Cells",
                source={"page": 2, "quote": "Mitochondria are the powerhouses of the cell."},
            ),
            quiz_services.question_create(
                course=course,
                kind="short_answer",
                stem="Which organelle holds the DNA?",
                answer={"accepted": ["nucleus", "cell nucleus"]},
                difficulty="hard",
            ),
            quiz_services.question_create(
                course=course,
                kind="numeric",
                stem="How many kelvin is 0 °C?",
                answer={"value": 273.15, "tolerance": 0.5},
            ),
        ]
        quiz = quiz_services.quiz_create(course=course, title=title)
        quiz_services.quiz_questions_add(quiz, [q.pk for q in made])
    return quiz


def export(client, quiz_id: int, fmt: str):
    return client.get(f"/api/v1/quizzes/{quiz_id}/export/", {"format": fmt})


def import_file(client, course_id: int, name: str, content: bytes, fmt: str):
    return client.post(
        f"/api/v1/courses/{course_id}/questions/import/",
        {"file": SimpleUploadedFile(name, content), "format": fmt},
    )


def bank(school, course) -> list[tuple]:
    with schema_context(school.schema):
        questions = (
            Question.objects.filter(course=course).select_related("current_version").order_by("pk")
        )
        return [
            (q.kind, q.origin, q.current_version.stem, q.current_version.options)
            + (q.current_version.answer,)
            for q in questions
        ]


# --- export -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "content_type", "filename"),
    [
        ("qti", "application/zip", "cells-unit-1-qti21.zip"),
        ("moodle", "application/xml", "cells-unit-1-moodle.xml"),
        ("gift", "text/plain; charset=utf-8", "cells-unit-1-gift.txt"),
    ],
)
def test_a_quiz_downloads_with_what_the_format_lost_beside_it(
    school_a, course, reader, fmt, content_type, filename
):
    quiz = quiz_with_questions(school_a, course)

    response = export(reader, quiz.pk, fmt)

    assert response.status_code == 200, response.content
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert response["Cache-Control"] == "no-store"
    warnings = json.loads(response["X-SmartEdu-Export-Warnings"])
    assert response["X-SmartEdu-Export-Warning-Count"] == str(len(warnings))
    # The cited source of question 1 has no place in any of these formats.
    assert any("Source citations" in w and "(question 1)" in w for w in warnings), warnings
    listed = reader.get(f"/api/v1/quizzes/{quiz.pk}/export/warnings/", {"format": fmt})
    assert listed.status_code == 200
    assert listed.json() == {"format": fmt, "filename": filename, "warnings": warnings}
    if fmt == "qti":
        names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
        assert "imsmanifest.xml" in names
    elif fmt == "moodle":
        assert b"<quiz>" in response.content and b"mitochondria" in response.content
    else:
        assert "What do mitochondria produce?" in response.content.decode()


def test_warnings_too_long_for_a_header_are_cut_and_counted():
    many = [f"Warning number {n} about question {n}: “ünïcode” is fine." for n in range(200)]
    header = warnings_header(many)
    assert header.isascii()
    kept = json.loads(header)
    assert 0 < len(kept) < len(many) and kept == many[: len(kept)]
    assert len(header) <= EXPORT_WARNINGS_HEADER_MAX_BYTES
    assert json.loads(warnings_header(["one", "two"])) == ["one", "two"]
    assert warnings_header([]) == "[]"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "format: Say which format: add ?format=qti, ?format=moodle or ?format=gift."),
        ({"format": "docx"}, "format: Unknown export format “docx”; use qti, moodle or gift."),
        ({"format": "gift", "as": "zip"}, "as: Unknown field; the accepted fields are: format."),
    ],
)
def test_an_export_needs_a_known_format(school_a, course, reader, params, message):
    quiz = quiz_with_questions(school_a, course)
    response = reader.get(f"/api/v1/quizzes/{quiz.pk}/export/", params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["message"] == message


def test_an_empty_quiz_has_nothing_to_export(school_a, course, reader):
    with schema_context(school_a.schema):
        quiz = quiz_services.quiz_create(course=course, title="Empty")
    response = export(reader, quiz.pk, "gift")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "The quiz has no questions to export."


def test_only_the_people_who_run_the_course_export_its_keys(school_a, school_b, course, keys_b):
    quiz = quiz_with_questions(school_a, course)
    with schema_context(school_a.schema):
        quiz_services.quiz_publish(quiz)
    student = school_a.client(school_a.students[0])  # can read the published quiz
    assert student.get(f"/api/v1/quizzes/{quiz.pk}/").status_code == 200
    assert export(student, quiz.pk, "gift").status_code == 403
    assert export(school_a.client(school_a.students[1]), quiz.pk, "gift").status_code == 404
    assert export(school_a.client(school_a.teacher), quiz.pk, "gift").status_code == 200
    beta = api(school_b, keys_b.read)
    with schema_context(school_b.schema):
        own = course_services.course_create(code="GEO-1", name="Geology")
        own_quiz = quiz_services.quiz_create(course=own, title="Volcanoes")
    if own_quiz.pk != quiz.pk:
        assert export(beta, quiz.pk, "moodle").status_code == 404
        warnings = beta.get(f"/api/v1/quizzes/{quiz.pk}/export/warnings/", {"format": "gift"})
        assert warnings.status_code == 404


# --- import -------------------------------------------------------------------------------


def test_a_gift_file_imports_question_by_question(school_a, course, writer):
    response = import_file(writer, course.pk, "bank.gift", GIFT.encode(), "gift")

    assert response.status_code == 201, response.content
    report = response.json()
    assert set(report) == {"format", "imported", "skipped", "warnings", "questions"}
    assert (report["format"], report["imported"], report["skipped"]) == ("gift", 3, 1)
    entries = report["questions"]
    assert [(e["number"], e["title"], e["status"], e["kind"]) for e in entries[:3]] == [
        (1, "Powerhouse", "imported", "single"),
        (2, "Membrane", "imported", "true_false"),
        (3, "Boiling", "imported", "numeric"),
    ]
    assert set(entries[0]) == {
        "number",
        "line",
        "title",
        "source_type",
        "status",
        "kind",
        "question_id",
        "reason",
        "warnings",
    }
    essay = entries[3]
    assert (essay["status"], essay["question_id"]) == ("skipped", None)
    assert essay["reason"]
    imported = writer.get(f"/api/v1/questions/{entries[2]['question_id']}/").json()
    assert (imported["origin"], imported["status"], imported["answer"]) == (
        "imported",
        "draft",
        {"value": 100.0, "tolerance": 0.5, "unit": ""},
    )
    assert [row[0] for row in bank(school_a, course)] == ["single", "true_false", "numeric"]


@pytest.mark.parametrize(
    ("name", "content", "fmt", "status", "message"),
    [
        ("bank.gift", GIFT.encode(), "csv", 400, "format: Unknown import format “csv”; use "),
        ("bank.gift", GIFT.encode(), "", 400, "format: Unknown import format “”; use moodle"),
        ("bank.xml", b"<quiz><question type='multichoice'>", "moodle", 400, "line "),
        ("bank.gift", b"   ", "gift", 400, "The file is empty."),
        ("bank.xml", b"<quiz></quiz>", "moodle", 400, "The file holds no questions."),
        (
            "evil.xml",
            b'<?xml version="1.0"?><!DOCTYPE q [<!ENTITY x "y">]><quiz>&x;</quiz>',
            "moodle",
            400,
            "The file declares a DOCTYPE or entities",
        ),
    ],
)
def test_a_file_that_cannot_be_imported_adds_nothing(
    school_a, course, writer, name, content, fmt, status, message
):
    response = import_file(writer, course.pk, name, content, fmt)
    assert response.status_code == status
    assert response.json()["error"]["message"].startswith(message), response.json()
    assert bank(school_a, course) == []


def test_an_import_file_over_the_limit_is_refused_before_it_is_read(
    school_a, course, writer, settings
):
    settings.QUIZ_IMPORT_MAX_BYTES = 100
    response = import_file(writer, course.pk, "bank.gift", GIFT.encode(), "gift")
    assert response.status_code == 413
    assert response.json()["error"] == {
        "code": "too_large",
        "message": f"bank.gift is {len(GIFT.encode())} bytes; an import file may be at most 100.",
    }
    missing = writer.post(f"/api/v1/courses/{course.pk}/questions/import/", {"format": "gift"})
    assert missing.json()["error"]["message"] == (
        "file: Attach the file as a `file` part of a multipart/form-data request."
    )
    assert bank(school_a, course) == []


def test_only_the_people_who_run_the_course_import(school_a, school_b, course, reader, keys_b):
    student = school_a.client(school_a.students[0])
    outsider = school_a.client(school_a.students[1])
    beta = api(school_b, keys_b.read_write)
    with schema_context(school_b.schema):
        own = course_services.course_create(code="GEO-1", name="Geology")
    refusals = [(reader, 403), (student, 403), (outsider, 404)]
    if own.pk != course.pk:
        refusals.append((beta, 404))
    for client, code in refusals:
        response = import_file(client, course.pk, "bank.gift", GIFT.encode(), "gift")
        assert response.status_code == code
    assert bank(school_a, course) == []


# --- the round trip -----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["moodle", "gift"])
def test_a_quiz_exported_and_imported_through_the_api_comes_back_the_same(
    school_a, course, writer, fmt
):
    quiz = quiz_with_questions(school_a, course)
    with schema_context(school_a.schema):
        other = course_services.course_create(code="BIO-201", name="Biology II")

    exported = export(writer, quiz.pk, fmt)
    assert exported.status_code == 200
    imported = import_file(writer, other.pk, f"round-trip.{fmt}", exported.content, fmt)

    assert imported.status_code == 201, imported.content
    assert (imported.json()["imported"], imported.json()["skipped"]) == (3, 0)
    original, copied = bank(school_a, course), bank(school_a, other)
    assert {row[1] for row in copied} == {"imported"}
    without_origin = [(kind, stem, options, answer) for kind, _, stem, options, answer in copied]
    assert without_origin == [(row[0], *row[2:]) for row in original]
    listed = writer.get(f"/api/v1/courses/{other.pk}/questions/", {"kind": "short_answer"})
    (short,) = listed.json()["results"]
    assert (short["answer"]["accepted"], short["difficulty"]) == (
        ["nucleus", "cell nucleus"],
        "hard",
    )
