"""A fix to django-tenants' schema cloning for pgvector columns.

django-tenants clones the template schema with a PL/pgSQL function that writes a column of a
user-defined type as its bare type name, dropping the type modifier: ``vector(384)`` becomes
``vector``, and the HNSW index on that column then fails ("column does not have dimensions"),
so no school could be provisioned. The function already computes the full definition
(``format_type(atttypid, atttypmod)``) for other columns; this makes user-defined types use it
too. Applied once at start-up, before any school is created."""

import django_tenants.clone

_BARE_TYPE = (
    "v_temp = quote_ident(v_colrec.udt_schema) || '.' || quote_ident(v_colrec.udt_name);"
)
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
