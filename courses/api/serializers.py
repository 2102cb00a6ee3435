"""Explicit input and output shapes of the courses API."""

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from courses.models import Course, Enrollment
from smartedu.api.serializers import QueryFilterSerializer, StrictSerializer


@extend_schema_serializer(component_name="Course")
class CourseOutputSerializer(serializers.ModelSerializer):
    """A course with how many students and teachers it has."""

    student_count = serializers.IntegerField(read_only=True)
    teacher_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Course
        fields = [
            "id",
            "code",
            "name",
            "description",
            "is_archived",
            "created_at",
            "student_count",
            "teacher_count",
        ]
        read_only_fields = fields


class CourseFilterSerializer(QueryFilterSerializer):
    include_archived = serializers.BooleanField(
        required=False, default=False, help_text="Also list archived courses."
    )


@extend_schema_serializer(component_name="CourseCreate")
class CourseCreateInputSerializer(StrictSerializer):
    """A new course. The code must be free in the school."""

    code = serializers.CharField(max_length=40, help_text="Short code, e.g. BIO-101 (unique).")
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")


@extend_schema_serializer(component_name="CourseUpdate")
class CourseUpdateInputSerializer(StrictSerializer):
    """Only the keys sent are changed. The code cannot be changed."""

    unknown_field_messages = {"code": "A course's code cannot be changed."}

    name = serializers.CharField(required=False, max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    is_archived = serializers.BooleanField(required=False)


@extend_schema_serializer(component_name="Enrollment")
class EnrollmentOutputSerializer(serializers.Serializer):
    """A person in a course, as teacher or student."""

    user = serializers.IntegerField(source="user_id", help_text="The person's id.")
    username = serializers.CharField(source="user.username")
    external_id = serializers.CharField(source="user.external_id", allow_null=True)
    first_name = serializers.CharField(source="user.first_name")
    last_name = serializers.CharField(source="user.last_name")
    role = serializers.ChoiceField(choices=Enrollment.Role.choices)
    created_at = serializers.DateTimeField()


@extend_schema_serializer(component_name="EnrollmentCreate")
class EnrollmentCreateInputSerializer(StrictSerializer):
    """Who to put in the course: `user` (an id) or `external_id`, not both."""

    user = serializers.IntegerField(
        required=False, min_value=1, help_text="The person's id (or give external_id)."
    )
    external_id = serializers.CharField(
        required=False, max_length=100, help_text="The person's external id (or give user)."
    )
    role = serializers.ChoiceField(
        choices=Enrollment.Role.choices,
        required=False,
        help_text="Default: teacher for teachers, student for everyone else.",
    )

    def validate(self, attrs):
        if "user" in attrs and "external_id" in attrs:
            raise serializers.ValidationError("Give either user (an id) or external_id, not both.")
        if "user" not in attrs and "external_id" not in attrs:
            raise serializers.ValidationError(
                "Say who to enroll: give user (an id) or external_id."
            )
        return attrs
