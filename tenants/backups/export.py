"""The school's own copy of its data: a zip of JSON rows and the original files."""

import json
from pathlib import Path

from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from smartedu.db import tenant_connection
from tenants.models import School

from .archive import Progress, quiet
from .public import public_rows
from .schema import quoted, schema_tables
from .storage import storage_prefix, stored_files

EXPORT_FORMAT = "smartedu-school-export/1"
# Exports leave out what is a secret rather than the school's data.
EXPORT_OMITTED_COLUMNS = {"accounts_user": {"password"}}


def school_export(school: School, output: Path, *, progress: Progress = quiet) -> dict[str, int]:
    """A zip for the school itself: one JSON file per table (rows as objects; password hashes
    left out), the school's public record, and the original files. Returns row counts."""
    import zipfile

    schema = school.schema_name
    counts: dict[str, int] = {}
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    tenant_connection().set_schema_to_public()
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            for table in schema_tables(schema):
                omitted = EXPORT_OMITTED_COLUMNS.get(table, set())
                cursor.execute(
                    f"SELECT row_to_json(t)::text FROM {quoted(schema, table)} t ORDER BY 1"
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
            public = public_rows(school, with_api_keys=False)
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
