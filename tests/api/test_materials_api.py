"""The materials API: course managers and read-write keys upload files that become searchable
material; a refused file stores nothing and says why; students list only ready material;
nobody outside the school can see or touch any of it.

Most tests run in a rolled-back transaction with their own media folder, so nothing is queued
for a worker (ingestion is queued on commit). The last tests commit in a fresh school and let
a real Celery worker ingest what the API received."""

import shutil
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from ai.models import Chunk
from courses import services as course_services
from courses.models import Material
from tests.ai import samples

from .conftest import api, make_keys

PASSWORD_PDF = "This PDF is protected by a password. Remove the password and upload it again."
NOTES = "# Cells\n\nThe cell is the basic unit of life. Mitochondria make ATP.\n"


@pytest.fixture
def media(settings, tmp_path) -> Path:
    """A media folder of the test's own, so it can assert exactly which files were stored."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def stored(media: Path) -> list[str]:
    if not media.exists():
        return []
    return sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file())


def upload_file(name: str, content: bytes | str | Path) -> SimpleUploadedFile:
    if isinstance(content, Path):
        content = content.read_bytes()
    if isinstance(content, str):
        content = content.encode()
    return SimpleUploadedFile(name, content)


def materials_url(course) -> str:
    return f"/api/v1/courses/{course.pk}/materials/"


@pytest.fixture
def course(school_a, media):
    """BIO-101, taught by school A's teacher and taken by its first student."""
    with schema_context(school_a.schema):
        course = course_services.course_create(
            code="BIO-101", name="Biology", created_by=school_a.teacher
        )
        course_services.enrollment_add(course=course, user=school_a.students[0])
    return course


def material_count(school) -> int:
    with schema_context(school.schema):
        return Material.objects.count()


def make_material(school, course, name="notes.md", text=NOTES, *, state=None, **fields):
    """A material uploaded through the service, then put in ``state`` as ingestion would."""
    with schema_context(school.schema):
        material, _ = course_services.material_upload(
            course=course, upload=upload_file(name, text), uploaded_by=school.teacher
        )
        if state is not None:
            Material.objects.filter(pk=material.pk).update(state=state, **fields)
            material.refresh_from_db()
    return material


# --- upload -----------------------------------------------------------------------------------


ACCEPTED = [
    ("cells.pdf", lambda d: samples.pdf_with_pages(d, samples.CELL_BIOLOGY[:2]), "pdf", 2),
    ("cells.docx", samples.docx_with_headings, "docx", None),
    ("slides.pptx", samples.pptx_with_slides, "pptx", 4),
    ("cells.html", samples.html_with_scripts, "html", None),
    ("photosynthesis.md", samples.markdown_doc, "markdown", None),
    ("notes.txt", lambda d: samples.text_file(d, "Cells divide by mitosis."), "text", None),
]


@pytest.mark.parametrize(("name", "make", "kind", "pages"), ACCEPTED)
def test_a_teacher_uploads_each_accepted_type(
    school_a, course, media, tmp_path, django_capture_on_commit_callbacks, name, make, kind, pages
):
    content = make(tmp_path / "samples").read_bytes()
    with django_capture_on_commit_callbacks() as queued:
        response = school_a.client(school_a.teacher).post(
            materials_url(course), {"file": [upload_file(name, content)]}
        )

    assert response.status_code == 201
    [body] = response.json()["materials"]
    with schema_context(school_a.schema):
        material = Material.objects.get()
    assert body == {
        "id": material.pk,
        "course": course.pk,
        "title": Path(name).stem,
        "filename": name,
        "kind": kind,
        "size_bytes": len(content),
        "sha256": material.sha256,
        "state": "queued",
        "error": "",
        "notes": [],
        "page_count": pages,
        "chunk_count": 0,
        "embedded_count": 0,
        "uploaded_by": school_a.teacher.pk,
        "created_at": body["created_at"],
        "ready_at": None,
        "duplicate": False,
    }
    assert len(queued) == 1  # its extraction, queued once the upload commits
    assert (media / material.file.name).read_bytes() == content


def test_a_key_uploads_several_files_at_once_in_order(school_a, course, writer, media):
    response = writer.post(
        materials_url(course),
        {"file": [upload_file("b.md", NOTES), upload_file("a.txt", "Plants need light.")]},
    )
    assert response.status_code == 201
    materials = response.json()["materials"]
    assert [(m["filename"], m["kind"], m["uploaded_by"]) for m in materials] == [
        ("b.md", "markdown", None),
        ("a.txt", "text", None),
    ]
    assert material_count(school_a) == 2
    assert len(stored(media)) == 2


