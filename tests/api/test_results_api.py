"""Results through the API: a quiz's, a course's and a student's attempts, filtered, ordered and
paginated like every list, or exported as a CSV (the same rows, streamed, formula-safe, with a
file name). Managers and API keys read everyone's; a student only their own; teachers only
their courses'; another school nothing."""

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.services import user_create
from courses import services as course_services
from quizzes import services as quiz_services
from quizzes.attempts.selectors import attempt_questions
from quizzes.attempts.services import answer_save, attempt_start, attempt_submit
from quizzes.models import Attempt, Quiz

from .conftest import api
from .test_attempts_api import course_with_students, error, make_quiz, snapshot

BASE = (timezone.now() - dt.timedelta(minutes=30)).replace(microsecond=0)


def at(minutes: float) -> dt.datetime:
    return BASE + dt.timedelta(minutes=minutes)


def take(quiz: Quiz, student, answers: dict, *, start: float, submit: float | None = None):
    """An attempt by ``student`` started at ``start`` minutes, with ``answers`` by position,
    submitted at ``submit`` minutes (or left in progress). Runs in the quiz's schema."""
    attempt = attempt_start(quiz, student, now=at(start))
    by_position = {aq.position: aq for aq in attempt_questions(attempt)}
    for position, response in answers.items():
        answer_save(attempt, by_position[position], response, now=at(start + 1))
    if submit is not None:
        attempt, _ = attempt_submit(attempt, now=at(submit))
    return attempt


RIGHT = {1: {"option": "a"}, 2: {"value": "100"}}


@pytest.fixture
def results(school_a):
    """Biology with three students (one with a name a spreadsheet would run), two quizzes
    and a range of attempts; Chemistry, taught by someone else, with one more attempt."""
    course = course_with_students(school_a)
    with schema_context(school_a.schema):
        ada = user_create(
            username="ada",
            role="student",
            first_name="=HYPERLINK(1)",
            last_name="Zed",
            external_id="@SIS-1",
        )
        course_services.enrollment_add(course=course, user=ada, role="student")
    # closes in 1.5 hours (so nothing is past its deadline now), late work for an hour more
    quiz = make_quiz(
        school_a,
        course,
        attempts_allowed=2,
        closes_at=at(120),
        late_minutes=60,
        late_penalty_percent=50,
    )
    second = make_quiz(school_a, course, kinds=("single",))
    with schema_context(school_a.schema):
        other = course_services.course_create(code="CHEM-1", name="Chemistry")
        chemist = user_create(username="chem-teacher", role="teacher")
        course_services.enrollment_add(course=other, user=chemist, role="teacher")
        course_services.enrollment_add(course=other, user=school_a.students[0], role="student")
    chemistry = make_quiz(school_a, other)
    sam1, sam2 = school_a.students
    with schema_context(school_a.schema):
        rows = {
            "sam1_first": take(quiz, sam1, RIGHT, start=0, submit=10),  # 100 %
            "sam1_second": take(quiz, sam1, {2: RIGHT[2]}, start=20, submit=25),  # 50 %
            "sam2_late": take(quiz, sam2, {1: RIGHT[1]}, start=125, submit=130),  # late: 25 %
            "ada_open": take(quiz, ada, {}, start=5),  # in progress
            "sam2_second_quiz": take(second, sam2, {1: {"option": "b"}}, start=3, submit=4),
            "sam1_chemistry": take(chemistry, sam1, RIGHT, start=1, submit=2),
        }
    return {
        "course": course,
        "quiz": quiz,
        "second": second,
        "other": other,
        "chemistry": chemistry,
        "chemist": chemist,
        "ada": ada,
        **{name: attempt.pk for name, attempt in rows.items()},
    }


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.content
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


# --- lists and filters ---------------------------------------------------------------------


