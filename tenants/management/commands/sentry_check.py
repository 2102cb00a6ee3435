"""Prove error reporting works end to end: raise an error inside a school's schema, report it
to Sentry tagged with the school, and wait until it is sent. Run it after configuring
SENTRY_DSN in a new deployment; the event shows up as `SentryCheckError`."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from smartedu.logging import bind_school
from tenants.models import School


class SentryCheckError(Exception):
    """Raised on purpose by `manage.py sentry_check`."""


class Command(BaseCommand):
    help = "Send a test error, tagged with the given school, to Sentry (SENTRY_DSN)."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the school whose schema the error is raised in")

    def handle(self, *args, slug, **options):
        import sentry_sdk

        if not settings.SENTRY_DSN or sentry_sdk.get_client().dsn is None:
            raise CommandError("SENTRY_DSN is not set, so there is nowhere to send the event.")
        school = School.objects.filter(schema_name=slug).first()
        if school is None or school.schema_name in ("public", settings.TENANT_BASE_SCHEMA):
            raise CommandError(f"No school {slug!r}.")
        with sentry_sdk.new_scope(), schema_context(school.schema_name):
            bind_school(school.schema_name)
            try:
                raise SentryCheckError(f"Sentry check for {school.name} ({school.schema_name})")
            except SentryCheckError as exc:
                event_id = sentry_sdk.capture_exception(exc)
        sentry_sdk.flush(timeout=10)
        if event_id is None:
            raise CommandError("Sentry dropped the event (check sample rate and filters).")
        self.stdout.write(self.style.SUCCESS(f"Sent event {event_id} tagged school={slug}."))
