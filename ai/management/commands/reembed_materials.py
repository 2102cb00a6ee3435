from functools import partial

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_tenants.utils import get_public_schema_name, schema_context

from ai.embeddings import embedding_model_name
from ai.ingestion import materials_reembed
from tenants.models import School


class Command(BaseCommand):
    help = (
        "After EMBEDDING_PROVIDER or EMBEDDING_MODEL changed: queue re-embedding of every ready "
        "material whose vectors come from another model (all schools, or one)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--school", help="only this school (its short name)")

    def handle(self, *args, school=None, **options):
        from ai.tasks import embed_material

        schools = School.objects.exclude(
            schema_name__in=[get_public_schema_name(), settings.TENANT_BASE_SCHEMA]
        )
        if school:
            schools = schools.filter(schema_name=school)
            if not schools.exists():
                raise CommandError(f"No school {school!r}.")
        model = embedding_model_name()
        total = 0
        for schema_name in schools.order_by("schema_name").values_list("schema_name", flat=True):
            with schema_context(schema_name), transaction.atomic():
                ids = materials_reembed(model_name=model)
                for material_id in ids:
                    transaction.on_commit(partial(embed_material.delay, material_id))
            total += len(ids)
            self.stdout.write(f"{schema_name}: {len(ids)} materials queued for {model}")
        self.stdout.write(self.style.SUCCESS(f"{total} materials queued for re-embedding."))
