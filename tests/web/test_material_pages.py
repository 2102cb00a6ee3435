"""The materials page: teachers upload several files at once (each judged on its own, refusals
explained next to the file name), retry and delete; students see ready material only; nobody
outside the course (or the school) sees or touches it. The viewer shows what was extracted."""

import os
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from accounts import services as account_services
from courses import services as course_services
from courses.models import Material
from tests.ai import samples
from tests.ai.conftest import ingest_in_process
from tests.conftest import PASSWORD, make_school

from .conftest import text

NOTES = "Mitochondria are the powerhouse of the cell. They produce ATP from glucose.\n"
PASSWORD_PDF_MESSAGE = (
    "This PDF is protected by a password. Remove the password and upload it again."
)


def _file(path) -> SimpleUploadedFile:
    return SimpleUploadedFile(path.name, path.read_bytes())


def _post(school, user, course, files, **headers):
    return school.client(user).post(f"/courses/{course.pk}/materials/", {"files": files}, **headers)


def _materials(school, course) -> list[tuple[str, str]]:
    with schema_context(school.schema):
        return sorted(Material.objects.filter(course=course).values_list("filename", "state"))


def _material(school, course, tmp_path, content=NOTES, name="notes.txt", state=None):
    path = samples.text_file(tmp_path, content, name=name)
    with schema_context(school.schema):
        material, _ = course_services.material_upload(
            course=course, upload=_file(path), uploaded_by=school.teacher
        )
        if state:
            # Arrange a finished ingestion without running a worker in this test.
            Material.objects.filter(pk=material.pk).update(state=state, error="It broke.")
            material.refresh_from_db()
    return material


# --- upload ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_teacher_uploads_several_files_and_a_refused_one_is_explained_and_not_stored(
    school_a, biology, tmp_path, django_capture_on_commit_callbacks
):
    notes = samples.text_file(tmp_path, NOTES, name="notes.txt")
    guide = samples.markdown_doc(tmp_path)
    locked = samples.pdf_user_password(tmp_path)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = _post(
            school_a, school_a.teacher, biology, [_file(notes), _file(guide), _file(locked)]
        )

    assert response.status_code == 200
    page = text(response)
    assert f"{locked.name} Rejected {PASSWORD_PDF_MESSAGE}" in page
    assert "notes.txt Uploaded" in page and f"{guide.name} Uploaded" in page
    assert _materials(school_a, biology) == sorted(
        [("notes.txt", "queued"), (guide.name, "queued")]
    )
    assert len(callbacks) == 2  # one ingestion job per stored file, queued after commit
    html = response.content.decode()
    with schema_context(school_a.schema):
        for material in Material.objects.filter(course=biology):
            assert f'data-ws-path="/ws/progress/material/{material.pk}/"' in html


@pytest.mark.django_db
def test_the_same_file_again_says_already_uploaded_and_adds_nothing(school_a, biology, tmp_path):
    first = _material(school_a, biology, tmp_path, name="notes.txt")
    again = samples.text_file(tmp_path / "again", NOTES, name="notes-copy.txt")

    response = _post(school_a, school_a.teacher, biology, [_file(again)])

    assert response.status_code == 200
    assert (
        f"notes-copy.txt Already uploaded This file was already uploaded as “{first.title}”; "
        "nothing was added." in text(response)
    )
    assert _materials(school_a, biology) == [("notes.txt", "queued")]


@pytest.mark.django_db
def test_an_upload_where_every_file_is_refused_answers_400_and_stores_nothing(
    school_a, biology, tmp_path
):
    empty = samples.empty_file(tmp_path, "blank.txt")
    response = _post(school_a, school_a.teacher, biology, [_file(empty)])
    assert response.status_code == 400
    assert "blank.txt Rejected This file is empty: there is nothing in it to read." in text(
        response
    )
    assert _materials(school_a, biology) == []


@pytest.mark.django_db
def test_an_upload_without_files_asks_for_one(school_a, biology):
    response = school_a.client(school_a.teacher).post(f"/courses/{biology.pk}/materials/", {})
    assert response.status_code == 400
    assert "Choose at least one file to upload." in text(response)
    assert _materials(school_a, biology) == []


