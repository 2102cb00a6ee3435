"""The question bank's shapes: a question's content (options, answer, source) as read and
as written, its versions, the bank's filter, and the accept/reject inputs."""

from typing import TYPE_CHECKING

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from quizzes.models import Difficulty, Question, QuestionVersion
from quizzes.rendering import render
from smartedu.api.serializers import QueryFilterSerializer, StrictSerializer

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise


@extend_schema_serializer(component_name="QuestionOption")
class OptionSerializer(serializers.Serializer):
    """One choice of a single, multiple or true/false question."""

    id = serializers.CharField(help_text="`a`, `b`, … by position; `true`/`false` for true/false.")
    text = serializers.CharField()
    correct = serializers.BooleanField()
    feedback = serializers.CharField(help_text="Shown to a student who picks this option.")


@extend_schema_serializer(component_name="QuestionAnswer")
class AnswerSerializer(serializers.Serializer):
    """The key of a typed answer: `accepted` and `case_sensitive` (short_answer, fill_blank) or
    `value`, `tolerance` and `unit` (numeric). Empty for choice questions."""

    accepted = serializers.ListField(child=serializers.CharField(), required=False)
    case_sensitive = serializers.BooleanField(required=False)
    value = serializers.FloatField(required=False)
    tolerance = serializers.FloatField(required=False)
    unit = serializers.CharField(required=False)


@extend_schema_serializer(component_name="QuestionOptionInput")
class OptionInputSerializer(StrictSerializer):
    # Everything optional here: the content gate (quizzes.content) says what is missing in a
    # teacher's words ("Option 2 has no text.").
    id = serializers.CharField(
        required=False,
        help_text="Ignored except for true/false (`true`/`false`); ids follow the order.",
    )
    text = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    correct = serializers.BooleanField(required=False, default=False)
    feedback = serializers.CharField(required=False, allow_blank=True)


@extend_schema_serializer(component_name="QuestionAnswerInput")
class AnswerInputSerializer(StrictSerializer):
    accepted = serializers.ListField(
        child=serializers.CharField(allow_blank=True),
        required=False,
        help_text="short_answer / fill_blank: the answers that count as right.",
    )
    case_sensitive = serializers.BooleanField(required=False)
    value = serializers.FloatField(required=False, help_text="numeric: the correct value.")
    tolerance = serializers.FloatField(required=False, help_text="numeric: ± this counts.")
    unit = serializers.CharField(required=False, allow_blank=True, help_text="numeric, e.g. °C.")


@extend_schema_serializer(component_name="QuestionSource")
class SourceSerializer(serializers.Serializer):
    """The passage of course material that supports the key (copied, so the citation survives
    the material being re-ingested or deleted)."""

    chunk_id = serializers.IntegerField(source="source_chunk_id", allow_null=True)
    material_id = serializers.IntegerField(source="source_material_id", allow_null=True)
    material_title = serializers.CharField(source="source_material.title", allow_null=True)
    page = serializers.IntegerField(source="source_page", allow_null=True)
    section = serializers.CharField(source="source_section")
    quote = serializers.CharField(source="source_quote")


# Typed as Field's error_messages is: a dict is invariant, so dict[str, str] would not pass.
KIND_ERRORS: dict[str, "str | StrPromise"] = {
    "invalid_choice": "Unknown question type “{input}”; use one of "
    + ", ".join(Question.Kind.values)
    + ".",
}


def _html(text: str) -> str:
    return str(render(text))


@extend_schema_serializer(component_name="Question")
class QuestionOutputSerializer(serializers.Serializer):
    """A question of the course's bank with its key, as its current version words it.

    Text fields are sanitised Markdown; `stem_html` and `explanation_html` are the same text as
    safe HTML (no script, only formatting tags and http(s)/mailto links)."""

    id = serializers.IntegerField()
    course = serializers.IntegerField(source="course_id")
    kind = serializers.ChoiceField(choices=Question.Kind.choices)
    status = serializers.ChoiceField(choices=Question.Status.choices)
    origin = serializers.ChoiceField(choices=Question.Origin.choices)
    version = serializers.IntegerField(
        source="current_version.number", help_text="The number of the version now in force."
    )
    stem = serializers.CharField(source="current_version.stem")
    stem_html = serializers.SerializerMethodField()
    options = OptionSerializer(source="current_version.options", many=True)
    answer = AnswerSerializer(source="current_version.answer")
    explanation = serializers.CharField(source="current_version.explanation")
    explanation_html = serializers.SerializerMethodField()
    topic = serializers.CharField()
    objective = serializers.CharField()
    difficulty = serializers.ChoiceField(choices=Difficulty.choices)
    # The metaclass takes declared fields off the class, so this never hides Field.source;
    # the stubs cannot know that.
    source = SourceSerializer(source="*")  # type: ignore[assignment]
    generation_job = serializers.IntegerField(
        source="generation_job_id", allow_null=True, help_text="The job that generated it."
    )
    generator = serializers.CharField(help_text="Which generator wrote it (provider/model).")
    rejection_reason = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_stem_html(self, question) -> str:
        return _html(question.current_version.stem)

    def get_explanation_html(self, question) -> str:
        return _html(question.current_version.explanation)


