"""The school admin's API keys page."""

import pytest

from tenants.models import SchoolAPIKey

from .conftest import text

pytestmark = pytest.mark.django_db


def _create(school, name="SIS sync", scope="read_write"):
    response = school.client(school.admin).post("/school/api-keys/", {"name": name, "scope": scope})
    assert response.status_code == 200
    return response


def test_new_key_is_shown_once_and_never_again(school_a):
    response = _create(school_a)
    secret = response.context["secret"]
    key = SchoolAPIKey.objects.get(school=school_a.model, name="SIS sync")
    assert secret.startswith(key.prefix + ".") and key.is_valid(secret)
    assert (key.scope, key.created_by, key.revoked) == ("read_write", "alpha-admin", False)
    assert secret in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    assert "This is the only time the full key is shown" in text(response)
    listing = school_a.client(school_a.admin).get("/school/api-keys/")
    assert secret not in listing.content.decode()
    assert f"SIS sync {key.prefix}… Read and write" in text(listing)


def test_key_without_a_name_is_refused_and_nothing_is_created(school_a):
    before = SchoolAPIKey.objects.count()
    response = school_a.client(school_a.admin).post(
        "/school/api-keys/", {"name": "  ", "scope": "read"}
    )
    assert response.status_code == 200
    assert "This field is required." in text(response)
    assert SchoolAPIKey.objects.count() == before


def test_revoke_asks_first_then_revokes(school_a):
    _create(school_a)
    key = SchoolAPIKey.objects.get(school=school_a.model, name="SIS sync")
    client = school_a.client(school_a.admin)
    confirm = client.get(f"/school/api-keys/{key.prefix}/revoke/")
    assert "Every system using this key loses access at once." in text(confirm)
    key.refresh_from_db()
    assert not key.revoked
    response = client.post(f"/school/api-keys/{key.prefix}/revoke/", follow=True)
    key.refresh_from_db()
    assert key.revoked
    assert "The key “SIS sync” was revoked" in text(response)


def test_school_b_sees_and_revokes_none_of_school_a_keys(school_a, school_b):
    _create(school_a, name="Alpha secret key")
    key = SchoolAPIKey.objects.get(school=school_a.model, name="Alpha secret key")
    client = school_b.client(school_b.admin)
    assert "Alpha secret key" not in text(client.get("/school/api-keys/"))
    assert client.get(f"/school/api-keys/{key.prefix}/revoke/").status_code == 404
    assert client.post(f"/school/api-keys/{key.prefix}/revoke/").status_code == 404
    key.refresh_from_db()
    assert not key.revoked
