"""A school's data as one archive: backup, restore (same instance under a new name, or a fresh
instance), full export for the school, and erasure on request.

A backup holds every table of the school's schema (rows as CSV, copied in one REPEATABLE READ
snapshot), the school's public rows (name, plan, domains, API keys, AI usage) and every stored
file under ``schools/<schema>/``. Restoring provisions a new schema from the template (so the
structure is the instance's own) and copies the rows in; the archive's migration state must be
the instance's, or the restore stops before writing anything.

Archive layout (tar, gzip)::

    manifest.json            format, school, migration state, row counts, file sha256s
    tables/<table>.csv       one per table, with a header row
    public.json              the school's public rows
    files/<storage path>     the school's stored files
"""

import csv
import hashlib
import io
import json
import tarfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, models, transaction
from django.utils import timezone
from django_tenants.utils import schema_exists

from .models import AIUsage, Domain, Plan, School, SchoolAPIKey

FORMAT = "smartedu-school-backup/1"
EXPORT_FORMAT = "smartedu-school-export/1"
# Exports leave out what is a secret rather than the school's data.
EXPORT_OMITTED_COLUMNS = {"accounts_user": {"password"}}
# Migrations that change Django's model state only, never a table (GenerationJob moving from ai
# to quizzes): a backup taken before them holds the same tables, so it restores as it is.
STATE_ONLY_MIGRATIONS = {
    ("ai", "0006_generationjob_to_quizzes"),
    ("quizzes", "0004_generationjob_from_ai"),
}

Progress = Callable[[str], None]


def _quiet(_message: str) -> None:
    pass


@dataclass
class BackupSummary:
    path: Path
    schema: str
    tables: int
    rows: int
    files: int
    bytes: int
    seconds: float


@dataclass
class RestoreSummary:
    school: School
    tables: int
    rows: int
    files: int
    seconds: float
    api_keys: int = 0
    skipped: list[str] = field(default_factory=list)


def storage_prefix(schema: str) -> str:
    return f"schools/{schema}/"


def stored_files(schema: str) -> Iterator[str]:
    """Every stored file of a school, as storage names."""

    def walk(directory: str) -> Iterator[str]:
        try:
            subdirs, files = default_storage.listdir(directory)
        except FileNotFoundError:
            return
        for name in files:
            yield f"{directory}{name}"
        for sub in subdirs:
            yield from walk(f"{directory}{sub}/")

    yield from walk(storage_prefix(schema))


def schema_tables(schema: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = %s AND table_type = 'BASE TABLE' ORDER BY table_name",
            [schema],
        )
        return [row[0] for row in cursor.fetchall()]


