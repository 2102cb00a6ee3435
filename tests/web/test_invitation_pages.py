"""Invitations: the admin sends one, the e-mail's link creates the account once."""

import re

import pytest
from django.core import mail
from django.test import Client
from django_tenants.utils import schema_context

from accounts import services as account_services
from accounts.models import Invitation, User

from .conftest import text

pytestmark = pytest.mark.django_db

NEW_PERSON = {
    "username": "newbie",
    "first_name": "New",
    "last_name": "Person",
    "password": "a-long-enough-passphrase",
    "password_again": "a-long-enough-passphrase",
}


def _send(school, django_capture_on_commit_callbacks, email="newbie@alpha.example", role="teacher"):
    with django_capture_on_commit_callbacks(execute=True):
        response = school.client(school.admin).post(
            "/accounts/invitations/", {"email": email, "role": role}
        )
    assert response.status_code == 302
    return re.search(r"http://\S+/invite/(\S+)/", mail.outbox[-1].body)


def test_invitation_email_link_creates_the_account_with_the_invited_role(
    school_a, django_capture_on_commit_callbacks
):
    match = _send(school_a, django_capture_on_commit_callbacks)
    assert mail.outbox[-1].to == ["newbie@alpha.example"]
    assert match.group(0).startswith(f"http://{school_a.host}/invite/")
    path = f"/invite/{match.group(1)}/"
    visitor = Client(HTTP_HOST=school_a.host)
    page = visitor.get(path)
    assert (
        page.status_code == 200
        and "You were invited as a teacher (newbie@alpha.example)" in text(page)
    )
    response = visitor.post(path, NEW_PERSON)
    assert response.status_code == 302 and response["Location"] == "/"
    assert "Courses you teach" in text(visitor.get("/"))  # signed in as the new teacher
    with schema_context(school_a.schema):
        newbie = User.objects.get(username="newbie")
        assert (newbie.role, newbie.email) == ("teacher", "newbie@alpha.example")
        assert Invitation.objects.get(email="newbie@alpha.example").accepted_user == newbie
    again = Client(HTTP_HOST=school_a.host).post(path, dict(NEW_PERSON, username="second"))
    assert again.status_code == 410
    assert "This invitation has already been used." in text(again)
    with schema_context(school_a.schema):
        assert not User.objects.filter(username="second").exists()


def test_mismatched_passwords_keep_the_invitation_pending(
    school_a, django_capture_on_commit_callbacks
):
    match = _send(school_a, django_capture_on_commit_callbacks)
    response = Client(HTTP_HOST=school_a.host).post(
        f"/invite/{match.group(1)}/", dict(NEW_PERSON, password_again="something-else-entirely")
    )
    assert response.status_code == 200 and "The two passwords differ." in text(response)
    with schema_context(school_a.schema):
        assert Invitation.objects.get(email="newbie@alpha.example").status == "pending"
        assert not User.objects.filter(username="newbie").exists()


def test_inviting_someone_already_in_the_school_is_refused(school_a):
    response = school_a.client(school_a.admin).post(
        "/accounts/invitations/", {"email": school_a.teacher.email, "role": "teacher"}
    )
    assert response.status_code == 200
    assert f"{school_a.teacher.email} already belongs to someone in this school." in text(response)
    assert mail.outbox == []


def test_made_up_link_says_it_is_not_valid(school_a):
    response = Client(HTTP_HOST=school_a.host).get("/invite/not-a-real-token/")
    assert response.status_code == 404
    assert "This invitation link is not valid." in text(response)


def test_revoked_invitation_link_stops_working(school_a, django_capture_on_commit_callbacks):
    match = _send(school_a, django_capture_on_commit_callbacks, role="student")
    with schema_context(school_a.schema):
        invitation = Invitation.objects.get(email="newbie@alpha.example")
    client = school_a.client(school_a.admin)
    assert client.get(f"/accounts/invitations/{invitation.pk}/revoke/").status_code == 200
    assert client.post(f"/accounts/invitations/{invitation.pk}/revoke/").status_code == 302
    response = Client(HTTP_HOST=school_a.host).post(f"/invite/{match.group(1)}/", NEW_PERSON)
    assert response.status_code == 410
    assert "This invitation was withdrawn by your school." in text(response)
    listing = text(client.get("/accounts/invitations/"))
    assert "newbie@alpha.example Student Revoked" in listing


def test_expired_invitation_says_so(school_a, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    match = _send(school_a, django_capture_on_commit_callbacks)
    with schema_context(school_a.schema):
        Invitation.objects.filter(email="newbie@alpha.example").update(
            expires_at=timezone.now() - timedelta(minutes=1)
        )
    response = Client(HTTP_HOST=school_a.host).get(f"/invite/{match.group(1)}/")
    assert response.status_code == 410
    assert "This invitation has expired." in text(response)


def test_school_a_invitation_does_not_work_on_school_b_host(
    school_a, school_b, django_capture_on_commit_callbacks
):
    match = _send(school_a, django_capture_on_commit_callbacks)
    visitor = Client(HTTP_HOST=school_b.host)
    assert visitor.get(f"/invite/{match.group(1)}/").status_code == 404
    assert visitor.post(f"/invite/{match.group(1)}/", NEW_PERSON).status_code == 404
    with schema_context(school_b.schema):
        assert not User.objects.filter(username="newbie").exists()
    with schema_context(school_a.schema):
        assert Invitation.objects.get(email="newbie@alpha.example").status == "pending"


def test_school_b_admin_cannot_revoke_school_a_invitation(school_a, school_b):
    with schema_context(school_a.schema):
        invitation = account_services.invitation_create(
            email="x@alpha.example", role="student", invited_by=school_a.admin, base_url="http://a"
        )
    client = school_b.client(school_b.admin)
    response = client.post(f"/accounts/invitations/{invitation.pk}/revoke/")
    assert response.status_code == 404
    with schema_context(school_a.schema):
        assert Invitation.objects.get(pk=invitation.pk).status == "pending"
