"""The demo school's people and the platform operator (see tenants.signals.demo_school_seed)."""

from django.conf import settings
from django_tenants.utils import get_public_schema_name, schema_context

from . import services
from .models import User

DEMO_PEOPLE = [
    ("admin", "admin", "Ada", "Admin"),
    ("teacher", "teacher", "Tom", "Teacher"),
    ("student1", "student", "Sam", "Student"),
    ("student2", "student", "Sara", "Student"),
]


def demo_people_seed(*, password: str, **kwargs) -> list[str]:
    """The demo school's admin, teacher and two students, and the platform's operator in the
    public schema; the accounts that exist already are left as they are."""
    for username, role, first, last in DEMO_PEOPLE:
        if not User.objects.filter(username=username).exists():
            services.user_create(
                username=username,
                role=role,
                first_name=first,
                last_name=last,
                email=f"{username}@demo.example",
                password=password,
            )
    with schema_context(get_public_schema_name()):
        if not User.objects.filter(username="operator").exists():
            User.objects.create_superuser("operator", "operator@smartedu.example", password)
    lines = [
        f"  {role:<8} {username:<9} password: {password}" for username, role, *_ in DEMO_PEOPLE
    ]
    platform = f"http://{settings.SMARTEDU_BASE_DOMAIN}:{settings.SMARTEDU_DEV_PORT}/admin/"
    return [*lines, f"Platform admin at {platform}", f"  operator operator  password: {password}"]
