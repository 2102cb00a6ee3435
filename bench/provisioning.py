"""How long a new school takes: cloning the template schema (the product path) against
replaying every migration and against django-tenants' own clone function, then 100 schools in
a row, the same single-school runs again with those 100 in place, then a no-op
``migrate_schemas`` over all of them (standard executor and multiprocessing, 2 processes).

    make bench BENCH=provisioning            # or, by hand:
    python -m smartedu.embedded exec --data .data/bench --redis-port 0 -- \
        .venv/bin/python bench/provisioning.py [--runs 10] [--schools 100]

Works in its own scratch database (bench_provisioning), dropped at the end.
"""

import argparse
import sys
import time
from pathlib import Path

import _common


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}"


def _stats_row(label: str, samples: list[float]) -> list:
    return [
        label,
        len(samples),
        _ms(_common.percentile(samples, 50)),
        _ms(_common.percentile(samples, 95)),
        _ms(min(samples)),
        _ms(max(samples)),
    ]


def time_one(slug: str, *, clone: bool) -> float:
    """Provision one school through the product service; returns seconds. The school stays."""
    from django.test import override_settings

    from tenants.services import school_provision

    with override_settings(TENANT_CREATION_FAKES_MIGRATIONS=clone):
        started = time.perf_counter()
        school_provision(name=f"Bench {slug}", slug=slug)
        return time.perf_counter() - started


def time_django_tenants_clone(slug: str) -> float:
    """django-tenants' own ``clone_schema()`` SQL function, which SmartEdu used before
    tenants.cloning (with the same fix for vector(384) columns it needed then). Only the SQL
    clone: no migration records, no rows. The schema is dropped again untimed."""
    import django_tenants.clone
    from django.conf import settings
    from django.db import connection

    bare = "v_temp = quote_ident(v_colrec.udt_schema) || '.' || quote_ident(v_colrec.udt_name);"
    source = django_tenants.clone.CLONE_SCHEMA_FUNCTION
    django_tenants.clone.CLONE_SCHEMA_FUNCTION = source.replace(bare, "v_temp = v_coldef;")
    started = time.perf_counter()
    django_tenants.clone.CloneSchema().clone_schema(settings.TENANT_BASE_SCHEMA, slug, "NODATA")
    elapsed = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA "{slug}" CASCADE')
    return elapsed


METHODS = {
    "clone": "clone the template (school_provision, tenants.cloning)",
    "migrate": "replay migrations (FAKES_MIGRATIONS=False)",
    "django-tenants": "django-tenants' clone_schema(), SQL alone (the previous method)",
}


def single_school(runs: int, prefix: str) -> dict[str, list[float]]:
    """The three methods interleaved (so drift hits them alike), each school dropped after its
    run so every run sees the same catalogue size. One untimed warm-up of each first."""
    from tenants.models import School
    from tenants.services import school_delete

    samples: dict[str, list[float]] = {method: [] for method in METHODS}
    for i in range(-1, runs):
        seconds = {}
        for method in ("clone", "migrate"):
            slug = f"{prefix}{method}{i + 1}"
            seconds[method] = time_one(slug, clone=method == "clone")
            school_delete(School.objects.get(schema_name=slug))
        seconds["django-tenants"] = time_django_tenants_clone(f"{prefix}dt{i + 1}")
        if i >= 0:
            for method, value in seconds.items():
                samples[method].append(value)
            print(
                f"  run {i + 1}/{runs}: "
                + ", ".join(f"{method} {_ms(value)} ms" for method, value in seconds.items()),
                flush=True,
            )
    return samples


def many_schools(count: int) -> tuple[float, list[float]]:
    from tqdm import tqdm

    per_school = []
    started = time.perf_counter()
    for i in tqdm(range(count), desc="provisioning schools", unit="school", file=sys.stdout):
        per_school.append(time_one(f"many{i:04d}", clone=True))
    return time.perf_counter() - started, per_school


def _migration_count() -> int:
    from django.conf import settings
    from django.db import connection
    from django_tenants.utils import schema_context

    with schema_context(settings.TENANT_BASE_SCHEMA), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM django_migrations")
        return cursor.fetchone()[0]


