from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Schools"

    def ready(self) -> None:
        from .cloning import clone_function_keep_type_modifiers

        clone_function_keep_type_modifiers()
