from django.apps import AppConfig


class MigrationAppConfig(AppConfig):
    name = "migration_app"
    label = "bench_migration_app"
    default_auto_field = "django.db.models.BigAutoField"