def test_a_quizs_attempts_are_listed_by_student_with_their_results(school_a, results, reader):
    listed = reader.get(f"/api/v1/quizzes/{results['quiz'].pk}/attempts/")
    assert listed.status_code == 200
    body = listed.json()
    assert (body["count"], body["next"], body["previous"]) == (4, None, None)
    # By last name, then first name: Alpha Sam1 (twice), Alpha Sam2, Zed.
    assert [row["id"] for row in body["results"]] == [
        results["sam1_first"],
        results["sam1_second"],
        results["sam2_late"],
        results["ada_open"],
    ]
    first, second, late, open_ = body["results"]
    assert set(first) == {
        "id",
        "quiz",
        "quiz_title",
        "course",
        "student",
        "number",
        "state",
        "started_at",
        "deadline",
        "submitted_at",
        "submit_reason",
        "late",
        "score",
        "max_score",
        "percent",
    }
    assert first["student"] == {
        "id": school_a.students[0].pk,
        "username": "alpha-student1",
        "name": "Sam1 Alpha",
        "external_id": None,
    }
    assert (first["number"], first["state"], first["score"], first["percent"]) == (
        1,
        "submitted",
        2.0,
        100.0,
    )
    assert first["submitted_at"] == at(10).isoformat().replace("+00:00", "Z")
    assert (second["number"], second["percent"]) == (2, 50.0)
    assert (late["late"], late["score"], late["percent"]) == (True, 0.5, 25.0)
    assert (open_["state"], open_["score"], open_["percent"], open_["submit_reason"]) == (
        "in_progress",
        None,
        None,
        "",
    )


def test_results_filter_and_order_as_asked(school_a, results, reader):
    url = f"/api/v1/quizzes/{results['quiz'].pk}/attempts/"
    sam2 = school_a.students[1]
    for query, expected in [
        ({"student": sam2.pk}, ["sam2_late"]),
        ({"external_id": "@SIS-1"}, ["ada_open"]),
        ({"state": "in_progress"}, ["ada_open"]),
        ({"late": "true"}, ["sam2_late"]),
        ({"late": "false"}, ["sam1_first", "sam1_second", "ada_open"]),
        ({"submitted_after": at(10).isoformat()}, ["sam1_first", "sam1_second", "sam2_late"]),
        ({"submitted_before": at(10).isoformat()}, []),
        (
            {"submitted_after": at(11).isoformat(), "submitted_before": at(126).isoformat()},
            ["sam1_second"],
        ),
        ({"min_percent": "50"}, ["sam1_first", "sam1_second"]),
        ({"max_percent": "50", "min_percent": "25"}, ["sam1_second", "sam2_late"]),
        ({"ordering": "-percent"}, ["sam1_first", "sam1_second", "sam2_late", "ada_open"]),
        ({"ordering": "percent"}, ["sam2_late", "sam1_second", "sam1_first", "ada_open"]),
        ({"ordering": "-submitted_at"}, ["sam2_late", "sam1_second", "sam1_first", "ada_open"]),
        ({"ordering": "started_at"}, ["sam1_first", "ada_open", "sam1_second", "sam2_late"]),
    ]:
        assert ids(reader.get(url, query)) == [results[name] for name in expected], query
    page = reader.get(url, {"page_size": 3, "page": 2}).json()
    assert (page["count"], [row["id"] for row in page["results"]]) == (4, [results["ada_open"]])


def test_bad_filters_are_refused_by_name(results, reader):
    url = f"/api/v1/quizzes/{results['quiz'].pk}/attempts/"
    for query, message in [
        ({"grade": "A"}, "grade: Unknown field; the accepted fields are: external_id, format"),
        ({"state": "done"}, 'state: "done" is not a valid choice.'),
        ({"submitted_after": "yesterday"}, "submitted_after: Datetime has wrong format."),
        (
            {"submitted_after": at(5).isoformat(), "submitted_before": at(5).isoformat()},
            "submitted_before: submitted_before must be later than submitted_after.",
        ),
        ({"min_percent": "80", "max_percent": "20"}, "max_percent: max_percent must not be"),
        ({"ordering": "name"}, 'ordering: "name" is not a valid choice.'),
        ({"format": "xlsx"}, 'format: "xlsx" is not a valid choice.'),
        ({"student": "x"}, "student: A valid integer is required."),
    ]:
        status, code, text = error(reader.get(url, query))
        assert (status, code) == (400, "validation_error"), query
        assert text.startswith(message), text


