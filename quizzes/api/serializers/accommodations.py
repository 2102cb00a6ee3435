"""A student's accommodation over the API: what they are allowed beyond every quiz's settings."""

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from smartedu.api.serializers import StrictSerializer


@extend_schema_serializer(component_name="Accommodation")
class AccommodationSerializer(serializers.Serializer):
    """What a student is allowed beyond every quiz's settings. A student without one reads
    zeros and ``updated_at: null``."""

    student = serializers.IntegerField(source="student_id")
    extra_time_percent = serializers.IntegerField(
        help_text="Added to every time limit (50: time and a half)."
    )
    extra_attempts = serializers.IntegerField(help_text="Added to every quiz's attempts allowed.")
    note = serializers.CharField()
    updated_by = serializers.IntegerField(source="updated_by_id", allow_null=True)
    updated_at = serializers.DateTimeField(allow_null=True)


@extend_schema_serializer(component_name="AccommodationUpdate")
class AccommodationInputSerializer(StrictSerializer):
    """The whole accommodation: PUT replaces it (a note left out is cleared). Attempts already
    running keep the extra time they started with. The ranges are checked by
    ``quizzes.accommodations``."""

    extra_time_percent = serializers.IntegerField(
        help_text="0 to 400, added to every time limit (50: time and a half)."
    )
    extra_attempts = serializers.IntegerField(
        help_text="0 to 20, added to every quiz's attempts allowed."
    )
    note = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Why (at most 300 characters)."
    )
