"""Generation jobs: the request that starts one, the job as read, and the list's filter."""

from django.conf import settings
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from quizzes.models import GenerationJob, Question
from smartedu.api.serializers import QueryFilterSerializer, StrictSerializer

from .bank import KIND_ERRORS


@extend_schema_serializer(component_name="GenerationJobCreate")
class GenerationJobCreateInputSerializer(StrictSerializer):
    """What to generate. The questions land in the course's bank as drafts, each citing the
    passage it came from."""

    count = serializers.IntegerField(
        help_text=f"How many questions (1 to {settings.GENERATION_MAX_QUESTIONS})."
    )
    kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=Question.Kind.choices, error_messages=KIND_ERRORS),
        required=False,
        help_text="Question types to mix (default: single).",
    )
    difficulty = serializers.ChoiceField(
        choices=GenerationJob.Difficulty.choices, required=False, default="medium"
    )
    topic = serializers.CharField(required=False, allow_blank=True, default="")
    objectives = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    materials = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        default=list,
        help_text="Material ids of the course (default: every ready material).",
    )


@extend_schema_serializer(component_name="GenerationJob")
class GenerationJobOutputSerializer(serializers.ModelSerializer):
    """A request for generated questions and how far it got. `state` moves queued → running →
    done (or failed, with `error`)."""

    course = serializers.IntegerField(source="course_id")
    materials = serializers.SerializerMethodField(help_text="Empty: every ready material.")
    requested_by = serializers.IntegerField(
        source="requested_by_id", allow_null=True, help_text="Who asked (null: an API key)."
    )
    replaces = serializers.IntegerField(
        source="replaces_id", allow_null=True, help_text="The question this one regenerates."
    )
    kinds = serializers.ListField(child=serializers.ChoiceField(choices=Question.Kind.choices))
    objectives = serializers.ListField(child=serializers.CharField())
    created_count = serializers.IntegerField(help_text="Questions added to the bank so far.")
    duplicate_count = serializers.IntegerField(
        help_text="Candidates dropped as near-duplicates of questions already in the bank."
    )
    rejected_count = serializers.IntegerField(
        help_text="Candidates that failed the checks (see `rejections`)."
    )
    rejections = serializers.ListField(
        child=serializers.DictField(child=serializers.CharField()),
        help_text='Why candidates were turned away: [{"reason", "stem"}], the latest 100.',
    )
    notes = serializers.ListField(
        child=serializers.CharField(), help_text="Things a teacher should know about the run."
    )

    class Meta:
        model = GenerationJob
        fields = [
            "id",
            "course",
            "state",
            "count",
            "kinds",
            "difficulty",
            "topic",
            "objectives",
            "materials",
            "replaces",
            "via",
            "requested_by",
            "created_count",
            "duplicate_count",
            "rejected_count",
            "generator",
            "notes",
            "rejections",
            "prompt_tokens",
            "completion_tokens",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_materials(self, job) -> list[int]:
        return sorted(m.pk for m in job.materials.all())


class GenerationJobFilterSerializer(QueryFilterSerializer):
    state = serializers.ChoiceField(choices=GenerationJob.State.choices, required=False)
