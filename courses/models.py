from django.conf import settings
from django.db import models


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
