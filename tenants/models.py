from django.conf import settings
from django.db import models
from django_tenants.models import DomainMixin, TenantMixin
from rest_framework_api_key.models import AbstractAPIKey


class School(TenantMixin):
    """A school: one tenant, one PostgreSQL schema. Lives in the public schema."""

    name = models.CharField(max_length=200)
    is_suspended = models.BooleanField(default=False)
    suspended_reason = models.CharField(max_length=300, blank=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    auto_create_schema = True
    # The template schema holds no school data, so copying only the structure is enough.
    clone_mode = "NODATA"

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.schema_name})"

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
