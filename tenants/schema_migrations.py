"""Migrating every school's schema: in parallel, resumable, with one outcome per school.

The resume record is each schema's own ``django_migrations`` table, compared with the migration
graph in one query per few hundred schemas: a school whose table already lists every migration
of the graph is skipped without a connection of its own; a school that failed last time still
lacks its rows and is tried again; a new migration changes the graph and so the target of every
school. Nothing else is stored, so the record cannot disagree with the database.

Each school is migrated the way ``migrate`` migrates one database: every migration in its own
transaction, so a failure leaves that school at its last applied migration and the others
untouched.
"""

import hashlib
import io
import multiprocessing
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django_tenants.utils import get_public_schema_name, get_tenant_base_migrate_command_class

from smartedu.db import tenant_connection

# Schemas checked per query: a UNION of this many small index scans stays well under a second.
CHECK_BATCH = 250


class Outcome:
    MIGRATED = "migrated"
    UP_TO_DATE = "up to date"
    SKIPPED = "skipped"  # at the target by the check; not connected to
    FAILED = "failed"
    NOT_ATTEMPTED = "not attempted"  # left after a failure with fail_fast


@dataclass(frozen=True)
class SchoolMigration:
    schema_name: str
    outcome: str
    applied: int = 0
    seconds: float = 0.0
    error: str = ""


@dataclass
class MigrationRun:
    target: str
    results: list[SchoolMigration] = field(default_factory=list)
    seconds: float = 0.0

    def with_outcome(self, outcome: str) -> list[SchoolMigration]:
        return [result for result in self.results if result.outcome == outcome]

    @property
    def failed(self) -> list[SchoolMigration]:
        return self.with_outcome(Outcome.FAILED)


def migration_graph_nodes() -> set[tuple[str, str]]:
    """Every migration ``migrate`` records in a schema (shared apps' too: Django records the
    migrations the router skips, so each school's table lists the whole graph)."""
    return set(MigrationLoader(None, ignore_no_migrations=True).graph.nodes)


def migration_target(nodes: Iterable[tuple[str, str]] | None = None) -> str:
    """A short fingerprint of the migration graph, printed with every run so that two runs can
    be seen to aim at the same state."""
    names = sorted(f"{app}.{name}" for app, name in (nodes or migration_graph_nodes()))
    return hashlib.sha256("\n".join(names).encode()).hexdigest()[:12]


def school_schema_names() -> list[str]:
    """Every tenant schema, the template first (schools provisioned during the run are cloned
    from it, so it should reach the new state before anything else)."""
    from tenants.models import School

    names = list(
        School.objects.exclude(schema_name=get_public_schema_name())
        .order_by("schema_name")
        .values_list("schema_name", flat=True)
    )
    template = settings.TENANT_BASE_SCHEMA
    return ([template] if template in names else []) + [n for n in names if n != template]


def schemas_at_target(schema_names: list[str], nodes: set[tuple[str, str]]) -> set[str]:
    """The schemas whose ``django_migrations`` already lists every migration in ``nodes``."""
    required = sorted(f"{app}.{name}" for app, name in nodes)
    done: set[str] = set()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_schema FROM information_schema.tables "
            "WHERE table_name = 'django_migrations' AND table_schema = ANY(%s)",
            [schema_names],
        )
        with_table = [row[0] for row in cursor.fetchall()]
        for start in range(0, len(with_table), CHECK_BATCH):
            batch = with_table[start : start + CHECK_BATCH]
            cursor.execute(
                " UNION ALL ".join(
                    f"SELECT %s, count(DISTINCT (app, name)) FROM {connection.ops.quote_name(s)}"
                    ".django_migrations WHERE app || '.' || name = ANY(%s)"
                    for s in batch
                ),
                [value for s in batch for value in (s, required)],
            )
            done.update(schema for schema, count in cursor.fetchall() if count == len(required))
    return done


def shared_schema_migrate(verbosity: int = 0) -> None:
    call_command("migrate_schemas", shared=True, interactive=False, verbosity=verbosity)