def test_a_title_names_a_single_upload(school_a, course):
    response = school_a.client(school_a.admin).post(
        materials_url(course), {"file": [upload_file("x.md", NOTES)], "title": " Week 1 "}
    )
    assert response.status_code == 201
    assert response.json()["materials"][0]["title"] == "Week 1"


def test_a_title_with_several_files_is_refused(school_a, course, media):
    response = school_a.client(school_a.teacher).post(
        materials_url(course),
        {"file": [upload_file("a.md", NOTES), upload_file("b.txt", "Other.")], "title": "Both"},
    )
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "validation_error",
        "message": "title: A title can only be given when uploading one file.",
        "fields": {"title": ["A title can only be given when uploading one file."]},
    }
    assert material_count(school_a) == 0
    assert stored(media) == []


def test_an_upload_without_a_file_says_how_to_send_one(school_a, course, writer):
    response = writer.post(materials_url(course), {"title": "Nothing"})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "file: Attach at least one file as a `file` part of a multipart/form-data request."
    )
    as_json = writer.post(materials_url(course), {"file": "x"}, content_type="application/json")
    assert as_json.status_code == 415
    assert as_json.json()["error"]["code"] == "unsupported_media_type"
    unknown = writer.post(
        materials_url(course), {"file": [upload_file("a.md", NOTES)], "titel": "typo"}
    )
    assert unknown.status_code == 400
    assert unknown.json()["error"]["message"] == (
        "titel: Unknown field; the accepted fields are: file, title."
    )
    assert material_count(school_a) == 0


def test_too_many_files_in_one_request_are_refused(school_a, course, writer, media, settings):
    files = [upload_file(f"n{i}.txt", f"Note number {i}.") for i in range(21)]
    response = writer.post(materials_url(course), {"file": files})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "file: Send at most 20 files in one request."
    assert material_count(school_a) == 0
    assert stored(media) == []


def _program() -> bytes:
    return Path(shutil.which("true")).read_bytes()


REJECTED = [
    (
        "empty.pdf",
        lambda d: b"",
        400,
        "empty",
        "This file is empty: there is nothing in it to read.",
    ),
    (
        "report.pdf",
        lambda d: samples.pdf_user_password(d).read_bytes(),
        400,
        "password_protected",
        PASSWORD_PDF,
    ),
    (
        "setup.pdf",
        lambda d: _program(),
        415,
        "unsupported_type",
        "This file is a computer program, which cannot be used. Accepted types are PDF, Word "
        "(.docx), PowerPoint (.pptx), web pages (HTML), Markdown and plain text.",
    ),
    (
        "big.txt",
        lambda d: b"Mitochondria make ATP. " * 100,  # 2,300 bytes, over the 1,000 allowed below
        413,
        "too_large",
        "This file is 0.0 MB; the largest file you can upload is 0.0 MB. Split it into smaller "
        "files or compress its images.",
    ),
    (
        "bomb.docx",
        lambda d: samples.zip_bomb_docx(d, expanded_bytes=64 * 1024 * 1024).read_bytes(),
        400,
        "zip_bomb",
        'This file expands to far more data than a real document holds (it looks like a "zip '
        'bomb"), so it was not accepted. Save the document again and upload the new file.',
    ),
]


@pytest.mark.parametrize(("name", "make", "status", "code", "message"), REJECTED)
def test_a_refused_file_stores_nothing_and_says_why(
    school_a,
    course,
    writer,
    media,
    tmp_path,
    settings,
    django_capture_on_commit_callbacks,
    name,
    make,
    status,
    code,
    message,
):
    if name == "big.txt":
        settings.MATERIAL_MAX_BYTES = 1000
    settings.MATERIAL_MAX_UNCOMPRESSED_BYTES = 16 * 1024 * 1024
    content = make(tmp_path / "samples")
    with django_capture_on_commit_callbacks() as queued:
        response = writer.post(materials_url(course), {"file": [upload_file(name, content)]})

    assert response.status_code == status
    assert response.json() == {"error": {"code": code, "message": f"{name}: {message}"}}
    assert material_count(school_a) == 0
    assert stored(media) == []
    assert queued == []