def noop_migrate(executor: str, processes: int = 2) -> float:
    from django.core.management import call_command
    from django.db import connection
    from django.test import override_settings

    connection.set_schema_to_public()
    with override_settings(TENANT_MULTIPROCESSING_MAX_PROCESSES=processes):
        started = time.perf_counter()
        call_command("migrate_schemas", executor=executor, interactive=False, verbosity=0)
        elapsed = time.perf_counter() - started
    connection.close()  # the multiprocessing executor closes it; start every run alike
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="timed single-school runs per method")
    parser.add_argument("--schools", type=int, default=100, help="schools in the bulk run")
    parser.add_argument("--db", default="bench_provisioning", help="scratch database name")
    parser.add_argument("--results", type=Path, default=_common.RESULTS)
    parser.add_argument("--keep-db", action="store_true", help="leave the scratch database")
    args = parser.parse_args(argv)

    url = _common.scratch_database_create(args.db)
    try:
        _common.django_setup(url)
        info = _common.machine()
        print(_common.machine_markdown(info), flush=True)

        print(f"\nOne school, {args.runs} timed runs per method (after one warm-up each):")
        single = single_school(args.runs, "single")
        print(f"\n{args.schools} schools by cloning:")
        total, per_school = many_schools(args.schools)
        print(f"\nOne school again, with {args.schools} schools on the server:")
        crowded = single_school(args.runs, "crowded")

        from tenants.models import School

        schemas = School.objects.count()
        print(f"\nNo-op migrate_schemas over {schemas} schemas:")
        # Two rounds, alternating, so neither executor alone pays for a cold start.
        standard, multi = [], []
        for _ in range(2):
            standard.append(noop_migrate("standard"))
            multi.append(noop_migrate("multiprocessing", processes=2))
            print(
                f"  standard {standard[-1]:.1f} s, multiprocessing (2 processes) {multi[-1]:.1f} s",
                flush=True,
            )
        migrations = _migration_count()
        info["load after"] = _common.load_average()
    finally:
        if not args.keep_db:
            from django.db import connections

            connections.close_all()
            _common.scratch_database_drop(url)

    headers = ["method", "runs", "median ms", "p95 ms", "min ms", "max ms"]
    single_table = _common.table(
        headers, [_stats_row(label, single[method]) for method, label in METHODS.items()]
    )
    crowded_table = _common.table(
        headers, [_stats_row(label, crowded[method]) for method, label in METHODS.items()]
    )
    speedup = _common.percentile(single["migrate"], 50) / _common.percentile(single["clone"], 50)
    tenth = max(1, len(per_school) // 10)
    bulk_table = _common.table(
        [
            "schools",
            "total s",
            "mean ms/school",
            "median ms",
            "p95 ms",
            "first 10% median ms",
            "last 10% median ms",
        ],
        [
            [
                len(per_school),
                f"{total:.1f}",
                _ms(total / len(per_school)),
                _ms(_common.percentile(per_school, 50)),
                _ms(_common.percentile(per_school, 95)),
                _ms(_common.percentile(per_school[:tenth], 50)),
                _ms(_common.percentile(per_school[-tenth:], 50)),
            ]
        ],
    )
    migrate_table = _common.table(
        ["executor", "schemas", "round 1 s", "round 2 s", "ms/schema (best)"],
        [
            [name, schemas, f"{runs[0]:.1f}", f"{runs[1]:.1f}", _ms(min(runs) / schemas)]
            for name, runs in (("standard", standard), ("multiprocessing, 2 processes", multi))
        ],
    )
    print("\n" + single_table + f"\n\nClone is {speedup:.1f}x faster (median).\n")
    print(bulk_table + "\n\n" + crowded_table + "\n\n" + migrate_table)

    body = f"""{_common.machine_markdown(info)}

### One school ({args.runs} timed runs per method, after one untimed warm-up each)

Each run provisions through `tenants.services.school_provision` (schema, migration records,
domain); the migrate runs do the same with `TENANT_CREATION_FAKES_MIGRATIONS=False`. Runs
alternate between the three methods and each school is dropped after its run.

{single_table}

Cloning the template is **{speedup:.1f}x** faster than replaying the migrations (median), with
{migrations} migrations in a school's schema today; replaying grows with every migration added,
cloning does not. The clone (tenants.cloning) reads the template's own catalogue rows and copies
its tables, constraints, indexes and rows, migration records included. The last row times
django-tenants' `clone_schema()` SQL function, the clone SmartEdu used before, alone (without
the migration records and rows a school also needs).

### {len(per_school)} schools in a row, by cloning

{bulk_table}

### One school with {len(per_school)} schools on the server

The same runs as the first table, with the {len(per_school)} schools above in place. A method
whose time grows here reads the whole catalogue: django-tenants' `clone_schema()` looks up
every column in `information_schema`, whose views scan every school's columns.

{crowded_table}

### No-op `migrate_schemas` over every schema ({schemas}: public, template, the schools)

`call_command("migrate_schemas")` in the bench process (no interpreter start-up included);
nothing to apply, so this is the fixed cost of a deploy's migrate step. Two rounds, the
executors alternating.

{migrate_table}
"""
    title = "Provisioning schools (bench/provisioning.py)"
    _common.record("provisioning", title, body, args.results)
    print(f"\nRecorded in {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