def table_columns(schema: str, table: str) -> list[str]:
    """The columns a backup stores: generated ones (search vectors) are recomputed on restore."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = %s AND table_name = %s AND is_generated = 'NEVER' "
            "ORDER BY ordinal_position",
            [schema, table],
        )
        return [row[0] for row in cursor.fetchall()]


def migration_state(schema: str) -> list[list[str]]:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT app, name FROM "{schema}".django_migrations ORDER BY app, name')
        return [list(row) for row in cursor.fetchall()]


def _quoted(schema: str, table: str) -> str:
    return f'"{schema}"."{table}"'


def _copy_out(schema: str, table: str, columns: list[str]) -> bytes:
    column_list = ", ".join(f'"{c}"' for c in columns)
    buffer = io.BytesIO()
    with connection.cursor() as cursor:
        with cursor.copy(
            f"COPY (SELECT {column_list} FROM {_quoted(schema, table)} ORDER BY 1) "
            "TO STDOUT WITH (FORMAT csv, HEADER true)"
        ) as copy:
            for data in copy:
                buffer.write(data)
    return buffer.getvalue()


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(time.time())
    archive.addfile(info, io.BytesIO(data))


def _public_rows(school: School, *, with_api_keys: bool = True) -> dict:
    public = {
        "school": {
            "schema_name": school.schema_name,
            "name": school.name,
            "is_suspended": school.is_suspended,
            "suspended_reason": school.suspended_reason,
            "suspended_at": school.suspended_at.isoformat() if school.suspended_at else None,
            "created_at": school.created_at.isoformat(),
            "plan": (
                {
                    "name": school.plan.name,
                    "monthly_generated_questions": school.plan.monthly_generated_questions,
                    "monthly_tutor_questions": school.plan.monthly_tutor_questions,
                }
                if school.plan
                else None
            ),
        },
        "domains": [
            {"domain": d.domain, "is_primary": d.is_primary}
            for d in Domain.objects.filter(tenant=school).order_by("domain")
        ],
        "ai_usage": [
            {
                "month": u.month.isoformat(),
                "generated_questions": u.generated_questions,
                "tutor_questions": u.tutor_questions,
                "prompt_tokens": u.prompt_tokens,
                "completion_tokens": u.completion_tokens,
            }
            for u in AIUsage.objects.filter(school=school).order_by("month")
        ],
    }
    if with_api_keys:
        # Keys are stored hashed; the hash travels so a restored school's partners keep working.
        public["api_keys"] = [
            {
                "id": k.id,
                "prefix": k.prefix,
                "hashed_key": k.hashed_key,
                "name": k.name,
                "revoked": k.revoked,
                "expiry_date": k.expiry_date.isoformat() if k.expiry_date else None,
                "created": k.created.isoformat(),
                "scope": k.scope,
                "created_by": k.created_by,
                "last_used_at": k.last_used_at.isoformat() if k.last_used_at else None,
            }
            for k in SchoolAPIKey.objects.filter(school=school).order_by("created")
        ]
    return public


def school_backup(school: School, output: Path, *, progress: Progress = _quiet) -> BackupSummary:
    """Write one school's backup archive to ``output``."""
    started = time.perf_counter()
    schema = school.schema_name
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    manifest: dict = {
        "format": FORMAT,
        "created_at": timezone.now().isoformat(),
        "school": {"schema_name": schema, "name": school.name},
        "tables": {},
        "files": {},
    }
    rows_total = 0
    files_total = 0
    bytes_total = 0
    connection.set_schema_to_public()
    with tarfile.open(partial, "w:gz") as archive:
        # One snapshot for every table, so rows that point at each other agree.
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            manifest["migrations"] = migration_state(schema)
            tables = schema_tables(schema)
            for table in tables:
                columns = table_columns(schema, table)
                data = _copy_out(schema, table, columns)
                # Quoted fields may hold newlines: count records, not lines.
                rows = sum(1 for _ in csv.reader(io.StringIO(data.decode()))) - 1 if data else 0
                manifest["tables"][table] = {"columns": columns, "rows": rows}
                rows_total += rows
                _add_bytes(archive, f"tables/{table}.csv", data)
                progress(f"table {table}: {rows} rows")
            public = _public_rows(school)
        _add_bytes(archive, "public.json", json.dumps(public, indent=1).encode())
        for name in stored_files(schema):
            with default_storage.open(name, "rb") as handle:
                data = handle.read()
            manifest["files"][name] = {
                "sha256": hashlib.sha256(data).hexdigest(),
                "bytes": len(data),
            }
            files_total += 1
            bytes_total += len(data)
            _add_bytes(archive, f"files/{name}", data)
            progress(f"file {name}")
        _add_bytes(archive, "manifest.json", json.dumps(manifest, indent=1).encode())
    partial.replace(output)
    return BackupSummary(
        output,
        schema,
        len(manifest["tables"]),
        rows_total,
        files_total,
        bytes_total,
        time.perf_counter() - started,
    )


def read_manifest(path: Path) -> dict:
    try:
        archive = tarfile.open(path, "r:*")
    except tarfile.ReadError as exc:
        raise ValidationError(
            f"{path} is not a SmartEdu school backup (not a tar archive)."
        ) from exc
    with archive:
        try:
            member = archive.extractfile("manifest.json")
        except KeyError:
            member = None
        if member is None:
            raise ValidationError(f"{path} is not a SmartEdu school backup (no manifest.json).")
        manifest = json.loads(member.read())
    if manifest.get("format") != FORMAT:
        raise ValidationError(
            f"{path} has format {manifest.get('format')!r}; this version restores {FORMAT!r}."
        )
    return manifest


