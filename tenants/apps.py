from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Schools"

    def ready(self) -> None:
        from django_tenants.signals import post_schema_sync

        from .cloning import _after_schema_created, clone_function_keep_type_modifiers

        clone_function_keep_type_modifiers()
        post_schema_sync.connect(_after_schema_created, dispatch_uid="copy-column-storage")
