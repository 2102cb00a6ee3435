from django.db import migrations


class Migration(migrations.Migration):
    """pgvector's `vector` type in a shared `extensions` schema on every school's search path."""

    initial = True
    dependencies = []

    operations = [
        migrations.RunSQL(
            "CREATE SCHEMA IF NOT EXISTS extensions; "
            "CREATE EXTENSION IF NOT EXISTS vector SCHEMA extensions;",
            reverse_sql=migrations.RunSQL.noop,
        )
    ]

