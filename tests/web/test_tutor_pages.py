"""The tutor page lists a student's own questions with clickable citations and marks answers
the material does not cover; the course's teachers open every question's trace; nobody else
sees a turn, in this school or another. Answers come from the real tutor over real ingested
material (the built-in offline answerer)."""

import os
import re
import time

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.utils.html import escape
from django_tenants.utils import schema_context

from accounts import services as account_services
from ai.models import TutorTurn
from ai.tutor import services as tutor
from ai.tutor.compose import NOT_COVERED
from courses import services as course_services
from tests.ai import samples
from tests.ai.conftest import ingest_in_process, upload
from tests.conftest import PASSWORD, make_school

from .conftest import text

SUPPORTED = "What do mitochondria produce?"
OFF_TOPIC = "Who won the football world cup in 1998?"
OTHERS = "What does the nucleus hold?"


@pytest.fixture(scope="module")
def classroom(django_db_setup, django_db_blocker, tmp_path_factory):
    """A committed school: BIO-101 with an ingested 4-page PDF about cells; its first student
    asked a question the material answers and then one it does not cover; the second student
    asked one more."""
    from tenants.services import school_delete

    tmp = tmp_path_factory.mktemp("classroom")
    slug = f"tut{os.getpid() % 10000}{int(time.time() * 1000) % 100000}"
    with django_db_blocker.unblock(), override_settings(LLM_PROVIDER="offline"):
        school = make_school(slug, "Tutor School")
        with schema_context(school.schema):
            course = course_services.course_create(
                code="BIO-101", name="Biology", created_by=school.teacher
            )
            for student in school.students:
                course_services.enrollment_add(course=course, user=student, role="student")
        material, _ = upload(school, course, samples.pdf_with_pages(tmp, samples.CELL_BIOLOGY))
        assert ingest_in_process(school, material.pk).state == "ready"
        turns = {}
        for key, user, question in (
            ("supported", school.students[0], SUPPORTED),
            ("off_topic", school.students[0], OFF_TOPIC),
            ("others", school.students[1], OTHERS),
        ):
            with schema_context(school.schema):
                turn = tutor.tutor_turn_create(course=course, asked_by=user, question=question)
                turns[key] = tutor.tutor_answer(turn.pk, emit=lambda event: None)
        connection.set_schema_to_public()
    yield school, course, material, turns
    with django_db_blocker.unblock():
        school_delete(school.model)


def _turn_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'data-turn-id="(\d+)"', html)]


def test_student_sees_own_questions_newest_first_with_clickable_citations(classroom, committed):
    school, course, material, turns = classroom
    supported, off_topic = turns["supported"], turns["off_topic"]
    assert supported.supported is True and supported.citations
    assert off_topic.supported is False

    response = school.client(school.students[0]).get(f"/courses/{course.pk}/tutor/")

    assert response.status_code == 200
    html = response.content.decode()
    assert _turn_ids(html) == [off_topic.pk, supported.pk]
    assert OTHERS not in html
    citation = supported.citations[0]
    chunk = citation["chunk_id"]
    assert (
        f'data-href="/courses/{course.pk}/materials/{material.pk}/?chunk={chunk}#chunk-{chunk}"'
        in html
    )
    assert f'data-n="{citation["n"]}"' in html
    assert f'data-quote="{escape(citation["quote"])}"' in html
    not_covered = re.search(rf'<li class="([^"]+)" id="turn-{off_topic.pk}"', html).group(1)
    assert "turn--not-covered" in not_covered
    assert f"Not in the course material {escape(NOT_COVERED)}" in text(response)
    assert f'data-ws-path="/ws/courses/{course.pk}/tutor/"' in html


