"""Search and the tutor through the API: a course's ready material is found by meaning and by
words, the tutor answers from it with citations (or says the material does not cover the
question), teachers and keys read the traces, and no school ever sees another school's passages.

The live tests share two committed schools whose material was uploaded through the API and
ingested by a real Celery worker; the rest run in a rolled-back transaction."""

import os
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django_tenants.utils import schema_context

from ai.models import TutorTurn
from ai.tutor.compose import NOT_COVERED
from courses import services as course_services
from courses.models import Course, Material
from tests.ai import samples
from tests.conftest import make_school

from .conftest import api, make_keys

VOLCANOES = (
    "A volcano is an opening in the crust through which molten rock, ash and gases escape. "
    "Magma that reaches the surface is called lava. Shield volcanoes such as Mauna Loa have "
    "gentle slopes built from runny basalt lava."
)


def _upload(client, course_id: int, name: str, content: bytes) -> int:
    response = client.post(
        f"/api/v1/courses/{course_id}/materials/", {"file": [SimpleUploadedFile(name, content)]}
    )
    assert response.status_code == 201, response.content
    return response.json()["materials"][0]["id"]


def _wait_ready(client, material_id: int, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(f"/api/v1/materials/{material_id}/").json()
        if body["state"] == "ready":
            return
        assert body["state"] != "failed", body["error"]
        assert time.monotonic() < deadline, f"material {material_id} still {body['state']}"
        time.sleep(0.5)


@pytest.fixture(scope="module")
def library(django_db_setup, django_db_blocker, celery_worker_process, tmp_path_factory):
    """Alpha: BIO (a 4-page PDF on cells; the teacher and student1 in it) and PLANTS (Markdown
    on photosynthesis). Beta: one course on volcanoes. All uploaded by each school's key."""
    from tenants.services import school_delete

    folder = tmp_path_factory.mktemp("library")
    stamp = f"{os.getpid() % 10000}{int(time.time() * 1000) % 100000}"
    uploaded: list[tuple[object, object, int]] = []
    with django_db_blocker.unblock():
        alpha = make_school(f"apilib{stamp}", "Library Alpha")
        beta = make_school(f"apilibb{stamp}", "Library Beta", n_students=1)
        connection.set_schema_to_public()
        alpha_keys, beta_keys = make_keys(alpha), make_keys(beta)
        with schema_context(alpha.schema):
            bio = course_services.course_create(
                code="BIO-1", name="Cells", created_by=alpha.teacher
            )
            course_services.enrollment_add(course=bio, user=alpha.students[0])
            plants = course_services.course_create(code="PLANT-1", name="Plants")
        with schema_context(beta.schema):
            geology = course_services.course_create(code="GEO-1", name="Volcanoes")
        alpha_key, beta_key = api(alpha, alpha_keys.read_write), api(beta, beta_keys.read_write)
        cells_pdf = samples.pdf_with_pages(folder, samples.CELL_BIOLOGY)
        plants_md = samples.markdown_doc(folder)
        for client, course, name, content in (
            (alpha_key, bio, "cells.pdf", cells_pdf.read_bytes()),
            (alpha_key, plants, "photosynthesis.md", plants_md.read_bytes()),
            (beta_key, geology, "volcanoes.txt", VOLCANOES.encode()),
        ):
            uploaded.append((client, course, _upload(client, course.pk, name, content)))
        for client, _, material_id in uploaded:
            _wait_ready(client, material_id)
        connection.set_schema_to_public()
    yield {
        "alpha": alpha,
        "beta": beta,
        "alpha_keys": alpha_keys,
        "beta_keys": beta_keys,
        "bio": bio,
        "plants": plants,
        "geology": geology,
        "cells_pdf": uploaded[0][2],
        "plants_md": uploaded[1][2],
        "volcanoes": uploaded[2][2],
    }
    with django_db_blocker.unblock():
        # Deleting through the API removes the stored files from the shared media folder.
        for client, _, material_id in uploaded:
            client.delete(f"/api/v1/materials/{material_id}/")
        school_delete(alpha.model)
        school_delete(beta.model)
        connection.set_schema_to_public()


def search(client, course_id: int, query: str = "", **params):
    params = {"q": query, **params} if query else params
    return client.get(f"/api/v1/courses/{course_id}/search/", params)


# --- search -------------------------------------------------------------------------------------


def test_search_finds_the_passage_that_answers_in_the_course(library, committed):
    alpha, bio = library["alpha"], library["bio"]
    reader = api(alpha, library["alpha_keys"].read)

    response = search(reader, bio.pk, "Which organelle makes the energy a muscle needs?", k=3)

    assert response.status_code == 200
    body = response.json()
    assert body["query"] == "Which organelle makes the energy a muscle needs?"
    assert len(body["results"]) == 3
    best = body["results"][0]
    assert (best["material_id"], best["material_title"], best["page"]) == (
        library["cells_pdf"],
        "cells",
        2,
    )
    assert "Mitochondria are the powerhouses of the cell." in " ".join(best["text"].split())
    assert set(best) == {
        "chunk_id",
        "material_id",
        "material_title",
        "page",
        "section",
        "text",
        "score",
        "similarity",
    }
    assert best["similarity"] > 0.3
    scores = [hit["score"] for hit in body["results"]]
    assert scores == sorted(scores, reverse=True)
    # Only this course's material: photosynthesis lives in PLANTS.
    assert {hit["material_id"] for hit in body["results"]} == {library["cells_pdf"]}
    words = search(reader, library["plants"].pk, "RuBisCO").json()["results"]
    assert words[0]["material_id"] == library["plants_md"]
    assert "RuBisCO" in words[0]["text"]


def test_people_search_the_courses_they_take(library, committed):
    alpha, bio = library["alpha"], library["bio"]
    student = alpha.client(alpha.students[0])
    assert search(student, bio.pk, "mitochondria").status_code == 200
    assert search(student, library["plants"].pk, "chlorophyll").status_code == 404
    outsider = alpha.client(alpha.students[1])
    refused = search(outsider, bio.pk, "mitochondria")
    assert refused.status_code == 404
    assert refused.json()["error"] == {"code": "not_found", "message": "No such course."}


# --- the tutor ----------------------------------------------------------------------------------


def ask(client, course_id: int, question: str):
    return client.post(
        f"/api/v1/courses/{course_id}/tutor/",
        {"question": question},
        content_type="application/json",
    )


def test_the_tutor_answers_with_citations_and_keeps_a_trace(library, committed, settings):
    settings.LLM_PROVIDER = "offline"
    alpha, bio = library["alpha"], library["bio"]
    student = alpha.client(alpha.students[0])

    response = ask(student, bio.pk, "What do mitochondria produce?")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"turn", "question", "answer", "supported", "citations", "state"}
    assert (body["question"], body["supported"], body["state"]) == (
        "What do mitochondria produce?",
        True,
        "done",
    )
    assert body["answer"].startswith("Here is what your course material says:")
    assert "mitochondria" in body["answer"].lower() and "[1]" in body["answer"]
    first = body["citations"][0]
    assert (first["n"], first["material_id"], first["material_title"], first["page"]) == (
        1,
        library["cells_pdf"],
        "cells",
        2,
    )
    assert "mitochondria" in first["quote"].lower()

    teacher = alpha.client(alpha.teacher)
    trace = teacher.get(f"/api/v1/tutor/turns/{body['turn']}/")
    assert trace.status_code == 200
    trace = trace.json()
    assert (trace["id"], trace["course"], trace["asked_by"], trace["via"]) == (
        body["turn"],
        bio.pk,
        alpha.students[0].pk,
        "api",
    )
    assert (trace["answer"], trace["citations"]) == (body["answer"], body["citations"])
    assert trace["provider"] == "offline/extractive"
    assert trace["latency_ms"] is not None and trace["answered_at"] is not None
    assert trace["retrieved"][0]["chunk_id"] == first["chunk_id"]
    assert {"score", "similarity", "vector_rank", "text_rank", "supports"} <= set(
        trace["retrieved"][0]
    )

    # The student asked, but the trace is for the people who run the course.
    assert student.get(f"/api/v1/tutor/turns/{body['turn']}/").status_code == 403
    assert student.get(f"/api/v1/courses/{bio.pk}/tutor/turns/").status_code == 403


