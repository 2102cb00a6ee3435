"""Writes on a school's people. Every surface (web pages, API, commands) goes through these."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from tenants.selectors import school_current

from .models import Invitation, User, hash_token

ROLES = set(User.Role.values)


def _clean_role(role: str) -> str:
    role = (role or "").strip().lower()
    if role not in ROLES:
        raise ValidationError(
            {"role": f"Unknown role {role!r}; use one of: {', '.join(sorted(ROLES))}."}
        )
    return role


def _check_unique(
    *, username: str, email: str, external_id: str | None, exclude_pk: int | None = None
) -> None:
    others = User.objects.exclude(pk=exclude_pk) if exclude_pk else User.objects.all()
    errors: dict[str, str] = {}
    if others.filter(username__iexact=username).exists():
        errors["username"] = f"The username {username!r} is taken in this school."
    if email and others.filter(email__iexact=email).exists():
        errors["email"] = f"Another person in this school already uses {email}."
    if external_id and others.filter(external_id=external_id).exists():
        errors["external_id"] = f"Another person already has external id {external_id!r}."
    if errors:
        raise ValidationError(errors)


def user_create(
    *,
    username: str,
    role: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    password: str | None = None,
    external_id: str | None = None,
) -> User:
    """Create a person. Without a password they sign in after a password reset or invitation."""
    username = (username or "").strip()
    email = (email or "").strip().lower()
    external_id = (external_id or "").strip() or None
    if not username:
        raise ValidationError({"username": "A username is required."})
    role = _clean_role(role)
    _check_unique(username=username, email=email, external_id=external_id)
    user = User(
        username=username,
        email=email,
        first_name=(first_name or "").strip()[:150],
        last_name=(last_name or "").strip()[:150],
        role=role,
        external_id=external_id,
    )
    user.full_clean(exclude=["password"])
    if password:
        validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # a concurrent create won the race
        raise ValidationError(
            {"username": "This person was just created by someone else."}
        ) from exc
    return user


def user_update(user: User, **changes: Any) -> tuple[User, bool]:
    """Apply the given field changes; returns (user, changed). Unknown fields are refused, and
    the values are checked by the model (``full_clean``), so any value may be passed."""
    allowed = {"username", "email", "first_name", "last_name", "role", "external_id", "is_active"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError(f"Cannot change {', '.join(sorted(unknown))}.")
    if "role" in changes:
        changes["role"] = _clean_role(changes["role"])
    if "email" in changes:
        changes["email"] = (changes["email"] or "").strip().lower()
    if "external_id" in changes:
        changes["external_id"] = (changes["external_id"] or "").strip() or None
    changed_fields = [name for name, value in changes.items() if getattr(user, name) != value]
    if not changed_fields:
        return user, False
    _check_unique(
        username=changes.get("username", user.username),
        email=changes.get("email", user.email),
        external_id=changes.get("external_id", user.external_id),
        exclude_pk=user.pk,
    )
    if user.role == User.Role.ADMIN and (
        changes.get("role", User.Role.ADMIN) != User.Role.ADMIN or changes.get("is_active") is False
    ):
        _ensure_not_last_admin(user)
    for name in changed_fields:
        setattr(user, name, changes[name])
    user.full_clean(exclude=["password"])
    user.save(update_fields=changed_fields)
    return user, True


def _ensure_not_last_admin(user: User) -> None:
    others = User.objects.filter(role=User.Role.ADMIN, is_active=True).exclude(pk=user.pk)
    if not others.exists():
        raise ValidationError(
            "A school needs at least one active admin; promote someone else first."
        )


def user_deactivate(user: User) -> User:
    """Block sign-in without deleting anything the person made or answered."""
    user_update(user, is_active=False)
    return user


def user_reactivate(user: User) -> User:
    user_update(user, is_active=True)
    return user


def invitation_create(
    *, email: str, role: str, invited_by: User | None, base_url: str
) -> Invitation:
    """Create an invitation and e-mail its link (``{base_url}/invite/<token>/``)."""
    email = (email or "").strip().lower()
    role = _clean_role(role)
    if not email or "@" not in email:
        raise ValidationError({"email": "Enter the e-mail address to send the invitation to."})
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": f"{email} already belongs to someone in this school."})
    token, token_hash = Invitation.new_token()
    invitation = Invitation.objects.create(
        email=email,
        role=role,
        token_hash=token_hash,
        invited_by=invited_by,
        expires_at=timezone.now() + timedelta(days=settings.SMARTEDU_INVITATION_DAYS),
    )
    link = f"{base_url.rstrip('/')}/invite/{token}/"
    context = {
        "invitation": invitation,
        "link": link,
        "inviter": invited_by,
        "school": school_current(),
    }
    transaction.on_commit(
        lambda: send_mail(
            subject="You are invited to SmartEdu",
            message=render_to_string("accounts/email/invitation.txt", context),
            from_email=None,
            recipient_list=[email],
        )
    )
    return invitation


def invitation_get_pending(token: str) -> Invitation:
    invitation = Invitation.objects.filter(token_hash=hash_token(token)).first()
    if invitation is None:
        raise ValidationError("This invitation link is not valid.", code="invalid")
    if invitation.status != "pending":
        raise ValidationError(f"This invitation is {invitation.status}.", code=invitation.status)
    return invitation


def invitation_accept(
    *, token: str, username: str, password: str, first_name: str = "", last_name: str = ""
) -> User:
    """Turn a pending invitation into an account with the invited role. Single use."""
    with transaction.atomic():
        invitation = invitation_get_pending(token)
        Invitation.objects.select_for_update().get(pk=invitation.pk)
        user = user_create(
            username=username,
            role=invitation.role,
            email=invitation.email,
            first_name=first_name,
            last_name=last_name,
            password=password,
        )
        invitation.accepted_at = timezone.now()
        invitation.accepted_user = user
        invitation.save(update_fields=["accepted_at", "accepted_user"])
    return user


def invitation_revoke(invitation: Invitation) -> Invitation:
    if invitation.status == "pending":
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
    return invitation
