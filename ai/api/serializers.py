"""Explicit input and output shapes of the materials, search and tutor API."""

from django.conf import settings
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from ai.models import Chunk, TutorTurn
from courses.models import Material
from smartedu.api.serializers import QueryFilterSerializer, StrictSerializer

# --- materials --------------------------------------------------------------------------------


@extend_schema_serializer(component_name="Material")
class MaterialOutputSerializer(serializers.ModelSerializer):
    """An uploaded file of course material and how far its ingestion got.

    `state` moves queued → extracting → embedding → ready (searchable, usable by the tutor), or
    to failed with `error` saying why in a sentence a teacher can act on."""

    course = serializers.IntegerField(source="course_id")
    uploaded_by = serializers.IntegerField(
        source="uploaded_by_id", allow_null=True, help_text="Who uploaded it (null: an API key)."
    )
    notes = serializers.ListField(
        child=serializers.CharField(),
        help_text="Things to know about a material that did ingest (e.g. OCR was used).",
    )
    page_count = serializers.IntegerField(
        allow_null=True, help_text="Pages (PDF) or slides (PPTX); null until known."
    )
    chunk_count = serializers.IntegerField(help_text="Passages extracted so far.")
    embedded_count = serializers.IntegerField(help_text="Passages embedded so far.")

    class Meta:
        model = Material
        fields = [
            "id",
            "course",
            "title",
            "filename",
            "kind",
            "size_bytes",
            "sha256",
            "state",
            "error",
            "notes",
            "page_count",
            "chunk_count",
            "embedded_count",
            "uploaded_by",
            "created_at",
            "ready_at",
        ]
        read_only_fields = fields


@extend_schema_serializer(component_name="MaterialUploaded")
class MaterialUploadedSerializer(MaterialOutputSerializer):
    duplicate = serializers.SerializerMethodField(
        help_text="True when the same content was already in the course: nothing new was "
        "stored and this is the existing material."
    )

    class Meta(MaterialOutputSerializer.Meta):
        fields = [*MaterialOutputSerializer.Meta.fields, "duplicate"]
        read_only_fields = fields

    def get_duplicate(self, material) -> bool:
        return material.pk in self.context.get("duplicates", ())


class MaterialUploadResultSerializer(serializers.Serializer):
    materials = MaterialUploadedSerializer(many=True, help_text="One per file, in upload order.")


class MaterialFilterSerializer(QueryFilterSerializer):
    state = serializers.ChoiceField(
        choices=Material.State.choices, required=False, help_text="Only materials in this state."
    )


@extend_schema_serializer(component_name="MaterialUpload")
class MaterialUploadInputSerializer(StrictSerializer):
    """One or more files as repeated `file` parts of a multipart/form-data body. Accepted:
    PDF, Word (.docx), PowerPoint (.pptx), HTML, Markdown and plain text."""

    file = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True),
        min_length=1,
        max_length=settings.MATERIAL_MAX_FILES_PER_UPLOAD,
        error_messages={
            "required": "Attach at least one file as a `file` part of a multipart/form-data "
            "request.",
            "min_length": "Attach at least one file as a `file` part of a multipart/form-data "
            "request.",
            "max_length": "Send at most {max_length} files in one request.",
        },
    )
    title = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=255,
        help_text="Only with a single file. Default: made from the file name.",
    )

    def validate(self, attrs):
        if attrs.get("title") and len(attrs["file"]) > 1:
            raise serializers.ValidationError(
                {"title": ["A title can only be given when uploading one file."]}
            )
        return attrs


@extend_schema_serializer(component_name="Chunk")
class ChunkOutputSerializer(serializers.ModelSerializer):
    """A passage extracted from a material: what is searched, cited and embedded."""

    class Meta:
        model = Chunk
        fields = ["id", "ordinal", "page", "section", "text", "token_count"]
        read_only_fields = fields


# --- search -----------------------------------------------------------------------------------


class SearchQuerySerializer(StrictSerializer):
    q = serializers.CharField(
        max_length=1000,
        help_text="What to look for, in plain words.",
        error_messages={
            "required": "Say what to search for: add ?q=<words> to the address.",
            "blank": "Say what to search for: ?q= must not be empty.",
        },
    )
    k = serializers.IntegerField(
        required=False,
        default=10,
        min_value=1,
        max_value=50,
        help_text="How many passages to return (1 to 50, default 10).",
    )


@extend_schema_serializer(component_name="SearchHit")
class SearchHitSerializer(serializers.Serializer):
    """A passage that matches, best first."""

    chunk_id = serializers.IntegerField()
    material_id = serializers.IntegerField()
    material_title = serializers.CharField()
    page = serializers.IntegerField(allow_null=True)
    section = serializers.CharField()
    text = serializers.CharField()
    score = serializers.FloatField(
        help_text="Fused rank score (vector and full text); higher is better."
    )
    similarity = serializers.FloatField(
        allow_null=True,
        help_text="Cosine similarity of meaning (-1 to 1); null when found by its words only.",
    )


