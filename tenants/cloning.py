"""A new school's schema as a copy of the template schema, from the catalogue of one schema.

django-tenants' ``clone_schema()`` looks up each column through ``information_schema``, whose
views cannot use the catalogue's indexes: every clone scans every column of every school, so
one clone took 0.4 s with no schools and 2.3 s with 100 (bench/RESULTS.md). This copy reads the
template's own catalogue rows through the catalogue's indexes (pg_class has none on the schema,
so the tables are found through their pg_depend entries), so reading costs the same however many
schools there are.

What is copied: every table (columns, defaults, identity, generated columns, storage, NOT NULL
and CHECK constraints, via ``LIKE ... INCLUDING ALL``; identity sequences keep their type),
every primary key, unique and exclusion constraint and every other index under its own name
(later migrations drop and alter them by name), every foreign key, and the template's rows
(migration records, content types and permissions), with each identity sequence moved past the
copied ids. tests/tenants/test_cloning.py compares the whole catalogue of a clone with the
template's.
"""

from django.db import connection, transaction


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def schema_clone(source: str, target: str) -> None:
    """Create schema ``target`` as a copy of schema ``source``, in one transaction."""
    src, dst = _quote(source), _quote(target)
    with transaction.atomic(), connection.cursor() as cursor:
        # Definitions printed with only the template on the path name its own tables without
        # a schema (so they resolve in the new one) and anything else with its schema.
        cursor.execute(f"SET LOCAL search_path = {src}")
        # Every lookup goes through an index of the catalogue (the template's tables found
        # through their dependency on the schema, the rest by table oid): pg_class has no
        # index on relnamespace, and scanning it costs more with every school.
        cursor.execute(
            "SELECT c.oid, c.relname FROM pg_depend d JOIN pg_class c ON c.oid = d.objid "
            "WHERE d.refclassid = 'pg_namespace'::regclass AND d.refobjid = %s::regnamespace "
            "AND d.classid = 'pg_class'::regclass AND c.relkind IN ('r', 'p') "
            "AND NOT c.relispartition ORDER BY c.relname",
            [source],
        )
        table_oids, tables = [], []
        for oid, name in cursor.fetchall():
            table_oids.append(oid)
            tables.append(name)
        cursor.execute(
            "SELECT rel.relname, con.conname, con.contype, pg_get_constraintdef(con.oid), "
            "con.conindid FROM pg_constraint con JOIN pg_class rel ON rel.oid = con.conrelid "
            "WHERE con.conrelid = ANY(%s) AND con.contype IN ('p', 'u', 'x', 'f') "
            "ORDER BY con.contype = 'f', rel.relname, con.conname",
            [table_oids],
        )
        constraints = cursor.fetchall()
        constraint_indexes = {row[4] for row in constraints if row[2] != "f"}
        cursor.execute(
            "SELECT i.indexrelid, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = ANY(%s) ORDER BY c.relname",
            [table_oids],
        )
        indexes = [sql for oid, sql in cursor.fetchall() if oid not in constraint_indexes]
        cursor.execute(
            "SELECT c.relname, format_type(s.seqtypid, NULL) FROM pg_depend d "
            "JOIN pg_sequence s ON s.seqrelid = d.objid JOIN pg_class c ON c.oid = s.seqrelid "
            "WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid = ANY(%s) "
            "AND d.classid = 'pg_class'::regclass AND d.deptype IN ('i', 'a')",
            [table_oids],
        )
        sequence_types = cursor.fetchall()
        cursor.execute("SELECT quote_ident(%s)", [source])
        printed_source = cursor.fetchone()[0]  # as pg_get_indexdef writes it
        cursor.execute(
            "SELECT c.relname, a.attname, a.attidentity <> '' FROM pg_attribute a "
            "JOIN pg_class c ON c.oid = a.attrelid WHERE a.attrelid = ANY(%s) "
            "AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' "
            "ORDER BY c.relname, a.attnum",
            [table_oids],
        )
        columns: dict[str, list[tuple[str, bool]]] = {}
        for table, column, identity in cursor.fetchall():
            columns.setdefault(table, []).append((column, identity))

        cursor.execute(f"CREATE SCHEMA {dst}")
        cursor.execute(f"SET LOCAL search_path = {dst}")
        for table in tables:
            cursor.execute(
                f"CREATE TABLE {dst}.{_quote(table)} "
                f"(LIKE {src}.{_quote(table)} INCLUDING ALL EXCLUDING INDEXES)"
            )
        for sequence, data_type in sequence_types:
            # LIKE gives an integer column's identity sequence the type bigint.
            cursor.execute(f"ALTER SEQUENCE {dst}.{_quote(sequence)} AS {data_type}")
        for table in tables:
            names = ", ".join(_quote(column) for column, _ in columns.get(table, []))
            cursor.execute(
                f"INSERT INTO {dst}.{_quote(table)} ({names}) OVERRIDING SYSTEM VALUE "
                f"SELECT {names} FROM {src}.{_quote(table)}"
            )
            for column, identity in columns.get(table, []):
                if identity:
                    cursor.execute(
                        "SELECT setval(pg_get_serial_sequence(%s, %s), "
                        f"coalesce(max({_quote(column)}), 0) + 1, false) "
                        f"FROM {dst}.{_quote(table)}",
                        [f"{dst}.{_quote(table)}", column],
                    )
        for table, name, _kind, definition, _index in constraints:
            cursor.execute(
                f"ALTER TABLE {dst}.{_quote(table)} ADD CONSTRAINT {_quote(name)} {definition}"
            )
        for definition in indexes:
            # pg_get_indexdef always names the table with its schema: "... ON school_template.t".
            qualified = f" ON {printed_source}."
            assert qualified in definition, definition
            cursor.execute(definition.replace(qualified, f" ON {dst}.", 1))
