import re

import pytest
from django_tenants.utils import schema_context

from courses import services as course_services


@pytest.fixture
def biology(school_a):
    """BIO-101 in school A: taught by A's teacher, taken by A's first student only."""
    with schema_context(school_a.schema):
        course = course_services.course_create(
            code="BIO-101", name="Biology", created_by=school_a.teacher
        )
        course_services.enrollment_add(course=course, user=school_a.students[0])
    return course


def text(response) -> str:
    """The page's visible text with tags dropped and whitespace squeezed, for exact phrases."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()
