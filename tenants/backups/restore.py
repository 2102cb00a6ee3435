"""A backup archive restored as a new school, on this instance or a fresh one."""

import hashlib
import json
import tarfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
from django_tenants.utils import schema_exists

from smartedu.db import tenant_connection
from tenants.models import School

from .archive import Progress, member_bytes, quiet, read_manifest
from .public import public_rows_restore
from .schema import file_columns, migration_state, quoted, schema_tables, tables_shape
from .storage import remove_empty_folders, storage_prefix, stored_files


@dataclass
class RestoreSummary:
    school: School
    tables: int
    rows: int
    files: int
    seconds: float
    api_keys: int = 0
    skipped: list[str] = field(default_factory=list)


def school_restore(
    path: Path,
    *,
    slug: str | None = None,
    name: str | None = None,
    progress: Progress = quiet,
) -> RestoreSummary:
    """Restore a backup archive as a new school (``slug``, default the original schema name).

    Refuses before writing anything when the school exists or the archive's migrations are not
    this instance's. Under a new name the old API keys are not carried: a key opens one school."""
    from tenants.services import school_delete, school_provision, template_school_ensure

    started = time.perf_counter()
    path = Path(path)
    manifest = read_manifest(path)
    original = manifest["school"]["schema_name"]
    slug = (slug or original).strip().lower()
    tenant_connection().set_schema_to_public()
    if School.objects.filter(schema_name=slug).exists() or schema_exists(slug):
        raise ValidationError(
            f"A school named {slug!r} already exists. Restore under another name with --as, "
            "or erase that school first."
        )
    template = template_school_ensure()
    here = migration_state(template.schema_name)
    if tables_shape(here) != tables_shape(manifest["migrations"]):
        missing = {tuple(m) for m in manifest["migrations"]} - {tuple(m) for m in here}
        extra = {tuple(m) for m in here} - {tuple(m) for m in manifest["migrations"]}
        raise ValidationError(
            "The backup was taken at another migration state than this instance's "
            f"(only in the backup: {sorted(missing)[:5]}; only here: {sorted(extra)[:5]}). "
            "Restore it on an instance of the same release, or migrate that instance first."
        )
    with tarfile.open(path, "r:*") as archive:
        public = json.loads(member_bytes(archive, "public.json"))
        provisioned = school_provision(name=name or public["school"]["name"], slug=slug)
        school = provisioned.school
        renamed = slug != original
        rows_total = 0
        files_total = 0
        try:
            with transaction.atomic():
                tables = schema_tables(slug)
                with connection.cursor() as cursor:
                    # The template's own rows (content types, permissions, migration records)
                    # make way for the backup's, which the backup's other rows point at.
                    cursor.execute(
                        "TRUNCATE " + ", ".join(quoted(slug, t) for t in tables) + " CASCADE"
                    )
                    for table, info in manifest["tables"].items():
                        if table not in tables:
                            raise ValidationError(f"Table {table} of the backup is not here.")
                        data = member_bytes(archive, f"tables/{table}.csv")
                        column_list = ", ".join(f'"{c}"' for c in info["columns"])
                        with cursor.copy(
                            f"COPY {quoted(slug, table)} ({column_list}) "
                            "FROM STDIN WITH (FORMAT csv, HEADER true)"
                        ) as copy:
                            copy.write(data)
                        rows_total += info["rows"]
                        progress(f"table {table}: {info['rows']} rows")
                    _reset_sequences(cursor, slug)
                    if renamed:
                        old, new = storage_prefix(original), storage_prefix(slug)
                        for table, column in file_columns():
                            cursor.execute(
                                f'UPDATE {quoted(slug, table)} SET "{column}" = %s || '
                                f'substr("{column}", %s) WHERE "{column}" LIKE %s',
                                [new, len(old) + 1, old.replace("_", r"\_") + "%"],
                            )
                api_keys = public_rows_restore(school, public, carry_api_keys=not renamed)
            for storage_name, info in manifest["files"].items():
                data = member_bytes(archive, f"files/{storage_name}")
                if hashlib.sha256(data).hexdigest() != info["sha256"]:
                    raise ValidationError(f"{storage_name} in the archive is damaged (sha256).")
                target = storage_prefix(slug) + storage_name[len(storage_prefix(original)) :]
                if default_storage.exists(target):
                    default_storage.delete(target)
                saved = default_storage.save(target, ContentFile(data))
                if saved != target:
                    raise ValidationError(f"Storage renamed {target} to {saved}.")
                files_total += 1
                progress(f"file {target}")
        except Exception:
            tenant_connection().set_schema_to_public()
            for stored in list(stored_files(slug)):
                default_storage.delete(stored)
            remove_empty_folders(storage_prefix(slug))
            school_delete(school)
            raise
    tenant_connection().set_schema_to_public()
    return RestoreSummary(
        school,
        len(manifest["tables"]),
        rows_total,
        files_total,
        time.perf_counter() - started,
        api_keys=api_keys,
    )


def _reset_sequences(cursor: CursorWrapper, schema: str) -> None:
    cursor.execute(
        """
        SELECT c.table_name, c.column_name
        FROM information_schema.columns c
        WHERE c.table_schema = %s
          AND (c.is_identity = 'YES' OR c.column_default LIKE 'nextval(%%')
        """,
        [schema],
    )
    for table, column in cursor.fetchall():
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence(%s, %s), "
            f'COALESCE((SELECT MAX("{column}") FROM {quoted(schema, table)}), 0) + 1, false)',
            [quoted(schema, table), column],
        )
