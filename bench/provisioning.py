"""How long a new school takes: cloning the template schema (the product path) against
replaying every migration, then 100 schools in a row, then a no-op ``migrate_schemas`` over
all of them (standard executor and multiprocessing with 2 processes).

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


def time_sql_clone(slug: str) -> float:
    """Only the SQL clone of the template that school_provision runs (no migration records,
    no rows); the schema is dropped again untimed."""
    from django.conf import settings
    from django.db import connection
    from django_tenants.clone import CloneSchema

    started = time.perf_counter()
    CloneSchema().clone_schema(settings.TENANT_BASE_SCHEMA, slug, "NODATA")
    elapsed = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA "{slug}" CASCADE')
    return elapsed


def time_clone_function() -> float:
    """Only the ``CREATE OR REPLACE FUNCTION clone_schema`` that every clone starts with."""
    from django_tenants.clone import CloneSchema

    started = time.perf_counter()
    CloneSchema()._create_clone_schema_function()
    return time.perf_counter() - started


def single_school(runs: int) -> dict[str, list[float]]:
    """Clone and migrate runs interleaved (so drift hits both alike), each school dropped after
    its run so every run sees the same catalogue size. One untimed warm-up of each first."""
    from tenants.models import School
    from tenants.services import school_delete

    samples: dict[str, list[float]] = {"clone": [], "migrate": [], "sql": [], "function": []}
    for i in range(-1, runs):
        for method in ("clone", "migrate"):
            slug = f"single{method}{i + 1}"
            seconds = time_one(slug, clone=method == "clone")
            if i >= 0:
                samples[method].append(seconds)
            school_delete(School.objects.get(schema_name=slug))
        sql = time_sql_clone(f"singlesql{i + 1}")
        function = time_clone_function()
        if i >= 0:
            samples["sql"].append(sql)
            samples["function"].append(function)
            print(
                f"  run {i + 1}/{runs}: clone {_ms(samples['clone'][-1])} ms "
                f"(SQL part {_ms(sql)} ms), migrate {_ms(samples['migrate'][-1])} ms",
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
        single = single_school(args.runs)
        print(f"\n{args.schools} schools by cloning:")
        total, per_school = many_schools(args.schools)

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
        headers,
        [
            _stats_row("clone the template (school_provision)", single["clone"]),
            _stats_row("replay migrations (FAKES_MIGRATIONS=False)", single["migrate"]),
            _stats_row("of a clone: the SQL clone_schema() alone", single["sql"]),
            _stats_row("of that: re-creating the clone_schema function", single["function"]),
        ],
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
    print(bulk_table + "\n\n" + migrate_table)

    body = f"""{_common.machine_markdown(info)}

### One school ({args.runs} timed runs per method, after one untimed warm-up each)

Each run provisions through `tenants.services.school_provision` (schema, migration records,
domain); the migrate runs do the same with `TENANT_CREATION_FAKES_MIGRATIONS=False`. Runs
alternate between the two methods and each school is dropped after its run.

{single_table}

Cloning the template is **{speedup:.1f}x** faster than replaying the migrations (median), with
{migrations} migrations in a school's schema today; replaying grows with every migration added,
cloning does not. The last two rows split a clone: the SQL `clone_schema()` call, which
includes django-tenants re-creating its PL/pgSQL function on every call (timed alone in the
last row); the rest of a clone is the faked `migrate_schemas` that records the migrations, and
the School and Domain rows.

### {len(per_school)} schools in a row, by cloning

{bulk_table}

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
