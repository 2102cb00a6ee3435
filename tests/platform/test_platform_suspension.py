"""Suspending a school from the platform admin: everything the school serves (pages, API,
websockets on the real daphne) is refused, nothing is lost, and reactivating restores it."""

import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from accounts.models import User
from tenants.services import api_key_create

from ..realtime.ws import handshake_status, session_cookie
from .conftest import api_status, platform_client

CHANGELIST = "/admin/tenants/school/"


@pytest.mark.live
def test_suspending_blocks_pages_api_keys_and_websockets_and_keeps_the_data(
    committed_operator, live_server_process, fresh_school
):
    school = fresh_school()
    _, secret = api_key_create(school=school.model, name="SIS", scope="read")
    cookie = session_cookie(school, school.admin)
    port = live_server_process.port
    ws_path = "/ws/progress/roster-import/1/"
    with schema_context(school.schema):
        people = sorted(User.objects.values_list("username", flat=True))
    assert api_status(school, secret)[0] == 200
    client = platform_client(committed_operator)
    selected = {"_selected_action": [school.model.pk]}

    # The action first asks for a reason; asking changes nothing.
    response = client.post(CHANGELIST, {"action": "suspend_schools", **selected})
    assert response.status_code == 200 and "Suspend schools" in response.content.decode()
    school.model.refresh_from_db()
    assert not school.model.is_suspended

    response = client.post(
        CHANGELIST,
        {"action": "suspend_schools", "apply": "1", "reason": "Invoice unpaid", **selected},
    )
    assert response.status_code == 302
    school.model.refresh_from_db()
    assert (school.model.is_suspended, school.model.suspended_reason) == (True, "Invoice unpaid")

    page = Client(HTTP_HOST=school.host).get("/accounts/login/")
    assert page.status_code == 403
    assert f"{school.model.name} is suspended" in page.content.decode()
    assert school.client(school.admin).get("/accounts/login/").status_code == 403
    assert api_status(school, secret) == (
        403,
        {"error": {"code": "school_suspended",
                   "message": "This school's account is suspended. Contact SmartEdu support."}},
    )  # fmt: skip
    assert handshake_status(port, school.host, ws_path, cookie=cookie) == 403
    with schema_context(school.schema):
        assert sorted(User.objects.values_list("username", flat=True)) == people
    connection.set_schema_to_public()

    response = client.post(CHANGELIST, {"action": "reactivate_schools", **selected})
    assert response.status_code == 302
    school.model.refresh_from_db()
    assert (school.model.is_suspended, school.model.suspended_reason) == (False, "")
    assert Client(HTTP_HOST=school.host).get("/accounts/login/").status_code == 200
    assert api_status(school, secret)[0] == 200
    assert handshake_status(port, school.host, ws_path, cookie=cookie) == 101
