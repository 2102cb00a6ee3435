"""What students see of a published quiz: no keys, no feedback, no explanations."""

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from quizzes.models import Question, Quiz

from .bank import _html

# Allow-lists: nothing here reads `correct`, `feedback`, `accepted`, `value`, `tolerance` or the
# explanation. Adding a key to the bank's serializers never reaches a student.


@extend_schema_serializer(component_name="StudentOption")
class StudentOptionSerializer(serializers.Serializer):
    id = serializers.CharField()
    text = serializers.CharField()


@extend_schema_serializer(component_name="StudentQuizQuestion")
class StudentQuizQuestionSerializer(serializers.Serializer):
    """A question as a student may read it before answering: no key, no feedback, no
    explanation."""

    question = serializers.IntegerField(source="question_id")
    position = serializers.IntegerField()
    points = serializers.DecimalField(max_digits=6, decimal_places=2, coerce_to_string=False)
    kind = serializers.ChoiceField(source="question.kind", choices=Question.Kind.choices)
    stem = serializers.CharField(source="question.current_version.stem")
    stem_html = serializers.SerializerMethodField()
    options = serializers.SerializerMethodField()
    unit = serializers.SerializerMethodField(help_text="numeric: the unit of the answer.")

    def get_stem_html(self, item) -> str:
        return _html(item.question.current_version.stem)

    @extend_schema_field(StudentOptionSerializer(many=True))
    def get_options(self, item):
        return [{"id": o["id"], "text": o["text"]} for o in item.question.current_version.options]

    def get_unit(self, item) -> str:
        if item.question.kind != Question.Kind.NUMERIC:
            return ""
        return str(item.question.current_version.answer.get("unit") or "")


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
    questions = serializers.SerializerMethodField()

    class Meta(StudentQuizSerializer.Meta):
        fields = [*_STUDENT_QUIZ_FIELDS, "questions"]
        read_only_fields = fields

    @extend_schema_field(StudentQuizQuestionSerializer(many=True))
    def get_questions(self, quiz):
        return StudentQuizQuestionSerializer(self.context["items"], many=True).data

    def get_question_count(self, quiz) -> int:
        return len(self.context["items"])
