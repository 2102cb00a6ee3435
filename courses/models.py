from django.conf import settings
from django.db import models

from smartedu.db import current_schema


class Course(models.Model):
    """A course (or class/section) within a school: its teachers and enrolled students."""

    code = models.CharField(max_length=40, unique=True, help_text="Short code, e.g. BIO-101.")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    is_archived = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Enrollment", related_name="courses"
    )

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Enrollment(models.Model):
    class Role(models.TextChoices):
        TEACHER = "teacher", "Teacher"
        STUDENT = "student", "Student"

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="enrollments")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["course__code", "role", "user__last_name", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["course", "user"], name="enrollment_once_per_course")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.course} as {self.role}"


class RosterImport(models.Model):
    """One roster CSV upload and its per-row report; imported by a background job."""

    class State(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    filename = models.CharField(max_length=255)
    csv_text = models.TextField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    report = models.JSONField(default=list, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.state})"


def material_upload_path(material: "Material", filename: str) -> str:
    """Files live under the school's prefix, so a bucket shared by schools never mixes them."""
    return f"schools/{current_schema()}/materials/{material.sha256[:2]}/{material.sha256}"


class Material(models.Model):
    """An uploaded file of course material and the state of its ingestion.

    The pipeline (ai.ingestion) moves it queued → extracting → embedding → ready, or to failed
    with a reason a teacher can act on. The same content is stored once per course."""

    class State(models.TextChoices):
        QUEUED = "queued"
        EXTRACTING = "extracting"
        EMBEDDING = "embedding"
        READY = "ready"
        FAILED = "failed"

    class Kind(models.TextChoices):
        PDF = "pdf", "PDF"
        DOCX = "docx", "Word document"
        PPTX = "pptx", "PowerPoint slides"
        HTML = "html", "Web page"
        MARKDOWN = "markdown", "Markdown"
        TEXT = "text", "Plain text"

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="materials")
    title = models.CharField(max_length=255)
    filename = models.CharField(max_length=255)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    file = models.FileField(upload_to=material_upload_path, max_length=255)
    size_bytes = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    error = models.TextField(blank=True)
    # Free-form notes a teacher should see on a material that did ingest (e.g. "OCR used").
    notes = models.JSONField(default=list, blank=True)
    page_count = models.PositiveIntegerField(null=True, blank=True)
    chunk_count = models.PositiveIntegerField(default=0)
    embedded_count = models.PositiveIntegerField(default=0)
    embedding_model = models.CharField(max_length=200, blank=True)
    # How many times extraction started: a file that kills the worker is failed, not retried
    # forever.
    extraction_attempts = models.PositiveSmallIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    ready_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["course", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "sha256"], name="material_content_once_per_course"
            )
        ]
        indexes = [models.Index(fields=["state", "heartbeat_at"], name="material_state_idx")]

    def __str__(self) -> str:
        return f"{self.title} ({self.state})"

    @property
    def is_finished(self) -> bool:
        return self.state in (self.State.READY, self.State.FAILED)
