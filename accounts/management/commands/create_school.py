from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts import services as account_services
from tenants.services import run_in_school, school_provision


class Command(BaseCommand):
    help = "Create a school (cloned from the template schema) and optionally its first admin."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="short name: the schema and the host's first label")
        parser.add_argument("--name", required=True, help="the school's display name")
        parser.add_argument("--admin-username")
        parser.add_argument("--admin-email", default="")
        parser.add_argument("--admin-password")

    def handle(self, *args, slug, name, admin_username, admin_email, admin_password, **options):
        try:
            provisioned = school_provision(name=name, slug=slug)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        if admin_username:
            try:
                run_in_school(
                    provisioned.school,
                    account_services.user_create,
                    username=admin_username,
                    role="admin",
                    email=admin_email,
                    password=admin_password,
                )
            except ValidationError as exc:
                raise CommandError(
                    f"School created, but not its admin: {'; '.join(exc.messages)}"
                ) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {name} on {provisioned.host} in {provisioned.seconds * 1000:.0f} ms"
            )
        )
