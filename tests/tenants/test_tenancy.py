import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from accounts.models import User
from tenants.models import School
from tenants.services import school_provision

pytestmark = pytest.mark.django_db


def test_unknown_host_is_404():
    response = Client(HTTP_HOST="nowhere.localhost").get("/")
    assert response.status_code == 404


def test_each_school_is_served_on_its_own_host(school_a, school_b):
    page_a = school_a.client(school_a.admin).get("/")
    page_b = school_b.client(school_b.admin).get("/")
    assert page_a.status_code == 200 and "Alpha Academy" in page_a.content.decode()
    assert page_b.status_code == 200 and "Beta High" in page_b.content.decode()


def test_users_live_in_their_schools_schema(school_a, school_b):
    with schema_context(school_a.schema):
        alpha_usernames = set(User.objects.values_list("username", flat=True))
    with schema_context(school_b.schema):
        beta_usernames = set(User.objects.values_list("username", flat=True))
    assert "alpha-admin" in alpha_usernames and "alpha-admin" not in beta_usernames
    assert "beta-teacher" in beta_usernames and "beta-teacher" not in alpha_usernames


def test_a_session_from_school_a_is_worthless_on_school_b(school_a, school_b):
    client = school_a.client(school_a.admin)
    client.defaults["HTTP_HOST"] = school_b.host
    response = client.get("/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_school_b_user_cannot_sign_in_on_school_a(school_a, school_b):
    response = Client(HTTP_HOST=school_a.host).post(
        "/accounts/login/", {"username": "beta-teacher", "password": "correct-horse-battery"}
    )
    assert response.status_code == 200  # the form again, with an error
    assert "_auth_user_id" not in response.client.session


def test_provisioning_clones_a_migrated_schema():
    provisioned = school_provision(name="Gamma", slug="gamma")
    with schema_context("gamma"):
        assert User.objects.count() == 0
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM django_migrations")
            cloned = cursor.fetchone()[0]
    with schema_context("alpha"), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM django_migrations")
        assert cloned == cursor.fetchone()[0] > 0
    assert provisioned.host == "gamma.localhost"
    assert Client(HTTP_HOST="gamma.localhost").get("/accounts/login/").status_code == 200


@pytest.mark.parametrize("slug", ["", "A", "1abc", "public", "has-dash", "x" * 41, "alpha"])
def test_bad_school_names_are_refused_and_nothing_is_created(slug):
    before = School.objects.count()
    with pytest.raises(ValidationError):
        school_provision(name="Nope", slug=slug)
    assert School.objects.count() == before


def test_health_answers_on_any_host():
    response = Client(HTTP_HOST="10.1.2.3").get("/health")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_ready_checks_database_redis_and_broker():
    response = Client(HTTP_HOST="127.0.0.1").get("/ready")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "redis": "ok", "broker": "ok"}


def test_ready_is_503_when_redis_is_down(settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = Client(HTTP_HOST="127.0.0.1").get("/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"].startswith("error")