@pytest.mark.django_db
def test_a_dropped_upload_gets_json_with_the_report_and_the_new_rows(school_a, biology, tmp_path):
    notes = samples.text_file(tmp_path, NOTES, name="notes.txt")
    empty = samples.empty_file(tmp_path, "blank.md")

    response = _post(
        school_a,
        school_a.teacher,
        biology,
        [_file(notes), _file(empty)],
        headers={"X-Requested-With": "fetch"},
    )

    assert response.status_code == 200
    payload = response.json()
    with schema_context(school_a.schema):
        material = Material.objects.get(course=biology)
    assert [(r["filename"], r["outcome"], r["material"]) for r in payload["results"]] == [
        ("notes.txt", "uploaded", material.pk),
        ("blank.md", "rejected", None),
    ]
    assert payload["results"][1]["message"] == "This file is empty: there is nothing in it to read."
    assert payload["errors"] == []
    assert f'id="material-{material.pk}"' in payload["table_html"]
    assert "This file is empty: there is nothing in it to read." in payload["report_html"]


# --- who may do what ---------------------------------------------------------------------


@pytest.mark.django_db
def test_student_sees_only_ready_material_and_no_upload_form(school_a, biology, tmp_path):
    ready = _material(school_a, biology, tmp_path, name="ready.txt", state="ready")
    _material(school_a, biology, tmp_path, content="Queued text about ribosomes.", name="q.txt")

    response = school_a.client(school_a.student).get(f"/courses/{biology.pk}/materials/")

    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="material-{ready.pk}"' in html
    assert html.count('class="material-row"') == 1
    assert 'type="file"' not in html and "data-ws-path" not in html
    assert "materials.js" not in html


@pytest.mark.django_db
def test_student_cannot_upload_retry_or_delete(school_a, biology, tmp_path):
    failed = _material(school_a, biology, tmp_path, name="broken.txt", state="failed")
    client = school_a.client(school_a.student)
    notes = samples.text_file(tmp_path / "s", "Student notes about cells.", name="mine.txt")
    base = f"/courses/{biology.pk}/materials/"

    assert client.post(base, {"files": [_file(notes)]}).status_code == 403
    assert client.post(f"{base}{failed.pk}/retry/").status_code == 403
    assert client.post(f"{base}{failed.pk}/delete/").status_code == 403
    assert client.get(f"{base}{failed.pk}/row/").status_code == 403
    assert _materials(school_a, biology) == [("broken.txt", "failed")]


@pytest.mark.django_db
def test_student_cannot_open_a_material_that_is_not_ready(school_a, biology, tmp_path):
    queued = _material(school_a, biology, tmp_path, name="queued.txt")
    response = school_a.client(school_a.student).get(
        f"/courses/{biology.pk}/materials/{queued.pk}/"
    )
    assert response.status_code == 404


@pytest.mark.django_db
def test_teacher_of_another_course_cannot_see_or_touch_the_material(school_a, biology, tmp_path):
    material = _material(school_a, biology, tmp_path, name="notes.txt", state="failed")
    with schema_context(school_a.schema):
        other = account_services.user_create(
            username="alpha-chemist", role="teacher", email="chem@alpha.example", password=PASSWORD
        )
        course_services.course_create(code="CHEM-1", name="Chemistry", created_by=other)
    client = school_a.client(other)
    base = f"/courses/{biology.pk}/materials/"

    assert client.get(base).status_code == 404
    assert client.get(f"{base}{material.pk}/").status_code == 404
    assert client.post(f"{base}{material.pk}/retry/").status_code == 404
    assert client.post(f"{base}{material.pk}/delete/").status_code == 404
    assert _materials(school_a, biology) == [("notes.txt", "failed")]


@pytest.mark.django_db
def test_a_material_id_is_only_found_under_its_own_course(school_a, biology, tmp_path):
    material = _material(school_a, biology, tmp_path, name="notes.txt")
    with schema_context(school_a.schema):
        other = course_services.course_create(
            code="BIO-202", name="More biology", created_by=school_a.teacher
        )
    client = school_a.client(school_a.teacher)
    assert client.get(f"/courses/{other.pk}/materials/{material.pk}/").status_code == 404
    assert client.post(f"/courses/{other.pk}/materials/{material.pk}/delete/").status_code == 404
    assert _materials(school_a, biology) == [("notes.txt", "queued")]


