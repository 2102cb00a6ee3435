"""Progress and question statistics through the API: each student's mastery in a course
(overall, per topic and objective, answers and attempts; JSON or CSV), one student's mastery in
every course, and how each question of a quiz performed. A student reads only their own
progress and no statistics; teachers only their courses; another school nothing."""

import csv
import io
import json
import time

import pytest
from django_tenants.utils import schema_context

from accounts.services import user_create
from courses import services as course_services
from quizzes.progress.services import mastery_refresh

from .conftest import api
from .test_attempts_api import _http, course_with_students, error, make_quiz
from .test_results_api import RIGHT, take


@pytest.fixture
def progress(school_a):
    """Biology: Sam1 got everything right, Sam2 half, Zed (=Formula) answered everything right
    in an attempt still in progress (so nothing counts yet). Chemistry (taught by someone
    else): Sam1 got everything right."""
    course = course_with_students(school_a)
    quiz = make_quiz(school_a, course)
    with schema_context(school_a.schema):
        zed = user_create(
            username="zed",
            role="student",
            first_name="=Formula",
            last_name="Zed",
            external_id="Z-1",
        )
        course_services.enrollment_add(course=course, user=zed, role="student")
        chemistry = course_services.course_create(code="CHEM-1", name="Chemistry")
        chemist = user_create(username="chem-teacher", role="teacher")
        course_services.enrollment_add(course=chemistry, user=chemist, role="teacher")
        course_services.enrollment_add(course=chemistry, user=school_a.students[0], role="student")
    chem_quiz = make_quiz(school_a, chemistry)
    sam1, sam2 = school_a.students
    with schema_context(school_a.schema):
        take(quiz, sam1, RIGHT, start=0, submit=5)
        take(quiz, sam2, {1: {"option": "b"}, 2: RIGHT[2]}, start=0, submit=5)
        take(chem_quiz, sam1, RIGHT, start=0, submit=5)
        # Zed's answers can still change (in progress, feedback after submit): they count not.
        take(quiz, zed, RIGHT, start=0)
        # What the refresh task does after each graded answer and submitted attempt.
        for student, course_ in ((sam1, course), (sam2, course), (sam1, chemistry), (zed, course)):
            mastery_refresh(student.pk, course_.pk)
    return {"course": course, "quiz": quiz, "chemistry": chemistry, "chemist": chemist, "zed": zed}


def mastery(tag: str, percent, earned: float, possible: float, answered: int) -> dict:
    return {
        "tag": tag,
        "percent": percent,
        "earned": earned,
        "possible": possible,
        "questions_answered": answered,
    }


# --- a course ------------------------------------------------------------------------------


def test_a_courses_progress_lists_each_student_with_mastery_per_topic(school_a, progress, reader):
    listed = reader.get(f"/api/v1/courses/{progress['course'].pk}/progress/")
    assert listed.status_code == 200, listed.content
    body = listed.json()
    assert body["count"] == 3
    sam1, sam2, zed = body["results"]
    assert [row["student"]["username"] for row in body["results"]] == [
        "alpha-student1",
        "alpha-student2",
        "zed",
    ]
    assert set(sam1) == {
        "student",
        "overall",
        "questions_answered",
        "attempts_submitted",
        "topics",
        "objectives",
        "updated_at",
    }
    assert sam1["overall"] == mastery("", 100.0, 2.0, 2.0, 2)
    assert (sam1["questions_answered"], sam1["attempts_submitted"]) == (2, 1)
    assert sam1["topics"] == [
        mastery("Cells", 100.0, 1.0, 1.0, 1),
        mastery("Physics", 100.0, 1.0, 1.0, 1),
    ]
    assert sam1["objectives"] == [mastery("Explain respiration", 100.0, 1.0, 1.0, 1)]
    assert sam1["updated_at"]
    assert sam2["overall"] == mastery("", 50.0, 1.0, 2.0, 2)
    assert sam2["topics"][0] == mastery("Cells", 0.0, 0.0, 1.0, 1)
    assert zed == {
        "student": {
            "id": progress["zed"].pk,
            "username": "zed",
            "name": "=Formula Zed",
            "external_id": "Z-1",
        },
        "overall": None,
        "questions_answered": 0,
        "attempts_submitted": 0,
        "topics": [],
        "objectives": [],
        "updated_at": None,
    }
    url = f"/api/v1/courses/{progress['course'].pk}/progress/"
    only = reader.get(url, {"external_id": "Z-1"}).json()["results"]
    assert [row["student"]["id"] for row in only] == [progress["zed"].pk]
    by_id = reader.get(url, {"student": school_a.students[1].pk}).json()["results"]
    assert [row["overall"]["percent"] for row in by_id] == [50.0]
    assert error(reader.get(url, {"topic": "Cells"}))[:2] == (400, "validation_error")


