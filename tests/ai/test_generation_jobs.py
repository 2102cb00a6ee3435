"""Generation jobs through a real Celery worker: a job ends with the drafts it was asked for,
each citing its passage; its progress reaches the course's teacher live and nobody else; jobs
of two schools take turns on the queue; regenerating replaces one draft; a job that stalled is
picked up again; and no school's job ever touches another school."""

import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from ai.generation.checks import fold
from ai.models import Chunk
from quizzes.generation.lifecycle import (
    generation_job_create,
    generation_jobs_stalled,
    generation_question_regenerate,
)
from quizzes.models import GenerationJob, Question
from tests.conftest import live_env

from ..realtime.ws import close_code_after_open, receive_until, session_cookie, ws_connect
from . import samples
from .conftest import course_with_people, upload, wait_for_material

pytestmark = pytest.mark.live

PAGES = [
    "Mitochondria are organelles found in most animal and plant cells. Mitochondria produce "
    "ATP through cellular respiration, which releases energy from glucose. The inner membrane "
    "of a mitochondrion is folded into cristae that increase its surface area.",
    "Chloroplasts are organelles found in the cells of green plants and algae. Photosynthesis "
    "takes place in chloroplasts, which capture light energy with the pigment chlorophyll. "
    "Plants turn carbon dioxide and water into glucose and oxygen during photosynthesis.",
    "The nucleus stores the genetic material of a eukaryotic cell in the form of DNA. "
    "Ribosomes build proteins by joining amino acids in the order given by messenger RNA. "
    "The cell membrane controls which substances enter and leave the cell.",
    "Water boils at 100 degrees Celsius at sea level. The human heart has four chambers that "
    "pump blood around the body. Red blood cells carry oxygen with the protein haemoglobin.",
]


@pytest.fixture(scope="module")
def slicing_worker(django_db_setup, tmp_path_factory):
    """A worker whose generation slices end after every batch (GENERATION_SLICE_SECONDS=0),
    so a job is many tasks on the queue and jobs of several schools take turns."""
    log_path = tmp_path_factory.mktemp("celery-slicing") / "worker.log"
    env = {**live_env(), "GENERATION_SLICE_SECONDS": "0", "LLM_PROVIDER": "offline"}
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "smartedu", "worker", "-Q", "ingest,gpu",
             "--concurrency", "1", "--without-gossip", "--without-mingle", "--loglevel", "INFO",
             "--hostname", f"slicing-{os.getpid()}@%h"],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    deadline = time.monotonic() + 60
    while b"ready." not in log_path.read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("celery worker did not start:\n" + log_path.read_text()[-3000:])
        time.sleep(0.2)
    yield process
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture
def taught(slicing_worker, fresh_school, committed, tmp_path):
    """``taught()``: a fresh school whose course holds a ready 4-page PDF."""

    def make():
        school = fresh_school()
        course = course_with_people(school)
        directory = tmp_path / school.schema
        directory.mkdir()
        material, _ = upload(school, course, samples.pdf_with_pages(directory, PAGES))
        material = wait_for_material(school, material.pk)
        assert material.state == "ready", material.error
        return school, course, material

    return make


def create(school, course, count, **kwargs):
    with schema_context(school.schema):
        return generation_job_create(
            course=course, requested_by=school.teacher, count=count, **kwargs
        )


def wait_for_job(school, job_id, timeout=180) -> GenerationJob:
    deadline = time.monotonic() + timeout
    with schema_context(school.schema):
        while True:
            job = GenerationJob.objects.get(pk=job_id)
            if job.is_finished:
                return job
            assert time.monotonic() < deadline, f"job {job_id} still {job.state}"
            time.sleep(0.2)


def job_questions(school, job):
    with schema_context(school.schema):
        return list(
            Question.objects.filter(generation_job=job).select_related(
                "current_version", "source_chunk"
            )
        )


def test_a_job_ends_with_the_drafts_asked_for_each_citing_its_passage(taught):
    school, course, material = taught()

    job = wait_for_job(school, create(school, course, 4, kinds=["single", "true_false"]).pk)

    assert job.state == "done", job.error
    assert job.created_count == 4, (job.notes, job.rejections)
    assert job.generator.startswith("offline/")
    questions = job_questions(school, job)
    assert len(questions) == 4
    assert {q.kind for q in questions} == {"single", "true_false"}
    with schema_context(school.schema):
        chunk_texts = {c.pk: fold(c.text) for c in Chunk.objects.filter(material=material)}
    for question in questions:
        assert question.status == "draft" and question.origin == "generated"
        assert question.source_material_id == material.pk
        assert question.source_chunk_id in chunk_texts
        assert fold(question.source_quote).rstrip(".") in chunk_texts[question.source_chunk_id]
        assert question.source_page in (1, 2, 3, 4)


