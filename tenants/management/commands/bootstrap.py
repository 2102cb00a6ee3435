"""Everything `make run` needs before serving: migrate every schema, the public tenant for the
bare domain, the template schema, and (unless --no-demo) the demo school, whose people, course,
material and quiz the apps add through ``tenants.signals.demo_school_seed``.
Safe to run again: each step only does what is missing."""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django_tenants.utils import get_public_schema_name, schema_context

from tenants.models import Domain, School
from tenants.services import school_provision, template_school_ensure
from tenants.signals import demo_school_seed

DEMO_PASSWORD = "smartedu-demo"


class Command(BaseCommand):
    help = "Migrate all schemas and create the public tenant, the template and the demo school."

    def add_arguments(self, parser):
        parser.add_argument("--no-demo", action="store_true")

    def handle(self, *args, no_demo, **options):
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
        public, _ = School.objects.get_or_create(
            schema_name=get_public_schema_name(), defaults={"name": "SmartEdu platform"}
        )
        Domain.objects.get_or_create(
            domain=settings.SMARTEDU_BASE_DOMAIN, defaults={"tenant": public, "is_primary": True}
        )
        template_school_ensure()
        call_command("migrate_schemas", tenant=True, interactive=False, verbosity=0)
        self.stdout.write("Schemas migrated.")
        if not no_demo:
            self._seed_demo()

    def _seed_demo(self):
        school = School.objects.filter(schema_name="demo").first()
        if school is None:
            provisioned = school_provision(name="Demo School", slug="demo")
            school = provisioned.school
            self.stdout.write(f"Created the demo school in {provisioned.seconds * 1000:.0f} ms.")
        with schema_context(school.schema_name):
            responses = demo_school_seed.send(
                sender=School, school=school, password=DEMO_PASSWORD, say=self.stdout.write
            )
        host = f"http://demo.{settings.SMARTEDU_BASE_DOMAIN}:{settings.SMARTEDU_DEV_PORT}"
        self.stdout.write(self.style.SUCCESS(f"\nDemo school ready at {host}"))
        for _receiver, lines in responses:
            for line in lines or ():
                self.stdout.write(line)
