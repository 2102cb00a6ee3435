# GenerationJob now lives in quizzes (quizzes 0004 took it over in the model state, with the
# question bank's foreign key): it leaves ai's state only; its table stays as it is.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('ai', '0005_generationjob_replaces_generationjob_requested_by_and_more'),
        ('quizzes', '0004_generationjob_from_ai'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name='GenerationJob'),
            ],
        ),
    ]
