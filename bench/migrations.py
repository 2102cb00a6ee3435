"""Tenant migrations at scale: a no-op migrate and a one-column migration over ``--schools``
schools (default 1,000), with django-tenants' standard executor (one school after another), its
multiprocessing executor, and SmartEdu's ``migrate_schools`` (``--processes`` schools at once,
resumable), which the image's ``migrate`` role runs.

    make bench BENCH=migrations              # or, by hand:
    python -m smartedu.embedded exec --data .data/bench --redis-port 0 -- \
        .venv/bin/python bench/migrations.py [--schools 1000] [--processes 2]

The one-column migration is real: ``bench/migration_settings.py`` adds a bench-only school app
(``bench/migration_app``) whose migration 0002 adds a column with a constant default. Every
school starts at 0002 (cloned from the template); the bench moves them all back to 0001 (timed:
removing the column) and forward to 0002 again (timed: adding it), once per executor.

Works in its own scratch database (bench_migrations), dropped at the end.
"""

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import _common

APP = "bench_migration_app"


def django_setup(database_url: str) -> None:
    os.environ.update(_common.bench_env(database_url))
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.migration_settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("bootstrap", no_demo=True, verbosity=0)


def provision(count: int) -> float:
    from tqdm import tqdm

    from tenants.services import school_provision

    started = time.perf_counter()
    for i in tqdm(range(count), desc="provisioning schools", unit="school", file=sys.stdout):
        school_provision(name=f"Bench {i}", slug=f"mig{i:04d}")
    return time.perf_counter() - started


def migrate(executor: str, processes: int, *target: str) -> float:
    """One ``migrate_schemas --tenant`` over every school (and the template); seconds."""
    from django.core.management import call_command
    from django.db import connection
    from django.test import override_settings

    connection.set_schema_to_public()
    with override_settings(TENANT_MULTIPROCESSING_MAX_PROCESSES=processes):
        started = time.perf_counter()
        call_command(
            "migrate_schemas",
            *target,
            tenant=True,
            executor=executor,
            interactive=False,
            verbosity=0,
        )
        elapsed = time.perf_counter() - started
    connection.close()  # the multiprocessing executor closes it; start every run alike
    return elapsed


def migrate_schools(processes: int, *, resume: bool = True) -> float:
    """SmartEdu's ``migrate_schools`` over every school (and the template); seconds."""
    import io

    from django.core.management import call_command
    from django.db import connection

    connection.set_schema_to_public()
    started = time.perf_counter()
    call_command(
        "migrate_schools",
        processes=processes,
        resume=resume,
        skip_shared=True,
        no_progress=True,
        stdout=io.StringIO(),
    )
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