def file_columns() -> list[tuple[str, str]]:
    """(table, column) of every FileField in the school's apps."""
    found = []
    for model in apps.get_models():
        if model._meta.app_label not in {a.split(".")[-1] for a in settings.TENANT_APPS}:
            continue
        for f in model._meta.concrete_fields:
            if isinstance(f, models.FileField):
                found.append((model._meta.db_table, f.column))
    return found


def _tables_shape(migrations: list[list[str]]) -> list[list[str]]:
    """The migrations that decide the tables' shape (all but STATE_ONLY_MIGRATIONS)."""
    return [list(m) for m in migrations if tuple(m) not in STATE_ONLY_MIGRATIONS]


def school_restore(
    path: Path,
    *,
    slug: str | None = None,
    name: str | None = None,
    progress: Progress = _quiet,
) -> RestoreSummary:
    """Restore a backup archive as a new school (``slug``, default the original schema name).

    Refuses before writing anything when the school exists or the archive's migrations are not
    this instance's. Under a new name the old API keys are not carried: a key opens one school."""
    from .services import school_delete, school_provision, template_school_ensure

    started = time.perf_counter()
    path = Path(path)
    manifest = read_manifest(path)
    original = manifest["school"]["schema_name"]
    slug = (slug or original).strip().lower()
    connection.set_schema_to_public()
    if School.objects.filter(schema_name=slug).exists() or schema_exists(slug):
        raise ValidationError(
            f"A school named {slug!r} already exists. Restore under another name with --as, "
            "or erase that school first."
        )
    template = template_school_ensure()
    here = migration_state(template.schema_name)
    if _tables_shape(here) != _tables_shape(manifest["migrations"]):
        missing = {tuple(m) for m in manifest["migrations"]} - {tuple(m) for m in here}
        extra = {tuple(m) for m in here} - {tuple(m) for m in manifest["migrations"]}
        raise ValidationError(
            "The backup was taken at another migration state than this instance's "
            f"(only in the backup: {sorted(missing)[:5]}; only here: {sorted(extra)[:5]}). "
            "Restore it on an instance of the same release, or migrate that instance first."
        )
    with tarfile.open(path, "r:*") as archive:
        public = json.loads(archive.extractfile("public.json").read())
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
                        "TRUNCATE " + ", ".join(_quoted(slug, t) for t in tables) + " CASCADE"
                    )
                    for table, info in manifest["tables"].items():
                        if table not in tables:
                            raise ValidationError(f"Table {table} of the backup is not here.")
                        data = archive.extractfile(f"tables/{table}.csv").read()
                        column_list = ", ".join(f'"{c}"' for c in info["columns"])
                        with cursor.copy(
                            f"COPY {_quoted(slug, table)} ({column_list}) "
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
                                f'UPDATE {_quoted(slug, table)} SET "{column}" = %s || '
                                f'substr("{column}", %s) WHERE "{column}" LIKE %s',
                                [new, len(old) + 1, old.replace("_", r"\_") + "%"],
                            )
                api_keys = _restore_public_rows(school, public, carry_api_keys=not renamed)
            for storage_name, info in manifest["files"].items():
                data = archive.extractfile(f"files/{storage_name}").read()
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
            connection.set_schema_to_public()
            for stored in list(stored_files(slug)):
                default_storage.delete(stored)
            _remove_empty_folders(storage_prefix(slug))
            school_delete(school)
            raise
    connection.set_schema_to_public()
    return RestoreSummary(
        school,
        len(manifest["tables"]),
        rows_total,
        files_total,
        time.perf_counter() - started,
        api_keys=api_keys,
    )


def _reset_sequences(cursor, schema: str) -> None:
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
            f'COALESCE((SELECT MAX("{column}") FROM {_quoted(schema, table)}), 0) + 1, false)',
            [_quoted(schema, table), column],
        )