@extend_schema_serializer(component_name="SearchResults")
class SearchResultsSerializer(serializers.Serializer):
    query = serializers.CharField()
    results = SearchHitSerializer(many=True)


# --- tutor ------------------------------------------------------------------------------------


@extend_schema_serializer(component_name="TutorQuestion")
class TutorQuestionInputSerializer(StrictSerializer):
    # Blank and over-long questions are refused by the tutor itself, with its own sentences.
    question = serializers.CharField(
        allow_blank=True,
        trim_whitespace=False,
        help_text=f"At most {settings.TUTOR_MAX_QUESTION_CHARS} characters.",
    )


@extend_schema_serializer(component_name="TutorCitation")
class TutorCitationSerializer(serializers.Serializer):
    """A passage the answer cites as `[n]`."""

    n = serializers.IntegerField(help_text="The number used in the answer: [n].")
    chunk_id = serializers.IntegerField()
    material_id = serializers.IntegerField()
    material_title = serializers.CharField()
    page = serializers.IntegerField(allow_null=True)
    section = serializers.CharField()
    similarity = serializers.FloatField(allow_null=True)
    quote = serializers.CharField(help_text="The sentence of the passage that best answers.")


@extend_schema_serializer(component_name="TutorAnswer")
class TutorAnswerSerializer(serializers.Serializer):
    turn = serializers.IntegerField(help_text="The turn's id (its trace: /tutor/turns/{id}/).")
    question = serializers.CharField()
    answer = serializers.CharField()
    supported = serializers.BooleanField(
        allow_null=True,
        help_text="True when every claim of the answer is supported by a source it cites (each "
        "sentence is checked against its sources); false when the course material does not "
        "cover the question and the answer says so.",
    )
    citations = TutorCitationSerializer(many=True)
    state = serializers.ChoiceField(choices=TutorTurn.State.choices)


@extend_schema_serializer(component_name="TutorRetrievedPassage")
class TutorRetrievedSerializer(serializers.Serializer):
    """A passage retrieval returned for the question, cited or not."""

    chunk_id = serializers.IntegerField()
    material_id = serializers.IntegerField()
    material_title = serializers.CharField()
    page = serializers.IntegerField(allow_null=True)
    section = serializers.CharField()
    score = serializers.FloatField(help_text="Fused rank score.")
    similarity = serializers.FloatField(allow_null=True)
    vector_rank = serializers.IntegerField(allow_null=True)
    text_rank = serializers.IntegerField(allow_null=True)
    supports = serializers.BooleanField(help_text="Whether it counted as support for an answer.")


@extend_schema_serializer(component_name="TutorAnswerCheck")
class TutorAnswerCheckSerializer(serializers.Serializer):
    """The answer check's verdict on one sentence of the answer."""

    sentence = serializers.CharField(
        help_text="The sentence as the model wrote it, citations removed."
    )
    cited = serializers.ListField(child=serializers.IntegerField(), help_text="Its citations [n].")
    kept = serializers.ListField(
        child=serializers.IntegerField(), help_text="The citations the final answer gives it."
    )
    dropped = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Citations removed: the source does not support it, or there is no such source.",
    )
    verdict = serializers.ChoiceField(
        choices=["supported", "connective", "unsupported", "instruction"],
        help_text="supported and connective sentences stay; the others were removed.",
    )
    reason = serializers.CharField()
    match = serializers.CharField(help_text="The closest sentence of a source.")
    match_source = serializers.IntegerField(allow_null=True, help_text="Which source [n].")
    similarity = serializers.FloatField(allow_null=True, help_text="Cosine similarity to it.")
    coverage = serializers.FloatField(
        allow_null=True, help_text="The share of the sentence's content words the source holds."
    )


@extend_schema_serializer(component_name="TutorTurn")
class TutorTurnTraceSerializer(serializers.ModelSerializer):
    """One question to the tutor with everything that went into its answer."""

    course = serializers.IntegerField(source="course_id")
    asked_by = serializers.IntegerField(
        source="asked_by_id", allow_null=True, help_text="Who asked (null: an API key)."
    )
    supported = serializers.BooleanField(allow_null=True)
    citations = TutorCitationSerializer(many=True)
    retrieved = TutorRetrievedSerializer(many=True)
    answer_check = TutorAnswerCheckSerializer(many=True)
    latency_ms = serializers.IntegerField(allow_null=True)

    class Meta:
        model = TutorTurn
        fields = [
            "id",
            "course",
            "asked_by",
            "via",
            "question",
            "state",
            "answer",
            "supported",
            "citations",
            "retrieved",
            "answer_check",
            "provider",
            "prompt_tokens",
            "completion_tokens",
            "latency_ms",
            "error",
            "created_at",
            "answered_at",
        ]
        read_only_fields = fields
