"""What a backup reads of a school's schema: its tables, their stored columns, its migration
state, and the columns that hold stored files' names."""

from django.apps import apps
from django.conf import settings
from django.db import connection, models


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


# Migrations that change Django's model state only, never a table (GenerationJob moving from ai
# to quizzes): a backup taken before them holds the same tables, so it restores as it is.
STATE_ONLY_MIGRATIONS = {
    ("ai", "0006_generationjob_to_quizzes"),
    ("quizzes", "0004_generationjob_from_ai"),
}


def tables_shape(migrations: list[list[str]]) -> list[list[str]]:
    """The migrations that decide the tables' shape (all but STATE_ONLY_MIGRATIONS)."""
    return [list(m) for m in migrations if tuple(m) not in STATE_ONLY_MIGRATIONS]


def migration_state(schema: str) -> list[list[str]]:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT app, name FROM "{schema}".django_migrations ORDER BY app, name')
        return [list(row) for row in cursor.fetchall()]


def quoted(schema: str, table: str) -> str:
    return f'"{schema}"."{table}"'


def file_columns() -> list[tuple[str, str]]:
    """(table, column) of every FileField in the school's apps."""
    found: list[tuple[str, str]] = []
    for model in apps.get_models():
        if model._meta.app_label not in {a.split(".")[-1] for a in settings.TENANT_APPS}:
            continue
        for f in model._meta.concrete_fields:
            if isinstance(f, models.FileField) and f.column:
                found.append((model._meta.db_table, f.column))
    return found
