"""Password change and the e-mailed password reset."""

import re

import pytest
from django.core import mail
from django.test import Client
from django_tenants.utils import schema_context

from accounts import services as account_services

from .conftest import text

pytestmark = pytest.mark.django_db


def test_password_reset_email_lets_the_person_choose_a_new_password(school_a):
    visitor = Client(HTTP_HOST=school_a.host)
    response = visitor.post("/accounts/password-reset/", {"email": school_a.student.email.upper()})
    assert response.status_code == 302 and response["Location"] == "/accounts/password-reset/sent/"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [school_a.student.email]
    assert mail.outbox[0].subject == "Set your SmartEdu password"
    link = re.search(
        rf"http://{re.escape(school_a.host)}(/accounts/password-reset/\S+/\S+/)",
        mail.outbox[0].body,
    )
    form_page = visitor.get(link.group(1), follow=True)
    assert "Choose a new password" in text(form_page)
    set_url = form_page.redirect_chain[-1][0]
    done = visitor.post(
        set_url, {"new_password1": "brand-new-secret-42", "new_password2": "brand-new-secret-42"}
    )
    assert done.status_code == 302 and done["Location"] == "/accounts/password-reset/complete/"
    assert school_a.signs_in(school_a.student.username, "brand-new-secret-42")
    reused = visitor.get(link.group(1), follow=True)
    assert "This link no longer works" in text(reused)


def test_person_created_without_password_sets_one_through_reset(school_a):
    with schema_context(school_a.schema):
        account_services.user_create(
            username="nopass", role="student", email="nopass@alpha.example"
        )
    Client(HTTP_HOST=school_a.host).post(
        "/accounts/password-reset/", {"email": "nopass@alpha.example"}
    )
    assert [m.to for m in mail.outbox] == [["nopass@alpha.example"]]
    assert "Your username is nopass." in mail.outbox[0].body


def test_reset_for_an_address_of_another_school_sends_nothing(school_a, school_b):
    response = Client(HTTP_HOST=school_a.host).post(
        "/accounts/password-reset/", {"email": school_b.teacher.email}
    )
    assert response.status_code == 302  # same answer as for a known address: nothing leaks
    assert mail.outbox == []


def test_signed_in_person_changes_their_password(school_a):
    client = school_a.client(school_a.teacher)
    wrong = client.post(
        "/accounts/password/", {"old_password": "nope", "new_password1": "x", "new_password2": "x"}
    )
    assert wrong.status_code == 200
    assert "Your old password was entered incorrectly." in text(wrong)
    response = client.post(
        "/accounts/password/",
        {
            "old_password": "correct-horse-battery",
            "new_password1": "another-good-phrase",
            "new_password2": "another-good-phrase",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/accounts/password/done/"
    assert school_a.signs_in(school_a.teacher.username, "another-good-phrase")
