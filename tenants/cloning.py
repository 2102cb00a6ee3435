"""A fix to django-tenants' schema cloning for pgvector columns.

django-tenants clones the template schema with a PL/pgSQL function that writes a column of a
user-defined type as its bare type name, dropping the type modifier: ``vector(384)`` becomes
``vector``, and the HNSW index on that column then fails ("column does not have dimensions"),
so no school could be provisioned. The function already computes the full definition
(``format_type(atttypid, atttypmod)``) for other columns; this makes user-defined types use it
too. Applied once at start-up, before any school is created."""

import django_tenants.clone

_BARE_TYPE = "v_temp = quote_ident(v_colrec.udt_schema) || '.' || quote_ident(v_colrec.udt_name);"
_FULL_TYPE = "v_temp = v_coldef;  -- SmartEdu: keep type modifiers such as vector(384)"


def clone_function_keep_type_modifiers() -> None:
    source = django_tenants.clone.CLONE_SCHEMA_FUNCTION
    if _FULL_TYPE in source:
        return
    if source.count(_BARE_TYPE) != 1:
        raise RuntimeError(
            "django-tenants' clone_schema function changed: check that cloning keeps "
            "vector(384) columns, then update tenants/cloning.py."
        )
    django_tenants.clone.CLONE_SCHEMA_FUNCTION = source.replace(_BARE_TYPE, _FULL_TYPE)


COLUMN_STORAGE_DIFFERENCES = """
SELECT c.relname, a.attname, a.attstorage
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_class c2 ON c2.relname = c.relname
JOIN pg_namespace n2 ON n2.oid = c2.relnamespace AND n2.nspname = %(school)s
JOIN pg_attribute a2 ON a2.attrelid = c2.oid AND a2.attname = a.attname
WHERE n.nspname = %(template)s AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
  AND a.attstorage <> a2.attstorage
"""

_STORAGE_NAMES = {"p": "PLAIN", "e": "EXTERNAL", "m": "MAIN", "x": "EXTENDED"}


def cloned_schema_copy_column_storage(schema_name: str) -> int:
    """Give a cloned school's columns the storage the template's have (the clone function
    copies types, not ``ALTER COLUMN … SET STORAGE``: without this, passage vectors would move
    out of line and course searches would read twice the pages). Returns columns changed."""
    from django.conf import settings
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            COLUMN_STORAGE_DIFFERENCES,
            {"school": schema_name, "template": settings.TENANT_BASE_SCHEMA},
        )
        differences = cursor.fetchall()
        for table, column, storage in differences:
            cursor.execute(
                f'ALTER TABLE "{schema_name}"."{table}" ALTER COLUMN "{column}" '
                f"SET STORAGE {_STORAGE_NAMES[storage]}"
            )
    return len(differences)


def _after_schema_created(sender, tenant, **kwargs) -> None:
    from django.conf import settings

    if tenant.schema_name != settings.TENANT_BASE_SCHEMA:
        cloned_schema_copy_column_storage(tenant.schema_name)
