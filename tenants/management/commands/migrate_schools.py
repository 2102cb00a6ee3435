import os

from django.core.management.base import BaseCommand, CommandError

from tenants.management.progress import progress_bar
from tenants.schema_migrations import (
    Outcome,
    school_schema_names,
    schools_migrate,
    shared_schema_migrate,
)


class Command(BaseCommand):
    help = (
        "Migrate the public schema, then every school's schema (the template first) in "
        "parallel. Re-running resumes: schools already at the target are skipped after one "
        "cheap check, failed ones are tried again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--processes",
            type=int,
            default=min(os.cpu_count() or 1, 4),
            help="worker processes, each migrating one school at a time (default: CPUs, max 4)",
        )
        parser.add_argument(
            "--schema", nargs="+", dest="schemas", metavar="SCHEMA", help="only these schools"
        )
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--resume",
            action="store_true",
            default=True,
            help="skip schools already at the target (the default)",
        )
        mode.add_argument(
            "--restart",
            action="store_false",
            dest="resume",
            help="run migrate in every school, even those the check finds up to date",
        )
        parser.add_argument(
            "--fail-fast", action="store_true", help="start no new school after a failure"
        )
        parser.add_argument(
            "--skip-shared", action="store_true", help="do not migrate the public schema first"
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, processes, schemas, resume, fail_fast, skip_shared, **options):
        if processes < 1:
            raise CommandError("--processes must be at least 1")
        if schemas:
            unknown = sorted(set(schemas) - set(school_schema_names()))
            if unknown:
                raise CommandError(f"No school has the schema: {', '.join(unknown)}")
        if not skip_shared:
            shared_schema_migrate(verbosity=max(options["verbosity"] - 1, 0))

        total = len(schemas) if schemas else len(school_schema_names())
        failures = 0
        with progress_bar("Schools", total=total, enabled=not options["no_progress"]) as advance:

            def on_result(result):
                nonlocal failures
                failures += result.outcome == Outcome.FAILED
                advance(f"failed={failures} {result.schema_name}")

            run = schools_migrate(
                schema_names=schemas,
                processes=processes,
                resume=resume,
                fail_fast=fail_fast,
                on_result=on_result,
            )

        migrated = run.with_outcome(Outcome.MIGRATED)
        current = run.with_outcome(Outcome.SKIPPED) + run.with_outcome(Outcome.UP_TO_DATE)
        left = run.with_outcome(Outcome.NOT_ATTEMPTED)
        rate = len(run.results) / run.seconds if run.seconds else 0
        self.stdout.write(
            f"Target {run.target}: {len(migrated)} migrated "
            f"({sum(r.applied for r in migrated)} migrations), {len(current)} already up to date "
            f"({len(run.with_outcome(Outcome.SKIPPED))} skipped by the check), "
            f"{len(run.failed)} failed, {len(left)} not attempted "
            f"in {run.seconds:.1f} s ({rate:.0f} schools/s, {processes} processes)"
        )
        # One line per migrated school, unless that is a thousand lines.
        for result in migrated if len(migrated) <= 20 or options["verbosity"] >= 2 else []:
            self.stdout.write(f"  migrated {result.schema_name}: {result.applied} migrations")
        for result in run.failed:
            self.stdout.write(self.style.ERROR(f"  FAILED {result.schema_name}: {result.error}"))
        if run.failed or left:
            names = ", ".join(r.schema_name for r in run.failed)
            raise CommandError(
                f"{len(run.failed)} schools failed to migrate: {names}"
                + (f"; {len(left)} not attempted" if left else "")
                + ". Fix the cause and run migrate_schools again: it resumes."
            )
