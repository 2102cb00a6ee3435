"""A school cloned from the template has the template's tables exactly: the passage vector
column keeps its 384 dimensions (the HNSW index needs them) and its in-row storage."""

from django.db import connection


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
