import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context

from accounts import services
from accounts.models import Invitation, User

pytestmark = pytest.mark.django_db


def test_admin_creates_a_teacher_who_can_sign_in(school_a):
    with schema_context(school_a.schema):
        user = services.user_create(
            username="newteach",
            role="teacher",
            email="New@Alpha.example",
            password="long-enough-pass-1",
        )
        assert user.role == "teacher" and user.email == "new@alpha.example"
    assert school_a.signs_in("newteach", "long-enough-pass-1")


def test_duplicate_username_or_email_is_refused_with_the_field_named(school_a):
    with schema_context(school_a.schema):
        with pytest.raises(ValidationError) as duplicate_username:
            services.user_create(username="ALPHA-ADMIN", role="student")
        with pytest.raises(ValidationError) as duplicate_email:
            services.user_create(
                username="other", role="student", email="alpha-admin@alpha.example"
            )
        assert User.objects.filter(username="other").count() == 0
    assert "username" in duplicate_username.value.message_dict
    assert "email" in duplicate_email.value.message_dict


def test_same_username_may_exist_in_two_schools(school_a, school_b):
    with schema_context(school_b.schema):
        services.user_create(username="alpha-teacher", role="teacher")
    with schema_context(school_a.schema):
        assert User.objects.filter(username="alpha-teacher").count() == 1


def test_unknown_role_is_refused(school_a):
    with schema_context(school_a.schema), pytest.raises(ValidationError) as error:
        services.user_create(username="x", role="principal")
    assert "Unknown role 'principal'" in str(error.value)


def test_weak_password_is_refused(school_a):
    with schema_context(school_a.schema):
        with pytest.raises(ValidationError):
            services.user_create(username="weak", role="student", password="123")
        assert not User.objects.filter(username="weak").exists()


def test_the_last_active_admin_cannot_be_demoted_or_deactivated(school_a):
    with schema_context(school_a.schema):
        admin = User.objects.get(username="alpha-admin")
        with pytest.raises(ValidationError, match="at least one active admin"):
            services.user_update(admin, role="teacher")
        with pytest.raises(ValidationError, match="at least one active admin"):
            services.user_deactivate(admin)
        admin.refresh_from_db()
        assert admin.role == "admin" and admin.is_active


def test_deactivated_person_cannot_sign_in_and_keeps_their_data(school_a):
    with schema_context(school_a.schema):
        student = User.objects.get(username="alpha-student1")
        services.user_deactivate(student)
    assert not school_a.signs_in("alpha-student1")
    with schema_context(school_a.schema):
        assert User.objects.filter(username="alpha-student1", is_active=False).exists()


def test_invitation_is_mailed_accepted_once_and_gives_the_role(
    school_a, django_capture_on_commit_callbacks
):
    with schema_context(school_a.schema):
        with django_capture_on_commit_callbacks(execute=True):
            invitation = services.invitation_create(
                email="Newbie@Example.com",
                role="teacher",
                invited_by=school_a.admin,
                base_url="http://alpha.localhost:8000",
            )
        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert message.to == ["newbie@example.com"] and "Alpha Academy" in message.body
        token = message.body.split("/invite/")[1].split("/")[0]
        assert invitation.token_hash != token  # only the hash is stored
        user = services.invitation_accept(
            token=token, username="newbie", password="long-enough-pass-1"
        )
        assert user.role == "teacher" and user.email == "newbie@example.com"
        with pytest.raises(ValidationError, match="accepted"):
            services.invitation_accept(token=token, username="again", password="long-enough-pass-1")
        assert not User.objects.filter(username="again").exists()


def test_revoked_or_unknown_invitation_cannot_be_used(school_a):
    with schema_context(school_a.schema):
        invitation = services.invitation_create(
            email="x@example.com", role="student", invited_by=None, base_url="http://x"
        )
        services.invitation_revoke(invitation)
        assert Invitation.objects.get(pk=invitation.pk).status == "revoked"
        with pytest.raises(ValidationError, match="not valid"):
            services.invitation_accept(token="made-up", username="y", password="long-enough-pass-1")


def test_invitation_of_school_a_is_unknown_in_school_b(school_a, school_b):
    with schema_context(school_a.schema):
        services.invitation_create(
            email="z@example.com",
            role="student",
            invited_by=None,
            base_url="http://alpha.localhost",
        )
    with schema_context(school_b.schema):
        assert Invitation.objects.filter(email="z@example.com").count() == 0