def test_one_refused_file_among_good_ones_stores_none_of_them(
    school_a, course, media, tmp_path, django_capture_on_commit_callbacks
):
    locked = samples.pdf_user_password(tmp_path).read_bytes()
    with django_capture_on_commit_callbacks() as queued:
        response = school_a.client(school_a.teacher).post(
            materials_url(course),
            {
                "file": [
                    upload_file("good.md", NOTES),
                    upload_file("report.pdf", locked),
                    upload_file("later.txt", "Never read."),
                ]
            },
        )

    assert response.status_code == 400
    assert response.json() == {
        "error": {"code": "password_protected", "message": f"report.pdf: {PASSWORD_PDF}"}
    }
    assert material_count(school_a) == 0
    assert stored(media) == []  # good.md's bytes were written, then removed
    assert queued == []


def test_the_same_content_again_is_not_stored_twice(
    school_a, course, writer, media, django_capture_on_commit_callbacks
):
    first = writer.post(materials_url(course), {"file": [upload_file("notes.md", NOTES)]})
    assert first.status_code == 201
    original = first.json()["materials"][0]

    with django_capture_on_commit_callbacks() as queued:
        again = writer.post(materials_url(course), {"file": [upload_file("copy.md", NOTES)]})
    assert again.status_code == 200
    assert again.json()["materials"] == [{**original, "duplicate": True}]
    assert queued == []

    mixed = writer.post(
        materials_url(course),
        {"file": [upload_file("copy.md", NOTES), upload_file("new.txt", "Ribosomes build.")]},
    )
    assert mixed.status_code == 201
    assert [(m["id"] == original["id"], m["duplicate"]) for m in mixed.json()["materials"]] == [
        (True, True),
        (False, False),
    ]
    assert material_count(school_a) == 2
    assert len(stored(media)) == 2


# --- who may upload -----------------------------------------------------------------------------


def test_students_and_read_keys_cannot_upload(school_a, course, reader, media):
    student = school_a.client(school_a.students[0]).post(
        materials_url(course), {"file": [upload_file("s.md", NOTES)]}
    )
    assert student.status_code == 403
    assert student.json()["error"] == {
        "code": "permission_denied",
        "message": "Only school admins and teachers can do this; you are signed in as a student.",
    }
    key = reader.post(materials_url(course), {"file": [upload_file("k.md", NOTES)]})
    assert key.status_code == 403
    assert key.json()["error"]["message"] == (
        "This API key is read-only; create a read-write key to make changes."
    )
    assert material_count(school_a) == 0
    assert stored(media) == []


def test_a_teacher_cannot_upload_to_a_course_they_do_not_teach(school_a, course, media):
    with schema_context(school_a.schema):
        other = course_services.course_create(code="ART-1", name="Art")
    response = school_a.client(school_a.teacher).post(
        materials_url(other), {"file": [upload_file("t.md", NOTES)]}
    )
    # Teachers see only the courses they are in, so another course does not exist for them.
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "No such course."
    with schema_context(school_a.schema):
        course_services.enrollment_add(course=other, user=school_a.teacher, role="student")
    response = school_a.client(school_a.teacher).post(
        materials_url(other), {"file": [upload_file("t.md", NOTES)]}
    )
    assert response.status_code == 403
    assert response.json()["error"]["message"] == (
        "Only this course's teachers and the school's admins can do this."
    )
    assert material_count(school_a) == 0


# --- list and status ----------------------------------------------------------------------------


def test_teachers_list_every_material_and_students_only_ready_ones(school_a, course, reader):
    queued = make_material(school_a, course, "queued.md", "# Queued\n\nStill waiting.")
    ready = make_material(school_a, course, "ready.md", NOTES, state="ready", chunk_count=3)
    failed = make_material(
        school_a, course, "failed.txt", "Broken.", state="failed", error="No text was found."
    )

    teacher = school_a.client(school_a.teacher).get(materials_url(course))
    assert teacher.status_code == 200
    assert teacher.json()["count"] == 3
    assert {m["id"]: m["state"] for m in teacher.json()["results"]} == {
        queued.pk: "queued",
        ready.pk: "ready",
        failed.pk: "failed",
    }
    assert reader.get(materials_url(course)).json()["count"] == 3

    student = school_a.client(school_a.students[0]).get(materials_url(course))
    assert [(m["id"], m["chunk_count"]) for m in student.json()["results"]] == [(ready.pk, 3)]

    only_failed = reader.get(materials_url(course) + "?state=failed").json()["results"]
    assert [(m["id"], m["error"]) for m in only_failed] == [(failed.pk, "No text was found.")]
    bad = reader.get(materials_url(course) + "?state=lost")
    assert bad.status_code == 400
    assert bad.json()["error"]["message"] == 'state: "lost" is not a valid choice.'

    outsider = school_a.client(school_a.students[1]).get(materials_url(course))
    assert outsider.status_code == 404


