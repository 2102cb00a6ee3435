from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from pgvector.django import HnswIndex, VectorField

# all-MiniLM-L6-v2 gives 384 dimensions; an OpenAI-compatible provider is asked for the same.
EMBEDDING_DIMENSIONS = 384


class Chunk(models.Model):
    """A passage of a material: the unit that is embedded, searched and cited.

    ``ordinal`` is the chunk's position in its material; extraction is deterministic, so a
    re-run produces the same (material, ordinal) pairs and cannot double a chunk."""

    material = models.ForeignKey(
        "courses.Material", on_delete=models.CASCADE, related_name="chunks"
    )
    # Denormalised from the material so that a course-filtered search touches one index.
    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE, related_name="+")
    ordinal = models.PositiveIntegerField()
    page = models.PositiveIntegerField(null=True, blank=True, help_text="PDF page or slide.")
    section = models.CharField(max_length=500, blank=True, help_text="Heading path.")
    text = models.TextField()
    token_count = models.PositiveIntegerField()
    embedding = VectorField(dimensions=EMBEDDING_DIMENSIONS, null=True, blank=True)
    embedding_model = models.CharField(max_length=200, blank=True)
    search_vector = models.GeneratedField(
        expression=SearchVector("section", "text", config="english"),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    class Meta:
        ordering = ["material", "ordinal"]
        constraints = [
            models.UniqueConstraint(fields=["material", "ordinal"], name="chunk_ordinal_once")
        ]
        indexes = [
            # A denser graph than pgvector's defaults (16/64): at 1M passages it reaches the
            # recall target at a smaller search width (bench/RESULTS.md), for twice the build.
            HnswIndex(
                name="chunk_embedding_hnsw",
                fields=["embedding"],
                m=24,
                ef_construction=128,
                opclasses=["vector_cosine_ops"],
            ),
            GinIndex(name="chunk_search_vector_gin", fields=["search_vector"]),
            models.Index(name="chunk_course_idx", fields=["course"]),
        ]

    def __str__(self) -> str:
        return f"chunk {self.ordinal} of material {self.material_id}"


class TutorTurn(models.Model):
    """One question to the tutor and its answer, with the trace a teacher can open."""

    class State(models.TextChoices):
        PENDING = "pending"
        ANSWERING = "answering"
        DONE = "done"
        FAILED = "failed"

    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE, related_name="+")
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    question = models.TextField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    answer = models.TextField(blank=True)
    # True when every claim of the answer is supported by a source it cites (and there is one);
    # False when the material did not support an answer and the tutor said so.
    supported = models.BooleanField(null=True)
    # [{"n": 1, "chunk_id", "material_id", "material_title", "page", "section", "quote"}]
    citations = models.JSONField(default=list, blank=True)
    # Every retrieved chunk with its scores, whether or not it was cited.
    retrieved = models.JSONField(default=list, blank=True)
    # The answer check's verdict on each sentence of the answer (ai.tutor.check.Verdict):
    # [{"sentence", "cited", "kept", "dropped", "verdict", "reason", "match", "match_source",
    # "similarity", "coverage"}].
    answer_check = models.JSONField(default=list, blank=True)
    provider = models.CharField(max_length=200, blank=True)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    via = models.CharField(max_length=16, default="web")  # web | api
    created_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(name="tutorturn_course_idx", fields=["course", "-created_at"])]

    def __str__(self) -> str:
        return f"turn {self.pk}: {self.question[:40]}"
