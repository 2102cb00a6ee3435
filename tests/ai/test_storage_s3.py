"""Material files through django-storages against a real local S3-compatible server (moto's
server mode over HTTP): stored under the school's prefix, read back for ingestion, deleted with
the material."""

import boto3
import pytest
from django.conf import settings as django_settings
from django.db import transaction
from django_tenants.utils import schema_context

from courses import services as course_services
from courses.models import Material
from tests.conftest import _free_port

from . import samples
from .conftest import course_with_people, ingest_in_process, upload

BUCKET = "smartedu-test-materials"


@pytest.fixture
def s3(settings):
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **django_settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": endpoint,
                "access_key": "test",
                "secret_key": "test",
                "region_name": "us-east-1",
                "file_overwrite": False,
            },
        },
    }
    yield client
    server.stop()


def keys(client) -> list[str]:
    return [item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def test_material_files_live_in_object_storage_under_the_school_prefix(
    s3, fresh_school, committed, tmp_path
):
    school, other = fresh_school(), fresh_school()
    course = course_with_people(school)
    other_course = course_with_people(other)
    path = samples.pdf_with_pages(tmp_path, ["Mitochondria produce ATP for the cell."])

    # Ingested here, inside the upload's transaction: a shared test worker (configured for the
    # local disk) finds the materials ready when the queued job reaches it, and leaves them.
    with transaction.atomic():
        material, _ = upload(school, course, path)
        other_material, _ = upload(other, other_course, path)
        # Ingestion reads the object back from storage (there is no local path).
        ready = ingest_in_process(school, material.pk)
        ingest_in_process(other, other_material.pk)
    assert ready.state == "ready", ready.error
    assert ready.chunk_count >= 1

    with schema_context(school.schema):
        name = Material.objects.get(pk=material.pk).file.name
    assert name.startswith(f"schools/{school.schema}/materials/")
    assert sorted(keys(s3)) == sorted(
        [name, _stored_name(other, other_material.pk)]
    )  # one object per school, never shared
    assert s3.get_object(Bucket=BUCKET, Key=name)["Body"].read() == path.read_bytes()

    with schema_context(school.schema):
        course_services.material_delete(Material.objects.get(pk=material.pk))
    assert keys(s3) == [_stored_name(other, other_material.pk)]


def _stored_name(school, material_id: int) -> str:
    with schema_context(school.schema):
        return Material.objects.get(pk=material_id).file.name
