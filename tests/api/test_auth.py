"""Who may call the API: keys of the right school and scope, or signed-in people with the right
role. Every refusal is a clear JSON error and changes nothing."""

from datetime import timedelta

import pytest
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import User
from tenants.models import SchoolAPIKey
from tenants.services import api_key_revoke, school_reactivate, school_suspend

from .conftest import api

pytestmark = pytest.mark.django_db

NEW_PERSON = {"username": "newbie", "role": "student", "email": "newbie@alpha.example"}


def user_count(school) -> int:
    with schema_context(school.schema):
        return User.objects.count()


def test_unknown_host_is_404(keys_a):
    response = Client(HTTP_HOST="nowhere.localhost").get(
        "/api/v1/users/", HTTP_AUTHORIZATION=f"Api-Key {keys_a.read}"
    )
    assert response.status_code == 404


def test_no_credentials_is_401_and_says_how_to_authenticate(school_a):
    response = api(school_a).get("/api/v1/users/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"
    assert response.json() == {
        "error": {
            "code": "not_authenticated",
            "message": "Authentication credentials were not provided.",
        }
    }


@pytest.mark.parametrize("secret", ["nope", "nope.nope", ".", "x" * 300])
def test_made_up_key_is_401(school_a, secret):
    response = api(school_a, secret).get("/api/v1/users/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"
    assert response.json() == {"error": {"code": "invalid_api_key", "message": "Invalid API key."}}


def test_real_prefix_with_wrong_secret_is_401(school_a, keys_a):
    prefix = keys_a.read_write.split(".")[0]
    response = api(school_a, f"{prefix}.wrongsecret").get("/api/v1/users/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"


def test_revoked_key_is_401(school_a, keys_a):
    api_key_revoke(school=school_a.model, prefix=keys_a.read_write_key.prefix)
    response = api(school_a, keys_a.read_write).get("/api/v1/users/")
    assert response.status_code == 401
    assert response.json() == {
        "error": {"code": "revoked_api_key", "message": "This API key was revoked."}
    }


def test_expired_key_is_401(school_a, keys_a):
    SchoolAPIKey.objects.filter(pk=keys_a.read_key.pk).update(
        expiry_date=timezone.now() - timedelta(minutes=1)
    )
    response = api(school_a, keys_a.read).get("/api/v1/users/")
    assert response.status_code == 401
    assert response.json() == {
        "error": {"code": "expired_api_key", "message": "This API key has expired."}
    }


def test_school_b_key_is_invalid_on_school_a_host(school_a, school_b, keys_b):
    assert api(school_b, keys_b.read).get("/api/v1/users/").status_code == 200
    response = api(school_a, keys_b.read_write).post(
        "/api/v1/users/", NEW_PERSON, content_type="application/json"
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"
    assert user_count(school_a) == 4


def test_key_use_is_recorded(school_a, keys_a):
    assert keys_a.read_key.last_used_at is None
    assert api(school_a, keys_a.read).get("/api/v1/users/").status_code == 200
    keys_a.read_key.refresh_from_db()
    assert keys_a.read_key.last_used_at is not None


def test_read_key_reads_but_cannot_write(school_a, reader):
    assert reader.get("/api/v1/users/").status_code == 200
    response = reader.post("/api/v1/users/", NEW_PERSON, content_type="application/json")
    assert response.status_code == 403
    assert response.json() == {
        "error": {
            "code": "permission_denied",
            "message": "This API key is read-only; create a read-write key to make changes.",
        }
    }
    assert user_count(school_a) == 4


def test_read_write_key_writes(school_a, writer):
    response = writer.post("/api/v1/users/", NEW_PERSON, content_type="application/json")
    assert response.status_code == 201
    assert user_count(school_a) == 5


@pytest.mark.parametrize(("persona", "role_name"), [("student", "student"), ("teacher", "teacher")])
def test_students_and_teachers_cannot_use_the_people_api(school_a, persona, role_name):
    client = school_a.client(getattr(school_a, persona))
    response = client.get("/api/v1/users/")
    assert response.status_code == 403
    assert response.json() == {
        "error": {
            "code": "permission_denied",
            "message": f"Only school admins can do this; you are signed in as a {role_name}.",
        }
    }
    response = client.post("/api/v1/users/", NEW_PERSON, content_type="application/json")
    assert response.status_code == 403
    assert user_count(school_a) == 4


def test_admin_session_works_and_writes_need_the_csrf_token(school_a):
    client = Client(HTTP_HOST=school_a.host, enforce_csrf_checks=True)
    with schema_context(school_a.schema):
        client.force_login(school_a.admin)
    assert client.get("/api/v1/users/").status_code == 200

    refused = client.post("/api/v1/users/", NEW_PERSON, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
    assert "CSRF" in refused.json()["error"]["message"]
    assert user_count(school_a) == 4

    token = _get_new_csrf_string()
    client.cookies["csrftoken"] = token
    accepted = client.post(
        "/api/v1/users/", NEW_PERSON, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert accepted.status_code == 201
    assert user_count(school_a) == 5


def test_deactivated_persons_session_no_longer_works(school_a):
    client = school_a.client(school_a.admin)
    with schema_context(school_a.schema):
        User.objects.filter(pk=school_a.admin.pk).update(is_active=False)
    response = client.get("/api/v1/users/")
    assert response.status_code == 401


def test_school_a_session_is_anonymous_on_school_b(school_a, school_b):
    client = school_a.client(school_a.admin)
    client.defaults["HTTP_HOST"] = school_b.host
    response = client.get("/api/v1/users/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.fixture
def suspended_school_a(school_a):
    school_suspend(school_a.model, reason="unpaid invoice")
    yield school_a
    school_reactivate(school_a.model)


def test_suspended_schools_key_is_refused(suspended_school_a, keys_a):
    school = suspended_school_a
    for method, payload in (("get", None), ("post", NEW_PERSON)):
        client = api(school, keys_a.read_write)
        response = getattr(client, method)(
            "/api/v1/users/", payload, content_type="application/json"
        )
        assert response.status_code == 403
        assert response.json() == {
            "error": {
                "code": "school_suspended",
                "message": "This school's account is suspended. Contact SmartEdu support.",
            }
        }
    assert user_count(school) == 4


def test_reactivated_schools_key_works_again(suspended_school_a, keys_a):
    school_reactivate(suspended_school_a.model)
    assert api(suspended_school_a, keys_a.read).get("/api/v1/users/").status_code == 200
