"""A school cloned from the template has the template's tables exactly: the passage vector
column keeps its 384 dimensions (the HNSW index needs them) and its in-row storage."""

import pytest
from django.db import connection
from django_tenants.utils import schema_context


def column_facts(schema: str, table: str, column: str) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT format_type(a.atttypid, a.atttypmod), a.attstorage FROM pg_attribute a "
            "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relname = %s AND a.attname = %s",
            [schema, table, column],
        )
        return cursor.fetchone()


def test_a_cloned_school_keeps_the_vector_dimensions_and_storage(fresh_school, committed):
    from django.conf import settings

    school = fresh_school()

    template = column_facts(settings.TENANT_BASE_SCHEMA, "ai_chunk", "embedding")
    cloned = column_facts(school.schema, "ai_chunk", "embedding")

    assert template[0].endswith("vector(384)") and template[1] == "p"
    assert cloned == template
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = %s AND indexname = %s",
            [school.schema, "chunk_embedding_hnsw"],
        )
        assert "hnsw" in cursor.fetchone()[0]


def catalogue(schema: str) -> dict:
    """Everything a migration or a query can tell about a schema, with its own name taken out:
    tables, columns in order, constraints and indexes by name with their definitions, each
    identity sequence's next value, and every row."""
    facts = {}
    with connection.cursor() as cursor:
        cursor.execute(f'SET search_path = "{schema}"')  # definitions print unqualified
        queries = {
            "tables": "SELECT relname, relkind, relpersistence, reloptions::text FROM pg_class "
            "WHERE relnamespace = %(s)s::regnamespace AND relkind IN ('r', 'p', 'v', 'm') "
            "ORDER BY 1",
            "columns": "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), "
            "a.attnotnull, a.attidentity, a.attgenerated, a.attstorage, a.attcollation, "
            "pg_get_expr(d.adbin, d.adrelid), row_number() OVER (PARTITION BY c.relname "
            "ORDER BY a.attnum) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
            "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
            "WHERE c.relnamespace = %(s)s::regnamespace AND c.relkind IN ('r', 'p') "
            "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY 1, 10",
            "constraints": "SELECT rel.relname, con.conname, con.contype, con.condeferrable, "
            "con.condeferred, pg_get_constraintdef(con.oid) FROM pg_constraint con "
            "JOIN pg_class rel ON rel.oid = con.conrelid "
            "WHERE con.connamespace = %(s)s::regnamespace ORDER BY 1, 2",
            "indexes": "SELECT indexname, replace(indexdef, ' ON ' || %(s)s || '.', ' ON .') "
            "FROM pg_indexes WHERE schemaname = %(s)s ORDER BY 1",
            "sequences": "SELECT sequencename, data_type::text, start_value, increment_by, "
            "min_value, max_value, cycle FROM pg_sequences WHERE schemaname = %(s)s ORDER BY 1",
            "triggers": "SELECT tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE c.relnamespace = %(s)s::regnamespace AND NOT t.tgisinternal ORDER BY 1",
        }
        for name, sql in queries.items():
            cursor.execute(sql, {"s": schema})
            facts[name] = cursor.fetchall()
        for sequence, *_rest in facts["sequences"]:
            cursor.execute(
                "SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END "
                f'FROM "{schema}"."{sequence}"'
            )
            facts[f"next {sequence}"] = cursor.fetchone()[0]
        for table, *_rest in facts["tables"]:
            cursor.execute(f'SELECT to_jsonb(t)::text FROM "{schema}"."{table}" t ORDER BY 1')
            facts[f"rows {table}"] = [row[0] for row in cursor.fetchall()]
        cursor.execute("SET search_path = public")
    connection.set_schema_to_public()
    return facts


@pytest.fixture
def bare_school(committed):
    """A school as school_provision leaves it: no people yet."""
    import uuid

    from tenants.services import school_delete, school_provision

    provisioned = school_provision(name="Bare", slug=f"bare{uuid.uuid4().hex[:10]}")
    connection.set_schema_to_public()
    yield provisioned.school
    school_delete(provisioned.school)


