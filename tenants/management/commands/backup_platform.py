import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from tenants.backups.backup import school_backup
from tenants.models import Plan, School


class Command(BaseCommand):
    help = "Back up the whole platform: every school's archive and the platform's plans."

    def add_arguments(self, parser):
        parser.add_argument("--output", required=True, help="folder to write into (created)")

    def handle(self, *args, output, **options):
        from tqdm import tqdm

        folder = Path(output)
        folder.mkdir(parents=True, exist_ok=True)
        schools = list(
            School.objects.exclude(
                schema_name__in=["public", settings.TENANT_BASE_SCHEMA]
            ).order_by("schema_name")
        )
        written = []
        for school in tqdm(schools, desc="schools", disable=options["verbosity"] == 0):
            summary = school_backup(school, folder / f"{school.schema_name}.tar.gz")
            written.append(
                {
                    "schema": school.schema_name,
                    "file": summary.path.name,
                    "rows": summary.rows,
                    "files": summary.files,
                }
            )
        plans = list(
            Plan.objects.values(
                "name",
                "monthly_generated_questions",
                "monthly_tutor_questions",
                "monthly_ai_spend_limit",
            )
        )
        (folder / "platform.json").write_text(
            json.dumps(
                {"created_at": timezone.now().isoformat(), "plans": plans, "schools": written},
                indent=1,
                default=str,  # the spending cap is a Decimal
            )
        )
        self.stdout.write(f"{folder}: {len(written)} schools")
