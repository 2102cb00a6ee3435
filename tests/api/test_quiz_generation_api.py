"""Quiz generation through the API: a partner or teacher asks for questions from a course's
material, gets the queued job at once (202), follows it to the end and reads the drafts it
added to the bank, each citing its passage. Requests the generator cannot serve are refused
with the reason, the school's monthly AI budget is enforced (429 with when it resets), and no
school sees another's jobs.

The rolled-back tests never reach a worker (jobs are queued on commit); the last test commits
in a fresh school and lets a real Celery worker ingest the material and generate."""

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from courses import services as course_services
from courses.models import Material
from quizzes import services as quiz_services
from quizzes.models import GenerationJob
from tenants import quotas
from tenants.models import AIUsage, Plan, School
from tests.ai import samples

from .conftest import api, make_keys

JOB_KEYS = {
    "id",
    "course",
    "state",
    "count",
    "kinds",
    "difficulty",
    "topic",
    "objectives",
    "materials",
    "replaces",
    "via",
    "requested_by",
    "created_count",
    "duplicate_count",
    "rejected_count",
    "generator",
    "notes",
    "rejections",
    "prompt_tokens",
    "completion_tokens",
    "error",
    "created_at",
    "started_at",
    "finished_at",
}


@pytest.fixture
def course(school_a, settings, tmp_path):
    """BIO-101 (its teacher, its first student) with one ready material."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    with schema_context(school_a.schema):
        course = course_services.course_create(
            code="BIO-101", name="Biology", created_by=school_a.teacher
        )
        course_services.enrollment_add(course=course, user=school_a.students[0])
    return course


def ready_material(school, course, text: str = samples.CELL_BIOLOGY[1]) -> Material:
    with schema_context(school.schema):
        material, _ = course_services.material_upload(
            course=course,
            upload=SimpleUploadedFile("cells.txt", text.encode()),
            uploaded_by=school.teacher,
        )
        Material.objects.filter(pk=material.pk).update(state=Material.State.READY)
        material.refresh_from_db()
    return material


def create_job(client, course_id: int, **body):
    return client.post(
        f"/api/v1/courses/{course_id}/generation-jobs/",
        {"count": 3, **body},
        content_type="application/json",
    )


def jobs(school) -> list[tuple]:
    with schema_context(school.schema):
        return list(GenerationJob.objects.order_by("pk").values_list("pk", "count", "state"))


# --- asking -------------------------------------------------------------------------------


def test_a_job_is_queued_and_comes_back_at_once(school_a, course, writer):
    material = ready_material(school_a, course)

    response = create_job(
        writer,
        course.pk,
        count=4,
        kinds=["single", "true_false", "single"],
        difficulty="hard",
        topic="  Cell   energy ",
        objectives=["Explain respiration"],
        materials=[material.pk],
    )

    assert response.status_code == 202, response.content
    job = response.json()
    assert set(job) == JOB_KEYS
    assert (job["course"], job["state"], job["count"], job["kinds"], job["difficulty"]) == (
        course.pk,
        "queued",
        4,
        ["single", "true_false"],
        "hard",
    )
    assert (job["topic"], job["objectives"], job["materials"]) == (
        "Cell energy",
        ["Explain respiration"],
        [material.pk],
    )
    assert (job["via"], job["requested_by"], job["replaces"]) == ("api", None, None)
    assert (job["created_count"], job["rejections"], job["finished_at"]) == (0, [], None)
    assert writer.get(f"/api/v1/generation-jobs/{job['id']}/").json() == job
    listed = writer.get(f"/api/v1/courses/{course.pk}/generation-jobs/").json()
    assert [j["id"] for j in listed["results"]] == [job["id"]]
    assert (
        writer.get(f"/api/v1/courses/{course.pk}/generation-jobs/", {"state": "done"}).json()[
            "count"
        ]
        == 0
    )
    assert writer.get(f"/api/v1/generation-jobs/{job['id']}/questions/").json()["results"] == []

    by_teacher = create_job(school_a.client(school_a.teacher), course.pk, count=1)
    assert by_teacher.status_code == 202
    assert (by_teacher.json()["requested_by"], by_teacher.json()["kinds"]) == (
        school_a.teacher.pk,
        ["single"],
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"count": 0}, "count: Ask for 1 to 50 questions (0 asked)."),
        ({"count": 500}, "count: Ask for 1 to 50 questions (500 asked)."),
        ({"count": "many"}, "count: A valid integer is required."),
        (
            {"kinds": ["single", "essay"]},
            "kinds[1]: Unknown question type “essay”; use one of single, multiple, true_false, "
            "short_answer, numeric, fill_blank.",
        ),
        ({"difficulty": "brutal"}, 'difficulty: "brutal" is not a valid choice.'),
        (
            {"questions": 3},
            "questions: Unknown field; the accepted fields are: count, difficulty, kinds, "
            "materials, objectives, topic.",
        ),
        ({"materials": [999999]}, "materials: Material 999999 is not part of this course."),
        ({"objectives": ["x" * 301]}, "objectives: Each objective can be at most 300 characters."),
    ],
)
def test_a_request_the_generator_cannot_serve_is_refused(school_a, course, writer, body, message):
    ready_material(school_a, course)

    response = create_job(writer, course.pk, **body)

    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["message"]) == ("validation_error", message)
    assert jobs(school_a) == []


def test_a_course_without_ready_material_cannot_generate(school_a, course, writer):
    with schema_context(school_a.schema):
        material, _ = course_services.material_upload(
            course=course,
            upload=SimpleUploadedFile("later.txt", samples.CELL_BIOLOGY[0].encode()),
            uploaded_by=school_a.teacher,
        )
    none_ready = create_job(writer, course.pk)
    assert none_ready.status_code == 400
    assert none_ready.json()["error"]["message"].startswith(
        "This course has no ready material to write questions from."
    )
    not_ready = create_job(writer, course.pk, materials=[material.pk])
    assert not_ready.json()["error"]["message"] == (
        "materials: “later” is not ready yet (it is queued); generate from it once it is ready."
    )
    assert jobs(school_a) == []


def test_the_school_budget_is_enforced_and_says_when_it_resets(school_a, course, writer):
    ready_material(school_a, course)
    plan = Plan.objects.create(name="Small school", monthly_generated_questions=10)
    School.objects.filter(pk=school_a.model.pk).update(plan=plan)
    AIUsage.objects.create(school=school_a.model, month=quotas.month_start(), generated_questions=8)
    resets = quotas.next_reset()

    refused = create_job(writer, course.pk, count=3)

    assert refused.status_code == 429
    assert refused.json() == {
        "error": {
            "code": "quota_exceeded",
            "message": "Your school has 2 of its 10 generated questions left this month and "
            f"this needs 3. Ask for at most 2, or wait until the budget resets on "
            f"{resets:%-d %B %Y} (UTC).",
            "resets_at": resets.isoformat().replace("+00:00", "Z"),
            "limit": 10,
            "used": 8,
        }
    }
    assert int(refused["Retry-After"]) > 0
    assert jobs(school_a) == []

    assert create_job(writer, course.pk, count=2).status_code == 202
    spent = create_job(writer, course.pk, count=1)
    assert spent.status_code == 429
    assert spent.json()["error"]["message"].startswith(
        "Your school has used all 10 generated questions of this month's AI budget."
    )
    assert [count for _, count, _ in jobs(school_a)] == [2]
    assert AIUsage.objects.get(school=school_a.model).generated_questions == 10


def test_regenerating_a_question_queues_a_job_that_replaces_it(school_a, course, writer):
    material = ready_material(school_a, course)
    with schema_context(school_a.schema):
        question = quiz_services.question_create(
            course=course,
            kind="true_false",
            stem="Mitochondria store energy in ATP.",
            options=[{"id": "true", "correct": True}, {"id": "false"}],
            source={"material_id": material.pk, "quote": samples.CELL_BIOLOGY[1][:120]},
            topic="Cells",
        )

    response = writer.post(f"/api/v1/questions/{question.pk}/regenerate/")

    assert response.status_code == 202, response.content
    job = response.json()
    assert (job["replaces"], job["count"], job["kinds"], job["materials"], job["topic"]) == (
        question.pk,
        1,
        ["true_false"],
        [material.pk],
        "Cells",
    )
    assert (job["via"], job["state"]) == ("api", "queued")
    student = school_a.client(school_a.students[0])
    assert student.post(f"/api/v1/questions/{question.pk}/regenerate/").status_code == 403
    assert len(jobs(school_a)) == 1


# --- who may --------------------------------------------------------------------------------


def test_only_the_people_who_run_the_course_generate(school_a, course, reader):
    ready_material(school_a, course)
    with schema_context(school_a.schema):
        job = GenerationJob.objects.create(course=course, count=2, kinds=["single"])

    read_only = create_job(reader, course.pk)
    assert read_only.status_code == 403
    assert read_only.json()["error"]["message"] == (
        "This API key is read-only; create a read-write key to make changes."
    )
    assert reader.get(f"/api/v1/generation-jobs/{job.pk}/").status_code == 200
    student = school_a.client(school_a.students[0])
    outsider = school_a.client(school_a.students[1])
    for client, code in ((student, 403), (outsider, 404)):
        for response in (
            create_job(client, course.pk),
            client.get(f"/api/v1/courses/{course.pk}/generation-jobs/"),
            client.get(f"/api/v1/generation-jobs/{job.pk}/"),
            client.get(f"/api/v1/generation-jobs/{job.pk}/questions/"),
        ):
            assert response.status_code == code
    assert jobs(school_a) == [(job.pk, 2, "queued")]


def test_school_b_never_sees_school_a_jobs(school_a, school_b, course, keys_b):
    ready_material(school_a, course)
    with schema_context(school_a.schema):
        job = GenerationJob.objects.create(course=course, count=2, kinds=["single"])
    with schema_context(school_b.schema):
        own = course_services.course_create(code="GEO-1", name="Geology")
        own_job = GenerationJob.objects.create(course=own, count=1, kinds=["numeric"])

    for client in (api(school_b, keys_b.read_write), school_b.client(school_b.teacher)):
        if own.pk != course.pk:
            assert create_job(client, course.pk).status_code == 404
            listed = client.get(f"/api/v1/courses/{course.pk}/generation-jobs/")
            assert listed.status_code == 404
        if own_job.pk != job.pk:
            assert client.get(f"/api/v1/generation-jobs/{job.pk}/").status_code == 404
            assert client.get(f"/api/v1/generation-jobs/{job.pk}/questions/").status_code == 404
    beta_jobs = api(school_b, keys_b.read).get(f"/api/v1/courses/{own.pk}/generation-jobs/")
    assert [(j["id"], j["kinds"]) for j in beta_jobs.json()["results"]] == [
        (own_job.pk, ["numeric"])
    ]
    assert jobs(school_a) == [(job.pk, 2, "queued")]


# --- live: a real worker generates --------------------------------------------------------


def _wait(client, url: str, done, timeout: float = 240) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(url).json()
        if done(body):
            return body
        assert time.monotonic() < deadline, f"{url} still {body}"
        time.sleep(0.5)


@pytest.fixture
def ingested(fresh_school, committed, celery_worker_process, tmp_path):
    """A fresh school's course whose cell-biology PDF a partner uploaded through the API and
    a real worker ingested."""
    school = fresh_school("apigen")
    partner = api(school, make_keys(school).read_write)
    with schema_context(school.schema):
        course = course_services.course_create(code="BIO-1", name="Cells")
    pdf = samples.pdf_with_pages(tmp_path, samples.CELL_BIOLOGY)
    uploaded = partner.post(
        f"/api/v1/courses/{course.pk}/materials/",
        {"file": [SimpleUploadedFile("cells.pdf", pdf.read_bytes())]},
    )
    assert uploaded.status_code == 201, uploaded.content
    material_id = uploaded.json()["materials"][0]["id"]
    material_url = f"/api/v1/materials/{material_id}/"
    ready = _wait(partner, material_url, lambda m: m["state"] in ("ready", "failed"))
    assert ready["state"] == "ready", ready["error"]
    yield school, partner, course, material_id
    # Through the API, so the stored file leaves the shared media folder too.
    partner.delete(material_url)


def test_a_partner_generates_questions_and_reads_them_from_the_bank(ingested):
    school, partner, course, material_id = ingested
    material_url = f"/api/v1/materials/{material_id}/"

    created = create_job(partner, course.pk, count=4, kinds=["single", "true_false"])
    assert created.status_code == 202, created.content
    job_url = f"/api/v1/generation-jobs/{created.json()['id']}/"
    job = _wait(partner, job_url, lambda j: j["state"] in ("done", "failed"))

    assert (job["state"], job["error"]) == ("done", "")
    assert job["created_count"] == 4, job
    assert job["generator"] and job["started_at"] and job["finished_at"]
    made = partner.get(job_url + "questions/").json()
    assert made["count"] == job["created_count"]
    chunks = {
        c["id"]: c for c in partner.get(material_url + "chunks/?page_size=500").json()["results"]
    }
    for question in made["results"]:
        assert (question["status"], question["origin"], question["generation_job"]) == (
            "draft",
            "generated",
            job["id"],
        )
        assert question["kind"] in ("single", "true_false")
        assert question["generator"] == job["generator"]
        source = question["source"]
        assert (source["material_id"], source["material_title"]) == (material_id, "cells")
        cited = chunks[source["chunk_id"]]
        assert source["page"] == cited["page"]
        assert source["quote"] and " ".join(source["quote"].split())[:40] in " ".join(
            cited["text"].split()
        )
        assert [o for o in question["options"] if o["correct"]]
    # The kinds asked for are spread evenly.
    assert sorted(q["kind"] for q in made["results"]) == ["single"] * 2 + ["true_false"] * 2
    # The same drafts are in the course's bank, found by the job filter.
    bank = partner.get(f"/api/v1/courses/{course.pk}/questions/", {"job": job["id"]}).json()
    assert sorted(q["id"] for q in bank["results"]) == sorted(q["id"] for q in made["results"])
    with schema_context(school.schema):
        assert GenerationJob.objects.get(pk=job["id"]).via == "api"
