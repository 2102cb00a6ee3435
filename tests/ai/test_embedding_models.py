"""A school's vectors always come from one model: passages record the model that embedded them,
search compares only vectors of the configured model, and changing the model re-embeds. The
OpenAI-compatible provider is a real local HTTP server speaking the API."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django_tenants.utils import schema_context

from ai import ingestion, retrieval
from ai.models import Chunk
from courses.models import Material

from . import samples
from .conftest import course_with_people, ingest_in_process, upload

PAGES = [
    "Mitochondria are the powerhouse of the cell. They produce ATP through respiration.",
    "Photosynthesis happens in chloroplasts and makes glucose from light.",
]


class RolledBack(Exception):
    pass


def models_of(school, material_id) -> set[str]:
    with schema_context(school.schema):
        return set(
            Chunk.objects.filter(material_id=material_id).values_list("embedding_model", flat=True)
        )


def test_changing_the_embedding_model_re_embeds_every_material(
    fresh_school, committed, tmp_path, settings, openai_server
):
    school = fresh_school()
    course = course_with_people(school)
    material, _ = upload(school, course, samples.pdf_with_pages(tmp_path, PAGES))
    assert ingest_in_process(school, material.pk).state == "ready"
    assert models_of(school, material.pk) == {"local/all-MiniLM-L6-v2"}

    openai_server.use_for(settings, chat=False)
    with schema_context(school.schema):
        # Vectors of the old model are not compared with the new model's query vectors...
        assert (
            retrieval.vector_search(
                retrieval_query_vector("mitochondria ATP"), course_ids=[course.pk], k=5
            )
            == []
        )
        # ...though the passages are still found by their words.
        hits = retrieval.chunk_search("mitochondria ATP", course_ids=[course.pk], k=5)
        assert hits and all(hit.similarity is None for hit in hits)

    output = StringIO()
    with pytest.raises(RolledBack), transaction.atomic():
        # Inside a transaction that is rolled back, so the queued jobs never reach a worker:
        # the re-embedding runs here, against the fake OpenAI-compatible server.
        call_command("reembed_materials", school=school.schema, stdout=output)
        with schema_context(school.schema):
            assert Material.objects.get(pk=material.pk).state == "embedding"
            while ingestion.material_embed(material.pk, report=lambda p: None) == "more":
                pass
            reembedded = Material.objects.get(pk=material.pk)
            assert reembedded.state == "ready"
            assert reembedded.embedding_model == "openai/text-embedding-3-small"
            assert models_of(school, material.pk) == {"openai/text-embedding-3-small"}
            hits = retrieval.chunk_search("mitochondria ATP", course_ids=[course.pk], k=5)
            assert hits[0].page == 1 and hits[0].similarity is not None
        raise RolledBack

    assert f"{school.schema}: 1 materials queued for openai/text-embedding-3-small" in (
        output.getvalue()
    )
    assert openai_server.requests_to("/embeddings")


def retrieval_query_vector(text: str) -> list[float]:
    from ai.embeddings import embed_query

    return embed_query(text)


def test_an_embedding_provider_that_rejects_the_key_fails_the_material_with_the_reason(
    fresh_school, committed, tmp_path, settings, openai_server
):
    school = fresh_school()
    course = course_with_people(school)
    openai_server.use_for(settings, chat=False)
    settings.EMBEDDING_API_KEY = "wrong-key"
    with transaction.atomic():  # the shared test worker must not take this job
        material, _ = upload(school, course, samples.text_file(tmp_path, " ".join(PAGES)))
        material = ingest_in_process(school, material.pk)

    assert material.state == "failed"
    assert material.error.startswith("Embedding failed:")
    assert "API key" in material.error


def test_a_busy_embedding_provider_defers_the_job_instead_of_failing_it(
    fresh_school, committed, tmp_path, settings, openai_server
):
    school = fresh_school()
    course = course_with_people(school)
    openai_server.use_for(settings, chat=False)
    settings.OPENAI_MAX_RETRIES = 0
    with transaction.atomic():
        material, _ = upload(school, course, samples.text_file(tmp_path, " ".join(PAGES)))
        with schema_context(school.schema):
            ingestion.material_extract(material.pk, report=lambda p: None)
            openai_server.script(openai_server.status(503))
            with pytest.raises(ingestion.EmbeddingDeferred):
                ingestion.material_embed(material.pk, report=lambda p: None)
            assert Material.objects.get(pk=material.pk).state == "embedding"
            # The provider is back: the job goes on where it stopped.
            assert ingestion.material_embed(material.pk, report=lambda p: None) == "done"
            assert Material.objects.get(pk=material.pk).state == "ready"
