"""Helpers for course-material tests: a course with its teacher and students, an upload that
goes through the real service, and the pipeline run in-process (for tests that are about what
comes after ingestion, not about the worker)."""

import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from courses import services as course_services
from courses.models import Material


def course_with_people(school, code: str = "BIO-101", name: str = "Biology"):
    """A course in ``school`` taught by its teacher and taken by its first student."""
    with schema_context(school.schema):
        course = course_services.course_create(code=code, name=name, created_by=school.teacher)
        course_services.enrollment_add(course=course, user=school.student, role="student")
    return course


def upload(school, course, path: Path | str, *, by=None) -> tuple[Material, bool]:
    path = Path(path)
    with schema_context(school.schema):
        return course_services.material_upload(
            course=course,
            upload=SimpleUploadedFile(path.name, path.read_bytes()),
            uploaded_by=by or school.teacher,
        )


def ingest_in_process(school, material_id: int) -> Material:
    """Run extraction and embedding here, as the worker would (no progress delivery). If a
    test worker already claimed the job, wait for it to finish instead."""
    from ai import ingestion

    with schema_context(school.schema):
        ingestion.material_extract(material_id, report=lambda payload: None)
        while ingestion.material_embed(material_id, report=lambda payload: None) == "more":
            pass
        material = Material.objects.get(pk=material_id)
    if material.is_finished:
        return material
    return wait_for_material(school, material_id)


def wait_for_material(school, material_id: int, states=("ready", "failed"), timeout=120):
    deadline = time.monotonic() + timeout
    with schema_context(school.schema):
        while True:
            material = Material.objects.get(pk=material_id)
            if material.state in states:
                return material
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"material {material_id} still {material.state} after {timeout}s"
                )
            time.sleep(0.25)


@pytest.fixture
def samples_dir(tmp_path):
    return tmp_path
