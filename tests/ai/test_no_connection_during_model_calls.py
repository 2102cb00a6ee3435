"""While a model runs, the worker holds no database connection: a slow provider must not pin a
connection (or a pooler's server slot) for the length of its call."""

import threading
import time

from django.core.files.base import ContentFile
from django.db import connection
from django_tenants.utils import schema_context

from ai import ingestion
from courses.models import Material

from . import samples
from .conftest import course_with_people


def sessions_that_read_chunks_of(material_id: int) -> int:
    """Open database sessions whose last query read this material's chunks."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND query LIKE %s"
            " AND datname = current_database()",  # not another xdist worker's database
            [f'%"ai_chunk"."material_id" = {material_id}%'],
        )
        return cursor.fetchone()[0]


def test_embedding_releases_the_connection_while_the_provider_works(
    fresh_school, committed, tmp_path, settings, openai_server
):
    school = fresh_school()
    course = course_with_people(school)
    openai_server.use_for(settings, chat=False)
    text = samples.text_file(tmp_path, "Cells make ATP. " * 20)
    with schema_context(school.schema):
        # Made without the upload's queued job, so no other worker touches it.
        material = Material(course=course, title="Cells", filename="cells.txt", kind="text",
                            size_bytes=text.stat().st_size, sha256="c" * 64)  # fmt: skip
        material.file.save("cells.txt", ContentFile(text.read_bytes()), save=False)
        material.save()
        ingestion.material_extract(material.pk, report=lambda p: None)
    openai_server.script(openai_server.sleep(3))
    outcome = {}

    def embed():
        with schema_context(school.schema):
            outcome["result"] = ingestion.material_embed(material.pk, report=lambda p: None)
        connection.close()

    worker = threading.Thread(target=embed)
    worker.start()
    deadline = time.monotonic() + 10
    while not openai_server.requests_to("/embeddings") and time.monotonic() < deadline:
        time.sleep(0.05)
    # The provider is now busy with the batch for 3 s; within 2 of them the session that read
    # the chunks is gone (a closed backend leaves pg_stat_activity a moment later).
    settled = time.monotonic() + 2
    while (during := sessions_that_read_chunks_of(material.pk)) and time.monotonic() < settled:
        time.sleep(0.05)
    worker.join(timeout=30)

    assert openai_server.requests_to("/embeddings"), "the provider was never called"
    assert during == 0
    assert outcome["result"] == "done"
