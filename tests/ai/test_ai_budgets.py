"""AI budgets: a school's monthly generated questions and tutor questions. Asking for more than
is left is refused with the reset date and creates nothing; a job that makes fewer questions
than it reserved gives the rest back; two requests racing for the last questions cannot both
get them; the tutor over its budget says so on the websocket and with a 429 on the API."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django_tenants.utils import schema_context

from ai.models import TutorTurn
from ai.tutor import services as tutor
from courses.models import Material
from quizzes.generation.lifecycle import generation_job_create, generation_job_fail
from quizzes.generation.slices import generation_job_run
from quizzes.models import GenerationJob
from tenants.models import AIUsage, Plan
from tenants.quotas import (
    GENERATED_QUESTIONS,
    TUTOR_QUESTIONS,
    QuotaExceeded,
    ai_usage_reserve,
    month_start,
    next_reset,
)
from tests.fakes import openai_server as fake

from ..realtime.ws import receive_json, receive_until, session_cookie, ws_connect
from . import samples
from .conftest import course_with_people, ingest_in_process, upload

TEXT = "Mitochondria produce ATP through cellular respiration."
RESETS = f"{next_reset():%-d %B %Y} (UTC)"


def used(school, kind: str) -> int:
    with schema_context(school.schema):
        row = AIUsage.objects.filter(school=school.model, month=month_start()).first()
        return getattr(row, kind) if row else 0


def ready_course(school, code: str = "BUD-101"):
    """A course with one ready material (rows only: these tests are about the budget)."""
    course = course_with_people(school, code=code)
    with schema_context(school.schema):
        Material.objects.create(
            course=course,
            title="Cells",
            filename="cells.txt",
            kind="text",
            file="cells.txt",
            size_bytes=1,
            sha256=code.ljust(64, "0")[:64],
            state="ready",
        )
    return course


def create_job(school, course, count: int):
    with schema_context(school.schema):
        return generation_job_create(course=course, requested_by=school.teacher, count=count)


# --- generated questions ------------------------------------------------------------------------


def test_asking_for_more_questions_than_are_left_is_refused_with_the_reset_date(school_a, settings):
    settings.AI_DEFAULT_MONTHLY_GENERATED_QUESTIONS = 10
    course = ready_course(school_a)
    create_job(school_a, course, 7)

    with pytest.raises(QuotaExceeded) as caught:
        create_job(school_a, course, 4)

    assert caught.value.message == (
        "Your school has 3 of its 10 generated questions left this month and this needs 4. "
        f"Ask for at most 3, or wait until the budget resets on {RESETS}."
    )
    assert caught.value.resets_at == next_reset()
    with schema_context(school_a.schema):
        assert GenerationJob.objects.filter(course=course).count() == 1
    assert used(school_a, GENERATED_QUESTIONS) == 7


def test_a_spent_budget_says_so_and_nothing_is_created(school_a, settings):
    settings.AI_DEFAULT_MONTHLY_GENERATED_QUESTIONS = 5
    course = ready_course(school_a)
    create_job(school_a, course, 5)

    with pytest.raises(QuotaExceeded) as caught:
        create_job(school_a, course, 1)

    assert "used all 5 generated questions" in caught.value.message
    assert RESETS in caught.value.message
    with schema_context(school_a.schema):
        assert GenerationJob.objects.filter(course=course).count() == 1


def test_the_plan_sets_the_limit_and_zero_means_unlimited(school_a, settings):
    settings.AI_DEFAULT_MONTHLY_GENERATED_QUESTIONS = 1
    course = ready_course(school_a)
    with schema_context(school_a.schema):
        school_a.model.plan = Plan.objects.create(name="Unlimited", monthly_generated_questions=0)
        school_a.model.save(update_fields=["plan"])
    try:
        create_job(school_a, course, 40)
        create_job(school_a, course, 40)
        assert used(school_a, GENERATED_QUESTIONS) == 80
    finally:
        school_a.model.plan = None
        with schema_context(school_a.schema):
            school_a.model.save(update_fields=["plan"])


@pytest.mark.parametrize(
    "request_, field, message",
    [
        ({"count": 0}, "count", "Ask for 1 to 50 questions (0 asked)."),
        ({"count": 51}, "count", "Ask for 1 to 50 questions (51 asked)."),
        (
            {"kinds": ["essay"]},
            "kinds",
            "Unknown question type 'essay'; use one of single, multiple, true_false, "
            "short_answer, numeric, fill_blank.",
        ),
        (
            {"difficulty": "brutal"},
            "difficulty",
            "Difficulty is one of easy, medium, hard, mixed.",
        ),
        ({"material_ids": [999999]}, "material_ids", "Material 999999 is not part of this course."),
        ({"topic": "x" * 301}, "topic", "The topic can be at most 300 characters."),
    ],
)
def test_a_refused_request_says_why_and_reserves_nothing(
    school_a, settings, request_, field, message
):
    settings.AI_DEFAULT_MONTHLY_GENERATED_QUESTIONS = 100
    course = ready_course(school_a)
    arguments = {"count": 2, **request_}

    with schema_context(school_a.schema), pytest.raises(ValidationError) as caught:
        generation_job_create(course=course, requested_by=school_a.teacher, **arguments)

    assert caught.value.message_dict == {field: [message]}
    assert used(school_a, GENERATED_QUESTIONS) == 0
    with schema_context(school_a.schema):
        assert not GenerationJob.objects.filter(course=course).exists()


def test_material_that_is_not_ready_or_a_course_without_any_is_refused(school_a):
    bare = course_with_people(school_a, code="BUD-BARE")
    with schema_context(school_a.schema):
        with pytest.raises(ValidationError) as caught:
            generation_job_create(course=bare, count=1)
        assert caught.value.messages == [
            "This course has no ready material to write questions from. Upload material and "
            "wait until it shows as ready."
        ]
        pending = Material.objects.create(
            course=bare, title="Notes", filename="n.txt", kind="text", file="n.txt",
            size_bytes=1, sha256="e" * 64, state="embedding",
        )  # fmt: skip
        with pytest.raises(ValidationError) as caught:
            generation_job_create(course=bare, count=1, material_ids=[pending.pk])
        assert caught.value.message_dict == {
            "material_ids": [
                "“Notes” is not ready yet (it is embedding); generate from it once it is ready."
            ]
        }
    assert used(school_a, GENERATED_QUESTIONS) == 0


def test_school_b_budget_is_its_own(school_a, school_b, settings):
    settings.AI_DEFAULT_MONTHLY_GENERATED_QUESTIONS = 5
    create_job(school_a, ready_course(school_a), 5)

    create_job(school_b, ready_course(school_b, code="BUD-B"), 5)

    assert used(school_a, GENERATED_QUESTIONS) == used(school_b, GENERATED_QUESTIONS) == 5


def test_questions_a_job_did_not_make_are_given_back(school_a, settings, openai_server, tmp_path):
    openai_server.use_for(settings)
    settings.AI_DEFAULT_MONTHLY_GENERATED_QUESTIONS = 10
    course = course_with_people(school_a, code="BUD-RUN")
    material, _ = upload(school_a, course, samples.text_file(tmp_path, TEXT))
    ingest_in_process(school_a, material.pk)
    question = {
        "kind": "single",
        "stem": "What do mitochondria produce?",
        "options": [
            {"text": "ATP", "correct": True, "feedback": ""},
            {"text": "Starch", "correct": False, "feedback": ""},
        ],
        "accepted_answers": [],
        "numeric_value": None,
        "tolerance": None,
        "unit": None,
        "explanation": "",
        "source_id": 1,
        "evidence": TEXT,
        "difficulty": "easy",
        "topic": "",
    }
    openai_server.script(fake.reply_json({"questions": [question]}))
    job = create_job(school_a, course, 6)
    assert used(school_a, GENERATED_QUESTIONS) == 6

    with schema_context(school_a.schema):
        while generation_job_run(job.pk, report=lambda payload: None) == "more":
            pass
        job.refresh_from_db()

    assert job.state == "done" and job.created_count == 1
    assert used(school_a, GENERATED_QUESTIONS) == 1
    # Running the finished job again gives nothing back twice.
    with schema_context(school_a.schema):
        assert generation_job_run(job.pk, report=lambda payload: None) == "done"
    assert used(school_a, GENERATED_QUESTIONS) == 1


def test_a_failed_job_gives_its_whole_reservation_back_once(school_a, settings):
    settings.AI_DEFAULT_MONTHLY_GENERATED_QUESTIONS = 10
    job = create_job(school_a, ready_course(school_a), 4)
    events = []

    with schema_context(school_a.schema):
        generation_job_fail(job.pk, reason="The worker stopped.", report=events.append)
        generation_job_fail(job.pk, reason="The worker stopped.", report=events.append)
        job.refresh_from_db()

    assert job.state == "failed" and job.error == "The worker stopped."
    assert used(school_a, GENERATED_QUESTIONS) == 0
    assert events == [{"state": "failed", "error": "The worker stopped.", "created": 0}]


def test_two_requests_racing_for_the_last_questions_cannot_both_get_them(
    celery_worker_process, fresh_school, committed, settings
):
    settings.AI_DEFAULT_MONTHLY_GENERATED_QUESTIONS = 10
    school = fresh_school()
    course = ready_course(school)
    start = threading.Barrier(2)
    outcomes = []

    def ask():
        start.wait()
        try:
            outcomes.append(create_job(school, course, 6).pk)
        except QuotaExceeded as exc:
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    refused = [o for o in outcomes if isinstance(o, QuotaExceeded)]
    assert len(outcomes) == 2 and len(refused) == 1
    assert "4 of its 10 generated questions left" in refused[0].message
    with schema_context(school.schema):
        assert GenerationJob.objects.filter(course=course).count() == 1
    with schema_context(school.schema):
        job = GenerationJob.objects.get(course=course)
    # The job finds no passages (the material has none) and gives its 6 back.
    _wait_finished(school, job.pk)
    assert used(school, GENERATED_QUESTIONS) == 0


def _wait_finished(school, job_id, timeout=60):
    import time

    deadline = time.monotonic() + timeout
    with schema_context(school.schema):
        while not GenerationJob.objects.get(pk=job_id).is_finished:
            assert time.monotonic() < deadline, "the job did not finish"
            time.sleep(0.2)


# --- tutor questions ------------------------------------------------------------------------------


def test_every_tutor_question_counts_once(school_a, settings):
    settings.AI_DEFAULT_MONTHLY_TUTOR_QUESTIONS = 5
    course = course_with_people(school_a, code="TUT-1")
    with schema_context(school_a.schema):
        tutor.tutor_turn_create(course=course, asked_by=school_a.student, question="Why?")
        tutor.tutor_turn_create(course=course, asked_by=school_a.student, question="How?")
    assert used(school_a, TUTOR_QUESTIONS) == 2


def test_the_tutor_over_its_budget_refuses_with_the_reset_date_and_records_nothing(
    school_a, settings
):
    settings.AI_DEFAULT_MONTHLY_TUTOR_QUESTIONS = 1
    course = course_with_people(school_a, code="TUT-2")
    with schema_context(school_a.schema):
        tutor.tutor_turn_create(course=course, asked_by=school_a.student, question="Why?")

        with pytest.raises(QuotaExceeded) as caught:
            tutor.tutor_turn_create(course=course, asked_by=school_a.student, question="How?")

        assert TutorTurn.objects.filter(course=course).count() == 1
    assert "used all 1 tutor questions" in caught.value.message and RESETS in caught.value.message


def test_the_api_answers_429_quota_exceeded_with_the_reset_date(school_a, settings):
    settings.AI_DEFAULT_MONTHLY_TUTOR_QUESTIONS = 1
    course = course_with_people(school_a, code="TUT-3")
    with schema_context(school_a.schema):
        ai_usage_reserve(TUTOR_QUESTIONS, 1)

    response = school_a.client(school_a.student).post(
        f"/api/v1/courses/{course.pk}/tutor/",
        {"question": "What do mitochondria produce?"},
        content_type="application/json",
    )

    assert response.status_code == 429
    error = response.json()["error"]
    assert error["code"] == "quota_exceeded"
    assert RESETS in error["message"]
    assert error["resets_at"] == next_reset().isoformat().replace("+00:00", "Z")
    assert (error["limit"], error["used"]) == (1, 1)
    assert int(response["Retry-After"]) > 0
    with schema_context(school_a.schema):
        assert not TutorTurn.objects.filter(course=course).exists()


def test_the_tutors_tokens_are_recorded_for_the_school(school_a, settings, openai_server, tmp_path):
    openai_server.use_for(settings)
    # The fake provider's vectors carry no meaning, so no sentence would pass the answerability
    # check's similarity floor; this test is about the model's tokens.
    settings.TUTOR_MIN_SIMILARITY = -1.0
    course = course_with_people(school_a, code="TUT-4")
    material, _ = upload(school_a, course, samples.text_file(tmp_path, TEXT))
    ingest_in_process(school_a, material.pk)
    before = (used(school_a, "prompt_tokens"), used(school_a, "completion_tokens"))

    with schema_context(school_a.schema):
        turn = tutor.tutor_turn_create(
            course=course, asked_by=school_a.student, question="What do mitochondria produce?"
        )
        turn = tutor.tutor_answer(turn.pk, emit=lambda event: None)

    assert turn.provider == "openai/gpt-4o-mini"
    assert turn.completion_tokens == fake.count_tokens(fake.DEFAULT_CHAT_REPLY)
    after = (used(school_a, "prompt_tokens"), used(school_a, "completion_tokens"))
    assert (after[0] - before[0], after[1] - before[1]) == (
        turn.prompt_tokens,
        turn.completion_tokens,
    )
    assert turn.prompt_tokens > 0


@pytest.mark.live
def test_the_tutor_socket_says_the_budget_is_spent(live_server_process, fresh_school, committed):
    school = fresh_school()
    course = course_with_people(school, code="TUT-WS")
    with schema_context(school.schema):
        school.model.plan = Plan.objects.create(
            name=f"Tiny {school.schema}", monthly_tutor_questions=1
        )
        school.model.save(update_fields=["plan"])
        ai_usage_reserve(TUTOR_QUESTIONS, 1)

    with ws_connect(
        live_server_process.port,
        school.host,
        f"/ws/courses/{course.pk}/tutor/",
        cookie=session_cookie(school, school.student),
    ) as websocket:
        websocket.send('{"type": "ask", "question": "What do mitochondria produce?"}')
        error = receive_json(websocket)
        websocket.send('{"type": "ping"}')
        after = receive_until(websocket, lambda m: m["type"] == "pong", timeout=10)

    assert error["type"] == "error" and "turn" not in error
    assert "used all 1 tutor questions" in error["message"] and RESETS in error["message"]
    assert after == [{"type": "pong"}]  # the conversation stays open
    with schema_context(school.schema):
        assert not TutorTurn.objects.exists()