def _restore_public_rows(school: School, public: dict, *, carry_api_keys: bool) -> int:
    from datetime import date, datetime

    saved = public["school"]
    plan = saved.get("plan")
    if plan:
        school.plan, _ = Plan.objects.get_or_create(
            name=plan["name"],
            defaults={
                "monthly_generated_questions": plan["monthly_generated_questions"],
                "monthly_tutor_questions": plan["monthly_tutor_questions"],
            },
        )
    school.is_suspended = saved["is_suspended"]
    school.suspended_reason = saved["suspended_reason"]
    school.suspended_at = (
        datetime.fromisoformat(saved["suspended_at"]) if saved["suspended_at"] else None
    )
    school.save(update_fields=["plan", "is_suspended", "suspended_reason", "suspended_at"])
    for usage in public["ai_usage"]:
        AIUsage.objects.create(
            school=school, **{**usage, "month": date.fromisoformat(usage["month"])}
        )
    if not carry_api_keys:
        return 0
    for key in public.get("api_keys", []):
        SchoolAPIKey.objects.create(
            school=school,
            **{
                **key,
                "expiry_date": (
                    datetime.fromisoformat(key["expiry_date"]) if key["expiry_date"] else None
                ),
                "created": datetime.fromisoformat(key["created"]),
                "last_used_at": (
                    datetime.fromisoformat(key["last_used_at"]) if key["last_used_at"] else None
                ),
            },
        )
    return len(public.get("api_keys", []))


# --- the school's own copy of its data -----------------------------------------------------


def school_export(school: School, output: Path, *, progress: Progress = _quiet) -> dict:
    """A zip for the school itself: one JSON file per table (rows as objects; password hashes
    left out), the school's public record, and the original files. Returns row counts."""
    import zipfile

    schema = school.schema_name
    counts: dict[str, int] = {}
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    connection.set_schema_to_public()
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            for table in schema_tables(schema):
                omitted = EXPORT_OMITTED_COLUMNS.get(table, set())
                cursor.execute(
                    f"SELECT row_to_json(t)::text FROM {_quoted(schema, table)} t ORDER BY 1"
                )
                rows = []
                for (text,) in cursor.fetchall():
                    row = json.loads(text)
                    for column in omitted:
                        row.pop(column, None)
                    rows.append(row)
                counts[table] = len(rows)
                archive.writestr(f"data/{table}.json", json.dumps(rows, indent=1))
                progress(f"table {table}: {len(rows)} rows")
            public = _public_rows(school, with_api_keys=False)
        archive.writestr("data/school.json", json.dumps(public, indent=1))
        files = []
        for name in stored_files(schema):
            with default_storage.open(name, "rb") as handle:
                archive.writestr(f"files/{name[len(storage_prefix(schema)) :]}", handle.read())
            files.append(name)
            progress(f"file {name}")
        archive.writestr(
            "README.txt",
            f"SmartEdu export of {school.name} ({schema}), {timezone.now():%Y-%m-%d %H:%M} UTC.\n"
            "data/<table>.json: every row of every table of the school, as JSON objects\n"
            "  (column names as keys; password hashes are not exported).\n"
            "data/school.json: the school's name, plan, domains and monthly AI use.\n"
            "files/: the uploaded files, under the paths the material rows name\n"
            f"  (without the 'schools/{schema}/' prefix).\n",
        )
        archive.writestr(
            "manifest.json",
            json.dumps(
                {"format": EXPORT_FORMAT, "schema": schema, "tables": counts, "files": files},
                indent=1,
            ),
        )
    return counts


# --- erasure ---------------------------------------------------------------------------------


@dataclass
class ErasureSummary:
    schema: str
    files: int
    redis_keys: int


def _remove_empty_folders(prefix: str) -> None:
    """A local file system keeps the folders its files lived in (object stores have none)."""
    import shutil

    try:
        root = Path(default_storage.path(prefix))
    except NotImplementedError:
        return
    if root.is_dir() and not any(p.is_file() for p in root.rglob("*")):
        shutil.rmtree(root)


def school_erase(school: School) -> ErasureSummary:
    """Erase everything of a school this instance holds: its schema, its public rows (domains,
    API keys, AI usage, the admin's history of it), its stored files and its Redis keys (cache,
    channel groups). Backups taken before are not reachable from here."""
    import re

    import redis
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    from .services import school_delete

    schema = school.schema_name
    if school.is_template or schema == "public":
        raise ValidationError(f"{schema!r} is not a school and cannot be erased.")
    connection.set_schema_to_public()
    files = 0
    for name in list(stored_files(schema)):
        default_storage.delete(name)
        files += 1
    _remove_empty_folders(storage_prefix(schema))
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
