"""Writes on schools: provisioning, suspension, API keys. Used by the management commands,
the platform admin, the school admin's pages and the API alike."""

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context, schema_exists

from smartedu.db import tenant_connection

from .models import Domain, School, SchoolAPIKey

T = TypeVar("T")

SLUG_RE = re.compile(r"^[a-z][a-z0-9]{1,39}$")
RESERVED_SLUGS = {"www", "api", "admin", "public", "static", "media", "template", "extensions"}


@dataclass(frozen=True)
class ProvisionedSchool:
    school: School
    host: str
    seconds: float


def template_school_ensure() -> School:
    """Create (once) the template schema that every new school is cloned from.

    The template is a School row so that ``migrate_schemas`` keeps it migrated with the rest.
    It has no domain and never serves requests.
    """
    template = School.objects.filter(schema_name=settings.TENANT_BASE_SCHEMA).first()
    if template is None:
        template = School(schema_name=settings.TENANT_BASE_SCHEMA, name="Template (do not use)")
        template.save(verbosity=0)
    return template


def school_host(slug: str) -> str:
    return f"{slug}.{settings.SMARTEDU_BASE_DOMAIN}"


def validate_school_slug(slug: str) -> None:
    if not SLUG_RE.match(slug):
        raise ValidationError(
            "A school's short name must be 2–40 lowercase letters or digits, starting with a "
            f"letter (got {slug!r}).",
            code="invalid_slug",
        )
    if slug in RESERVED_SLUGS or slug.startswith(("pg_", "school_template")):
        raise ValidationError(f"{slug!r} is reserved; choose another short name.", code="reserved")
    if School.objects.filter(schema_name=slug).exists():
        raise ValidationError(f"A school named {slug!r} already exists.", code="exists")


def school_provision(*, name: str, slug: str) -> ProvisionedSchool:
    """Create a school: its schema (cloned from the template), its domain and nothing else.

    The schema name is the slug, the host is ``<slug>.<SMARTEDU_BASE_DOMAIN>``. Cloning costs a
    fraction of replaying the migrations (bench/RESULTS.md). Raises ValidationError on a bad or
    taken slug before anything is written.
    """
    slug = slug.strip().lower()
    validate_school_slug(slug)
    if not name.strip():
        raise ValidationError("A school needs a name.", code="name_required")
    started = time.perf_counter()
    template_school_ensure()
    school = School(schema_name=slug, name=name.strip())
    try:
        school.save(verbosity=0)
        Domain.objects.create(domain=school_host(slug), tenant=school, is_primary=True)
    except Exception:
        # Schema creation is DDL outside our control; never leave a half-made school behind.
        school_delete(school)
        raise
    return ProvisionedSchool(school, school_host(slug), time.perf_counter() - started)


def school_delete(school: School) -> None:
    """Drop a school's schema and rows. Irreversible; used for cleanup and erasure."""
    tenant_connection().set_schema_to_public()
    if school.schema_name and schema_exists(school.schema_name):
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA "{school.schema_name}" CASCADE')
    if school.pk:
        Domain.objects.filter(tenant=school).delete()
        SchoolAPIKey.objects.filter(school=school).delete()
        School.objects.filter(pk=school.pk).delete()


def school_suspend(school: School, *, reason: str = "") -> School:
    """Block a school's users and API keys without touching its data."""
    school.is_suspended = True
    school.suspended_reason = reason[:300]
    school.suspended_at = timezone.now()
    school.save(update_fields=["is_suspended", "suspended_reason", "suspended_at"])
    return school


def school_reactivate(school: School) -> School:
    school.is_suspended = False
    school.suspended_reason = ""
    school.suspended_at = None
    school.save(update_fields=["is_suspended", "suspended_reason", "suspended_at"])
    return school


def api_key_create(
    *, school: School, name: str, scope: str, created_by: str = ""
) -> tuple[SchoolAPIKey, str]:
    """Create a key and return it with its secret, which is shown once and never stored."""
    if not name.strip():
        raise ValidationError("Give the key a name so you can tell it apart later.", code="name")
    if scope not in SchoolAPIKey.Scope.values:
        raise ValidationError(f"Scope must be one of {', '.join(SchoolAPIKey.Scope.values)}.")
    with transaction.atomic():
        api_key, secret = SchoolAPIKey.objects.create_key(
            name=name.strip()[:50], school=school, scope=scope, created_by=created_by
        )
    return cast(SchoolAPIKey, api_key), secret


def api_key_revoke(*, school: School, prefix: str) -> SchoolAPIKey:
    """Revoke one of the school's keys. Keys of other schools are invisible here."""
    api_key = SchoolAPIKey.objects.get(school=school, prefix=prefix)
    api_key.revoked = True
    api_key.save(update_fields=["revoked"])
    return api_key


def run_in_school(school: School, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``func`` inside the school's schema (for commands and tasks)."""
    with schema_context(school.schema_name):
        return func(*args, **kwargs)
