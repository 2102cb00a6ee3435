from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tenants.backups.erase import school_erase
from tenants.models import School


class Command(BaseCommand):
    help = (
        "Erase a school completely: its schema, public rows, stored files and Redis keys. "
        "Irreversible; export or back it up first if anyone may need it."
    )

    def add_arguments(self, parser):
        parser.add_argument("schema")
        parser.add_argument(
            "--confirm", required=True, help="the school's short name again, to confirm"
        )

    def handle(self, *args, schema, confirm, **options):
        if confirm != schema:
            raise CommandError(f"--confirm must repeat the school's short name ({schema!r}).")
        school = School.objects.filter(schema_name=schema).first()
        if school is None:
            raise CommandError(f"No school {schema!r}.")
        try:
            summary = school_erase(school)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(
            f"Erased {schema}: schema, public rows, {summary.files} files, "
            f"{summary.redis_keys} Redis keys."
        )