def test_with_questions_each_row_carries_every_questions_score(results, reader):
    listed = reader.get(
        f"/api/v1/quizzes/{results['quiz'].pk}/attempts/",
        {"questions": "true", "student": results["ada"].pk},
    )
    (open_,) = listed.json()["results"]
    assert [
        (q["position"], q["points"], q["score"], q["points_earned"]) for q in open_["questions"]
    ] == [(1, 1.0, None, None), (2, 1.0, None, None)]
    second = reader.get(
        f"/api/v1/quizzes/{results['quiz'].pk}/attempts/",
        {"questions": "true", "ordering": "percent", "state": "submitted"},
    ).json()["results"]
    assert [[q["points_earned"] for q in row["questions"]] for row in second] == [
        [1.0, None],  # late: the per-question points are before the penalty
        [None, 1.0],
        [1.0, 1.0],
    ]


def test_a_courses_and_a_students_attempts_span_quizzes(school_a, results, reader):
    teacher = school_a.client(school_a.teacher)
    course_url = f"/api/v1/courses/{results['course'].pk}/attempts/"
    assert ids(reader.get(course_url, {"ordering": "started_at"})) == [
        results["sam1_first"],
        results["sam2_second_quiz"],
        results["ada_open"],
        results["sam1_second"],
        results["sam2_late"],
    ]
    assert ids(reader.get(course_url, {"quiz": results["second"].pk})) == [
        results["sam2_second_quiz"]
    ]
    assert ids(reader.get(course_url, {"quiz": results["chemistry"].pk})) == []

    student_url = f"/api/v1/students/{school_a.students[0].pk}/attempts/"
    everything = [results["sam1_chemistry"], results["sam1_first"], results["sam1_second"]]
    assert ids(reader.get(student_url, {"ordering": "submitted_at"})) == everything
    assert ids(reader.get(student_url, {"course": results["other"].pk})) == everything[:1]
    # The Biology teacher sees this student's Biology attempts, not their Chemistry one.
    assert ids(teacher.get(student_url, {"ordering": "submitted_at"})) == everything[1:]
    chemist = school_a.client(results["chemist"])
    assert ids(chemist.get(student_url)) == everything[:1]
    assert error(chemist.get(f"/api/v1/students/{results['ada'].pk}/attempts/")) == (
        404,
        "not_found",
        f"No student with id {results['ada'].pk} in this school.",
    )


# --- the CSV export ------------------------------------------------------------------------


def test_the_csv_export_holds_the_same_rows_safe_for_spreadsheets(school_a, results, reader):
    url = f"/api/v1/quizzes/{results['quiz'].pk}/attempts/"
    exported = reader.get(url, {"format": "csv", "page_size": 1})
    assert exported["Content-Type"] == "text/csv; charset=utf-8"
    assert exported["Content-Disposition"] == (
        f'attachment; filename="cells-unit-1-{results["quiz"].pk}-attempts.csv"'
    )
    assert exported["Cache-Control"] == "no-store"
    rows = csv_rows(exported)
    assert rows[0] == [
        "attempt",
        "quiz",
        "quiz_title",
        "student",
        "external_id",
        "username",
        "name",
        "number",
        "state",
        "started_at",
        "submitted_at",
        "submit_reason",
        "late",
        "score",
        "max_score",
        "percent",
    ]
    sam1 = school_a.students[0]
    # Every row, whatever page_size says; the JSON's order.
    assert [int(row[0]) for row in rows[1:]] == [
        results[n] for n in ("sam1_first", "sam1_second", "sam2_late", "ada_open")
    ]
    assert rows[1] == [
        str(results["sam1_first"]),
        str(results["quiz"].pk),
        "Cells: unit 1",
        str(sam1.pk),
        "",
        "alpha-student1",
        "Sam1 Alpha",
        "1",
        "submitted",
        at(0).isoformat().replace("+00:00", "Z"),
        at(10).isoformat().replace("+00:00", "Z"),
        "student",
        "false",
        "2.0",
        "2.0",
        "100.0",
    ]
    assert rows[3][12:] == ["true", "0.5", "2.0", "25.0"]
    # A name that starts like a formula is text in a spreadsheet, not a formula.
    assert rows[4][4:7] == ["'@SIS-1", "ada", "'=HYPERLINK(1) Zed"]
    assert rows[4][8:] == ["in_progress", at(5).isoformat().replace("+00:00", "Z"), ""] + [
        "",
        "false",
        "",
        "2.0",
        "",
    ]

    filtered = csv_rows(reader.get(url, {"format": "csv", "late": "true"}))
    assert [int(row[0]) for row in filtered[1:]] == [results["sam2_late"]]
    accepted = reader.get(url, HTTP_ACCEPT="text/csv")
    assert csv_rows(accepted) == rows
    # An explicit ?format= wins over the Accept header.
    assert reader.get(url, {"format": "json"}, HTTP_ACCEPT="text/csv").json()["count"] == 4