def test_the_teacher_watches_a_job_live_until_done(live_server_process, taught):
    school, course, _ = taught()
    job = create(school, course, 6, kinds=["single", "true_false", "fill_blank"])

    with ws_connect(
        live_server_process.port,
        school.host,
        f"/ws/progress/generation/{job.pk}/",
        cookie=session_cookie(school, school.teacher),
    ) as websocket:
        events = receive_until(
            websocket, lambda m: m.get("state") in ("done", "failed"), timeout=180
        )

    done = events[-1]
    assert done["state"] == "done", done
    assert all(e["topic"] == "generation" and e["key"] == str(job.pk) for e in events)
    assert done["total"] == 6 and done["created"] == wait_for_job(school, job.pk).created_count
    running = [e for e in events if e["state"] == "running"]
    assert running, events
    assert set(running[0]) == {"type", "topic", "key", "state", "done", "total", "duplicates",
                               "rejected"}  # fmt: skip
    counts = [e["done"] for e in running]
    assert counts == sorted(counts) and counts[-1] <= done["created"]


def test_students_and_other_schools_cannot_watch_a_job(live_server_process, taught, fresh_school):
    school, course, _ = taught()
    other = fresh_school()
    job = create(school, course, 1)
    path = f"/ws/progress/generation/{job.pk}/"
    port = live_server_process.port

    student = close_code_after_open(
        port, school.host, path, cookie=session_cookie(school, school.student)
    )
    outsider = close_code_after_open(
        port, other.host, path, cookie=session_cookie(other, other.teacher)
    )
    foreign_cookie = close_code_after_open(
        port, school.host, path, cookie=session_cookie(other, other.admin)
    )

    assert student == 4403
    assert outsider == 4403  # on its own host, school B has no such job
    assert foreign_cookie == 4401  # school B's session means nothing on school A's host
    wait_for_job(school, job.pk)


def test_jobs_of_two_schools_take_turns_on_the_queue(taught):
    first_school, first_course, _ = taught()
    second_school, second_course, _ = taught()

    first = create(first_school, first_course, 8, kinds=["single", "true_false"])
    second = create(second_school, second_course, 8, kinds=["single", "true_false"])
    first, second = wait_for_job(first_school, first.pk), wait_for_job(second_school, second.pk)

    assert first.state == second.state == "done"
    # Neither waited for the other to finish: the second started before the first ended.
    assert second.started_at < first.finished_at
    assert first.created_count >= 1 and second.created_count >= 1
    # Each school's bank holds its own job's questions and nothing else.
    for school, job in ((first_school, first), (second_school, second)):
        with schema_context(school.schema):
            generated = Question.objects.filter(origin="generated")
            assert generated.count() == job.created_count
            assert set(generated.values_list("generation_job_id", flat=True)) == {job.pk}


def test_regenerating_a_draft_replaces_it(taught):
    school, course, material = taught()
    job = wait_for_job(school, create(school, course, 2, kinds=["single"]).pk)
    old = job_questions(school, job)[0]

    with schema_context(school.schema):
        again = generation_question_regenerate(old, requested_by=school.teacher)
    again = wait_for_job(school, again.pk)

    assert again.state == "done" and again.count == 1 and again.replaces_id == old.pk
    (new,) = job_questions(school, again)
    assert new.kind == old.kind == "single"
    assert new.source_material_id == material.pk
    assert new.source_quote != old.source_quote
    with schema_context(school.schema):
        old.refresh_from_db()
    assert old.status == "rejected"
    assert old.rejection_reason == f"Replaced by question {new.pk}."
    assert new.status == "draft"


def test_a_job_whose_worker_died_is_picked_up_again_and_doubles_nothing(taught):
    from quizzes.tasks import requeue_stalled_generation_jobs

    school, course, _ = taught()
    job = wait_for_job(school, create(school, course, 3).pk)
    assert job.created_count == 3, (job.notes, job.rejections)
    made = {q.pk for q in job_questions(school, job)}
    with schema_context(school.schema):
        # As a worker killed after saving its last batch leaves it: running, heartbeat stale.
        GenerationJob.objects.filter(pk=job.pk).update(
            state="running", finished_at=None, heartbeat_at=timezone.now() - timedelta(hours=1)
        )
        assert generation_jobs_stalled() == [job.pk]

    assert requeue_stalled_generation_jobs() >= 1

    job = wait_for_job(school, job.pk)
    assert job.state == "done" and job.created_count == 3
    assert {q.pk for q in job_questions(school, job)} == made
    with schema_context(school.schema):
        assert generation_jobs_stalled() == []


def test_school_b_cannot_create_a_job_on_school_a_course(taught, fresh_school):
    school, course, _ = taught()
    other = fresh_school()
    client = other.client(other.teacher)

    response = client.post(
        f"/api/v1/courses/{course.pk}/generation-jobs/",
        {"count": 2},
        content_type="application/json",
    )

    assert response.status_code == 404
    with schema_context(other.schema):
        assert not GenerationJob.objects.exists()
    with schema_context(school.schema):
        assert not GenerationJob.objects.exists()
