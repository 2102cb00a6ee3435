"""The roster sync API: a school's information system creates or updates many people, and
their enrolments, in one call (courses owns rosters: a record may enrol its person)."""

from dataclasses import asdict

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from courses import services
from smartedu.api.docs import error_responses
from smartedu.api.serializers import StrictSerializer


@extend_schema_serializer(component_name="RosterRecord")
class RosterRecordSerializer(StrictSerializer):
    """One person of a bulk upsert. Every value is text (or null). A record whose content is
    wrong (unknown role, username taken, no such course) is rejected on its own with reasons;
    the other records are still applied."""

    external_id = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    username = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    email = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    first_name = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    last_name = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    role = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="admin, teacher or student (default student for new people).",
    )
    course_code = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="Enroll the person in this existing course.",
    )
    course_role = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="teacher or student (default: from the person's role).",
    )


ROSTER_MAX_RECORDS = 1000


@extend_schema_serializer(component_name="RosterBulkUpsert")
class RosterBulkUpsertInputSerializer(StrictSerializer):
    """People to create or update, matched by external_id, else by username."""

    # A ListField (not many=True) so the schema carries minItems/maxItems.
    records = serializers.ListField(
        child=RosterRecordSerializer(),
        allow_empty=False,
        min_length=1,
        max_length=ROSTER_MAX_RECORDS,
        help_text=(
            f"At most {ROSTER_MAX_RECORDS} people per call. A person is matched by external_id, "
            "else by username; matched people are updated, others created."
        ),
    )


@extend_schema_serializer(component_name="RosterSummary")
class RosterSummarySerializer(serializers.Serializer):
    """How many records had each outcome."""

    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    rejected = serializers.IntegerField()


@extend_schema_serializer(component_name="RosterRowResult")
class RosterRowResultSerializer(serializers.Serializer):
    """What happened to one record."""

    row = serializers.IntegerField(help_text="Position of the record in `records`, from 1.")
    outcome = serializers.ChoiceField(choices=["created", "updated", "unchanged", "rejected"])
    username = serializers.CharField()
    external_id = serializers.CharField()
    reasons = serializers.ListField(
        child=serializers.CharField(), help_text="Why the record was rejected."
    )
    changes = serializers.ListField(
        child=serializers.CharField(), help_text="Fields changed and enrollments made."
    )


@extend_schema_serializer(component_name="RosterBulkUpsertReport")
class RosterBulkUpsertOutputSerializer(serializers.Serializer):
    """The per-record report of a bulk upsert."""

    summary = RosterSummarySerializer()
    results = RosterRowResultSerializer(many=True)


class UserBulkUpsertApi(APIView):
    allowed_roles = ("admin",)

    @extend_schema(
        operation_id="users_bulk_upsert",
        tags=["Users"],
        summary="Create or update many people (roster sync)",
        description=(
            "Each record is applied on its own: a rejected record changes nothing and does not "
            "stop the others. Sending the same batch again reports every record `unchanged`."
        ),
        request=RosterBulkUpsertInputSerializer,
        responses={
            200: OpenApiResponse(
                RosterBulkUpsertOutputSerializer, description="One result per record, in order."
            ),
            **error_responses(400, 401, 403),
        },
    )
    def post(self, request):
        data = RosterBulkUpsertInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        results = services.roster_upsert(data.validated_data["records"])
        report = {
            "summary": services.roster_summary(results),
            "results": [asdict(result) for result in results],
        }
        return Response(RosterBulkUpsertOutputSerializer(report).data)
