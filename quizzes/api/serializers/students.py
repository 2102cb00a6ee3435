"""What students see of a published quiz outside an attempt: its settings, no questions, no
keys."""

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from quizzes.models import Quiz

# Allow-lists: nothing here reads `correct`, `feedback`, `accepted`, `value`, `tolerance` or the
# explanation. Adding a key to the bank's serializers never reaches a student.


_STUDENT_QUIZ_FIELDS = [
    "id",
    "course",
    "title",
    "description",
    "time_limit_minutes",
    "attempts_allowed",
    "show_feedback",
    "opens_at",
    "closes_at",
    "late_minutes",
    "late_penalty_percent",
    "question_count",
    "published_at",
]


@extend_schema_serializer(component_name="StudentQuiz")
class StudentQuizSerializer(serializers.ModelSerializer):
    """A published quiz as a student of the course sees it."""

    course = serializers.IntegerField(source="course_id")
    question_count = serializers.SerializerMethodField()

    class Meta:
        model = Quiz
        fields = _STUDENT_QUIZ_FIELDS
        read_only_fields = fields

    def get_question_count(self, quiz) -> int:
        count = getattr(quiz, "question_count", None)
        return count if count is not None else quiz.items.count()


@extend_schema_serializer(component_name="StudentQuizDetail")
class StudentQuizDetailSerializer(StudentQuizSerializer):
    """A published quiz as a student reads it before an attempt: its settings and how many
    questions it has. The questions themselves only appear inside an attempt (which pins their
    versions and starts the clock), so nobody reads a timed quiz before starting it."""

    class Meta(StudentQuizSerializer.Meta):
        fields = _STUDENT_QUIZ_FIELDS
        read_only_fields = fields

    def get_question_count(self, quiz) -> int:
        return len(self.context["items"])
