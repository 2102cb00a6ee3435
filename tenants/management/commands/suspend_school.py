from django.core.management.base import BaseCommand, CommandError

from tenants.models import School
from tenants.services import school_reactivate, school_suspend


class Command(BaseCommand):
    help = "Suspend a school (its users and API keys are refused; nothing is deleted) or lift it."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--reason", default="")
        parser.add_argument("--lift", action="store_true", help="reactivate instead")

    def handle(self, *args, slug, reason, lift, **options):
        school = School.objects.filter(schema_name=slug).first()
        if school is None:
            raise CommandError(f"No school {slug!r}.")
        if lift:
            school_reactivate(school)
            self.stdout.write(self.style.SUCCESS(f"{school.name} is active again."))
        else:
            school_suspend(school, reason=reason)
            self.stdout.write(self.style.WARNING(f"{school.name} is suspended."))
