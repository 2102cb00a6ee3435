"""The platform operators' admin on the bare domain: schools are provisioned, suspended and
reactivated through the same services as the management commands, and no school host serves it."""

import html

import pytest
from django.test import Client
from django_tenants.utils import schema_exists

from accounts.models import User
from tenants.models import Domain, School, SchoolAPIKey
from tenants.services import api_key_create

from .conftest import OPERATOR_PASSWORD, api_status, platform_client

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/tenants/school/"


def test_operator_signs_in_and_creates_a_school_from_the_add_form(operator):
    client = Client(HTTP_HOST="localhost")
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "op", "password": OPERATOR_PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == "/admin/"

    response = client.post(
        f"{CHANGELIST}add/", {"name": "Gamma Grammar", "slug": "Gamma", "_save": "Save"}
    )
    assert response.status_code == 302 and response["Location"] == CHANGELIST
    school = School.objects.get(schema_name="gamma")
    assert school.name == "Gamma Grammar" and not school.is_suspended
    assert schema_exists("gamma")
    assert list(Domain.objects.filter(tenant=school).values_list("domain", "is_primary")) == [
        ("gamma.localhost", True)
    ]
    assert Client(HTTP_HOST="gamma.localhost").get("/accounts/login/").status_code == 200
    listing = client.get(CHANGELIST).content.decode()
    assert "Gamma Grammar" in listing and "gamma.localhost" in listing


@pytest.mark.parametrize(
    ("slug", "error"),
    [
        ("alpha", "A school named 'alpha' already exists."),
        ("has-dash", "A school's short name must be 2–40 lowercase letters or digits"),
        ("admin", "'admin' is reserved; choose another short name."),
    ],
)
def test_add_form_refuses_a_bad_or_taken_short_name_and_creates_nothing(
    operator, school_a, slug, error
):
    schools_before = set(School.objects.values_list("schema_name", flat=True))
    response = platform_client(operator).post(
        f"{CHANGELIST}add/", {"name": "Another", "slug": slug, "_save": "Save"}
    )
    assert response.status_code == 200
    assert error in html.unescape(response.content.decode())
    assert set(School.objects.values_list("schema_name", flat=True)) == schools_before
    assert Domain.objects.filter(domain__startswith="another").count() == 0


def test_template_and_platform_rows_are_not_listed_or_editable(operator, school_a):
    client = platform_client(operator)
    listing = client.get(CHANGELIST).content.decode()
    assert "Alpha Academy" in listing
    assert "school_template" not in listing and "Platform" not in listing.split("<h1>", 1)[1]
    for schema in ("school_template", "public"):
        pk = School.objects.get(schema_name=schema).pk
        assert client.get(f"{CHANGELIST}{pk}/change/").status_code == 302  # "does not exist"


def test_operator_cannot_delete_a_school_from_the_admin(operator, school_a):
    client = platform_client(operator)
    response = client.get(f"{CHANGELIST}{school_a.model.pk}/delete/")
    assert response.status_code == 403
    assert schema_exists(school_a.schema)


def test_school_hosts_have_no_admin(school_a):
    assert school_a.client(school_a.admin).get("/admin/").status_code == 404
    assert Client(HTTP_HOST=school_a.host).get("/admin/login/").status_code == 404


def test_a_school_admin_cannot_sign_in_to_the_platform_admin(school_a):
    client = Client(HTTP_HOST="localhost")
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "alpha-admin", "password": "correct-horse-battery"},
    )
    assert response.status_code == 200  # the form again
    assert client.get("/admin/").status_code == 302


def test_api_keys_are_listed_read_only_and_can_be_revoked(operator, school_a, school_b):
    key_a, secret_a = api_key_create(school=school_a.model, name="Alpha SIS", scope="read")
    key_b, secret_b = api_key_create(school=school_b.model, name="Beta SIS", scope="read")
    client = platform_client(operator)
    listing = client.get("/admin/tenants/schoolapikey/").content.decode()
    assert "Alpha SIS" in listing and "Beta SIS" in listing and key_a.prefix in listing
    assert client.get("/admin/tenants/schoolapikey/add/").status_code == 403

    response = client.post(
        "/admin/tenants/schoolapikey/",
        {"action": "revoke_keys", "_selected_action": [key_a.pk]},
    )
    assert response.status_code == 302
    assert SchoolAPIKey.objects.get(pk=key_a.pk).revoked is True
    assert SchoolAPIKey.objects.get(pk=key_b.pk).revoked is False
    status, body = api_status(school_a, secret_a)
    assert status in (401, 403) and body["error"]["code"] == "revoked_api_key"
    assert api_status(school_b, secret_b)[0] == 200


def test_operators_admin_lists_platform_operators_not_school_people(operator, school_a):
    listing = platform_client(operator).get("/admin/accounts/user/").content.decode()
    assert ">op<" in listing
    assert "alpha-admin" not in listing and "alpha-student1" not in listing


def test_operators_are_deactivated_not_deleted(operator):
    other = User.objects.create_user("op2", "op2@smartedu.example", "x-pass-12345")
    client = platform_client(operator)
    assert client.get(f"/admin/accounts/user/{other.pk}/delete/").status_code == 403
    assert User.objects.filter(pk=other.pk).exists()
