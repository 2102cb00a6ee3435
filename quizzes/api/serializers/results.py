"""Results over the API: one attempt in a results list (with each question's score on request),
the lists' filters, and the output formats. The CSV rows are ``quizzes.attempts.exports``'s."""

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from quizzes.attempts.exports import question_points_earned
from quizzes.models import Attempt
from smartedu.api.serializers import QueryFilterSerializer, optional_bool

from .attempts import ATTEMPT_STATES, StudentRefSerializer


@extend_schema_serializer(component_name="AttemptQuestionScore")
class QuestionScoreSerializer(serializers.Serializer):
    question = serializers.IntegerField(source="question_id")
    position = serializers.IntegerField(help_text="Where this attempt showed it.")
    points = serializers.FloatField()
    score = serializers.FloatField(allow_null=True, help_text="0 to 1 of the points.")
    points_earned = serializers.SerializerMethodField()
    answered_at = serializers.DateTimeField(allow_null=True)

    def get_points_earned(self, attempt_question) -> float | None:
        return question_points_earned(attempt_question)


@extend_schema_serializer(component_name="AttemptRow")
class AttemptRowSerializer(serializers.Serializer):
    """One attempt in a results list. ``questions`` only with ``?questions=true``."""

    id = serializers.IntegerField()
    quiz = serializers.IntegerField(source="quiz_id")
    quiz_title = serializers.CharField(source="quiz.title")
    course = serializers.IntegerField(source="quiz.course_id")
    student = StudentRefSerializer()
    number = serializers.IntegerField()
    state = serializers.CharField(help_text=ATTEMPT_STATES)
    started_at = serializers.DateTimeField()
    deadline = serializers.DateTimeField(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    submit_reason = serializers.CharField(help_text="`student`, `deadline`, or empty.")
    late = serializers.BooleanField(source="is_late")
    score = serializers.FloatField(allow_null=True, help_text="Points earned, after any penalty.")
    max_score = serializers.FloatField(allow_null=True)
    percent = serializers.FloatField(source="percent_value", allow_null=True)
    questions = QuestionScoreSerializer(
        source="scored_questions", many=True, required=False, help_text="With ?questions=true."
    )

    def to_representation(self, attempt):
        data = super().to_representation(attempt)
        if not hasattr(attempt, "scored_questions"):
            data.pop("questions", None)
        return data


ORDERINGS = [
    ("student", "By student (last name, first name, username), then quiz and attempt number"),
    ("-submitted_at", "Newest submission first (in-progress attempts last)"),
    ("submitted_at", "Oldest submission first (in-progress attempts last)"),
    ("-percent", "Best result first"),
    ("percent", "Weakest result first"),
    ("-started_at", "Newest start first"),
    ("started_at", "Oldest start first"),
]


OUTPUT_FORMATS = [("json", "JSON, paginated"), ("csv", "CSV of every matching row")]


class _ResultFilterSerializer(QueryFilterSerializer):
    state = serializers.ChoiceField(choices=Attempt.State.choices, required=False)
    late = optional_bool("true: only late attempts; false: only attempts in time.")
    submitted_after = serializers.DateTimeField(
        required=False, help_text="Submitted at or after this moment (ISO 8601)."
    )
    submitted_before = serializers.DateTimeField(
        required=False, help_text="Submitted before this moment (ISO 8601)."
    )
    min_percent = serializers.FloatField(
        required=False, help_text="At least this percent (as shown, one decimal)."
    )
    max_percent = serializers.FloatField(
        required=False, help_text="At most this percent (as shown, one decimal)."
    )
    ordering = serializers.ChoiceField(choices=ORDERINGS, required=False, default="student")
    format = serializers.ChoiceField(
        choices=OUTPUT_FORMATS,
        required=False,
        default="json",
        help_text="csv (or `Accept: text/csv`): every matching row as a CSV attachment.",
    )

    def validate(self, data):
        after, before = data.get("submitted_after"), data.get("submitted_before")
        if after and before and after >= before:
            raise serializers.ValidationError(
                {"submitted_before": ["submitted_before must be later than submitted_after."]}
            )
        low, high = data.get("min_percent"), data.get("max_percent")
        if low is not None and high is not None and low > high:
            raise serializers.ValidationError(
                {"max_percent": ["max_percent must not be below min_percent."]}
            )
        return data


class _StudentFilters(serializers.Serializer):
    student = serializers.IntegerField(required=False, min_value=1, help_text="A student's id.")
    external_id = serializers.CharField(
        required=False, help_text="A student's id in your system (roster sync)."
    )


class QuizAttemptFilterSerializer(_ResultFilterSerializer, _StudentFilters):
    questions = optional_bool(
        "true: add each question's score (JSON: `questions`; CSV: one column per question)."
    )


class CourseAttemptFilterSerializer(_ResultFilterSerializer, _StudentFilters):
    quiz = serializers.IntegerField(required=False, min_value=1, help_text="Only this quiz.")


class StudentAttemptFilterSerializer(_ResultFilterSerializer):
    quiz = serializers.IntegerField(required=False, min_value=1, help_text="Only this quiz.")
    course = serializers.IntegerField(required=False, min_value=1, help_text="Only this course.")
