from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("bench_migration_app", "0001_initial")]

    operations = [
        # A constant database default: PostgreSQL adds the column without rewriting the table,
        # the kind of additive change a zero-downtime release makes.
        migrations.AddField(
            model_name="notice",
            name="pinned",
            field=models.BooleanField(default=False, db_default=False),
        ),
    ]