def test_the_csv_export_can_add_a_column_per_question(school_a, results, reader):
    quiz = results["quiz"]
    with schema_context(school_a.schema):
        first, numeric = [item.question_id for item in quiz.items.order_by("position")]
        quiz_services.quiz_question_remove(quiz, numeric)
    rows = csv_rows(
        reader.get(
            f"/api/v1/quizzes/{quiz.pk}/attempts/",
            {"format": "csv", "questions": "true", "ordering": "-percent"},
        )
    )
    assert rows[0][16:] == [
        f"Q1 (question {first})",
        f"question {numeric} (no longer in the quiz)",
    ]
    assert [row[16:] for row in rows[1:]] == [
        ["1.0", "1.0"],
        ["", "1.0"],
        ["1.0", ""],
        ["", ""],
    ]


def test_course_and_student_exports_are_named_after_them(school_a, results, reader):
    course = reader.get(f"/api/v1/courses/{results['course'].pk}/attempts/", {"format": "csv"})
    assert course["Content-Disposition"] == 'attachment; filename="bio-101-attempts.csv"'
    assert len(csv_rows(course)) == 1 + 5
    student = reader.get(
        f"/api/v1/students/{school_a.students[1].pk}/attempts/", HTTP_ACCEPT="text/csv"
    )
    assert student["Content-Disposition"] == (
        f'attachment; filename="student-{school_a.students[1].pk}-attempts.csv"'
    )
    assert [row[2] for row in csv_rows(student)[1:]] == ["Cells: unit 1", "Cells: unit 1"]


# --- who may -------------------------------------------------------------------------------


def test_students_read_only_their_own_results(school_a, results):
    sam2 = school_a.client(school_a.students[1])
    quiz_url = f"/api/v1/quizzes/{results['quiz'].pk}/attempts/"
    assert ids(sam2.get(quiz_url)) == [results["sam2_late"]]
    # Asking for someone else's rows finds nothing rather than someone else's rows.
    assert ids(sam2.get(quiz_url, {"student": school_a.students[0].pk})) == []
    assert [int(r[0]) for r in csv_rows(sam2.get(quiz_url, {"format": "csv"}))[1:]] == [
        results["sam2_late"]
    ]
    assert ids(sam2.get(f"/api/v1/courses/{results['course'].pk}/attempts/")) == [
        results["sam2_late"],
        results["sam2_second_quiz"],
    ]
    assert ids(sam2.get(f"/api/v1/students/{school_a.students[1].pk}/attempts/")) == [
        results["sam2_late"],
        results["sam2_second_quiz"],
    ]
    assert error(sam2.get(f"/api/v1/students/{school_a.students[0].pk}/attempts/"))[:2] == (
        404,
        "not_found",
    )
    assert error(sam2.get(f"/api/v1/attempts/{results['sam1_first']}/"))[:2] == (404, "not_found")


