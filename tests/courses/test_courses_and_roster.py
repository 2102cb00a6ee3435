import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django_tenants.utils import schema_context

from accounts.models import User
from courses import selectors, services
from courses.models import Course, Enrollment, RosterImport

pytestmark = pytest.mark.django_db


@pytest.fixture
def biology(school_a):
    with schema_context(school_a.schema):
        course = services.course_create(code="bio-101", name="Biology", created_by=school_a.teacher)
        services.enrollment_add(course=course, user=school_a.students[0])
    return course


def test_teacher_who_creates_a_course_teaches_it(school_a, biology):
    with schema_context(school_a.schema):
        assert biology.code == "BIO-101"
        assert Enrollment.objects.get(course=biology, user=school_a.teacher).role == "teacher"


def test_students_see_only_their_courses(school_a, biology):
    with schema_context(school_a.schema):
        services.course_create(code="CHEM-1", name="Chemistry")
        enrolled, other = school_a.students
        assert [c.code for c in selectors.course_list_for(enrolled)] == ["BIO-101"]
        assert list(selectors.course_list_for(other)) == []
        with pytest.raises(Http404):
            selectors.course_get_for(other, biology.pk)
        assert {c.code for c in selectors.course_list_for(school_a.admin)} == {"BIO-101", "CHEM-1"}


def test_a_student_cannot_be_made_a_teacher_of_a_course(school_a, biology):
    with schema_context(school_a.schema), pytest.raises(ValidationError, match="cannot teach"):
        services.enrollment_add(course=biology, user=school_a.students[1], role="teacher")


def test_duplicate_course_code_is_refused(school_a, biology):
    with schema_context(school_a.schema):
        with pytest.raises(ValidationError, match="already exists"):
            services.course_create(code="Bio-101", name="Again")
        assert Course.objects.count() == 1


def test_school_b_has_none_of_school_a_courses(school_a, school_b, biology):
    with schema_context(school_b.schema):
        assert Course.objects.count() == 0
        with pytest.raises(Http404):
            selectors.course_get_for(school_b.admin, biology.pk)


ROSTER = (
    "external_id,username,email,first_name,last_name,role,course_code,course_role\n"
    "S-1,ann,ann@example.com,Ann,Lee,student,BIO-101,\n"
    "S-2,bob,,Bob,Ray,student,,\n"
    "T-1,alpha-teacher,,,,teacher,BIO-101,teacher\n"
    "S-3,carl,carl@example.com,Carl,Do,wizard,,\n"
    "S-4,dina,,Dina,Su,student,NOPE-9,\n"
    ",,,,,,,\n"
)


def test_roster_import_reports_every_row_and_keeps_the_good_ones(school_a, biology):
    with schema_context(school_a.schema):
        results = services.roster_upsert(services.roster_parse_csv(ROSTER))
        outcomes = [(r.row, r.outcome) for r in results]
        assert outcomes == [
            (1, "created"),
            (2, "created"),
            (3, "updated"),
            (4, "rejected"),
            (5, "rejected"),
            (6, "rejected"),
        ]
        assert "Unknown role 'wizard'" in results[3].reasons[0]
        assert "no course with code 'NOPE-9'" in results[4].reasons[0]
        assert results[5].reasons == ["username or external_id is required"]
        assert User.objects.get(username="ann").enrollments.get().course == biology
        assert User.objects.get(username="alpha-teacher").external_id == "T-1"
        assert not User.objects.filter(username__in=["carl", "dina"]).exists()
        assert services.roster_summary(results) == {
            "created": 2,
            "updated": 1,
            "unchanged": 0,
            "rejected": 3,
        }


def test_roster_import_run_twice_changes_nothing_the_second_time(school_a, biology):
    with schema_context(school_a.schema):
        records = services.roster_parse_csv(ROSTER)
        services.roster_upsert(records)
        again = services.roster_upsert(records)
        assert [r.outcome for r in again][:3] == ["unchanged", "unchanged", "unchanged"]


def test_roster_matches_by_external_id_and_applies_renames(school_a):
    with schema_context(school_a.schema):
        services.roster_upsert([{"external_id": "S-9", "username": "zed", "role": "student"}])
        [result] = services.roster_upsert(
            [{"external_id": "S-9", "username": "zed2", "last_name": "New"}]
        )
        assert result.outcome == "updated" and result.changes == ["last_name", "username"]
        assert User.objects.get(external_id="S-9").username == "zed2"


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "empty"),
        (b"name,age\nx,1\n", "must include a username or external_id column"),
        (b"username\n", "no rows"),
        ("username\nJos\xe9\n".encode("latin-1"), "not UTF-8"),
    ],
)
def test_unreadable_roster_file_is_refused_before_any_work(school_a, content, message):
    with schema_context(school_a.schema):
        with pytest.raises(ValidationError, match=message):
            services.roster_import_create(
                filename="r.csv", content=content, created_by=school_a.admin
            )
        assert RosterImport.objects.count() == 0


def test_roster_import_job_records_its_report(school_a, biology):
    events = []
    with schema_context(school_a.schema):
        roster_import = RosterImport.objects.create(
            filename="r.csv", csv_text=ROSTER, created_by=school_a.admin
        )
        services.roster_import_run(roster_import.pk, report_progress=events.append)
        roster_import.refresh_from_db()
    assert roster_import.state == "done"
    assert roster_import.summary == {"created": 2, "updated": 1, "unchanged": 0, "rejected": 3}
    assert [row["outcome"] for row in roster_import.report][:2] == ["created", "created"]
    assert events[0] == {"state": "running", "done": 0, "total": 6}
    assert events[-1]["state"] == "done" and events[-1]["summary"] == roster_import.summary


def test_a_failed_import_says_why_and_is_no_longer_running(school_a):
    events = []
    with schema_context(school_a.schema):
        roster_import = RosterImport.objects.create(
            filename="r.csv", csv_text=ROSTER, created_by=school_a.admin, state="running"
        )
        services.roster_import_fail(
            roster_import.pk, reason="Stopped.", report_progress=events.append
        )
        roster_import.refresh_from_db()
    assert (roster_import.state, roster_import.error) == ("failed", "Stopped.")
    assert roster_import.finished_at is not None
    assert events == [{"state": "failed", "error": "Stopped."}]
