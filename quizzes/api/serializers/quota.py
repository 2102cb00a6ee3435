"""The 429 body: the school's monthly AI budget does not cover the request."""

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers


class QuotaErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="`quota_exceeded`.")
    message = serializers.CharField(help_text="How much is used, what was asked, when it resets.")
    resets_at = serializers.DateTimeField(help_text="When this month's budget resets (UTC).")
    limit = serializers.IntegerField(help_text="The school's monthly budget of this kind.")
    used = serializers.IntegerField(help_text="How much of it is used.")


@extend_schema_serializer(component_name="QuotaExceededError")
class QuotaErrorSerializer(serializers.Serializer):
    error = QuotaErrorDetailSerializer()