def test_the_status_of_a_material(school_a, course, reader):
    queued = make_material(school_a, course, "queued.md", "# Queued\n\nStill waiting.")
    ready = make_material(
        school_a, course, "ready.md", NOTES, state="ready", chunk_count=2, embedded_count=2
    )
    body = reader.get(f"/api/v1/materials/{ready.pk}/").json()
    assert (body["id"], body["state"], body["chunk_count"], body["embedded_count"]) == (
        ready.pk,
        "ready",
        2,
        2,
    )
    assert "duplicate" not in body

    student = school_a.client(school_a.students[0])
    assert student.get(f"/api/v1/materials/{ready.pk}/").status_code == 200
    hidden = student.get(f"/api/v1/materials/{queued.pk}/")
    assert hidden.status_code == 404
    assert hidden.json()["error"] == {"code": "not_found", "message": "No such material."}
    assert reader.get("/api/v1/materials/999999/").status_code == 404


# --- delete and retry ---------------------------------------------------------------------------


def test_a_teacher_deletes_a_material_with_its_passages_and_file(
    school_a, course, media, django_capture_on_commit_callbacks
):
    material = make_material(school_a, course, state="ready")
    with schema_context(school_a.schema):
        Chunk.objects.create(
            material=material, course=course, ordinal=0, text="The cell.", token_count=2
        )
    assert len(stored(media)) == 1

    with django_capture_on_commit_callbacks(execute=True):
        response = school_a.client(school_a.teacher).delete(f"/api/v1/materials/{material.pk}/")

    assert response.status_code == 204
    assert response.content == b""
    assert material_count(school_a) == 0
    with schema_context(school_a.schema):
        assert not Chunk.objects.exists()
    assert stored(media) == []
    assert (
        school_a.client(school_a.teacher).delete(f"/api/v1/materials/{material.pk}/").status_code
        == 404
    )


def test_students_and_read_keys_cannot_delete_or_retry(school_a, course, reader, media):
    material = make_material(school_a, course, state="failed", error="Broken.")
    student = school_a.client(school_a.students[0])
    for client in (student, reader):
        assert client.delete(f"/api/v1/materials/{material.pk}/").status_code == 403
        assert client.post(f"/api/v1/materials/{material.pk}/retry/").status_code == 403
    with schema_context(school_a.schema):
        assert Material.objects.get(pk=material.pk).state == "failed"
    assert len(stored(media)) == 1


def test_a_failed_material_is_queued_again(
    school_a, course, writer, django_capture_on_commit_callbacks
):
    material = make_material(school_a, course, state="failed", error="The AI provider was down.")
    with django_capture_on_commit_callbacks() as queued:
        response = writer.post(f"/api/v1/materials/{material.pk}/retry/")
    assert response.status_code == 202
    assert (response.json()["state"], response.json()["error"]) == ("queued", "")
    assert len(queued) == 1
    with schema_context(school_a.schema):
        assert Material.objects.get(pk=material.pk).state == "queued"


def test_only_a_failed_material_can_be_retried(school_a, course, writer):
    material = make_material(school_a, course, state="ready")
    response = writer.post(f"/api/v1/materials/{material.pk}/retry/")
    assert response.status_code == 409
    assert response.json() == {
        "error": {
            "code": "not_failed",
            "message": "Only a material that failed can be retried. This one is ready.",
        }
    }
    with schema_context(school_a.schema):
        assert Material.objects.get(pk=material.pk).state == "ready"


# --- what was extracted -------------------------------------------------------------------------


