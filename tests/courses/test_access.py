"""courses.access answers "who may do what" to a course and its material in one call: what a
person may not see does not exist for them (404), what they may see but not change is a 403."""

import pytest
from django_tenants.utils import schema_context

from courses import services
from courses.access import (
    MANAGER_ONLY,
    course_access,
    course_list_managed_by,
    material_access,
    student_access,
)
from courses.models import Material
from smartedu.errors import Forbidden, NotFound
from tenants.api_auth import APIKeyPrincipal
from tenants.models import SchoolAPIKey

pytestmark = pytest.mark.django_db


@pytest.fixture
def biology(school_a):
    with schema_context(school_a.schema):
        course = services.course_create(code="bio-1", name="Biology", created_by=school_a.teacher)
        services.enrollment_add(course=course, user=school_a.students[0])
    return course


def _material(course, state):
    return Material.objects.create(
        course=course,
        title=f"Notes ({state})",
        filename="notes.md",
        kind="markdown",
        file="notes.md",
        size_bytes=10,
        sha256=state.ljust(64, "0"),
        state=state,
    )


def test_the_courses_teacher_and_the_schools_admin_manage_it(school_a, biology):
    with schema_context(school_a.schema):
        assert course_access(school_a.teacher, biology.pk, manage=True) == biology
        assert course_access(school_a.admin, biology.pk, manage=True) == biology


def test_a_student_of_the_course_sees_it_but_may_not_change_it(school_a, biology):
    with schema_context(school_a.schema):
        assert course_access(school_a.students[0], biology.pk) == biology
        with pytest.raises(Forbidden, match=MANAGER_ONLY):
            course_access(school_a.students[0], biology.pk, manage=True)


def test_a_student_outside_the_course_is_told_it_does_not_exist(school_a, biology):
    with schema_context(school_a.schema), pytest.raises(NotFound, match="No such course."):
        course_access(school_a.students[1], biology.pk)


def test_the_refusal_can_say_what_was_refused(school_a, biology):
    with schema_context(school_a.schema), pytest.raises(Forbidden, match="can change it"):
        course_access(school_a.students[0], biology.pk, manage=True, denied="… can change it.")


def test_another_schools_teacher_finds_nothing_at_the_same_id(school_a, school_b, biology):
    with schema_context(school_b.schema), pytest.raises(NotFound):
        course_access(school_b.admin, biology.pk)


def test_a_deactivated_admin_no_longer_sees_the_whole_school(school_a, biology):
    with schema_context(school_a.schema):
        school_a.admin.is_active = False
        try:
            with pytest.raises(NotFound):
                course_access(school_a.admin, biology.pk)
        finally:
            school_a.admin.is_active = True


def test_a_school_api_key_sees_and_manages_every_course(school_a, biology):
    key = SchoolAPIKey(school=school_a.model, name="SIS", prefix="abc", scope="read")
    with schema_context(school_a.schema):
        assert course_access(APIKeyPrincipal(key), biology.pk, manage=True) == biology


def test_students_only_ever_see_ready_material(school_a, biology):
    with schema_context(school_a.schema):
        ready = _material(biology, Material.State.READY)
        pending = _material(biology, Material.State.QUEUED)
        student = school_a.students[0]
        assert material_access(student, ready.pk) == ready
        with pytest.raises(NotFound):
            material_access(student, pending.pk)
        assert material_access(school_a.teacher, pending.pk, manage=True) == pending
        with pytest.raises(Forbidden):
            material_access(student, ready.pk, manage=True)


def test_material_named_under_another_course_is_not_found(school_a, biology):
    with schema_context(school_a.schema):
        chemistry = services.course_create(code="chem-1", name="Chemistry")
        notes = _material(chemistry, Material.State.READY)
        with pytest.raises(NotFound, match="No such material in this course."):
            material_access(school_a.admin, notes.pk, course=biology)
        assert material_access(school_a.admin, notes.pk, course=chemistry) == notes


def test_a_school_wide_api_key_sees_every_course(school_a, biology):
    key = SchoolAPIKey(school=school_a.model, name="SIS", prefix="abc", scope="read")
    with schema_context(school_a.schema):
        chemistry = services.course_create(code="chem-1", name="Chemistry")
        archived = services.course_create(code="old-1", name="Old")
        services.course_update(archived, is_archived=True)
        for course in (biology, chemistry, archived):
            assert course_access(APIKeyPrincipal(key), course.pk) == course


def test_the_courses_a_principal_runs_are_the_ones_they_teach(school_a, biology):
    key = SchoolAPIKey(school=school_a.model, name="SIS", prefix="abc", scope="read")
    with schema_context(school_a.schema):
        chemistry = services.course_create(code="chem-1", name="Chemistry")
        assert list(course_list_managed_by(school_a.teacher)) == [biology]
        assert set(course_list_managed_by(school_a.admin)) == {biology, chemistry}
        assert set(course_list_managed_by(APIKeyPrincipal(key))) == {biology, chemistry}
        assert list(course_list_managed_by(school_a.students[0])) == []


def test_a_teacher_reads_about_the_students_of_their_courses_only(school_a, biology):
    taking, other = school_a.students
    with schema_context(school_a.schema):
        assert student_access(school_a.teacher, taking.pk, manage=True) == taking
        with pytest.raises(NotFound, match=f"No student with id {other.pk} in this school."):
            student_access(school_a.teacher, other.pk)


def test_a_student_reads_about_themselves_but_never_manages_themselves(school_a, biology):
    student, classmate = school_a.students
    with schema_context(school_a.schema):
        assert student_access(student, student.pk) == student
        with pytest.raises(NotFound):
            student_access(student, student.pk, manage=True)
        with pytest.raises(NotFound):
            student_access(student, classmate.pk)


def test_the_admin_and_a_school_key_read_about_any_student_and_nobody_else(school_a, biology):
    key = SchoolAPIKey(school=school_a.model, name="SIS", prefix="abc", scope="read")
    with schema_context(school_a.schema):
        for principal in (school_a.admin, APIKeyPrincipal(key)):
            for student in school_a.students:
                assert student_access(principal, student.pk, manage=True) == student
            with pytest.raises(NotFound):  # a teacher is not a student
                student_access(principal, school_a.teacher.pk)
