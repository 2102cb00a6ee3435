from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tenants.backups.backup import school_backup
from tenants.management.progress import progress_bar
from tenants.selectors import school_get


class Command(BaseCommand):
    help = "Back up one school (every table of its schema, its public rows and its files)."

    def add_arguments(self, parser):
        parser.add_argument("schema", help="the school's short name (its schema)")
        parser.add_argument("--output", required=True, help="archive to write (.tar.gz)")

    def handle(self, *args, schema, output, **options):
        school = school_get(schema=schema)
        if school is None:
            raise CommandError(f"No school {schema!r}.")
        with progress_bar(f"backup {schema}", enabled=options["verbosity"] > 0) as progress:
            summary = school_backup(school, Path(output), progress=progress)
        self.stdout.write(
            f"{summary.path}: {summary.tables} tables, {summary.rows} rows, {summary.files} files "
            f"({summary.bytes} bytes) in {summary.seconds:.1f} s"
        )