def test_the_chunks_of_a_material_in_reading_order(school_a, course, reader):
    material = make_material(school_a, course, state="ready")
    with schema_context(school_a.schema):
        for ordinal, (page, section, text) in enumerate(
            [(1, "Cells", "The cell is the basic unit."), (2, "Cells > Energy", "ATP.")]
        ):
            Chunk.objects.create(
                material=material,
                course=course,
                ordinal=ordinal,
                page=page,
                section=section,
                text=text,
                token_count=len(text.split()),
            )
        ids = list(Chunk.objects.order_by("ordinal").values_list("id", flat=True))

    response = reader.get(f"/api/v1/materials/{material.pk}/chunks/?page_size=1&page=2")
    assert response.status_code == 200
    assert response.json()["count"] == 2
    assert response.json()["results"] == [
        {
            "id": ids[1],
            "ordinal": 1,
            "page": 2,
            "section": "Cells > Energy",
            "text": "ATP.",
            "token_count": 1,
        }
    ]
    student = school_a.client(school_a.students[0]).get(f"/api/v1/materials/{material.pk}/chunks/")
    assert student.status_code == 403


# --- other schools ------------------------------------------------------------------------------


def test_school_b_cannot_see_or_touch_school_a_materials(school_a, school_b, course, keys_b, media):
    material = make_material(school_a, course, state="failed", error="Broken.")
    files_before = stored(media)
    for client in (api(school_b, keys_b.read_write), school_b.client(school_b.admin)):
        assert client.get(materials_url(course)).status_code == 404
        response = client.post(materials_url(course), {"file": [upload_file("b.md", NOTES)]})
        assert response.status_code == 404
        assert response.json()["error"]["message"] == "No such course."
        for path in ("", "chunks/"):
            assert client.get(f"/api/v1/materials/{material.pk}/{path}").status_code == 404
        assert client.post(f"/api/v1/materials/{material.pk}/retry/").status_code == 404
        assert client.delete(f"/api/v1/materials/{material.pk}/").status_code == 404
    with schema_context(school_a.schema):
        assert list(Material.objects.values_list("pk", "state")) == [(material.pk, "failed")]
    with schema_context(school_b.schema):
        assert not Material.objects.exists()
    assert stored(media) == files_before


def test_a_school_b_key_on_school_a_host_cannot_upload(school_a, course, keys_b, media):
    response = api(school_a, keys_b.read_write).post(
        materials_url(course), {"file": [upload_file("b.md", NOTES)]}
    )
    assert response.status_code == 401
    assert material_count(school_a) == 0


# --- through a real worker ----------------------------------------------------------------------


def wait_until_finished(client, material_id: int, timeout: float = 180) -> dict:
    """Poll the status endpoint, as a partner would, until the material is ready or failed."""
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(f"/api/v1/materials/{material_id}/").json()
        if body["state"] in ("ready", "failed"):
            return body
        assert time.monotonic() < deadline, f"material {material_id} still {body['state']}"
        time.sleep(0.5)


def test_every_accepted_type_uploaded_by_a_partner_becomes_ready(
    celery_worker_process, fresh_school, committed, tmp_path
):
    school = fresh_school("apimat")
    keys = make_keys(school)
    partner = api(school, keys.read_write)
    with schema_context(school.schema):
        course = course_services.course_create(code="BIO-1", name="Biology")
    files = [upload_file(name, make(tmp_path / "samples")) for name, make, _, _ in ACCEPTED]

    response = partner.post(materials_url(course), {"file": files})

    assert response.status_code == 201
    uploaded = response.json()["materials"]
    assert [m["kind"] for m in uploaded] == [kind for _, _, kind, _ in ACCEPTED]
    try:
        for material in uploaded:
            body = wait_until_finished(partner, material["id"])
            assert body["state"] == "ready", (material["filename"], body["error"])
            assert body["chunk_count"] > 0
            assert body["embedded_count"] == body["chunk_count"]
            assert body["ready_at"] is not None
        markdown = uploaded[4]
        chunks = partner.get(f"/api/v1/materials/{markdown['id']}/chunks/").json()["results"]
        calvin = [c for c in chunks if c["section"].endswith("The Calvin cycle")]
        assert calvin and "RuBisCO" in calvin[0]["text"]
        assert all("MARKDOWN_SCRIPT_MARKER" not in c["text"] for c in chunks)
    finally:
        # The stored files live in the shared media folder: remove them with the materials.
        for material in uploaded:
            partner.delete(f"/api/v1/materials/{material['id']}/")
    with schema_context(school.schema):
        assert not Material.objects.exists()
