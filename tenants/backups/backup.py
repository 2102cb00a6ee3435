"""A school's backup archive: every table's rows in one snapshot, its public rows and its files."""

import csv
import hashlib
import io
import json
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from smartedu.db import tenant_connection
from tenants.models import School

from .archive import FORMAT, Progress, add_bytes, quiet
from .public import public_rows
from .schema import migration_state, quoted, schema_tables, table_columns
from .storage import stored_files


@dataclass
class BackupSummary:
    path: Path
    schema: str
    tables: int
    rows: int
    files: int
    bytes: int
    seconds: float


def _copy_out(schema: str, table: str, columns: list[str]) -> bytes:
    column_list = ", ".join(f'"{c}"' for c in columns)
    buffer = io.BytesIO()
    with connection.cursor() as cursor:
        with cursor.copy(
            f"COPY (SELECT {column_list} FROM {quoted(schema, table)} ORDER BY 1) "
            "TO STDOUT WITH (FORMAT csv, HEADER true)"
        ) as copy:
            for data in copy:
                buffer.write(data)
    return buffer.getvalue()


def school_backup(school: School, output: Path, *, progress: Progress = quiet) -> BackupSummary:
    """Write one school's backup archive to ``output``."""
    started = time.perf_counter()
    schema = school.schema_name
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "created_at": timezone.now().isoformat(),
        "school": {"schema_name": schema, "name": school.name},
        "tables": {},
        "files": {},
    }
    rows_total = 0
    files_total = 0
    bytes_total = 0
    tenant_connection().set_schema_to_public()
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
                add_bytes(archive, f"tables/{table}.csv", data)
                progress(f"table {table}: {rows} rows")
            public = public_rows(school)
        add_bytes(archive, "public.json", json.dumps(public, indent=1).encode())
        for name in stored_files(schema):
            with default_storage.open(name, "rb") as handle:
                data = handle.read()
            manifest["files"][name] = {
                "sha256": hashlib.sha256(data).hexdigest(),
                "bytes": len(data),
            }
            files_total += 1
            bytes_total += len(data)
            add_bytes(archive, f"files/{name}", data)
            progress(f"file {name}")
        add_bytes(archive, "manifest.json", json.dumps(manifest, indent=1).encode())
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