def test_a_courses_progress_exports_as_csv_with_a_column_per_topic(school_a, progress, reader):
    exported = reader.get(
        f"/api/v1/courses/{progress['course'].pk}/progress/", HTTP_ACCEPT="text/csv"
    )
    assert exported.status_code == 200
    assert exported["Content-Disposition"] == 'attachment; filename="bio-101-progress.csv"'
    rows = list(csv.reader(io.StringIO(b"".join(exported.streaming_content).decode())))
    sam1, sam2 = school_a.students
    assert rows == [
        [
            "student",
            "external_id",
            "username",
            "name",
            "overall_percent",
            "earned",
            "possible",
            "questions_answered",
            "attempts_submitted",
            "topic: Cells",
            "topic: Physics",
        ],
        [str(sam1.pk), "", "alpha-student1", "Sam1 Alpha", "100.0", "2.0", "2.0", "2", "1"]
        + ["100.0", "100.0"],
        [str(sam2.pk), "", "alpha-student2", "Sam2 Alpha", "50.0", "1.0", "2.0", "2", "1"]
        + ["0.0", "100.0"],
        [str(progress["zed"].pk), "Z-1", "zed", "'=Formula Zed", "", "", "", "0", "0", "", ""],
    ]


def test_students_read_their_own_progress_only(school_a, progress):
    sam2 = school_a.client(school_a.students[1])
    listed = sam2.get(f"/api/v1/courses/{progress['course'].pk}/progress/").json()
    assert [row["student"]["id"] for row in listed["results"]] == [school_a.students[1].pk]
    own = sam2.get(f"/api/v1/students/{school_a.students[1].pk}/progress/")
    assert own.status_code == 200
    assert [c["course"]["code"] for c in own.json()["courses"]] == ["BIO-101"]
    assert error(sam2.get(f"/api/v1/students/{school_a.students[0].pk}/progress/")) == (
        404,
        "not_found",
        f"No student with id {school_a.students[0].pk} in this school.",
    )


# --- a student -----------------------------------------------------------------------------


def test_a_students_progress_covers_each_course_the_caller_may_see(school_a, progress, reader):
    url = f"/api/v1/students/{school_a.students[0].pk}/progress/"
    body = reader.get(url).json()
    assert body["student"]["username"] == "alpha-student1"
    assert [(c["course"]["code"], c["overall"]["percent"]) for c in body["courses"]] == [
        ("BIO-101", 100.0),
        ("CHEM-1", 100.0),
    ]
    assert body["courses"][0]["course"] == {
        "id": progress["course"].pk,
        "code": "BIO-101",
        "name": "Biology",
    }
    assert body["courses"][1]["attempts_submitted"] == 1
    teacher = school_a.client(school_a.teacher).get(url).json()
    assert [c["course"]["code"] for c in teacher["courses"]] == ["BIO-101"]
    chemist = school_a.client(progress["chemist"])
    assert [c["course"]["code"] for c in chemist.get(url).json()["courses"]] == ["CHEM-1"]
    zed = f"/api/v1/students/{progress['zed'].pk}/progress/"
    assert error(chemist.get(zed))[:2] == (404, "not_found")
    assert error(reader.get(f"/api/v1/students/{school_a.teacher.pk}/progress/"))[:2] == (
        404,
        "not_found",
    )


# --- question statistics -------------------------------------------------------------------


def test_a_quizs_statistics_show_how_each_question_did(school_a, progress, reader):
    stats = reader.get(f"/api/v1/quizzes/{progress['quiz'].pk}/statistics/")
    assert stats.status_code == 200, stats.content
    body = stats.json()
    assert body["quiz"] == progress["quiz"].pk
    assert body["summary"] == {"attempts": 2, "students": 2, "average": 75.0, "median": 75.0}
    assert [(b["low"], b["high"], b["count"]) for b in body["histogram"]][4:] == [
        (40, 50, 0),
        (50, 60, 1),
        (60, 70, 0),
        (70, 80, 0),
        (80, 90, 0),
        (90, 100, 1),
    ]
    single, numeric = body["questions"]
    assert (single["position"], single["kind"], single["answered"], single["facility"]) == (
        1,
        "single",
        2,
        0.5,
    )
    assert [(o["id"], o["correct"], o["count"]) for o in single["options"]] == [
        ("a", True, 1),
        ("b", False, 1),
        ("c", False, 0),
    ]
    assert (numeric["facility"], numeric["skipped"], numeric["flags"]) == (1.0, 0, [])