def test_the_tutor_says_when_the_material_does_not_cover_a_question(library, committed, settings):
    settings.LLM_PROVIDER = "offline"
    alpha, bio = library["alpha"], library["bio"]
    partner = api(alpha, library["alpha_keys"].read_write)

    response = ask(partner, bio.pk, "Who won the football world cup in 1998?")

    assert response.status_code == 200
    body = response.json()
    assert (body["supported"], body["answer"], body["citations"], body["state"]) == (
        False,
        NOT_COVERED,
        [],
        "done",
    )
    turns = api(alpha, library["alpha_keys"].read).get(f"/api/v1/courses/{bio.pk}/tutor/turns/")
    assert turns.status_code == 200
    newest = turns.json()["results"][0]
    assert (newest["id"], newest["asked_by"], newest["via"], newest["supported"]) == (
        body["turn"],
        None,
        "api",
        False,
    )


def test_school_b_never_sees_school_a_passages(library, committed):
    alpha, beta = library["alpha"], library["beta"]
    with schema_context(beta.schema):
        beta_courses = set(Course.objects.values_list("pk", flat=True))
        beta_materials = set(Material.objects.values_list("pk", flat=True))
    beta_key = api(beta, library["beta_keys"].read_write)
    beta_admin = beta.client(beta.admin)
    for client in (beta_key, beta_admin):
        # Beta's own course may carry the same id as alpha's: it still holds only beta's text.
        own = search(client, library["geology"].pk, "What do mitochondria produce?", k=50)
        assert own.status_code == 200
        assert {hit["material_id"] for hit in own.json()["results"]} <= {library["volcanoes"]}
        assert all("Mitochondria" not in hit["text"] for hit in own.json()["results"])
        # Ids that exist only in alpha are simply not there.
        assert library["plants"].pk not in beta_courses
        assert search(client, library["plants"].pk, "chlorophyll").status_code == 404
        assert library["plants_md"] not in beta_materials
        for path in ("", "chunks/"):
            response = client.get(f"/api/v1/materials/{library['plants_md']}/{path}")
            assert response.status_code == 404
        tutor_response = client.post(
            f"/api/v1/courses/{library['plants'].pk}/tutor/",
            {"question": "What is chlorophyll?"},
            content_type="application/json",
        )
        assert tutor_response.status_code == 404
    with schema_context(alpha.schema):
        turn_ids = list(TutorTurn.objects.values_list("pk", flat=True))
    with schema_context(beta.schema):
        assert not TutorTurn.objects.exists()
    for turn_id in turn_ids or [1]:
        assert beta_key.get(f"/api/v1/tutor/turns/{turn_id}/").status_code == 404
    # An alpha key on beta's host is not a key at all.
    alpha_key_on_beta = api(beta, library["alpha_keys"].read_write)
    assert search(alpha_key_on_beta, library["geology"].pk, "lava").status_code == 401


