"""Course material through the real pipeline: a real Celery worker extracts, chunks and embeds
it; progress reaches the teacher's websocket; the same file never doubles its chunks; a worker
killed mid-way leaves nothing lost or doubled once a worker runs again."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from django_tenants.utils import schema_context

from ai.models import Chunk
from courses.models import Material
from tests.conftest import live_env

from ..realtime.ws import receive_until, session_cookie, ws_connect
from . import samples
from .conftest import course_with_people, ingest_in_process, upload, wait_for_material

pytestmark = pytest.mark.live

CELL_PAGES = [
    "Cells are the basic unit of life. Every living organism is made of one or more cells.",
    "Mitochondria are the powerhouse of the cell. They produce ATP through cellular respiration.",
    "Photosynthesis happens in chloroplasts. Plants turn light, water and carbon dioxide into "
    "glucose and oxygen.",
]


def chunk_rows(school, material_id):
    with schema_context(school.schema):
        return list(
            Chunk.objects.filter(material_id=material_id)
            .order_by("ordinal")
            .values_list("ordinal", "page", "text", "embedding_model")
        )


def test_a_pdf_becomes_cited_passages_with_vectors(
    celery_worker_process, fresh_school, committed, tmp_path
):
    school = fresh_school()
    course = course_with_people(school)
    material, created = upload(school, course, samples.pdf_with_pages(tmp_path, CELL_PAGES))
    assert created and material.state == "queued" and material.kind == "pdf"

    material = wait_for_material(school, material.pk)

    assert material.state == "ready", material.error
    assert material.page_count == 3
    assert material.embedding_model == "local/all-MiniLM-L6-v2"
    rows = chunk_rows(school, material.pk)
    assert material.chunk_count == material.embedded_count == len(rows) >= 3
    assert [ordinal for ordinal, *_ in rows] == list(range(len(rows)))
    pages = {page for _, page, text, _ in rows if "Mitochondria" in text}
    assert pages == {2}
    assert {model for *_, model in rows} == {"local/all-MiniLM-L6-v2"}
    with schema_context(school.schema):
        assert not Chunk.objects.filter(material_id=material.pk, embedding__isnull=True).exists()
        stored_name = Material.objects.get(pk=material.pk).file.name
    assert stored_name.startswith(f"schools/{school.schema}/materials/")


def test_uploading_the_same_content_again_adds_no_chunks(
    celery_worker_process, fresh_school, committed, tmp_path
):
    school = fresh_school()
    course = course_with_people(school)
    path = samples.pdf_with_pages(tmp_path, CELL_PAGES)
    first, _ = upload(school, course, path)
    wait_for_material(school, first.pk)
    before = chunk_rows(school, first.pk)

    again, created = upload(school, course, path)

    assert not created and again.pk == first.pk
    with schema_context(school.schema):
        assert Material.objects.filter(course=course).count() == 1
    # Running the jobs again on a finished material changes nothing either.
    assert ingest_in_process(school, first.pk).state == "ready"
    assert chunk_rows(school, first.pk) == before


def test_the_teacher_watches_progress_live_until_ready(
    live_server_process, celery_worker_process, fresh_school, committed, tmp_path
):
    school = fresh_school()
    course = course_with_people(school)
    pages = [f"Page {n}. " + " ".join(CELL_PAGES) for n in range(1, 41)]
    material, _ = upload(school, course, samples.pdf_with_pages(tmp_path, pages))
    with ws_connect(
        live_server_process.port,
        school.host,
        f"/ws/progress/material/{material.pk}/",
        cookie=session_cookie(school, school.teacher),
    ) as websocket:
        events = receive_until(
            websocket, lambda m: m.get("state") in ("ready", "failed"), timeout=120
        )
    assert events[-1]["state"] == "ready", events[-1]
    assert all(
        event["topic"] == "material" and event["key"] == str(material.pk) for event in events
    )
    embedded = [event["embedded"] for event in events if "embedded" in event]
    assert embedded == sorted(embedded) and embedded[-1] == events[-1]["chunks"]


@pytest.mark.parametrize(
    "make_file, expected",
    [
        (lambda d: samples.pdf_owner_password_only(d), "ready"),
        (lambda d: samples.html_with_scripts(d), "ready"),
    ],
    ids=["owner-password-pdf", "html-with-scripts"],
)
def test_hard_but_readable_files_ingest(
    celery_worker_process, fresh_school, committed, tmp_path, make_file, expected
):
    school = fresh_school()
    course = course_with_people(school)
    material, _ = upload(school, course, make_file(tmp_path))
    material = wait_for_material(school, material.pk)
    assert material.state == expected, material.error
    text = " ".join(text for _, _, text, _ in chunk_rows(school, material.pk)).lower()
    assert text.strip()
    for trace_of_script in ("<script", "alert(", "document.cookie", "javascript:"):
        assert trace_of_script not in text


def test_a_scanned_pdf_is_read_by_ocr(celery_worker_process, fresh_school, committed, tmp_path):
    if not _has_tesseract():
        pytest.skip("tesseract-ocr is not installed (make browser installs it)")
    school = fresh_school()
    course = course_with_people(school)
    path = samples.pdf_scanned(tmp_path, "Mitochondria produce ATP for the cell")
    material, _ = upload(school, course, path)
    material = wait_for_material(school, material.pk)
    assert material.state == "ready", material.error
    assert any("OCR" in note for note in material.notes)
    text = " ".join(text for _, _, text, _ in chunk_rows(school, material.pk))
    assert "Mitochondria" in text and "ATP" in text


def _has_tesseract() -> bool:
    import shutil

    return shutil.which("tesseract") is not None


def test_a_material_deleted_mid_ingestion_leaves_the_worker_healthy(
    celery_worker_process, fresh_school, committed, tmp_path
):
    from courses import services as course_services

    school = fresh_school()
    course = course_with_people(school)
    doomed, _ = upload(school, course, samples.pdf_with_pages(tmp_path, CELL_PAGES * 20))
    with schema_context(school.schema):
        course_services.material_delete(Material.objects.get(pk=doomed.pk))
    survivor, _ = upload(school, course, samples.text_file(tmp_path, " ".join(CELL_PAGES)))
    assert wait_for_material(school, survivor.pk).state == "ready"
    with schema_context(school.schema):
        assert not Chunk.objects.filter(material_id=doomed.pk).exists()


# --- a worker killed mid-way -------------------------------------------------------------------

# Not 13 or 14, the bench scripts' brokers: the bench tests may run beside this one (xdist).
PRIVATE_BROKER_DB = 12
# The killable workers' INGEST_STALL_SECONDS: a job with no heartbeat for this long is taken over.
STALL_SECONDS = 2


def _private_broker_url() -> str:
    base = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0").rsplit("/", 1)[0]
    return f"{base}/{PRIVATE_BROKER_DB}"


def _start_private_worker(log_path) -> subprocess.Popen:
    """A worker on its own broker database, so the session's shared worker cannot help it."""
    env = live_env()
    env.update(
        CELERY_BROKER_URL=_private_broker_url(),
        INGEST_STALL_SECONDS=str(STALL_SECONDS),
        EMBEDDING_BATCH_SIZE="4",
        INGEST_EMBED_SLICE_SECONDS="600",
    )
    log = open(log_path, "ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "smartedu", "worker", "-Q", "ingest,gpu",
         "--concurrency", "1", "--without-gossip", "--without-mingle", "--loglevel", "INFO",
         "--hostname", f"killable-{time.monotonic_ns()}@%h"],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    return process


