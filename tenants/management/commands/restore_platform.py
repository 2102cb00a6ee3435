import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tenants.backups.restore import school_restore
from tenants.models import Plan


class Command(BaseCommand):
    help = "Restore a platform backup (from backup_platform) into this instance."

    def add_arguments(self, parser):
        parser.add_argument("folder")

    def handle(self, *args, folder, **options):
        from tqdm import tqdm

        folder = Path(folder)
        index = folder / "platform.json"
        if not index.is_file():
            raise CommandError(f"{folder} holds no platform.json: not a platform backup.")
        platform = json.loads(index.read_text())
        for plan in platform["plans"]:
            Plan.objects.get_or_create(name=plan["name"], defaults=plan)
        restored = 0
        for entry in tqdm(platform["schools"], desc="schools", disable=options["verbosity"] == 0):
            try:
                school_restore(folder / entry["file"])
            except ValidationError as exc:
                raise CommandError(f"{entry['schema']}: {' '.join(exc.messages)}") from exc
            restored += 1
        self.stdout.write(f"Restored {restored} schools.")
