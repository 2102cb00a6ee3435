from django.conf import settings
from django.db import models
from django_tenants.models import DomainMixin, TenantMixin
from django_tenants.utils import schema_exists
from rest_framework_api_key.models import AbstractAPIKey

from smartedu.db import tenant_connection

from .cloning import schema_clone


class School(TenantMixin):
    """A school: one tenant, one PostgreSQL schema. Lives in the public schema."""

    name = models.CharField(max_length=200)
    is_suspended = models.BooleanField(default=False)
    suspended_reason = models.CharField(max_length=300, blank=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    plan = models.ForeignKey(
        "Plan", null=True, blank=True, on_delete=models.SET_NULL, related_name="schools"
    )

    auto_create_schema = True

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.schema_name})"

    def create_schema(self, check_if_exists=False, sync_schema=True, verbosity=1):
        """A new school's schema is a copy of the template's (tenants.cloning), migration
        records included; the template itself, and any schema when there is no template, is
        migrated from scratch by django-tenants."""
        template = settings.TENANT_BASE_SCHEMA
        if (
            not sync_schema
            or self.schema_name == template
            or not settings.TENANT_CREATION_FAKES_MIGRATIONS
            or not schema_exists(template)
            or (check_if_exists and schema_exists(self.schema_name))
        ):
            return super().create_schema(check_if_exists, sync_schema, verbosity)
        schema_clone(template, self.schema_name)
        tenant_connection().set_schema_to_public()
        return True

    @property
    def is_template(self) -> bool:
        return self.schema_name == settings.TENANT_BASE_SCHEMA

    @property
    def primary_host(self) -> str:
        domain = self.get_primary_domain()
        return domain.domain if domain else ""


class Domain(DomainMixin):
    pass


class SchoolAPIKey(AbstractAPIKey):
    """A partner's key for one school's API. Stored hashed (only the prefix is readable)."""

    class Scope(models.TextChoices):
        READ = "read", "Read only"
        READ_WRITE = "read_write", "Read and write"

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="api_keys")
    scope = models.CharField(max_length=16, choices=Scope.choices, default=Scope.READ)
    created_by = models.CharField(max_length=150, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "school API key"
        verbose_name_plural = "school API keys"

    @property
    def can_write(self) -> bool:
        return self.scope == self.Scope.READ_WRITE


class Plan(models.Model):
    """What a school may spend on AI each calendar month (UTC), set by the platform operator.

    A limit of 0 means unlimited. Schools without a plan get the defaults in settings
    (AI_DEFAULT_MONTHLY_GENERATED_QUESTIONS, AI_DEFAULT_MONTHLY_TUTOR_QUESTIONS)."""

    name = models.CharField(max_length=100, unique=True)
    monthly_generated_questions = models.PositiveIntegerField(
        default=2000, help_text="Questions the generator may make per month (0: unlimited)."
    )
    monthly_tutor_questions = models.PositiveIntegerField(
        default=20000, help_text="Questions the tutor may answer per month (0: unlimited)."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AIUsage(models.Model):
    """One school's AI use in one calendar month: what counts against its plan, and the
    provider's tokens."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="ai_usage")
    month = models.DateField(help_text="The first day of the month (UTC).")
    generated_questions = models.PositiveIntegerField(default=0)
    tutor_questions = models.PositiveIntegerField(default=0)
    prompt_tokens = models.PositiveBigIntegerField(default=0)
    completion_tokens = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-month", "school"]
        verbose_name = "AI usage"
        verbose_name_plural = "AI usage"
        constraints = [
            models.UniqueConstraint(fields=["school", "month"], name="ai_usage_once_per_month")
        ]

    def __str__(self) -> str:
        return f"{self.school_id} {self.month:%Y-%m}"
