# GenerationJob moves from ai to quizzes in Django's model state only: its table keeps its name
# (ai_generationjob, and ai_generationjob_materials for its materials), so no row moves and
# nothing is dropped or renamed. ai's 0006 deletes it from ai's state once this has run.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('ai', '0005_generationjob_replaces_generationjob_requested_by_and_more'),
        ('courses', '0002_material'),
        ('quizzes', '0003_attempts_live_mastery'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='GenerationJob',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('via', models.CharField(default='web', max_length=16)),
                        ('count', models.PositiveSmallIntegerField()),
                        ('kinds', models.JSONField(default=list)),
                        ('difficulty', models.CharField(choices=[('easy', 'Easy'), ('medium', 'Medium'), ('hard', 'Hard'), ('mixed', 'Mixed')], default='medium', max_length=8)),
                        ('topic', models.CharField(blank=True, max_length=300)),
                        ('objectives', models.JSONField(blank=True, default=list)),
                        ('state', models.CharField(choices=[('queued', 'Queued'), ('running', 'Running'), ('done', 'Done'), ('failed', 'Failed')], default='queued', max_length=16)),
                        ('generator', models.CharField(blank=True, max_length=200)),
                        ('created_count', models.PositiveIntegerField(default=0)),
                        ('duplicate_count', models.PositiveIntegerField(default=0)),
                        ('rejected_count', models.PositiveIntegerField(default=0)),
                        ('rejections', models.JSONField(blank=True, default=list)),
                        ('notes', models.JSONField(blank=True, default=list)),
                        ('cursor', models.JSONField(blank=True, default=dict)),
                        ('prompt_tokens', models.PositiveIntegerField(default=0)),
                        ('completion_tokens', models.PositiveIntegerField(default=0)),
                        ('error', models.TextField(blank=True)),
                        ('heartbeat_at', models.DateTimeField(blank=True, null=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('started_at', models.DateTimeField(blank=True, null=True)),
                        ('finished_at', models.DateTimeField(blank=True, null=True)),
                        ('course', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='courses.course')),
                        ('materials', models.ManyToManyField(blank=True, related_name='+', to='courses.material')),
                        ('replaces', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='quizzes.question')),
                        ('requested_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'ai_generationjob',
                        'ordering': ['-created_at', '-id'],
                        'indexes': [models.Index(fields=['state', 'heartbeat_at'], name='generationjob_state_idx')],
                    },
                ),
                migrations.AlterField(
                    model_name='question',
                    name='generation_job',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='questions', to='quizzes.generationjob'),
                ),
            ],
        ),
    ]