def schools_migrate(
    *,
    schema_names: list[str] | None = None,
    processes: int = 1,
    resume: bool = True,
    fail_fast: bool = False,
    on_result: Callable[[SchoolMigration], None] | None = None,
) -> MigrationRun:
    """Migrate the given tenant schemas (default: all of them, the template first) in
    ``processes`` worker processes. With ``resume``, schemas already at the target are skipped
    after one cheap check. A failing school is reported and the others go on, unless
    ``fail_fast``: then no new school is started after the first failure. ``on_result`` is
    called in this process as each school finishes (for a progress bar)."""
    started = time.perf_counter()
    nodes = migration_graph_nodes()
    run = MigrationRun(target=migration_target(nodes))
    names = school_schema_names() if schema_names is None else list(schema_names)

    def record(result: SchoolMigration) -> None:
        run.results.append(result)
        if on_result:
            on_result(result)

    skip = schemas_at_target(names, nodes) if resume and names else set()
    for name in names:
        if name in skip:
            record(SchoolMigration(name, Outcome.SKIPPED))
    pending = [name for name in names if name not in skip]

    if processes <= 1 or len(pending) <= 1:
        failed = False
        for name in pending:
            if failed and fail_fast:
                record(SchoolMigration(name, Outcome.NOT_ATTEMPTED))
                continue
            result = school_schema_migrate(name)
            failed = failed or result.outcome == Outcome.FAILED
            record(result)
        tenant_connection().set_schema_to_public()
    elif pending:
        _migrate_in_processes(pending, processes, fail_fast, record)
    run.seconds = time.perf_counter() - started
    return run


def _migrate_in_processes(pending, processes, fail_fast, record) -> None:
    # Forked workers must not share this process's database sockets.
    connections.close_all()
    context = multiprocessing.get_context("fork")
    stop = context.Event()
    with context.Pool(processes, initializer=_worker_start, initargs=(stop,)) as pool:
        for result in pool.imap_unordered(_worker_migrate, pending, chunksize=1):
            if result.outcome == Outcome.FAILED and fail_fast:
                stop.set()
            record(result)
        pool.close()
        pool.join()


_stop_event = None
# Connections a forked worker found open; held, never used nor closed (see _worker_start).
_inherited_connections: list[object] = []


def _worker_start(stop) -> None:
    global _stop_event
    _stop_event = stop
    # The parent closed its connections before forking, but a connection opened in another of
    # its contexts (an event loop's, a greenlet's) can still reach the worker, and every worker
    # would share its socket. Each worker opens its own instead. The inherited one is kept
    # referenced and never closed: closing it would end the parent's session on the server.
    for wrapper in connections.all(initialized_only=True):
        if wrapper.connection is not None:
            _inherited_connections.append(wrapper.connection)
            wrapper.connection = None


def _worker_migrate(schema_name: str) -> SchoolMigration:
    if _stop_event is not None and _stop_event.is_set():
        return SchoolMigration(schema_name, Outcome.NOT_ATTEMPTED)
    return school_schema_migrate(schema_name)


def school_schema_migrate(schema_name: str) -> SchoolMigration:
    """Apply one schema's pending migrations; never raises: a failure is an outcome, named with
    the migration that failed and the database's message."""
    started = time.perf_counter()
    output = io.StringIO()
    try:
        # The schema's own django_migrations must exist before migrate looks for it, or the
        # search path would find public's (as django-tenants' executors do).
        tenant_connection().set_schema(schema_name, include_public=False)
        MigrationRecorder(connection).ensure_schema()
        tenant_connection().set_schema(schema_name)
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        call_command(
            get_tenant_base_migrate_command_class()(),
            database=DEFAULT_DB_ALIAS,
            interactive=False,
            verbosity=1,
            skip_checks=True,
            stdout=output,
            stderr=output,
        )
    except Exception as exc:
        connection.close()  # whatever state the failed transaction left is not reused
        applying = [line for line in output.getvalue().splitlines() if "Applying " in line]
        where = applying[-1].split("Applying ", 1)[1].split("...")[0] + ": " if applying else ""
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return SchoolMigration(
            schema_name,
            Outcome.FAILED,
            seconds=time.perf_counter() - started,
            error=f"{where}{message}",
        )
    finally:
        tenant_connection().set_schema_to_public()
    return SchoolMigration(
        schema_name,
        Outcome.MIGRATED if plan else Outcome.UP_TO_DATE,
        applied=len(plan),
        seconds=time.perf_counter() - started,
    )
