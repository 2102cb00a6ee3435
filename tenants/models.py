from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MinValueValidator
from django.db import models
from django_tenants.models import DomainMixin, TenantMixin
from django_tenants.utils import schema_exists
from encrypted_fields.fields import EncryptedCharField
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
    monthly_ai_spend_limit = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0))],
        help_text="The most a school may spend on priced AI providers per month, in "
        "AI_PRICE_CURRENCY (0: no cap). Over it, priced providers are skipped: the school's own "
        "endpoint, free providers and the offline engine go on.",
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


class AITask(models.TextChoices):
    """What a school may point at a provider of its choice. Embeddings stay the platform's
    (every course's index is built with one model; another model means re-embedding), and
    there is no lesson feature yet."""

    TUTOR = "tutor", "Tutor answers"
    GENERATION = "generation", "Quiz generation"


def _all_tasks() -> list[str]:
    return list(AITask.values)


class AIProvider(models.Model):
    """An OpenAI-compatible chat endpoint. ``school`` empty: offered by the platform operator
    to every school, for the tasks it lists, at its prices. ``school`` set: that school's own
    endpoint (its own account, so no price here); only that school's tasks ever use it.

    The key is encrypted at rest (Fernet, keys derived from SECRET_KEY and AI_KEYS_SALT) and
    never shown again after it is saved."""

    school = models.ForeignKey(
        School,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="ai_providers",
        help_text="Empty: offered to every school. Set: that school's own endpoint.",
    )
    name = models.CharField(max_length=100)
    base_url = models.CharField(
        max_length=300, help_text="The endpoint's /v1 URL, e.g. https://api.openai.com/v1."
    )
    model = models.CharField(max_length=200)
    # Null when none (the encrypted field stores an empty value as NULL).
    api_key = EncryptedCharField(max_length=500, null=True, blank=True)
    api_key_set_at = models.DateTimeField(null=True, blank=True)
    tasks = ArrayField(
        models.CharField(max_length=16, choices=AITask.choices),
        default=_all_tasks,
        blank=True,
        help_text="What schools may use it for.",
    )
    price_input_per_million = models.DecimalField(
        max_digits=12, decimal_places=4, default=Decimal(0),
        help_text="Price per million prompt tokens, in AI_PRICE_CURRENCY.",
    )  # fmt: skip
    price_output_per_million = models.DecimalField(
        max_digits=12, decimal_places=4, default=Decimal(0),
        help_text="Price per million completion tokens, in AI_PRICE_CURRENCY.",
    )  # fmt: skip
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "AI provider"
        constraints = [
            models.UniqueConstraint(
                fields=["school"],
                condition=models.Q(school__isnull=False),
                name="ai_provider_one_own_endpoint_per_school",
            ),
            models.UniqueConstraint(
                fields=["name"],
                condition=models.Q(school__isnull=True),
                name="ai_provider_offered_name_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class AIProviderChoice(models.Model):
    """One step of a school's fallback order for one task, tried from the lowest ``position``.
    ``provider`` empty: the platform's default (the environment's settings). After the last
    step the built-in offline answerer/generator always stands in."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="ai_provider_choices")
    task = models.CharField(max_length=16, choices=AITask.choices)
    position = models.PositiveSmallIntegerField()
    provider = models.ForeignKey(
        AIProvider, null=True, blank=True, on_delete=models.CASCADE, related_name="choices"
    )

    class Meta:
        ordering = ["school", "task", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "task", "position"], name="ai_provider_choice_step_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.school_id} {self.task} #{self.position}"


class AIModelUsage(models.Model):
    """One school's tokens with one provider and model in one calendar month, and what they
    cost at the provider's price when they were spent."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="ai_model_usage")
    month = models.DateField(help_text="The first day of the month (UTC).")
    provider = models.CharField(max_length=100)
    model = models.CharField(max_length=200)
    prompt_tokens = models.PositiveBigIntegerField(default=0)
    completion_tokens = models.PositiveBigIntegerField(default=0)
    # Ten places: a price per million tokens with four places times a token count is exact.
    cost = models.DecimalField(max_digits=22, decimal_places=10, default=Decimal(0))

    class Meta:
        ordering = ["-month", "school", "provider", "model"]
        verbose_name = "AI usage per model"
        verbose_name_plural = "AI usage per model"
        constraints = [
            models.UniqueConstraint(
                fields=["school", "month", "provider", "model"],
                name="ai_model_usage_once_per_month",
            )
        ]

    def __str__(self) -> str:
        return f"{self.school_id} {self.month:%Y-%m} {self.provider} {self.model}"
