"""A teacher's request for generated questions (``GenerationJob``): quiz-generation state, so
it belongs to quizzes; ai.generation's engines never see it."""

from django.conf import settings
from django.db import models


class GenerationJob(models.Model):
    """A teacher's request for generated questions, and its progress.

    Runs on the ``gpu`` queue in slices (quizzes.generation.slices.generation_job_run): each
    slice makes a few questions and queues the next, so several schools' jobs share the workers
    fairly. The questions land in the course's bank as drafts (Question). The cursor's JSON is
    quizzes.generation.cursor.GenerationCursor's.

    It lived in ai until the engines and the job were split: its table keeps the name it had
    (``ai_generationjob``, and ``ai_generationjob_materials``), so no data moved."""

    class State(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    class Difficulty(models.TextChoices):
        EASY = "easy", "Easy"
        MEDIUM = "medium", "Medium"
        HARD = "hard", "Hard"
        MIXED = "mixed", "Mixed"

    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE, related_name="+")
    # Empty: every ready material of the course.
    materials = models.ManyToManyField("courses.Material", blank=True, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    via = models.CharField(max_length=16, default="web")  # web | api
    count = models.PositiveSmallIntegerField()
    # Question kinds asked for (quizzes.Question.Kind values), spread evenly.
    kinds = models.JSONField(default=list)
    difficulty = models.CharField(
        max_length=8, choices=Difficulty.choices, default=Difficulty.MEDIUM
    )
    topic = models.CharField(max_length=300, blank=True)
    objectives = models.JSONField(default=list, blank=True)
    # Set when the job regenerates one question in place of a rejected or unwanted one.
    replaces = models.ForeignKey(
        "quizzes.Question", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    generator = models.CharField(max_length=200, blank=True)
    created_count = models.PositiveIntegerField(default=0)
    duplicate_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    # Why candidates were turned away: [{"reason": "…", "stem": "…"}], the latest 100.
    rejections = models.JSONField(default=list, blank=True)
    # Sentences a teacher should read on a finished job (e.g. a provider fell back).
    notes = models.JSONField(default=list, blank=True)
    # The generator's resumable position between slices (passages used so far, …).
    cursor = models.JSONField(default=dict, blank=True)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "ai_generationjob"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(name="generationjob_state_idx", fields=["state", "heartbeat_at"])]

    def __str__(self) -> str:
        return f"generation job {self.pk} ({self.state})"

    @property
    def is_finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)