# --- rolled back: refusals ----------------------------------------------------------------------


@pytest.fixture
def course(school_a):
    with schema_context(school_a.schema):
        course = course_services.course_create(
            code="BIO-101", name="Biology", created_by=school_a.teacher
        )
        course_services.enrollment_add(course=course, user=school_a.students[0])
    return course


def turn_count(school) -> int:
    with schema_context(school.schema):
        return TutorTurn.objects.count()


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("   ", "question: Type a question first."),
        ("x" * 1001, "question: Questions can be at most 1000 characters (1001 given)."),
    ],
)
def test_a_blank_or_overlong_question_is_refused(school_a, course, writer, question, message):
    response = ask(writer, course.pk, question)
    assert response.status_code == 400
    assert response.json()["error"]["message"] == message
    assert turn_count(school_a) == 0


def test_a_question_needs_the_question_field(school_a, course, writer):
    response = writer.post(
        f"/api/v1/courses/{course.pk}/tutor/", {"q": "Why?"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "q": ["Unknown field; the accepted fields are: question."]
    }
    assert turn_count(school_a) == 0


def test_who_may_ask_the_tutor(school_a, course, reader):
    read_only = ask(reader, course.pk, "What is a cell?")
    assert read_only.status_code == 403
    assert read_only.json()["error"]["message"] == (
        "This API key is read-only; create a read-write key to make changes."
    )
    outsider = ask(school_a.client(school_a.students[1]), course.pk, "What is a cell?")
    assert outsider.status_code == 404
    assert turn_count(school_a) == 0


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "q: Say what to search for: add ?q=<words> to the address."),
        ({"q": ""}, "q: Say what to search for: ?q= must not be empty."),
        ({"q": "cells", "k": 0}, "k: Ensure this value is greater than or equal to 1."),
        ({"q": "cells", "k": 51}, "k: Ensure this value is less than or equal to 50."),
        ({"q": "cells", "k": "ten"}, "k: A valid integer is required."),
        ({"q": "cells", "limit": 3}, "limit: Unknown field; the accepted fields are: k, q."),
    ],
)
def test_a_search_without_a_usable_query_says_what_is_wrong(
    school_a, course, reader, params, message
):
    response = reader.get(f"/api/v1/courses/{course.pk}/search/", params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert response.json()["error"]["message"] == message


def test_a_failing_ai_provider_is_a_clear_503_and_the_turn_is_failed(
    school_a, course, writer, settings
):
    # Nothing listens on the discard port: the embedding provider cannot be reached.
    settings.EMBEDDING_PROVIDER = "openai"
    settings.EMBEDDING_BASE_URL = "http://127.0.0.1:9/v1"
    settings.EMBEDDING_API_KEY = "test-key"
    settings.OPENAI_MAX_RETRIES = 0
    settings.OPENAI_TIMEOUT_SECONDS = 2

    searched = writer.get(f"/api/v1/courses/{course.pk}/search/", {"q": "cells"})
    assert searched.status_code == 503
    assert searched.json()["error"]["code"] == "ai_unavailable"
    assert searched.json()["error"]["message"]

    asked = ask(writer, course.pk, "What is a cell?")
    assert asked.status_code == 503
    assert asked.json() == {
        "error": {
            "code": "tutor_unavailable",
            "message": "The tutor could not answer this time. Please ask again.",
        }
    }
    with schema_context(school_a.schema):
        turn = TutorTurn.objects.get()
    assert (turn.state, turn.error, turn.via) == (
        "failed",
        "The tutor could not answer this time. Please ask again.",
        "api",
    )