def test_who_reads_results_persona_by_persona(school_a, results, reader, writer):
    with schema_context(school_a.schema):
        loner = user_create(username="loner", role="student")
    quiz_url = f"/api/v1/quizzes/{results['quiz'].pk}/attempts/"
    course_url = f"/api/v1/courses/{results['course'].pk}/attempts/"
    chemist = school_a.client(results["chemist"])
    for client, quiz_status, course_status in [
        (reader, 200, 200),
        (writer, 200, 200),
        (school_a.client(school_a.admin), 200, 200),
        (school_a.client(school_a.teacher), 200, 200),
        (chemist, 404, 404),  # not their course
        (school_a.client(loner), 404, 404),  # not their course
        (api(school_a), 401, 401),
        (api(school_a, "not.a-key"), 401, 401),
    ]:
        assert client.get(quiz_url).status_code == quiz_status
        assert client.get(course_url).status_code == course_status
    assert len(ids(school_a.client(school_a.teacher).get(quiz_url))) == 4
    assert error(api(school_a).get(quiz_url, {"format": "csv"}))[:2] == (401, "not_authenticated")
    # Listing is reading: nobody's POST turns a list into a write.
    assert error(reader.post(quiz_url))[:2] == (403, "permission_denied")


def test_school_b_cannot_see_school_a_results(school_a, school_b, results, keys_b):
    with schema_context(school_b.schema):
        from accounts.models import User
        from courses.models import Course

        # These ids mean nothing in school B, so a 404 there proves the isolation.
        assert not Quiz.objects.filter(pk=results["quiz"].pk).exists()
        assert not Course.objects.filter(pk=results["course"].pk).exists()
        assert not User.objects.filter(pk=results["ada"].pk).exists()
    before = snapshot(school_a)
    for client in (api(school_b, keys_b.read), school_b.client(school_b.admin)):
        for url in (
            f"/api/v1/quizzes/{results['quiz'].pk}/attempts/",
            f"/api/v1/courses/{results['course'].pk}/attempts/",
            f"/api/v1/students/{results['ada'].pk}/attempts/",
            f"/api/v1/attempts/{results['sam1_first']}/",
        ):
            assert client.get(url).status_code == 404, url
            assert client.get(url, {"format": "csv"}).status_code == 404, url
    assert snapshot(school_a) == before


def test_a_list_submits_attempts_left_open_past_their_deadline_first(school_a, results, reader):
    with schema_context(school_a.schema):
        Attempt.objects.filter(pk=results["ada_open"]).update(
            deadline=timezone.now() - dt.timedelta(seconds=1)
        )
    listed = reader.get(
        f"/api/v1/quizzes/{results['quiz'].pk}/attempts/", {"student": results["ada"].pk}
    )
    (row,) = listed.json()["results"]
    assert (row["state"], row["submit_reason"], row["score"], row["percent"]) == (
        "submitted",
        "deadline",
        0.0,
        0.0,
    )


# --- streamed through the real server ------------------------------------------------------


@pytest.mark.live
def test_a_large_csv_export_streams_through_the_asgi_server(
    live_server_process, fresh_school, committed
):
    from .test_attempts_api import _http

    school = fresh_school("apicsv")
    course = course_with_students(school)
    quiz = make_quiz(school, course, kinds=("single",), attempts_allowed=0)
    with schema_context(school.schema):
        from tenants.services import api_key_create

        # Rows enough for several pieces of the stream (200 rows each).
        Attempt.objects.bulk_create(
            Attempt(
                quiz=quiz,
                student=school.students[n % 2],
                number=n + 1,
                state=Attempt.State.SUBMITTED,
                started_at=at(n),
                submitted_at=at(n + 1),
                score=float(n % 3),
                max_score=2.0,
                submit_reason="student",
            )
            for n in range(650)
        )
    _, key = api_key_create(school=school.model, name="export", scope="read")

    status, headers, raw = _http(
        live_server_process.port,
        school,
        "GET",
        f"/api/v1/quizzes/{quiz.pk}/attempts/?format=csv&ordering=started_at",
        headers={"Authorization": f"Api-Key {key}"},
    )
    assert status == 200, raw[:500]
    assert headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "Content-Length" not in headers  # streamed, not buffered whole
    rows = list(csv.reader(io.StringIO(raw.decode())))
    assert len(rows) == 1 + 650
    assert [row[7] for row in rows[1:4]] == ["1", "2", "3"]
    assert rows[-1][13:] == ["1.0", "2.0", "50.0"]  # attempt 650: n = 649, 649 % 3 = 1