def test_a_cloned_school_has_the_templates_whole_catalogue_and_rows(bare_school):
    from django.conf import settings

    template, cloned = catalogue(settings.TENANT_BASE_SCHEMA), catalogue(bare_school.schema_name)

    assert template["tables"] and template["constraints"] and template["rows django_migrations"]
    assert len(template["indexes"]) > len(template["tables"])
    differences = {k: (v, cloned.get(k)) for k, v in template.items() if v != cloned.get(k)}
    assert differences == {}
    assert set(cloned) == set(template)


def test_a_cloned_school_takes_new_rows_and_later_migrations(fresh_school, committed):
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command

    from tests.tenants.test_migrate_schools import APP, BEFORE, LATEST, has_latest

    school = fresh_school()
    with schema_context(school.schema):
        # The copied rows took ids 1..n; the identity sequence continues after them.
        assert ContentType.objects.create(app_label="clone", model="probe").pk > 1
    # Unapplying and reapplying a migration that drops and adds an index by name.
    for target in (BEFORE, LATEST):
        call_command(
            "migrate_schemas",
            APP,
            target,
            schema_name=school.schema,
            interactive=False,
            verbosity=0,
        )
    connection.set_schema_to_public()
    assert has_latest(school.schema)


def test_a_school_cloned_from_a_template_behind_the_code_is_behind_too_and_migrates(committed):
    """During a deploy the template may not have the newest migration yet: a school made then
    copies it as it is (nothing is recorded as applied that is not) and migrate_schools brings
    both forward."""
    import uuid

    from django.conf import settings
    from django.core.management import call_command

    from tenants.services import school_delete, school_provision
    from tests.tenants.test_migrate_schools import has_latest, migrate_schools, roll_back

    template = settings.TENANT_BASE_SCHEMA
    roll_back(template)
    school = None
    try:
        school = school_provision(name="Mid-deploy", slug=f"mid{uuid.uuid4().hex[:10]}").school
        connection.set_schema_to_public()
        assert not has_latest(school.schema_name)  # asserts recorded == applied, too

        out, _, error = migrate_schools(template, school.schema_name, processes=1, skip_shared=True)

        assert error is None, out
        assert has_latest(template) and has_latest(school.schema_name)
    finally:
        call_command("migrate_schemas", schema_name=template, interactive=False, verbosity=0)
        connection.set_schema_to_public()
        if school is not None:
            school_delete(school)


def test_a_clone_that_fails_half_way_leaves_no_schema_school_or_domain(committed):
    """A clone runs in one transaction, and school_provision removes the school row when it
    fails: whatever goes wrong mid-copy, nothing half-made is left to serve requests."""
    import uuid

    from django.conf import settings
    from django.db import DatabaseError
    from django_tenants.utils import schema_exists

    from tenants.models import Domain, School
    from tenants.services import school_provision

    template, slug = settings.TENANT_BASE_SCHEMA, f"half{uuid.uuid4().hex[:10]}"
    with connection.cursor() as cursor:
        # A rule the template's own rows break: the copy of the rows fails after the schema
        # and its tables were created.
        cursor.execute(
            f'ALTER TABLE "{template}".django_content_type '
            "ADD CONSTRAINT no_rows_allowed CHECK (id < 0) NOT VALID"
        )
    try:
        with pytest.raises(DatabaseError, match="no_rows_allowed"):
            school_provision(name="Half", slug=slug)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                f'ALTER TABLE "{template}".django_content_type DROP CONSTRAINT no_rows_allowed'
            )
        connection.set_schema_to_public()

    assert not schema_exists(slug)
    assert not School.objects.filter(schema_name=slug).exists()
    assert not Domain.objects.filter(domain__startswith=f"{slug}.").exists()
