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