@pytest.mark.django_db
def test_other_school_cannot_reach_this_school_material(school_a, school_b, biology, tmp_path):
    material = _material(school_a, biology, tmp_path, name="notes.txt", state="failed")
    with schema_context(school_b.schema):
        b_course = course_services.course_create(
            code="BIO-101", name="Beta biology", created_by=school_b.teacher
        )
    b_client = school_b.client(school_b.teacher)
    base = f"/courses/{b_course.pk}/materials/"

    # B's teacher, on B's host, naming A's material: it does not exist there.
    assert b_client.get(f"{base}{material.pk}/").status_code == 404
    assert b_client.post(f"{base}{material.pk}/retry/").status_code == 404
    assert b_client.post(f"{base}{material.pk}/delete/").status_code == 404
    # B's session cookie on A's host is nobody there.
    stolen = Client(HTTP_HOST=school_a.host)
    stolen.cookies = b_client.cookies
    response = stolen.get(f"/courses/{biology.pk}/materials/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert _materials(school_a, biology) == [("notes.txt", "failed")]


# --- retry and delete ----------------------------------------------------------------------


@pytest.mark.django_db
def test_teacher_retries_a_failed_material(
    school_a, biology, tmp_path, django_capture_on_commit_callbacks
):
    failed = _material(school_a, biology, tmp_path, name="broken.txt", state="failed")
    page = text(school_a.client(school_a.teacher).get(f"/courses/{biology.pk}/materials/"))
    assert "broken.txt Plain text Failed It broke." in page

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = school_a.client(school_a.teacher).post(
            f"/courses/{biology.pk}/materials/{failed.pk}/retry/"
        )

    assert response.status_code == 302
    assert response["Location"] == f"/courses/{biology.pk}/materials/"
    assert _materials(school_a, biology) == [("broken.txt", "queued")]
    assert len(callbacks) == 1


@pytest.mark.django_db
def test_retrying_a_material_that_did_not_fail_changes_nothing(school_a, biology, tmp_path):
    ready = _material(school_a, biology, tmp_path, name="fine.txt", state="ready")
    client = school_a.client(school_a.teacher)
    response = client.post(f"/courses/{biology.pk}/materials/{ready.pk}/retry/", follow=True)
    assert "Only a material that failed can be retried." in text(response)
    assert _materials(school_a, biology) == [("fine.txt", "ready")]


@pytest.mark.django_db
def test_teacher_deletes_a_material_after_confirming(school_a, biology, tmp_path):
    material = _material(school_a, biology, tmp_path, name="notes.txt")
    client = school_a.client(school_a.teacher)
    url = f"/courses/{biology.pk}/materials/{material.pk}/delete/"

    confirm = client.get(url)
    assert confirm.status_code == 200
    assert f"Delete “{material.title}”?" in text(confirm)
    assert _materials(school_a, biology) == [("notes.txt", "queued")]

    response = client.post(url)
    assert response.status_code == 302
    assert _materials(school_a, biology) == []


@pytest.mark.django_db
def test_the_live_row_shows_a_failed_material_with_its_reason(school_a, biology, tmp_path):
    failed = _material(school_a, biology, tmp_path, name="broken.txt", state="failed")
    response = school_a.client(school_a.teacher).get(
        f"/courses/{biology.pk}/materials/{failed.pk}/row/"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.strip().startswith("<tr") and 'data-state="failed"' in html
    assert "It broke." in text(response) and "Retry" in text(response)


@pytest.mark.django_db
def test_course_page_links_to_materials_and_tutor(school_a, biology):
    teacher_page = school_a.client(school_a.teacher).get(f"/courses/{biology.pk}/")
    student_page = school_a.client(school_a.student).get(f"/courses/{biology.pk}/")
    for page in (teacher_page, student_page):
        html = page.content.decode()
        assert f'href="/courses/{biology.pk}/materials/"' in html
        assert f'href="/courses/{biology.pk}/tutor/"' in html
    assert f'href="/courses/{biology.pk}/tutor/traces/"' in teacher_page.content.decode()
    assert "/tutor/traces/" not in student_page.content.decode()


# --- the viewer (real extraction and embedding, committed) --------------------------------

PARAGRAPHS = [
    f"Section {i}. "
    + " ".join(
        f"Cell fact {i}.{j}: organelles such as the nucleus and the ribosome work together."
        for j in range(14)
    )
    for i in range(1, 31)
]


@pytest.fixture(scope="module")
def library(django_db_setup, django_db_blocker, tmp_path_factory):
    """A committed school whose biology course holds two ingested materials: a 3-page PDF and
    a long text file of many passages."""
    from tenants.services import school_delete

    tmp = tmp_path_factory.mktemp("library")
    slug = f"lib{os.getpid() % 10000}{int(time.time() * 1000) % 100000}"
    with django_db_blocker.unblock():
        school = make_school(slug, "Library School")
        with schema_context(school.schema):
            course = course_services.course_create(
                code="BIO-101", name="Biology", created_by=school.teacher
            )
            course_services.enrollment_add(course=course, user=school.student, role="student")
        materials = {}
        for key, path in (
            (
                "pdf",
                samples.pdf_with_pages(tmp, samples.CELL_BIOLOGY[:3], ["Cells", None, "Nucleus"]),
            ),
            ("long", samples.text_file(tmp, "\n\n".join(PARAGRAPHS), name="long-notes.txt")),
        ):
            with schema_context(school.schema):
                material, _ = course_services.material_upload(
                    course=course, upload=_file(path), uploaded_by=school.teacher
                )
            materials[key] = ingest_in_process(school, material.pk)
        connection.set_schema_to_public()
    yield school, course, materials
    with django_db_blocker.unblock():
        school_delete(school.model)


def test_viewer_shows_each_passage_with_its_page_section_and_anchor(library, committed):
    school, course, materials = library
    pdf = materials["pdf"]
    assert pdf.state == "ready"
    with schema_context(school.schema):
        chunks = list(pdf.chunks.order_by("ordinal"))
    response = school.client(school.teacher).get(f"/courses/{course.pk}/materials/{pdf.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    page = text(response)
    assert chunks, "the PDF gave passages"
    for chunk in chunks:
        assert f'id="chunk-{chunk.pk}"' in html
        assert f"Page {chunk.page}" in page
    assert "The cell is the basic unit of life." in page
    assert "Mitochondria are the powerhouses of the cell." in page
    assert f"3 Pages {pdf.chunk_count} Passages {pdf.chunk_count} Indexed" in page


def test_a_link_to_a_passage_opens_the_viewer_page_that_holds_it(library, committed):
    school, course, materials = library
    long = materials["long"]
    with schema_context(school.schema):
        chunks = list(long.chunks.order_by("ordinal"))
    assert len(chunks) > 25, "enough passages for a second page"
    last = chunks[-1]
    client = school.client(school.student)
    url = f"/courses/{course.pk}/materials/{long.pk}/"

    first_page = client.get(url).content.decode()
    assert f'id="chunk-{chunks[0].pk}"' in first_page
    assert f'id="chunk-{last.pk}"' not in first_page
    pages = (len(chunks) + 24) // 25
    assert f"page 1 of {pages}" in first_page

    response = client.get(f"{url}?chunk={last.pk}")
    html = response.content.decode()
    assert f'class="chunk chunk--target" id="chunk-{last.pk}"' in html
    assert f"page {pages} of {pages}" in html


def test_viewer_is_not_reachable_from_another_school(library, school_b):
    school, course, materials = library
    pdf = materials["pdf"]
    with schema_context(school_b.schema):
        b_course = course_services.course_create(
            code="VIEW-1", name="Viewer", created_by=school_b.teacher
        )
    b_client = school_b.client(school_b.teacher)
    assert b_client.get(f"/courses/{b_course.pk}/materials/{pdf.pk}/").status_code == 404
    stolen = Client(HTTP_HOST=school.host)
    stolen.cookies = b_client.cookies
    response = stolen.get(f"/courses/{course.pk}/materials/{pdf.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
