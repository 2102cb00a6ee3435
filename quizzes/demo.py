"""The demo quiz and a student's results (see tenants.signals.demo_school_seed)."""

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

from django.utils import timezone

from accounts.models import User
from courses.demo import DEMO_COURSE_CODE
from courses.models import Course, Material

from . import services
from .attempts.selectors import attempt_questions
from .attempts.services import answer_save, attempt_start, attempt_submit
from .grading import key_response
from .models import Attempt, Quiz
from .progress.services import mastery_refresh

# A published quiz on the demo material, so students can take one on the first visit.
DEMO_QUIZ = Path(__file__).resolve().parent / "demo" / "quiz.json"


def demo_quiz_seed(*, say: Callable[[str], object], **kwargs) -> None:
    """The published demo quiz, then two submitted attempts of student2 a few days ago so the
    class dashboard, their progress page and the school overview have something to show
    (student1 keeps every attempt for a first visit)."""
    course = Course.objects.filter(code=DEMO_COURSE_CODE).first()
    if course is None:
        return
    teacher = User.objects.get(username="teacher")
    spec = json.loads(DEMO_QUIZ.read_text())
    quiz = Quiz.objects.filter(course=course, title=spec["title"]).first()
    if quiz is None:
        quiz = _demo_quiz_create(course, teacher, spec)
        say(f"Published the demo quiz '{quiz.title}' ({quiz.items.count()} questions).")
    student = User.objects.get(username="student2")
    if not Attempt.objects.filter(quiz=quiz, student=student).exists():
        _demo_results_create(quiz, student)
        say(f"Seeded two submitted attempts of {student.username} at '{quiz.title}'.")


def _demo_quiz_create(course: Course, teacher: User, spec: dict) -> Quiz:
    material = Material.objects.filter(course=course).first()
    questions = []
    for item in spec["questions"]:
        question = services.question_create(
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
    quiz = services.quiz_create(
        course=course,
        title=spec["title"],
        description=spec["description"],
        created_by=teacher,
        **spec["settings"],
    )
    services.quiz_questions_add(quiz, questions)
    services.quiz_publish(quiz)
    return quiz


def _demo_results_create(quiz: Quiz, student: User) -> None:
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
    mastery_refresh(student.pk, quiz.course_id)