def test_a_citation_opens_the_passage_in_the_material_viewer(classroom, committed):
    school, course, material, turns = classroom
    citation = turns["supported"].citations[0]
    response = school.client(school.students[0]).get(
        f"/courses/{course.pk}/materials/{material.pk}/?chunk={citation['chunk_id']}"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert f'class="chunk chunk--target" id="chunk-{citation["chunk_id"]}"' in html


def test_own_turn_as_json_and_nobody_elses(classroom, committed):
    school, course, material, turns = classroom
    supported, others = turns["supported"], turns["others"]
    client = school.client(school.students[0])

    response = client.get(f"/courses/{course.pk}/tutor/turns/{supported.pk}/")
    assert response.status_code == 200
    payload = response.json()
    assert payload["turn"] == supported.pk and payload["state"] == "done"
    assert payload["answer"] == supported.answer and payload["supported"] is True
    chunk = payload["citations"][0]["chunk_id"]
    assert payload["citations"][0]["href"] == (
        f"/courses/{course.pk}/materials/{material.pk}/?chunk={chunk}#chunk-{chunk}"
    )

    response = client.get(f"/courses/{course.pk}/tutor/turns/{others.pk}/")
    assert response.status_code == 404
    assert response.json() == {"error": "No such question."}


def test_teacher_sees_every_question_of_the_course_in_the_traces(classroom, committed):
    school, course, material, turns = classroom
    response = school.client(school.teacher).get(f"/courses/{course.pk}/tutor/traces/")
    assert response.status_code == 200
    html = response.content.decode()
    page = text(response)
    assert [int(n) for n in re.findall(r"/tutor/traces/(\d+)/", html)][::2] == [
        turns["others"].pk,
        turns["off_topic"].pk,
        turns["supported"].pk,
    ]
    supported = turns["supported"]
    assert (
        f"{school.students[0].display_name} {SUPPORTED} Answered from material "
        f"offline/extractive — {supported.latency_ms} ms"
    ) in page
    assert f"{school.students[0].display_name} {OFF_TOPIC} Not covered" in page


def test_trace_shows_every_retrieved_passage_with_its_scores(classroom, committed):
    school, course, material, turns = classroom
    turn = turns["supported"]
    response = school.client(school.teacher).get(f"/courses/{course.pk}/tutor/traces/{turn.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    page = text(response)
    rows = re.findall(r'<tr class="hit--(support|no-support)">', html)
    assert len(rows) == len(turn.retrieved) > 0
    assert rows.count("support") == sum(1 for hit in turn.retrieved if hit["supports"])
    first = turn.retrieved[0]
    first_row = (
        f"1 {first['material_title']}, page {first['page']} {first['score']:.4f} "
        f"{first['similarity']:.3f}"
    )
    assert first_row in page
    assert f"Question {SUPPORTED} Answer" in page
    cited = {c["chunk_id"]: c["n"] for c in turn.citations}
    for hit in turn.retrieved:
        if hit["chunk_id"] in cited:
            assert f"?chunk={hit['chunk_id']}#chunk-{hit['chunk_id']}" in html
    assert f"[{turn.citations[0]['n']}]" in page


def test_students_cannot_open_traces(classroom, committed):
    school, course, material, turns = classroom
    client = school.client(school.students[0])
    assert client.get(f"/courses/{course.pk}/tutor/traces/").status_code == 403
    trace = f"/courses/{course.pk}/tutor/traces/{turns['supported'].pk}/"
    assert client.get(trace).status_code == 403


def test_teacher_of_another_course_cannot_open_its_tutor_or_traces(classroom, committed):
    school, course, material, turns = classroom
    with schema_context(school.schema):
        outsider = account_services.user_create(
            username=f"chem-{int(time.time() * 1000)}",
            role="teacher",
            email="",
            password=PASSWORD,
        )
    client = school.client(outsider)
    for path in (
        "tutor/",
        "tutor/traces/",
        f"tutor/traces/{turns['supported'].pk}/",
        f"tutor/turns/{turns['supported'].pk}/",
    ):
        assert client.get(f"/courses/{course.pk}/{path}").status_code == 404, path


def test_other_school_cannot_reach_the_tutor_or_its_traces(classroom, school_b):
    school, course, material, turns = classroom
    with schema_context(school_b.schema):
        b_course = course_services.course_create(
            code="TUT-1", name="Beta tutor", created_by=school_b.teacher
        )
    b_client = school_b.client(school_b.teacher)
    turn = turns["supported"].pk
    assert b_client.get(f"/courses/{b_course.pk}/tutor/traces/{turn}/").status_code == 404
    assert b_client.get(f"/courses/{b_course.pk}/tutor/turns/{turn}/").status_code == 404
    stolen = Client(HTTP_HOST=school.host)
    stolen.cookies = b_client.cookies
    response = stolen.get(f"/courses/{course.pk}/tutor/traces/{turn}/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# --- without scripts: the form posts the question (transactional, nothing answers it) -----


@pytest.mark.django_db
def test_a_question_posted_without_scripts_is_recorded_and_queued(
    school_a, biology, django_capture_on_commit_callbacks
):
    client = school_a.client(school_a.student)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            f"/courses/{biology.pk}/tutor/", {"question": "  What is   a cell? "}
        )
    assert response.status_code == 302 and response["Location"] == f"/courses/{biology.pk}/tutor/"
    assert len(callbacks) == 1  # the answer job, queued after commit
    with schema_context(school_a.schema):
        turn = TutorTurn.objects.get()
    assert (turn.question, turn.asked_by, turn.state, turn.via) == (
        "What is a cell?",
        school_a.student,
        "pending",
        "web",
    )
    page = client.get(response["Location"])
    assert _turn_ids(page.content.decode()) == [turn.pk]
    assert "You asked What is a cell?" in text(page) and "Waiting for the answer…" in text(page)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "question, message",
    [
        ("   ", "Type a question first."),
        ("why " * 300, "Questions can be at most 1000 characters (1199 given)."),
    ],
    ids=["empty", "too-long"],
)
def test_a_bad_question_is_explained_and_not_recorded(school_a, biology, question, message):
    response = school_a.client(school_a.student).post(
        f"/courses/{biology.pk}/tutor/", {"question": question}
    )
    assert response.status_code == 400
    assert message in text(response)
    with schema_context(school_a.schema):
        assert TutorTurn.objects.count() == 0


@pytest.mark.django_db
def test_someone_outside_the_course_cannot_ask(school_a, biology):
    outsider = school_a.students[1]  # in the school, not in BIO-101
    client = school_a.client(outsider)
    assert client.get(f"/courses/{biology.pk}/tutor/").status_code == 404
    assert client.post(f"/courses/{biology.pk}/tutor/", {"question": "Hi?"}).status_code == 404
    with schema_context(school_a.schema):
        assert TutorTurn.objects.count() == 0