def column_present_in(schemas_expected: int, present: bool) -> None:
    """Every school's table has (or lacks) the column: the migration really ran everywhere."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM information_schema.columns "
            "WHERE table_name = 'bench_migration_app_notice' AND column_name = 'pinned'"
        )
        found = cursor.fetchone()[0]
    expected = schemas_expected if present else 0
    if found != expected:
        raise SystemExit(f"'pinned' column in {found} schemas, expected {expected}.")


def peak_rss_mib() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schools", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=2, help="multiprocessing executor")
    parser.add_argument(
        "--executors",
        default="standard,multiprocessing,migrate_schools",
        help="comma-separated: which of standard, multiprocessing, migrate_schools to time",
    )
    parser.add_argument("--db", default="bench_migrations", help="scratch database name")
    parser.add_argument("--results", type=Path, default=_common.RESULTS)
    parser.add_argument("--keep-db", action="store_true", help="leave the scratch database")
    args = parser.parse_args(argv)

    url = _common.scratch_database_create(args.db)
    runs: dict[str, dict[str, float]] = {}
    try:
        django_setup(url)
        info = _common.machine()
        print(_common.machine_markdown(info), flush=True)
        provisioning = provision(args.schools)
        schemas = args.schools + 1  # and the template
        column_present_in(schemas, True)
        chosen = set(args.executors.split(","))
        executors = [
            (executor, processes)
            for executor, processes in (("standard", 1), ("multiprocessing", args.processes))
            if executor in chosen
        ]
        for executor, processes in executors:
            label = (
                executor if executor == "standard" else f"multiprocessing, {processes} processes"
            )
            timings = runs.setdefault(label, {})
            timings["no-op"] = migrate(executor, processes)
            timings["remove column"] = migrate(executor, processes, APP, "0001")
            column_present_in(schemas, False)
            timings["add column"] = migrate(executor, processes, APP, "0002")
            column_present_in(schemas, True)
            print(
                f"  {label}: no-op {timings['no-op']:.1f} s, remove column "
                f"{timings['remove column']:.1f} s, add column {timings['add column']:.1f} s",
                flush=True,
            )
        if "migrate_schools" in chosen:
            label = f"migrate_schools, {args.processes} processes"
            timings = runs.setdefault(label, {})
            timings["no-op"] = migrate_schools(args.processes)
            print(f"  {label}: no-op {timings['no-op']:.1f} s", flush=True)
            timings["no-op, --restart"] = migrate_schools(args.processes, resume=False)
            print(f"  {label}: no-op, --restart {timings['no-op, --restart']:.1f} s", flush=True)
            # migrate_schools only moves forward: the multiprocessing executor removes the
            # column (timed too when that executor was not run above).
            removal = migrate("multiprocessing", args.processes, APP, "0001")
            column_present_in(schemas, False)
            runs.setdefault(f"multiprocessing, {args.processes} processes", {}).setdefault(
                "remove column", removal
            )
            timings["add column"] = migrate_schools(args.processes)
            column_present_in(schemas, True)
            print(f"  {label}: add column {timings['add column']:.1f} s", flush=True)
        own_rss, child_rss = peak_rss_mib()
        info["load after"] = _common.load_average()
        info["cpu stolen"] = _common.cpu_stolen_since_start()
    finally:
        if not args.keep_db:
            from django.db import connections

            connections.close_all()
            _common.scratch_database_drop(url)

    rows = []
    for label, timings in runs.items():
        for step in ("no-op", "no-op, --restart", "add column", "remove column"):  # as run
            if step not in timings:
                continue
            seconds = timings[step]
            rows.append(
                [
                    label,
                    step,
                    schemas,
                    f"{seconds:.1f}",
                    f"{seconds * 1000 / schemas:,.0f}",
                    f"{schemas / seconds:,.0f}",
                ]
            )
    result_table = _common.table(
        ["executor", "migration", "schemas", "total s", "ms/school", "schools/s"], rows
    )
    print("\n" + result_table)
    body = f"""{_common.machine_markdown(info)}

{args.schools:,} schools provisioned by cloning the template in {provisioning:.0f} s, then
`migrate_schemas --tenant` over the {schemas:,} school schemas (the template included), as
`call_command` in the bench process (no interpreter start-up). *no-op*: nothing to apply, the
cost of a deploy whose release has no migration and of the finished schools when an interrupted
run is started again; *add column*: `bench_migration_app` 0001 → 0002, `ALTER TABLE … ADD
COLUMN pinned boolean DEFAULT false NOT NULL` in every school; *remove column*: 0002 → 0001.
Timed here: {args.executors.replace(",", ", ")}.
`migrate_schools` (tenants/schema_migrations.py) is SmartEdu's own command: its *no-op* skips
every school after one check of their `django_migrations` tables, *no-op, --restart* runs
`migrate` in every school anyway; it only migrates forward, so it has no *remove column* row.

{result_table}

Peak resident memory: {own_rss:,.0f} MiB for the bench process, {child_rss:,.0f} MiB for the
largest executor process.
"""
    title = "Tenant migrations over many schools (bench/migrations.py)"
    _common.record("migrations", title, body, args.results)
    print(f"\nRecorded in {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
