"""Explicit input and output shapes of the people (roster) API. Output never carries the
password hash; inputs refuse unknown keys (StrictSerializer)."""

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from accounts.models import User
from smartedu.api.serializers import QueryFilterSerializer, StrictSerializer, optional_bool


@extend_schema_serializer(component_name="User")
class UserOutputSerializer(serializers.ModelSerializer):
    """A person of the school. The password (hash) is never part of it."""

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "email",
            "first_name",
            "last_name",
            "role",
            "external_id",
            "is_active",
            "date_joined",
            "last_login",
        ]
        read_only_fields = fields


class UserFilterSerializer(QueryFilterSerializer):
    role = serializers.ChoiceField(choices=User.Role.choices, required=False)
    is_active = optional_bool("true: only active people; false: only deactivated ones.")
    external_id = serializers.CharField(
        required=False, max_length=100, help_text="Exactly this external id."
    )
    search = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="Part of the username, e-mail, first or last name (any case).",
    )


@extend_schema_serializer(component_name="UserCreate")
class UserCreateInputSerializer(StrictSerializer):
    """A new person. Username, e-mail and external id must be free in the school."""

    username = serializers.CharField(max_length=150)
    role = serializers.ChoiceField(choices=User.Role.choices)
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    first_name = serializers.CharField(required=False, allow_blank=True, max_length=150, default="")
    last_name = serializers.CharField(required=False, allow_blank=True, max_length=150, default="")
    external_id = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        max_length=100,
        default=None,
        help_text="Your system's id for this person; unique within the school.",
    )
    password = serializers.CharField(
        required=False,
        write_only=True,
        trim_whitespace=False,
        default=None,
        style={"input_type": "password"},
        help_text=(
            "Optional. Without one the person signs in after an invitation or password reset."
        ),
    )


@extend_schema_serializer(component_name="UserUpdate")
class UserUpdateInputSerializer(StrictSerializer):
    """Only the keys sent are changed. `is_active` has its own endpoints (deactivate,
    reactivate)."""

    unknown_field_messages = {
        "is_active": "Use the deactivate and reactivate endpoints to change this.",
        "password": "Passwords cannot be set here; the person resets their own.",
    }

    username = serializers.CharField(required=False, max_length=150)
    role = serializers.ChoiceField(choices=User.Role.choices, required=False)
    email = serializers.EmailField(required=False, allow_blank=True)
    first_name = serializers.CharField(required=False, allow_blank=True, max_length=150)
    last_name = serializers.CharField(required=False, allow_blank=True, max_length=150)
    external_id = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, max_length=100
    )


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
