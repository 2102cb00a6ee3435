from django.conf import settings
from django.db.models import QuerySet

from smartedu.db import current_schema

from .models import School, SchoolAPIKey


def school_list() -> QuerySet[School]:
    """Real schools: neither the public tenant nor the template."""
    return School.objects.exclude(schema_name__in=["public", settings.TENANT_BASE_SCHEMA])


def school_get(*, schema: str) -> School | None:
    """The real school with this schema, or None (unknown, the template or the platform)."""
    return school_list().filter(schema_name=schema).first()


def api_key_list(*, school: School) -> QuerySet[SchoolAPIKey]:
    return SchoolAPIKey.objects.filter(school=school).order_by("-created")


def school_current() -> School | None:
    """The school whose schema the connection is in (None in the public schema)."""
    from django.db import connection

    tenant = getattr(connection, "tenant", None)
    if isinstance(tenant, School):
        return tenant
    return School.objects.filter(schema_name=current_schema()).first()