@extend_schema_serializer(component_name="QuestionUpdated")
class QuestionUpdatedSerializer(QuestionOutputSerializer):
    new_version = serializers.SerializerMethodField(
        help_text="True when the edit made a new version because students had been shown the "
        "old one (their attempts keep it); false when the current version was rewritten."
    )

    def get_new_version(self, question) -> bool:
        return bool(self.context.get("new_version"))


@extend_schema_serializer(component_name="QuestionVersion")
class QuestionVersionOutputSerializer(serializers.ModelSerializer):
    """One version of a question's wording and key. A version an attempt has shown is frozen:
    editing the question then makes the next version."""

    stem_html = serializers.SerializerMethodField()
    options = OptionSerializer(many=True)
    answer = AnswerSerializer()
    created_by = serializers.IntegerField(source="created_by_id", allow_null=True)
    current = serializers.SerializerMethodField(help_text="The version now in force.")
    shown = serializers.BooleanField(help_text="Whether an attempt has shown it to a student.")

    class Meta:
        model = QuestionVersion
        fields = [
            "number",
            "stem",
            "stem_html",
            "options",
            "answer",
            "explanation",
            "created_by",
            "created_at",
            "current",
            "shown",
        ]
        read_only_fields = fields

    def get_stem_html(self, version) -> str:
        return _html(version.stem)

    def get_current(self, version) -> bool:
        return version.pk == self.context.get("current_version_id")


class QuestionFilterSerializer(QueryFilterSerializer):
    status = serializers.ChoiceField(choices=Question.Status.choices, required=False)
    kind = serializers.ChoiceField(choices=Question.Kind.choices, required=False)
    topic = serializers.CharField(required=False, help_text="Exactly this topic (any case).")
    objective = serializers.CharField(required=False, help_text="Exactly this objective.")
    difficulty = serializers.ChoiceField(choices=Difficulty.choices, required=False)
    job = serializers.IntegerField(required=False, help_text="Made by this generation job.")
    material = serializers.IntegerField(required=False, help_text="Citing this material.")
    search = serializers.CharField(required=False, help_text="Words in the question's text.")


_CONTENT_HELP = (
    "single/multiple: `options` [{text, correct, feedback}] (2 to 8); true_false: `options` "
    '[{"id": "true", "correct": true}, {"id": "false"}]; short_answer/fill_blank: `answer` '
    "{accepted: [...], case_sensitive}; numeric: `answer` {value, tolerance, unit}. A "
    "fill-in-the-blank stem marks its blank with ____."
)


class _QuestionContentInput(StrictSerializer):
    stem = serializers.CharField(
        allow_blank=True, trim_whitespace=False, help_text="Markdown; HTML is removed."
    )
    options = OptionInputSerializer(many=True, required=False)
    answer = AnswerInputSerializer(required=False)
    explanation = serializers.CharField(required=False, allow_blank=True)
    topic = serializers.CharField(required=False, allow_blank=True)
    objective = serializers.CharField(required=False, allow_blank=True)
    difficulty = serializers.ChoiceField(choices=Difficulty.choices, required=False)


@extend_schema_serializer(component_name="QuestionCreate")
class QuestionCreateInputSerializer(_QuestionContentInput):
    __doc__ = f"A question written by a teacher; it enters the bank as a draft. {_CONTENT_HELP}"

    unknown_field_messages = {
        "status": "A new question is a draft; accept it with POST /questions/{id}/accept/.",
    }
    kind = serializers.ChoiceField(choices=Question.Kind.choices, error_messages=KIND_ERRORS)


@extend_schema_serializer(component_name="QuestionUpdate")
class QuestionUpdateInputSerializer(_QuestionContentInput):
    __doc__ = (
        "Only the keys sent change. If students have been shown the current version, a new "
        f"version is made and their attempts keep the old one. {_CONTENT_HELP}"
    )

    unknown_field_messages = {
        "status": "Change a question's status with POST /questions/{id}/accept/ or /reject/.",
    }
    kind = serializers.ChoiceField(
        choices=Question.Kind.choices, required=False, error_messages=KIND_ERRORS
    )


@extend_schema_serializer(component_name="QuestionReject")
class QuestionRejectInputSerializer(StrictSerializer):
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=300, help_text="Why (kept with the question)."
    )


@extend_schema_serializer(component_name="QuestionIds")
class QuestionIdsInputSerializer(StrictSerializer):
    questions = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        min_length=1,
        max_length=500,
        help_text="Question ids, at most 500.",
        error_messages={"min_length": "Choose at least one question."},
    )


@extend_schema_serializer(component_name="BulkAcceptResult")
class BulkAcceptResultSerializer(serializers.Serializer):
    accepted = serializers.IntegerField(
        help_text="Drafts accepted now (questions already accepted, rejected ones and ids of "
        "other courses are left as they are)."
    )
