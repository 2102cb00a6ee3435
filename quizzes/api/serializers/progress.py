"""Progress over the API: mastery per student of a course, one student's mastery per course,
and their filters. Mastery rows come from ``quizzes.progress.mastery_payload``."""

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from smartedu.api.serializers import QueryFilterSerializer

from .attempts import StudentRefSerializer
from .results import OUTPUT_FORMATS


@extend_schema_serializer(component_name="Mastery")
class MasterySerializer(serializers.Serializer):
    """The share of points earned on the latest graded answer to each question with this tag
    (empty ``tag``: the whole course)."""

    tag = serializers.CharField()
    percent = serializers.FloatField(allow_null=True)
    earned = serializers.FloatField()
    possible = serializers.FloatField()
    questions_answered = serializers.IntegerField()


class _MasteryFields(serializers.Serializer):
    overall = MasterySerializer(allow_null=True, help_text="null: nothing graded yet.")
    questions_answered = serializers.IntegerField(
        help_text="Questions of the course with a graded answer."
    )
    attempts_submitted = serializers.IntegerField(
        help_text="Submitted quiz attempts in the course."
    )
    topics = MasterySerializer(many=True)
    objectives = MasterySerializer(many=True)
    updated_at = serializers.DateTimeField(
        allow_null=True, help_text="When this mastery was last recomputed; null: never."
    )


@extend_schema_serializer(component_name="CourseProgressRow")
class CourseProgressRowSerializer(_MasteryFields):
    """One student of the course."""

    student = StudentRefSerializer()


@extend_schema_serializer(component_name="CourseRef")
class CourseRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


@extend_schema_serializer(component_name="StudentCourseProgress")
class StudentCourseProgressSerializer(_MasteryFields):
    course = CourseRefSerializer()


@extend_schema_serializer(component_name="StudentProgress")
class StudentProgressSerializer(serializers.Serializer):
    """A student's mastery in each course they take (that the caller may see)."""

    student = StudentRefSerializer()
    courses = StudentCourseProgressSerializer(many=True)


class CourseProgressFilterSerializer(QueryFilterSerializer):
    student = serializers.IntegerField(required=False, min_value=1, help_text="A student's id.")
    external_id = serializers.CharField(
        required=False, help_text="A student's id in your system (roster sync)."
    )
    format = serializers.ChoiceField(
        choices=OUTPUT_FORMATS,
        required=False,
        default="json",
        help_text="csv (or `Accept: text/csv`): every matching student as a CSV attachment.",
    )


# The CSV export of a course's progress: one row per student, then one column per topic.
PROGRESS_CSV_COLUMNS = [
    "student",
    "external_id",
    "username",
    "name",
    "overall_percent",
    "earned",
    "possible",
    "questions_answered",
    "attempts_submitted",
]


# --- question statistics -------------------------------------------------------------------


@extend_schema_serializer(component_name="QuestionStatisticsOption")
class StatisticsOptionSerializer(serializers.Serializer):
    id = serializers.CharField()
    # The metaclass takes declared fields off the class, so this never hides Field.label;
    # the stubs cannot know that.
    label = serializers.CharField(help_text="The option's wording.")  # type: ignore[assignment]
    correct = serializers.BooleanField()
    count = serializers.IntegerField(help_text="Answers that chose it.")
    share = serializers.FloatField(help_text="Of the answers, 0 to 1.")


@extend_schema_serializer(component_name="QuestionStatisticsWrongAnswer")
class StatisticsWrongAnswerSerializer(serializers.Serializer):
    # Never hides Field.label: see above.
    label = serializers.CharField()  # type: ignore[assignment]
    count = serializers.IntegerField()
    share = serializers.FloatField(help_text="Of the answers, 0 to 1.")


@extend_schema_serializer(component_name="QuestionStatisticsFlag")
class StatisticsFlagSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="`too_hard`, `too_easy`, `negative_discrimination`, `poor_discrimination` "
        "or `distractor`."
    )
    # Never hides Field.label: see above.
    label = serializers.CharField()  # type: ignore[assignment]
    message = serializers.CharField(help_text="Why, in a teacher's words.")


@extend_schema_serializer(component_name="QuestionStatistics")
class QuestionStatisticsSerializer(serializers.Serializer):
    """How one question performed over the quiz's submitted attempts."""

    question = serializers.IntegerField(source="question_id")
    position = serializers.IntegerField(
        allow_null=True, help_text="In the quiz; null: no longer in it."
    )
    kind = serializers.CharField()
    topic = serializers.CharField()
    stem = serializers.CharField(help_text="The current wording, cut short.")
    stem_html = serializers.CharField()
    shown = serializers.IntegerField(help_text="Submitted attempts that showed it.")
    answered = serializers.IntegerField()
    skipped = serializers.IntegerField()
    facility = serializers.FloatField(
        allow_null=True, help_text="Mean score of the answers, 0 to 1 (1: everybody right)."
    )
    facility_percent = serializers.FloatField(allow_null=True)
    discrimination = serializers.FloatField(
        allow_null=True,
        help_text="Point-biserial correlation with the rest of the attempt, -1 to 1.",
    )
    options = StatisticsOptionSerializer(many=True, help_text="Choice questions.")
    wrong_answers = StatisticsWrongAnswerSerializer(
        many=True, help_text="The most common wrong answers."
    )
    flags = StatisticsFlagSerializer(many=True)


@extend_schema_serializer(component_name="QuizResultSummary")
class QuizSummarySerializer(serializers.Serializer):
    attempts = serializers.IntegerField(help_text="Submitted attempts with a score.")
    students = serializers.IntegerField(help_text="Students with a submitted attempt.")
    average = serializers.FloatField(allow_null=True, help_text="Mean percent.")
    median = serializers.FloatField(allow_null=True, help_text="Median percent.")


@extend_schema_serializer(component_name="ScoreBin")
class ScoreBinSerializer(serializers.Serializer):
    low = serializers.IntegerField(help_text="Percent, inclusive.")
    high = serializers.IntegerField(help_text="Percent, exclusive (the last bin holds 100).")
    count = serializers.IntegerField()


@extend_schema_serializer(component_name="QuizStatistics")
class QuizStatisticsSerializer(serializers.Serializer):
    quiz = serializers.IntegerField()
    summary = QuizSummarySerializer()
    histogram = ScoreBinSerializer(many=True)
    questions = QuestionStatisticsSerializer(many=True)
