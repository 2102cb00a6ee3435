from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tenants.backups.export import school_export
from tenants.management.progress import progress_bar
from tenants.selectors import school_get


class Command(BaseCommand):
    help = "Export all of a school's data for the school: JSON per table and its files (zip)."

    def add_arguments(self, parser):
        parser.add_argument("schema")
        parser.add_argument("--output", required=True, help="zip file to write")

    def handle(self, *args, schema, output, **options):
        school = school_get(schema=schema)
        if school is None:
            raise CommandError(f"No school {schema!r}.")
        with progress_bar(f"export {schema}", enabled=options["verbosity"] > 0) as progress:
            counts = school_export(school, Path(output), progress=progress)
        self.stdout.write(f"{output}: {sum(counts.values())} rows from {len(counts)} tables")
