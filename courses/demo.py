"""The demo course, its enrolments and its material (see tenants.signals.demo_school_seed)."""

from collections.abc import Callable
from pathlib import Path

from django.core.files import File

from accounts.models import User

from . import services
from .models import Course, Material
from .services.materials import material_upload

DEMO_COURSE_CODE = "BIO-101"
# Course material of the demo course: the workers ingest it on their first start, so the tutor
# and the quiz generator have something to work from.
DEMO_MATERIAL = Path(__file__).resolve().parent / "demo" / "cells-and-energy.md"


def demo_course_seed(*, say: Callable[[str], object], **kwargs) -> None:
    """BIO-101 with the demo teacher and students enrolled and its material queued for
    ingestion once."""
    course = Course.objects.filter(code=DEMO_COURSE_CODE).first()
    if course is None:
        course = services.course_create(
            code=DEMO_COURSE_CODE,
            name="Biology: cells and life",
            description="Demo course: cells, photosynthesis and genetics.",
        )
    for username in ("teacher", "student1", "student2"):
        services.enrollment_add(course=course, user=User.objects.get(username=username))
    if Material.objects.filter(course=course).exists():
        return
    with DEMO_MATERIAL.open("rb") as handle:
        material, _ = material_upload(
            course=course,
            upload=File(handle, name=DEMO_MATERIAL.name),
            uploaded_by=User.objects.get(username="teacher"),
            title="Cells and energy",
        )
    say(f"Queued the demo material '{material.title}' for ingestion.")
