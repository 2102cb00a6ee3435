from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("bench_migration_app", "0002_notice_pinned")]

    operations = [
        migrations.AddField(
            "notice", "colour", models.CharField(max_length=20, default="", blank=True)
        ),
    ]
