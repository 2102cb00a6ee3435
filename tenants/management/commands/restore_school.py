from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tenants.backups.archive import read_manifest
from tenants.backups.restore import school_restore
from tenants.management.progress import progress_bar


class Command(BaseCommand):
    help = (
        "Restore a school from its backup archive, as a new school: under its own name on a "
        "fresh instance, or beside the original with --as."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive")
        parser.add_argument("--as", dest="slug", help="short name of the restored school")
        parser.add_argument("--name", help="display name (default: the original's)")

    def handle(self, *args, archive, slug, name, **options):
        path = Path(archive)
        if not path.is_file():
            raise CommandError(f"{path} does not exist.")
        try:
            manifest = read_manifest(path)
            steps = len(manifest["tables"]) + len(manifest["files"])
            with progress_bar("restore", total=steps, enabled=options["verbosity"] > 0) as progress:
                summary = school_restore(path, slug=slug, name=name, progress=progress)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(
            f"Restored {summary.school.name} as {summary.school.schema_name} "
            f"({summary.school.primary_host}): {summary.rows} rows in {summary.tables} tables, "
            f"{summary.files} files, {summary.api_keys} API keys, in {summary.seconds:.1f} s"
        )