def _kill_hard(process: subprocess.Popen) -> None:
    """SIGKILL the worker and its pool children at once, like a lost machine."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def _wait_until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_worker_killed_mid_extraction_and_mid_embedding_loses_and_doubles_nothing(
    fresh_school, committed, tmp_path
):
    from ai.chunking import chunk_sections
    from ai.extraction import extract_sections
    from ai.tasks import extract_material
    from smartedu.celery import app

    school = fresh_school()
    course = course_with_people(school)
    pages = [f"Section {n}. " + " ".join(CELL_PAGES) * 3 for n in range(1, 401)]
    path = samples.pdf_with_pages(tmp_path, pages)
    expected = [
        (d.ordinal, d.page, d.text) for d in chunk_sections(extract_sections(str(path), "pdf"))
    ]
    with schema_context(school.schema):
        # Created without the upload service's enqueue: the job goes to the private broker only.
        material = Material(course=course, title="Big", filename="big.pdf", kind="pdf",
                            size_bytes=path.stat().st_size, sha256="f" * 64)  # fmt: skip
        material.file.save("big.pdf", ContentFile(path.read_bytes()), save=False)
        material.save()
        with app.connection_for_write(_private_broker_url()) as connection:
            extract_material.apply_async((material.pk,), connection=connection)

    def state():
        with schema_context(school.schema):
            return Material.objects.values("state", "embedded_count").get(pk=material.pk)

    def heartbeat_stale():
        # As the next worker judges it when it starts (ai.ingestion): no heartbeat for a while.
        with schema_context(school.schema):
            beat = Material.objects.values_list("heartbeat_at", flat=True).get(pk=material.pk)
        return beat is None or timezone.now() - beat > timedelta(seconds=STALL_SECONDS)

    def chunks_written():
        with schema_context(school.schema):
            return Chunk.objects.filter(material_id=material.pk).count()

    log = tmp_path / "worker.log"
    worker = _start_private_worker(log)
    try:
        _wait_until(lambda: state()["state"] == "extracting" and chunks_written() > 0, 90,
                    "extraction to start writing chunks")  # fmt: skip
        _kill_hard(worker)
        assert state()["state"] == "extracting"
        assert 0 < chunks_written() < len(expected)

        # The heartbeat goes stale: the next worker takes the job over.
        _wait_until(heartbeat_stale, 30, "the heartbeat to go stale")
        worker = _start_private_worker(log)
        _wait_until(lambda: state()["state"] == "embedding" and state()["embedded_count"] > 0,
                    120, "embedding to start")  # fmt: skip
        _kill_hard(worker)
        assert 0 < state()["embedded_count"] < len(expected)

        _wait_until(heartbeat_stale, 30, "the heartbeat to go stale")
        worker = _start_private_worker(log)
        assert wait_for_material(school, material.pk, timeout=180).state == "ready"
    finally:
        if worker.poll() is None:
            _kill_hard(worker)
    rows = chunk_rows(school, material.pk)
    assert [(ordinal, page, text) for ordinal, page, text, _ in rows] == expected
    with schema_context(school.schema):
        assert not Chunk.objects.filter(material_id=material.pk, embedding__isnull=True).exists()
        assert Material.objects.get(pk=material.pk).extraction_attempts == 2
