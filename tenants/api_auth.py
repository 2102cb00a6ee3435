"""API keys: `Authorization: Api-Key <key>` on the school's own host."""

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework_api_key.permissions import KeyParser

from smartedu.db import current_schema

from .models import SchoolAPIKey

# Recording every use would turn each API call into a write on one hot row; a minute is
# precise enough to tell a live integration from a dead one.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class APIKeyPrincipal:
    """The caller behind an API key: a partner system acting for one school, not a person."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    role = "partner"
    is_api_key = True
    # Every key acts for the whole school (its scope limits writing, not what it reads).
    sees_whole_school = True
    pk = None
    id = None

    def __init__(self, api_key: SchoolAPIKey):
        self.api_key = api_key
        self.username = f"api-key:{api_key.prefix}"

    def get_username(self) -> str:
        return self.username

    def has_perm(self, perm, obj=None) -> bool:
        return False

    def __str__(self) -> str:
        return self.username


class SchoolAPIKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Api-Key"

    def authenticate(self, request):
        key = KeyParser().get(request)
        if key is None:
            return None
        school = getattr(request._request, "tenant", None)
        prefix, _, _ = key.partition(".")
        candidate = (
            SchoolAPIKey.objects.select_related("school").filter(prefix=prefix).first()
            if prefix
            else None
        )
        # A key only opens the school it was made for: another school's key is simply invalid.
        if (
            candidate is None
            or school is None
            or candidate.school_id != school.pk
            or current_schema() != school.schema_name
            or not candidate.is_valid(key)
        ):
            raise exceptions.AuthenticationFailed("Invalid API key.", code="invalid_api_key")
        if candidate.revoked:
            raise exceptions.AuthenticationFailed(
                "This API key was revoked.", code="revoked_api_key"
            )
        if candidate.has_expired:
            raise exceptions.AuthenticationFailed(
                "This API key has expired.", code="expired_api_key"
            )
        now = timezone.now()
        if candidate.last_used_at is None or now - candidate.last_used_at >= LAST_USED_RESOLUTION:
            SchoolAPIKey.objects.filter(pk=candidate.pk).filter(
                Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_RESOLUTION)
            ).update(last_used_at=now)
        return APIKeyPrincipal(candidate), candidate

    def authenticate_header(self, request):
        return self.keyword


class SchoolAPIKeyScheme(OpenApiAuthenticationExtension):
    target_class = "tenants.api_auth.SchoolAPIKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <key>`: a key created by the school admin (API keys page).",
        }