def test_statistics_are_for_the_people_who_run_the_course(school_a, progress, writer):
    url = f"/api/v1/quizzes/{progress['quiz'].pk}/statistics/"
    assert writer.get(url).status_code == 200
    assert school_a.client(school_a.teacher).get(url).status_code == 200
    assert school_a.client(school_a.admin).get(url).status_code == 200
    assert error(school_a.client(school_a.students[0]).get(url)) == (
        403,
        "permission_denied",
        "Only this course's teachers and the school's admins can do this.",
    )
    assert error(school_a.client(progress["chemist"]).get(url))[:2] == (404, "not_found")
    assert error(api(school_a).get(url))[:2] == (401, "not_authenticated")


# --- another school ------------------------------------------------------------------------


def test_school_b_cannot_see_school_a_progress_or_statistics(school_a, school_b, progress, keys_b):
    with schema_context(school_b.schema):
        from accounts.models import User
        from courses.models import Course
        from quizzes.models import Quiz

        # These ids mean nothing in school B, so a 404 there proves the isolation.
        assert not Course.objects.filter(pk=progress["course"].pk).exists()
        assert not Quiz.objects.filter(pk=progress["quiz"].pk).exists()
        assert not User.objects.filter(pk=progress["zed"].pk).exists()
    for client in (api(school_b, keys_b.read), school_b.client(school_b.admin)):
        for url in (
            f"/api/v1/courses/{progress['course'].pk}/progress/",
            f"/api/v1/courses/{progress['course'].pk}/progress/?format=csv",
            f"/api/v1/students/{progress['zed'].pk}/progress/",
            f"/api/v1/quizzes/{progress['quiz'].pk}/statistics/",
        ):
            assert error(client.get(url))[:2] == (404, "not_found"), url


# --- the whole way round -------------------------------------------------------------------


@pytest.mark.live
def test_an_attempt_submitted_over_the_api_shows_in_progress_after_the_worker_runs(
    live_server_process, celery_worker_process, fresh_school, committed
):
    from tenants.services import api_key_create
    from tests.realtime.ws import session_cookie

    school = fresh_school("apiprog")
    course = course_with_students(school)
    quiz = make_quiz(school, course)
    port = live_server_process.port
    cookie = session_cookie(school, school.students[0])
    _, key = api_key_create(school=school.model, name="SIS", scope="read")
    progress_path = f"/api/v1/students/{school.students[0].pk}/progress/"

    def read_progress() -> dict:
        status, _, raw = _http(
            port, school, "GET", progress_path, headers={"Authorization": f"Api-Key {key}"}
        )
        assert status == 200, raw
        return json.loads(raw)["courses"][0]

    assert read_progress()["overall"] is None
    status, _, raw = _http(
        port, school, "POST", f"/api/v1/quizzes/{quiz.pk}/attempts/", cookie=cookie
    )
    attempt_id = json.loads(raw)["attempt"]
    for position, response in ((1, {"option": "a"}), (2, {"value": "3"})):
        status, _, raw = _http(
            port,
            school,
            "PUT",
            f"/api/v1/attempts/{attempt_id}/answers/{position}/",
            cookie=cookie,
            body={"response": response},
        )
        assert status == 200, raw
    status, _, _ = _http(
        port, school, "POST", f"/api/v1/attempts/{attempt_id}/submit/", cookie=cookie
    )
    assert status == 200

    deadline = time.monotonic() + 45
    entry = read_progress()
    while entry["attempts_submitted"] != 1 or entry["overall"] is None:
        assert time.monotonic() < deadline, entry
        time.sleep(0.5)
        entry = read_progress()
    assert entry["overall"]["percent"] == 50.0
    assert [(t["tag"], t["percent"]) for t in entry["topics"]] == [
        ("Cells", 100.0),
        ("Physics", 0.0),
    ]
