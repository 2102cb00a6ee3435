from django.db import migrations


class Migration(migrations.Migration):
    """Keep passage vectors inside the table's rows (PLAIN storage) instead of pgvector's default
    out-of-line TOAST: an exact scan over a course's passages then reads each row once rather
    than chasing a TOAST pointer per vector, and the bulky text and tsvector move out of line
    instead. New schools cloned from the template get the same (tenants.cloning)."""

    dependencies = [("ai", "0001_initial")]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE ai_chunk ALTER COLUMN embedding SET STORAGE PLAIN",
            "ALTER TABLE ai_chunk ALTER COLUMN embedding SET STORAGE EXTERNAL",
        )
    ]
