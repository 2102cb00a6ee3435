"""Quizzes as the people who run the course read and write them, keys included."""

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from quizzes.models import Quiz
from smartedu.api.serializers import QueryFilterSerializer, StrictSerializer

from .bank import QuestionIdsInputSerializer, QuestionOutputSerializer


class _QuizSettingsInput(StrictSerializer):
    description = serializers.CharField(required=False, allow_blank=True)
    time_limit_minutes = serializers.IntegerField(
        required=False, allow_null=True, help_text="1 to 1440; null for no limit."
    )
    attempts_allowed = serializers.IntegerField(required=False, help_text="0: unlimited.")
    shuffle_questions = serializers.BooleanField(required=False)
    shuffle_options = serializers.BooleanField(required=False)
    show_feedback = serializers.ChoiceField(choices=Quiz.Feedback.choices, required=False)
    opens_at = serializers.DateTimeField(required=False, allow_null=True)
    closes_at = serializers.DateTimeField(required=False, allow_null=True)
    late_minutes = serializers.IntegerField(
        required=False,
        help_text="Minutes after closes_at during which late attempts are still taken (0: none).",
    )
    late_penalty_percent = serializers.IntegerField(
        required=False, help_text="0 to 100: the share of the score a late attempt loses."
    )


@extend_schema_serializer(component_name="QuizCreate")
class QuizCreateInputSerializer(_QuizSettingsInput):
    """A new draft quiz; add questions, then publish it."""

    title = serializers.CharField(allow_blank=True)


@extend_schema_serializer(component_name="QuizUpdate")
class QuizUpdateInputSerializer(_QuizSettingsInput):
    """Only the keys sent change; attempts already started keep their questions."""

    unknown_field_messages = {
        "state": "Publish or unpublish with POST /quizzes/{id}/publish/ or /unpublish/.",
        "questions": "Add, remove and order questions with /quizzes/{id}/questions/.",
    }
    title = serializers.CharField(required=False, allow_blank=True)


@extend_schema_serializer(component_name="QuizQuestionsAdd")
class QuizQuestionsAddInputSerializer(QuestionIdsInputSerializer):
    """Questions of the quiz's course to append, in this order. Drafts are accepted as they
    are added; a rejected question or one already in the quiz refuses the whole request."""

    points = serializers.DecimalField(
        max_digits=6,
        decimal_places=2,
        min_value=0,
        required=False,
        default=Decimal(1),
        coerce_to_string=False,
        help_text="Points each is worth (default 1).",
    )


@extend_schema_serializer(component_name="QuizQuestionsOrder")
class QuizQuestionsOrderInputSerializer(QuestionIdsInputSerializer):
    """Every question of the quiz, each once, in the new order."""


_QUIZ_FIELDS = [
    "id",
    "course",
    "title",
    "description",
    "state",
    "time_limit_minutes",
    "attempts_allowed",
    "shuffle_questions",
    "shuffle_options",
    "show_feedback",
    "opens_at",
    "closes_at",
    "late_minutes",
    "late_penalty_percent",
    "question_count",
    "created_at",
    "published_at",
]


@extend_schema_serializer(component_name="Quiz")
class QuizOutputSerializer(serializers.ModelSerializer):
    course = serializers.IntegerField(source="course_id")
    question_count = serializers.SerializerMethodField()

    class Meta:
        model = Quiz
        fields = _QUIZ_FIELDS
        read_only_fields = fields

    def get_question_count(self, quiz) -> int:
        count = getattr(quiz, "question_count", None)
        return count if count is not None else quiz.items.count()


@extend_schema_serializer(component_name="QuizItem")
class QuizItemOutputSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    points = serializers.DecimalField(max_digits=6, decimal_places=2, coerce_to_string=False)
    question = QuestionOutputSerializer()


@extend_schema_serializer(component_name="QuizDetail")
class QuizDetailOutputSerializer(QuizOutputSerializer):
    """A quiz with its questions in order, keys included (for the people who run the course)."""

    items = serializers.SerializerMethodField()

    class Meta(QuizOutputSerializer.Meta):
        fields = [*_QUIZ_FIELDS, "items"]
        read_only_fields = fields

    @extend_schema_field(QuizItemOutputSerializer(many=True))
    def get_items(self, quiz):
        return QuizItemOutputSerializer(self.context["items"], many=True).data

    def get_question_count(self, quiz) -> int:
        return len(self.context["items"])


class QuizFilterSerializer(QueryFilterSerializer):
    state = serializers.ChoiceField(
        choices=Quiz.State.choices, required=False, help_text="Students only see published ones."
    )
