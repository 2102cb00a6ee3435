"""Erasure on request: everything of a school this instance holds."""

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage

from smartedu.db import tenant_connection
from tenants.models import School

from .storage import remove_empty_folders, storage_prefix, stored_files


@dataclass
class ErasureSummary:
    schema: str
    files: int
    redis_keys: int


def school_erase(school: School) -> ErasureSummary:
    """Erase everything of a school this instance holds: its schema, its public rows (domains,
    API keys, AI usage, the admin's history of it), its stored files and its Redis keys (cache,
    channel groups). Backups taken before are not reachable from here."""
    import re

    import redis
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    from tenants.services import school_delete

    schema = school.schema_name
    if school.is_template or schema == "public":
        raise ValidationError(f"{schema!r} is not a school and cannot be erased.")
    tenant_connection().set_schema_to_public()
    files = 0
    for name in list(stored_files(schema)):
        default_storage.delete(name)
        files += 1
    remove_empty_folders(storage_prefix(schema))
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(School), object_id=str(school.pk)
    ).delete()
    school_delete(school)
    # Cache keys start with the schema (django_tenants.cache.make_key); channel groups and
    # progress events name it between separators.
    client = redis.Redis.from_url(settings.REDIS_URL)
    token = re.compile(rf"(^|[^a-z0-9_]){re.escape(schema)}($|[^a-z0-9_])".encode())
    doomed = [key for key in client.scan_iter(match=f"*{schema}*", count=1000) if token.search(key)]
    for start in range(0, len(doomed), 500):
        client.delete(*doomed[start : start + 500])
    client.close()
    return ErasureSummary(schema, files, len(doomed))
