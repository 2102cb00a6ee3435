from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("bench_migration_app", "0001_initial")]

    operations = [
        migrations.AddField("notice", "pinned", models.BooleanField(default=False)),
    ]
