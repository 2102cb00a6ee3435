import pytest
from django.core.management import call_command
from django.test import Client
from django_tenants.utils import schema_context

from accounts.models import User
from courses.models import Course
from quizzes.models import Quiz
from tenants.models import Domain, School

pytestmark = pytest.mark.django_db


def test_bootstrap_seeds_a_demo_school_once_and_keeps_it(capsys):
    call_command("bootstrap")
    first_output = capsys.readouterr().out
    call_command("bootstrap")

    demo = School.objects.get(schema_name="demo")
    assert Domain.objects.get(tenant=demo).domain == "demo.localhost"
    with schema_context("demo"):
        roles = sorted(User.objects.values_list("role", flat=True))
        assert roles == ["admin", "student", "student", "teacher"]
        course = Course.objects.get(code="BIO-101")
        assert course.enrollments.count() == 3
        # Its material is queued for the workers once, however often bootstrap runs.
        assert list(course.materials.values_list("title", "kind")) == [
            ("Cells and energy", "markdown")
        ]
        # A published quiz a student can take at once, its questions citing the material.
        quiz = Quiz.objects.get(course=course)
        assert quiz.state == Quiz.State.PUBLISHED and quiz.items.count() == 6
        assert all(i.question.source_quote for i in quiz.items.select_related("question"))
    assert User.objects.filter(username="operator", is_superuser=True).count() == 1
    assert "http://demo.localhost:8000" in first_output and "smartedu-demo" in first_output


def test_demo_people_sign_in_with_the_printed_password():
    call_command("bootstrap")
    response = Client(HTTP_HOST="demo.localhost").post(
        "/accounts/login/", {"username": "student1", "password": "smartedu-demo"}
    )
    assert response.status_code == 302
