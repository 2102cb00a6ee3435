"""Writes on course material: upload, retry, delete. Ingestion itself lives in ai.ingestion, above
this app: it is queued by task name once the write commits, never imported."""

import logging
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from celery import current_app
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import Storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User

from ..models import Course, Material
from ..sniffing.inspection import material_inspect
from ..sniffing.rejection import MaterialRejected

logger = logging.getLogger(__name__)


@contextmanager
def _local_path(upload: "File[bytes]") -> Iterator[str]:
    """A path on local disk for an uploaded file (Django spools big uploads to a temp file)."""
    if hasattr(upload, "temporary_file_path"):
        yield upload.temporary_file_path()
        return
    handle, path = tempfile.mkstemp(prefix="smartedu-upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            if hasattr(upload, "chunks"):
                for piece in upload.chunks():
                    out.write(piece)
            else:
                upload.seek(0)
                shutil.copyfileobj(upload, out)
        yield path
    finally:
        os.unlink(path)


def _title_from(filename: str) -> str:
    stem = Path(filename).stem.replace("_", " ").replace("-", " ").strip()
    return (stem or filename)[:255]


def material_upload(
    *, course: Course, upload: "File[bytes]", uploaded_by: User | None, title: str = ""
) -> tuple[Material, bool]:
    """Check an uploaded file and queue its ingestion; returns (material, created).

    Raises courses.sniffing.rejection.MaterialRejected (a code and a sentence for the teacher)
    before anything is stored when the file is empty, too big, of an unsupported type,
    password-protected, malformed or a zip bomb. The same content uploaded again to the same
    course returns the existing material, so ingestion never doubles its chunks."""
    filename = os.path.basename(getattr(upload, "name", "") or "upload")[:255]
    with _local_path(upload) as path:
        inspection = material_inspect(path, filename)
        existing = Material.objects.filter(course=course, sha256=inspection.sha256).first()
        if existing is not None:
            return existing, False
        material = Material(
            course=course,
            title=(title or "").strip()[:255] or _title_from(filename),
            filename=filename,
            kind=inspection.kind,
            size_bytes=inspection.size_bytes,
            sha256=inspection.sha256,
            page_count=inspection.page_count,
            uploaded_by=uploaded_by,
        )
        with open(path, "rb") as handle:
            material.file.save(filename, File(handle), save=False)
    try:
        with transaction.atomic():
            material.save()
    except IntegrityError:
        # The same file, uploaded twice at once: keep the first, drop our copy of the bytes.
        material.file.delete(save=False)
        return Material.objects.get(course=course, sha256=inspection.sha256), False
    _queue_extraction(material)
    return material, True


# The ingestion task lives in ai (above courses): queued by name, routed by smartedu.celery, and
# the tenant-aware Celery app adds the school's schema header.
EXTRACT_TASK = "ai.tasks.extract_material"


def _queue_extraction(material: Material) -> None:
    material_id = material.pk
    transaction.on_commit(lambda: current_app.send_task(EXTRACT_TASK, args=[material_id]))


def material_retry(material: Material) -> Material:
    """Queue a failed material again from the start (after an operator fixed the cause, such as
    installing OCR or restoring the AI provider)."""
    if material.state != Material.State.FAILED:
        raise ValidationError("Only a material that failed can be retried.", code="not_failed")
    material.chunks.all().delete()
    material.state = Material.State.QUEUED
    material.error = ""
    material.notes = []
    material.chunk_count = material.embedded_count = 0
    material.extraction_attempts = 0
    material.heartbeat_at = timezone.now()
    material.save()
    _queue_extraction(material)
    return material


def material_delete(material: Material) -> None:
    """Delete a material, its chunks and its stored file (the file once the delete commits)."""
    storage, name = material.file.storage, material.file.name
    material.delete()
    if name:
        transaction.on_commit(lambda: _delete_file(storage, name))


def _delete_file(storage: Storage, name: str) -> None:
    try:
        storage.delete(name)
    except OSError:
        logger.warning("Stored file %s could not be deleted", name, exc_info=True)


def material_upload_all(
    *, course: Course, uploads: "Sequence[File[bytes]]", uploaded_by: User | None, title: str = ""
) -> list[tuple[Material, bool]]:
    """Upload several files as one request: every file is accepted (created, or a duplicate of
    content already in the course) or none is stored. Returns (material, created) per file, in
    order.

    Raises courses.sniffing.rejection.MaterialRejected for the first file refused, with
    ``filename`` set on it; the materials of the files before it are rolled back and their stored
    bytes deleted, and no ingestion is queued for them."""
    results: list[tuple[Material, bool]] = []
    try:
        with transaction.atomic():
            for upload in uploads:
                try:
                    results.append(
                        material_upload(
                            course=course, upload=upload, uploaded_by=uploaded_by, title=title
                        )
                    )
                except MaterialRejected as exc:
                    exc.filename = os.path.basename(getattr(upload, "name", "") or "upload")
                    raise
    except MaterialRejected:
        # The rows rolled back with the transaction; the bytes were written before it.
        for material, created in results:
            if created:
                material.file.delete(save=False)
        raise
    return results
