"""Export and import: the format query, the export's warnings, the import file and its report."""

from django.conf import settings
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from smartedu.api.serializers import StrictSerializer

EXPORT_FORMATS = [
    ("qti", "QTI 2.1 content package (zip)"),
    ("moodle", "Moodle XML"),
    ("gift", "GIFT (Moodle's text format)"),
]
IMPORT_FORMATS = [("moodle", "Moodle XML"), ("gift", "GIFT (Moodle's text format)")]


class ExportQuerySerializer(StrictSerializer):
    format = serializers.ChoiceField(
        choices=EXPORT_FORMATS,
        error_messages={
            "required": "Say which format: add ?format=qti, ?format=moodle or ?format=gift.",
            "invalid_choice": "Unknown export format “{input}”; use qti, moodle or gift.",
        },
    )


@extend_schema_serializer(component_name="ExportWarnings")
class ExportWarningsSerializer(serializers.Serializer):
    format = serializers.CharField()
    filename = serializers.CharField()
    warnings = serializers.ListField(
        child=serializers.CharField(),
        help_text="What the format cannot carry (each sentence names the question).",
    )


@extend_schema_serializer(component_name="QuestionImport")
class ImportInputSerializer(StrictSerializer):
    """A Moodle XML or GIFT file as the `file` part of a multipart/form-data body."""

    file = serializers.FileField(
        allow_empty_file=True,
        help_text=f"At most {settings.QUIZ_IMPORT_MAX_BYTES} bytes.",
        error_messages={
            "required": "Attach the file as a `file` part of a multipart/form-data request."
        },
    )
    format = serializers.ChoiceField(
        choices=IMPORT_FORMATS,
        error_messages={
            "required": "Say which format the file is in: moodle or gift.",
            "invalid_choice": "Unknown import format “{input}”; use moodle or gift.",
        },
    )


@extend_schema_serializer(component_name="ImportedQuestion")
class ImportedQuestionSerializer(serializers.Serializer):
    """One question of the file and what became of it."""

    number = serializers.IntegerField(help_text="Its place among the file's questions, from 1.")
    line = serializers.IntegerField(allow_null=True, help_text="Where it starts in the file.")
    title = serializers.CharField()
    source_type = serializers.CharField(help_text="The format's name for its type.")
    status = serializers.CharField(help_text="`imported` or `skipped`.")
    kind = serializers.CharField(help_text="The bank's question type (empty when skipped).")
    question_id = serializers.IntegerField(allow_null=True, help_text="The new bank question.")
    reason = serializers.CharField(help_text="Why it was skipped.")
    warnings = serializers.ListField(
        child=serializers.CharField(), help_text="What the bank could not keep of it."
    )


@extend_schema_serializer(component_name="ImportReport")
class ImportReportSerializer(serializers.Serializer):
    format = serializers.CharField()
    imported = serializers.IntegerField()
    skipped = serializers.IntegerField()
    warnings = serializers.ListField(
        child=serializers.CharField(), help_text="About the file as a whole."
    )
    questions = ImportedQuestionSerializer(many=True)
