"""Building blocks every app's API serializers share."""

from collections.abc import Mapping

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

# Sent by HTML forms alongside the data; never a field of ours.
IGNORED_KEYS = {"csrfmiddlewaretoken"}


class StrictSerializer(serializers.Serializer):
    """An input serializer that refuses keys it does not know instead of silently dropping them,
    so a typo (``emial``) is a clear 400 rather than a change that never happened.

    ``unknown_field_messages`` gives a better sentence for a known-but-refused key;
    ``allowed_extra_keys`` lists keys that belong to someone else (pagination parameters)."""

    unknown_field_messages: dict[str, str] = {}
    allowed_extra_keys: tuple[str, ...] = ()

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            known = {name for name, field in self.fields.items() if not field.read_only}
            unknown = set(data) - known - IGNORED_KEYS - set(self.allowed_extra_keys)
            if unknown:
                accepted = ", ".join(sorted(known))
                raise serializers.ValidationError(
                    {
                        name: [
                            self.unknown_field_messages.get(
                                name, f"Unknown field; the accepted fields are: {accepted}."
                            )
                        ]
                        for name in sorted(unknown)
                    }
                )
        return super().to_internal_value(data)


class QueryFilterSerializer(StrictSerializer):
    """Query-string filters of a paginated list: pagination parameters pass through."""

    allowed_extra_keys = ("page", "page_size")


def optional_bool(help_text: str) -> serializers.BooleanField:
    """A true/false query parameter where "absent" means "don't filter" (not false)."""
    return serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text=help_text
    )


# --- The 429 body: the school's monthly AI budget (tenants.quotas) does not cover the request ---


class QuotaErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="`quota_exceeded`.")
    message = serializers.CharField(help_text="How much is used, what was asked, when it resets.")
    resets_at = serializers.DateTimeField(help_text="When this month's budget resets (UTC).")
    limit = serializers.IntegerField(help_text="The school's monthly budget of this kind.")
    used = serializers.IntegerField(help_text="How much of it is used.")


@extend_schema_serializer(component_name="QuotaExceededError")
class QuotaErrorSerializer(serializers.Serializer):
    error = QuotaErrorDetailSerializer()
