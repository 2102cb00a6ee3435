from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Schools"

    def ready(self) -> None:
        # Connects the receiver that re-derives provider-key encryption keys on a settings change.
        from . import ai_keys  # noqa: F401
