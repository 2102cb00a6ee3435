"""Everything `make run` needs before serving: migrate every schema, the public tenant for the
bare domain, the template schema, and (unless --no-demo) the demo school with its people.
Safe to run again: each step only does what is missing."""

from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django_tenants.utils import get_public_schema_name, schema_context

from tenants.models import Domain, School
from tenants.services import school_provision, template_school_ensure

DEMO_PASSWORD = "smartedu-demo"
# Course material of the demo course: the workers ingest it on their first start, so the tutor
# and the quiz generator have something to work from.
DEMO_MATERIAL = Path(__file__).resolve().parents[2] / "demo" / "cells-and-energy.md"
# A published quiz on that material, so students can take one on the first visit.
DEMO_QUIZ = DEMO_MATERIAL.with_name("quiz.json")
DEMO_PEOPLE = [
    ("admin", "admin", "Ada", "Admin"),
    ("teacher", "teacher", "Tom", "Teacher"),
    ("student1", "student", "Sam", "Student"),
    ("student2", "student", "Sara", "Student"),
]


class Command(BaseCommand):
    help = "Migrate all schemas and create the public tenant, the template and the demo school."

    def add_arguments(self, parser):
        parser.add_argument("--no-demo", action="store_true")

    def handle(self, *args, no_demo, **options):
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
        public, _ = School.objects.get_or_create(
            schema_name=get_public_schema_name(), defaults={"name": "SmartEdu platform"}
        )
        Domain.objects.get_or_create(
            domain=settings.SMARTEDU_BASE_DOMAIN, defaults={"tenant": public, "is_primary": True}
        )
        template_school_ensure()
        call_command("migrate_schemas", tenant=True, interactive=False, verbosity=0)
        self.stdout.write("Schemas migrated.")
        if not no_demo:
            self._seed_demo()

    def _seed_demo(self):
        from accounts import services as account_services
        from accounts.models import User
        from courses import services as course_services
        from courses.models import Course

        school = School.objects.filter(schema_name="demo").first()
        if school is None:
            provisioned = school_provision(name="Demo School", slug="demo")
            school = provisioned.school
            self.stdout.write(f"Created the demo school in {provisioned.seconds * 1000:.0f} ms.")
        with schema_context(school.schema_name):
            for username, role, first, last in DEMO_PEOPLE:
                if not User.objects.filter(username=username).exists():
                    account_services.user_create(
                        username=username,
                        role=role,
                        first_name=first,
                        last_name=last,
                        email=f"{username}@demo.example",
                        password=DEMO_PASSWORD,
                    )
            course = Course.objects.filter(code="BIO-101").first()
            if course is None:
                course = course_services.course_create(
                    code="BIO-101",
                    name="Biology: cells and life",
                    description="Demo course: cells, photosynthesis and genetics.",
                )
            for username in ("teacher", "student1", "student2"):
                course_services.enrollment_add(
                    course=course, user=User.objects.get(username=username)
                )
            self._seed_demo_material(course, User.objects.get(username="teacher"))
            self._seed_demo_quiz(course, User.objects.get(username="teacher"))
            self._seed_demo_results(course, User.objects.get(username="student2"))
        if not User.objects.filter(username="operator").exists():  # public schema here
            User.objects.create_superuser("operator", "operator@smartedu.example", DEMO_PASSWORD)
        host = f"http://demo.{settings.SMARTEDU_BASE_DOMAIN}:{settings.SMARTEDU_DEV_PORT}"
        self.stdout.write(self.style.SUCCESS(f"\nDemo school ready at {host}"))
        for username, role, *_ in DEMO_PEOPLE:
            self.stdout.write(f"  {role:<8} {username:<9} password: {DEMO_PASSWORD}")
        platform = f"http://{settings.SMARTEDU_BASE_DOMAIN}:{settings.SMARTEDU_DEV_PORT}/admin/"
        self.stdout.write(f"Platform admin at {platform}")
        self.stdout.write(f"  operator operator  password: {DEMO_PASSWORD}")

    def _seed_demo_material(self, course, teacher):
        from courses.models import Material
        from courses.services.materials import material_upload

        if Material.objects.filter(course=course).exists():
            return
        with DEMO_MATERIAL.open("rb") as handle:
            material, _ = material_upload(
                course=course,
                upload=File(handle, name=DEMO_MATERIAL.name),
                uploaded_by=teacher,
                title="Cells and energy",
            )
        self.stdout.write(f"Queued the demo material '{material.title}' for ingestion.")

    def _seed_demo_quiz(self, course, teacher):
        import json

        from courses.models import Material
        from quizzes import services as quiz_services
        from quizzes.models import Quiz

        spec = json.loads(DEMO_QUIZ.read_text())
        if Quiz.objects.filter(course=course, title=spec["title"]).exists():
            return
        material = Material.objects.filter(course=course).first()
        questions = []
        for item in spec["questions"]:
            question = quiz_services.question_create(
                course=course,
                kind=item["kind"],
                stem=item["stem"],
                options=item.get("options"),
                answer=item.get("answer"),
                explanation=item.get("explanation", ""),
                topic=item["topic"],
                objective=item["objective"],
                created_by=teacher,
                source={
                    "material_id": material.pk if material else None,
                    "section": item["section"],
                    "quote": item["quote"],
                },
            )
            questions.append(question.pk)
        quiz = quiz_services.quiz_create(
            course=course,
            title=spec["title"],
            description=spec["description"],
            created_by=teacher,
            **spec["settings"],
        )
        quiz_services.quiz_questions_add(quiz, questions)
        quiz_services.quiz_publish(quiz)
        self.stdout.write(f"Published the demo quiz '{quiz.title}' ({len(questions)} questions).")

    def _seed_demo_results(self, course, student):
        """Two attempts of ``student`` at the demo quiz, a few days ago, so the class dashboard,
        their progress page and the school overview have something to show (student1 keeps
        every attempt for a first visit)."""
        import datetime as dt
        import json

        from django.utils import timezone

        from quizzes.attempts.selectors import attempt_questions
        from quizzes.attempts.services import answer_save, attempt_start, attempt_submit
        from quizzes.grading import key_response
        from quizzes.models import Attempt, Quiz
        from quizzes.progress.services import mastery_refresh

        quiz = Quiz.objects.filter(
            course=course, title=json.loads(DEMO_QUIZ.read_text())["title"]
        ).first()
        if quiz is None or Attempt.objects.filter(quiz=quiz, student=student).exists():
            return
        start = timezone.now() - dt.timedelta(days=3)
        # The first attempt gets every other question right, the second all but the last.
        for day, right in enumerate([lambda n: n % 2 == 1, lambda n: n < 6]):
            now = start + dt.timedelta(days=day)
            attempt = attempt_start(quiz, student, now=now)
            for aq in attempt_questions(attempt):
                kind, version = aq.question.kind, aq.version
                wrong = next((o["id"] for o in version.options if not o.get("correct")), "")
                response = (
                    key_response(kind, version)
                    if right(aq.position)
                    else {"multiple": {"options": [wrong]}, "numeric": {"value": "-1"}}.get(
                        kind, {"option": wrong} if version.options else {"text": "not sure"}
                    )
                )
                answer_save(attempt, aq, response, now=now + dt.timedelta(minutes=aq.position))
            attempt_submit(attempt, now=now + dt.timedelta(minutes=8))
        mastery_refresh(student.pk, course.pk)
        self.stdout.write(f"Seeded two submitted attempts of {student.username} at '{quiz.title}'.")
