import json

import pytest
from django.test import Client
from django_tenants.utils import get_public_schema_name, schema_context

OPERATOR_PASSWORD = "operator-secret-42"


def make_operator(username: str = "op"):
    from accounts.models import User

    return User.objects.create_superuser(
        username, f"{username}@smartedu.example", OPERATOR_PASSWORD
    )


def api_status(school, secret: str) -> tuple[int, dict]:
    """What the school's API answers to a key (its OpenAPI schema is readable by any key)."""
    response = Client(HTTP_HOST=school.host).get(
        "/api/schema/?format=json", HTTP_AUTHORIZATION=f"Api-Key {secret}"
    )
    try:
        body = json.loads(response.content)
    except ValueError:
        body = {}
    return response.status_code, body


def platform_client(operator=None) -> Client:
    """A client on the bare domain (the public schema), signed in as ``operator`` if given."""
    client = Client(HTTP_HOST="localhost")
    if operator is not None:
        # The session must land in the public schema, whatever the last request switched to.
        with schema_context(get_public_schema_name()):
            client.force_login(operator)
    return client


@pytest.fixture
def operator(db):
    return make_operator()


@pytest.fixture
def committed_operator(committed):
    """An operator visible to live processes. Left in place afterwards: deleting a user in the
    public schema is refused by design (see accounts.admin) and the test database is dropped."""
    import uuid

    with schema_context(get_public_schema_name()):
        user = make_operator(f"op{uuid.uuid4().hex[:8]}")
    return user
