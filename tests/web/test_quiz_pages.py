"""The question-bank and quiz pages: a course's teachers and the school's admins generate
questions, review each draft beside the passage it came from (edit in place, accept, reject,
bulk accept, add to a quiz) and set up quizzes; students see published quizzes only; nobody
outside the course or the school sees or touches any of it. Question text is shown only as
sanitised HTML."""

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django_tenants.utils import schema_context

from accounts import services as account_services
from ai.models import Chunk
from courses import services as course_services
from courses.models import Material
from quizzes import services
from quizzes.models import GenerationJob, Question, QuestionVersion, Quiz, QuizItem
from tests.quizzes.conftest import VALID, course_in, show_in_attempt

from .conftest import text

HTMX = {"HX-Request": "true"}
PASSAGE = "Mitochondria are the powerhouses of the cell. They produce ATP from glucose."


def _question(course, by, kind="single", **overrides):
    content = {**VALID[kind], **overrides}
    return services.question_create(course=course, kind=kind, created_by=by, **content)


def _ready_material(school, course, title="Cells"):
    """A material marked ready with one passage (the pipeline itself is not under test)."""
    material, _ = course_services.material_upload(
        course=course,
        upload=SimpleUploadedFile(f"{title}.txt", PASSAGE.encode()),
        uploaded_by=school.teacher,
    )
    Material.objects.filter(pk=material.pk).update(state=Material.State.READY, chunk_count=1)
    chunk = Chunk.objects.create(
        material=material,
        course=course,
        ordinal=0,
        page=2,
        section="Mitochondria",
        text=PASSAGE,
        token_count=16,
    )
    material.refresh_from_db()
    return material, chunk


def _generated(course, material, chunk, job=None, **overrides):
    return services.question_create(
        course=course,
        kind="single",
        origin=Question.Origin.GENERATED,
        source={
            "chunk_id": chunk.pk,
            "material_id": material.pk,
            "page": chunk.page,
            "section": chunk.section,
            "quote": "They produce ATP from glucose.",
        },
        generation_job=job,
        **{**VALID["single"], **overrides},
    )


@pytest.fixture
def biology(school_a):
    return course_in(school_a)


@pytest.fixture
def quiz(school_a, biology):
    with schema_context(school_a.schema):
        return services.quiz_create(course=biology, title="Cells quiz", created_by=school_a.teacher)


def _base(course) -> str:
    return f"/courses/{course.pk}"


# --- who may open what -------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["teacher", "admin"])
def test_each_page_opens_for_the_courses_teacher_and_the_schools_admin(
    school_a, biology, quiz, persona
):
    with schema_context(school_a.schema):
        question = _question(biology, school_a.teacher)
        job = GenerationJob.objects.create(course=biology, count=5, kinds=["single"])
    client = school_a.client(getattr(school_a, persona))
    base = _base(biology)

    pages = {
        f"{base}/questions/": "Question bank",
        f"{base}/questions/generate/": "Generate questions",
        f"{base}/questions/jobs/{job.pk}/": "5 questions",
        f"{base}/quizzes/": "Quizzes",
        f"{base}/quizzes/{quiz.pk}/": "Cells quiz",
    }
    for url, heading in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert heading in text(response), url
    edit = client.get(f"{base}/questions/{question.pk}/edit/")
    assert edit.status_code == 200
    assert "Edit question #" in text(edit)


@pytest.mark.django_db
def test_the_course_navigation_links_questions_for_managers_and_quizzes_for_everyone(
    school_a, biology
):
    teacher_page = school_a.client(school_a.teacher).get(f"{_base(biology)}/").content.decode()
    student_page = school_a.client(school_a.student).get(f"{_base(biology)}/").content.decode()
    assert f'href="{_base(biology)}/questions/"' in teacher_page
    assert f'href="{_base(biology)}/quizzes/"' in teacher_page
    assert f'href="{_base(biology)}/questions/"' not in student_page
    assert f'href="{_base(biology)}/quizzes/"' in student_page


@pytest.mark.django_db
def test_a_student_is_refused_the_bank_generation_and_every_question_action(school_a, biology):
    with schema_context(school_a.schema):
        question = _question(biology, school_a.teacher)
    client = school_a.client(school_a.student)
    base = _base(biology)

    assert client.get(f"{base}/questions/").status_code == 403
    assert client.get(f"{base}/questions/generate/").status_code == 403
    assert client.get(f"{base}/questions/{question.pk}/edit/").status_code == 403
    for action in ("accept", "reject", "regenerate"):
        assert client.post(f"{base}/questions/{question.pk}/{action}/").status_code == 403
    assert (
        client.post(
            f"{base}/questions/bulk/", {"ids": [question.pk], "action": "accept"}
        ).status_code
        == 403
    )
    assert client.post(f"{base}/quizzes/", {"title": "Mine"}).status_code == 403

    with schema_context(school_a.schema):
        question.refresh_from_db()
        assert question.status == Question.Status.DRAFT
        assert not Quiz.objects.filter(course=biology).exists()
        assert not GenerationJob.objects.filter(course=biology).exists()


@pytest.mark.django_db
def test_a_student_sees_only_published_quizzes_and_no_answer_key(school_a, biology):
    with schema_context(school_a.schema):
        question = _question(biology, school_a.teacher)
        draft = services.quiz_create(course=biology, title="Still a draft")
        published = services.quiz_create(
            course=biology, title="Ready to take", time_limit_minutes=20
        )
        services.quiz_questions_add(published, [question.pk])
        services.quiz_publish(published)
    client = school_a.client(school_a.student)

    listing = client.get(f"{_base(biology)}/quizzes/")
    assert listing.status_code == 200
    page = text(listing)
    assert "Ready to take" in page and "Still a draft" not in page
    assert "20 minutes · 1 attempt · Feedback: when the attempt is submitted" in page
    assert "Create quiz" not in page

    assert client.get(f"{_base(biology)}/quizzes/{draft.pk}/").status_code == 404
    detail = client.get(f"{_base(biology)}/quizzes/{published.pk}/")
    assert detail.status_code == 200
    assert "1 question" in text(detail)
    assert "Mitochondrion" not in text(detail)  # options and the key stay with the teachers
    assert (
        client.post(f"{_base(biology)}/quizzes/{published.pk}/", {"title": "x"}).status_code == 403
    )


@pytest.mark.django_db
def test_a_teacher_of_another_course_gets_404_for_this_courses_pages_and_ids(school_a, biology):
    with schema_context(school_a.schema):
        other_teacher = account_services.user_create(
            username="alpha-teacher2", role="teacher", password="x-correct-horse"
        )
        chemistry = course_services.course_create(
            code="CHEM-1", name="Chemistry", created_by=other_teacher
        )
        question = _question(biology, school_a.teacher)
        bio_quiz = services.quiz_create(course=biology, title="Bio quiz")
    client = school_a.client(other_teacher)

    for url in (
        f"{_base(biology)}/questions/",
        f"{_base(biology)}/questions/generate/",
        f"{_base(biology)}/quizzes/",
        f"{_base(biology)}/quizzes/{bio_quiz.pk}/",
        # Their own course's URL with this course's ids finds nothing either.
        f"{_base(chemistry)}/questions/{question.pk}/edit/",
        f"{_base(chemistry)}/quizzes/{bio_quiz.pk}/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"{_base(chemistry)}/questions/{question.pk}/accept/").status_code == 404
    with schema_context(school_a.schema):
        question.refresh_from_db()
        assert question.status == Question.Status.DRAFT


@pytest.mark.django_db
def test_school_b_cannot_see_or_touch_school_a_questions_quizzes_or_jobs(
    school_a, school_b, biology
):
    with schema_context(school_a.schema):
        question = _question(biology, school_a.teacher)
        a_quiz = services.quiz_create(course=biology, title="Alpha quiz")
        job = GenerationJob.objects.create(course=biology, count=3, kinds=["single"])
    with schema_context(school_b.schema):
        b_course = course_services.course_create(
            code="B-1", name="Beta course", created_by=school_b.teacher
        )
    client = school_b.client(school_b.teacher)
    base = _base(b_course)

    for url in (
        f"{base}/questions/{question.pk}/edit/",
        f"{base}/quizzes/{a_quiz.pk}/",
        f"{base}/questions/jobs/{job.pk}/",
        f"{base}/questions/jobs/{job.pk}/panel/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"{base}/questions/{question.pk}/accept/").status_code == 404
    assert client.post(f"{base}/quizzes/{a_quiz.pk}/publish/").status_code == 404
    bank = client.get(f"{base}/questions/")
    assert bank.status_code == 200 and "Which organelle" not in text(bank)
    # B's session is no session on A's host.
    stolen = school_a.client()
    stolen.cookies = client.cookies
    assert stolen.get(f"{_base(biology)}/questions/").status_code == 302
    with schema_context(school_a.schema):
        question.refresh_from_db()
        assert question.status == Question.Status.DRAFT


# --- generation --------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_generation_form_creates_a_job_and_shows_it_with_its_live_progress(
    school_a, biology, django_capture_on_commit_callbacks
):
    with schema_context(school_a.schema):
        material, _ = _ready_material(school_a, biology)
    client = school_a.client(school_a.teacher)
    form = client.get(f"{_base(biology)}/questions/generate/")
    assert "Cells" in text(form)
    assert re.search(
        r"Your school has \d+ of its \d+ generated questions left this month", text(form)
    )

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            f"{_base(biology)}/questions/generate/",
            {
                "materials": [material.pk],
                "count": 6,
                "kinds": ["single", "true_false"],
                "difficulty": "hard",
                "topic": "cell respiration",
                "objectives": "Explain ATP\n\n  Name organelles  ",
            },
        )

    with schema_context(school_a.schema):
        job = GenerationJob.objects.get(course=biology)
        assert (job.count, job.kinds, job.difficulty, job.topic) == (
            6,
            ["single", "true_false"],
            "hard",
            "cell respiration",
        )
        assert job.objectives == ["Explain ATP", "Name organelles"]
        assert list(job.materials.values_list("pk", flat=True)) == [material.pk]
        assert job.requested_by == school_a.teacher
    assert len(callbacks) == 1  # the gpu task, queued after commit
    assert response.status_code == 302
    assert response["Location"] == f"{_base(biology)}/questions/jobs/{job.pk}/"
    page = client.get(response["Location"])
    html = page.content.decode()
    assert f'data-ws-path="/ws/progress/generation/{job.pk}/"' in html
    assert f'data-panel-url="{_base(biology)}/questions/jobs/{job.pk}/panel/"' in html
    assert "Your request is queued; it starts when a worker is free." in text(page)


@pytest.mark.django_db
def test_a_finished_job_panel_counts_what_it_made_and_links_to_its_drafts(school_a, biology):
    with schema_context(school_a.schema):
        material, chunk = _ready_material(school_a, biology)
        job = GenerationJob.objects.create(
            course=biology,
            count=4,
            kinds=["single"],
            state=GenerationJob.State.DONE,
            created_count=2,
            duplicate_count=1,
            rejected_count=1,
            rejections=[{"reason": "The key is not in the passage.", "stem": "What is X?"}],
        )
        _generated(biology, material, chunk, job)
        _generated(biology, material, chunk, job, stem="Where is ATP made, mostly?")
    response = school_a.client(school_a.teacher).get(
        f"{_base(biology)}/questions/jobs/{job.pk}/panel/"
    )
    page = text(response)
    assert "2 Made 1 Duplicates dropped 1 Rejected by the checks" in page
    assert "Review 2 drafts" in page
    assert f'href="{_base(biology)}/questions/?job={job.pk}&amp;status=draft"' in (
        response.content.decode()
    )
    assert "“What is X?” — The key is not in the passage." in page


@pytest.mark.django_db
@override_settings(AI_DEFAULT_MONTHLY_GENERATED_QUESTIONS=5)
def test_asking_for_more_than_the_budget_explains_it_with_the_reset_date_and_keeps_the_form(
    school_a, biology
):
    with schema_context(school_a.schema):
        _ready_material(school_a, biology)
    response = school_a.client(school_a.teacher).post(
        f"{_base(biology)}/questions/generate/",
        {"count": 8, "kinds": ["single"], "difficulty": "medium", "topic": "glycolysis"},
    )
    assert response.status_code == 400
    page = text(response)
    assert (
        "Your school has 5 of its 5 generated questions left this month and this needs 8." in page
    )
    assert "wait until the budget resets on 1 " in page
    assert 'value="glycolysis"' in response.content.decode()
    with schema_context(school_a.schema):
        assert not GenerationJob.objects.filter(course=biology).exists()


@pytest.mark.django_db
def test_the_generation_form_asks_for_a_question_type(school_a, biology):
    with schema_context(school_a.schema):
        _ready_material(school_a, biology)
    response = school_a.client(school_a.teacher).post(
        f"{_base(biology)}/questions/generate/", {"count": 3, "difficulty": "easy"}
    )
    assert response.status_code == 400
    assert "Choose at least one question type." in text(response)


# --- reviewing ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_each_draft_is_shown_beside_its_source_passage_with_a_link_to_it(school_a, biology):
    with schema_context(school_a.schema):
        material, chunk = _ready_material(school_a, biology)
        question = _generated(biology, material, chunk)
    response = school_a.client(school_a.teacher).get(f"{_base(biology)}/questions/")
    html = response.content.decode()
    card = html[html.index(f'id="question-{question.pk}"') :]
    source = card[card.index('class="qsource"') : card.index("</aside>")]
    assert "Cells" in source and "Page 2" in source and "Mitochondria" in source
    assert "They produce ATP from glucose." in source
    assert (
        f'href="{_base(biology)}/materials/{material.pk}/?chunk={chunk.pk}#chunk-{chunk.pk}"'
        in source
    )
    assert "Version 1" in card


@pytest.mark.django_db
def test_the_bank_costs_the_same_queries_for_three_questions_as_for_twelve(school_a, biology):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with schema_context(school_a.schema):
        material, chunk = _ready_material(school_a, biology)
        for n in range(3):
            _generated(biology, material, chunk, stem=f"Question number {n} about cells?")
    client = school_a.client(school_a.teacher)
    url = f"{_base(biology)}/questions/"
    client.get(url)  # warm the session and the site caches

    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    with schema_context(school_a.schema):
        for _ in range(9):
            show_in_attempt(_question(biology, school_a.teacher), school_a.student)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200

    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


@pytest.mark.django_db
def test_the_bank_filters_by_status_kind_topic_difficulty_and_job(school_a, biology):
    with schema_context(school_a.schema):
        job = GenerationJob.objects.create(course=biology, count=1, kinds=["numeric"])
        single = _question(biology, school_a.teacher, topic="Cells", difficulty="easy")
        numeric = _question(biology, school_a.teacher, "numeric", topic="Heat")
        Question.objects.filter(pk=numeric.pk).update(generation_job=job)
        services.question_accept(single)
    client = school_a.client(school_a.teacher)

    def ids(query):
        html = client.get(f"{_base(biology)}/questions/?{query}").content.decode()
        return {int(i) for i in re.findall(r'data-question-id="(\d+)"', html)}

    assert ids("") == {single.pk, numeric.pk}
    assert ids("status=accepted") == {single.pk}
    assert ids("kind=numeric") == {numeric.pk}
    assert ids("topic=cells") == {single.pk}
    assert ids("difficulty=easy") == {single.pk}
    assert ids(f"job={job.pk}") == {numeric.pk}
    assert ids("status=nonsense") == {single.pk, numeric.pk}


@pytest.mark.django_db
def test_edit_in_place_swaps_the_card_for_a_form_saves_and_swaps_back(school_a, biology):
    with schema_context(school_a.schema):
        question = _question(biology, school_a.teacher)
    client = school_a.client(school_a.teacher)
    url = f"{_base(biology)}/questions/{question.pk}/edit/"
    prefix = f"q{question.pk}-"

    form = client.get(url, headers=HTMX)
    assert form.status_code == 200
    form_html = form.content.decode()
    assert "<html" not in form_html  # a partial for the card's place
    assert f'name="{prefix}stem"' in form_html and "Mitochondrion" in form_html

    response = client.post(
        url,
        {
            f"{prefix}stem": "Which organelle makes **most** ATP?",
            f"{prefix}option_0": "Mitochondrion",
            f"{prefix}correct_0": "on",
            f"{prefix}feedback_0": "",
            f"{prefix}option_1": "Ribosome",
            f"{prefix}option_2": "Golgi apparatus",
            f"{prefix}option_3": "",
            f"{prefix}explanation": "Cellular respiration happens there.",
            f"{prefix}topic": "Organelles",
            f"{prefix}objective": "",
            f"{prefix}difficulty": "hard",
        },
        headers=HTMX,
    )

    assert response.status_code == 200
    card = response.content.decode()
    assert card.lstrip().startswith("<article") and f'id="question-{question.pk}"' in card
    assert "Which organelle makes <strong>most</strong> ATP?" in card
    assert "Golgi apparatus" in card and "Saved." in card
    assert "Version 1" in card and "Edited after students saw it" not in card
    with schema_context(school_a.schema):
        question.refresh_from_db()
        version = question.current_version
        assert version.number == 1
        assert [(o["text"], o["correct"]) for o in version.options] == [
            ("Mitochondrion", True),
            ("Ribosome", False),
            ("Golgi apparatus", False),
        ]
        assert (question.topic, question.difficulty) == ("Organelles", "hard")


@pytest.mark.django_db
def test_editing_a_question_a_student_has_seen_makes_version_2_and_the_attempt_keeps_version_1(
    school_a, biology
):
    with schema_context(school_a.schema):
        question = _question(biology, school_a.teacher, "short_answer")
        seen = show_in_attempt(question, school_a.student)
    client = school_a.client(school_a.teacher)
    url = f"{_base(biology)}/questions/{question.pk}/edit/"
    prefix = f"q{question.pk}-"
    assert "Students have already seen version 1." in text(client.get(url, headers=HTMX))

    response = client.post(
        url,
        {
            f"{prefix}stem": "Name the energy currency of the cell.",
            f"{prefix}accepted": "ATP\nadenosine triphosphate",
            f"{prefix}explanation": "",
            f"{prefix}topic": "",
            f"{prefix}objective": "",
            f"{prefix}difficulty": "medium",
        },
        headers=HTMX,
    )

    assert response.status_code == 200
    page = text(response)
    assert "Version 2" in page and "Edited after students saw it: version 2" in page
    assert "Saved as version 2; attempts already made keep version 1." in page
    with schema_context(school_a.schema):
        question.refresh_from_db()
        seen.refresh_from_db()
        assert question.current_version.number == 2
        assert seen.version.number == 1
        assert seen.version.stem == VALID["short_answer"]["stem"]


@pytest.mark.django_db
def test_a_refused_edit_shows_the_reason_in_the_card_and_keeps_what_was_typed(school_a, biology):
    with schema_context(school_a.schema):
        question = _question(biology, school_a.teacher)
    prefix = f"q{question.pk}-"
    response = school_a.client(school_a.teacher).post(
        f"{_base(biology)}/questions/{question.pk}/edit/",
        {
            f"{prefix}stem": "My half-typed new wording",
            f"{prefix}option_0": "Mitochondrion",
            f"{prefix}option_1": "Ribosome",
            f"{prefix}option_2": "Chloroplast",
            f"{prefix}explanation": "",
            f"{prefix}topic": "",
            f"{prefix}objective": "",
            f"{prefix}difficulty": "medium",
        },
        headers=HTMX,
    )

    assert response.status_code == 422
    html = response.content.decode()
    assert "A one-answer question needs exactly one correct option (0 marked)." in text(response)
    assert "My half-typed new wording</textarea>" in html
    assert 'value="Chloroplast"' in html
    with schema_context(school_a.schema):
        question.refresh_from_db()
        assert question.current_version.stem == VALID["single"]["stem"]
        assert QuestionVersion.objects.filter(question=question).count() == 1


@pytest.mark.django_db
def test_a_plain_form_edit_without_scripts_saves_and_returns_to_the_bank(school_a, biology):
    with schema_context(school_a.schema):
        question = _question(biology, school_a.teacher, "numeric")
    prefix = f"q{question.pk}-"
    back = f"{_base(biology)}/questions/?kind=numeric"
    response = school_a.client(school_a.teacher).post(
        f"{_base(biology)}/questions/{question.pk}/edit/",
        {
            "next": back,
            f"{prefix}stem": "At what temperature (°C) does water boil at sea level?",
            f"{prefix}value": "100",
            f"{prefix}tolerance": "1",
            f"{prefix}unit": "°C",
            f"{prefix}explanation": "",
            f"{prefix}topic": "",
            f"{prefix}objective": "",
            f"{prefix}difficulty": "easy",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"{back}#question-{question.pk}"
    with schema_context(school_a.schema):
        question.refresh_from_db()
        assert question.current_version.answer == {"value": 100.0, "tolerance": 1.0, "unit": "°C"}


@pytest.mark.django_db
def test_accept_and_reject_with_a_reason_swap_the_card(school_a, biology):
    with schema_context(school_a.schema):
        keep = _question(biology, school_a.teacher)
        drop = _question(biology, school_a.teacher, "true_false")
    client = school_a.client(school_a.teacher)

    accepted = client.post(f"{_base(biology)}/questions/{keep.pk}/accept/", headers=HTMX)
    rejected = client.post(
        f"{_base(biology)}/questions/{drop.pk}/reject/",
        {"reason": "  Too easy   for this class "},
        headers=HTMX,
    )

    assert accepted.status_code == 200 and 'data-status="accepted"' in accepted.content.decode()
    assert "Rejected because: Too easy for this class" in text(rejected)
    with schema_context(school_a.schema):
        keep.refresh_from_db()
        drop.refresh_from_db()
        assert keep.status == Question.Status.ACCEPTED
        assert (drop.status, drop.rejection_reason) == ("rejected", "Too easy for this class")


@pytest.mark.django_db
def test_regenerate_starts_a_one_question_job_and_the_card_shows_it_is_being_replaced(
    school_a, biology, django_capture_on_commit_callbacks
):
    with schema_context(school_a.schema):
        material, chunk = _ready_material(school_a, biology)
        question = _generated(biology, material, chunk)
    client = school_a.client(school_a.teacher)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            f"{_base(biology)}/questions/{question.pk}/regenerate/", headers=HTMX
        )

    with schema_context(school_a.schema):
        job = GenerationJob.objects.get(course=biology)
    assert (job.count, job.kinds, job.replaces_id) == (1, ["single"], question.pk)
    assert len(callbacks) == 1
    card = response.content.decode()
    assert "Being replaced: a new question is being generated from the same passage" in text(
        response
    )
    # The card asks for itself again until the replacement is there.
    assert f'hx-get="{_base(biology)}/questions/{question.pk}/?next=' in card
    assert 'hx-trigger="every 3s"' in card
    assert "Regenerate" not in text(response)

    with schema_context(school_a.schema):
        GenerationJob.objects.filter(pk=job.pk).update(state=GenerationJob.State.DONE)
        new = _generated(biology, material, chunk, job, stem="Which organelle holds the DNA?")
    later = client.get(f"{_base(biology)}/questions/{question.pk}/", headers=HTMX)
    assert f"Replacement ready: question #{new.pk}" in text(later)
    assert "every 3s" not in later.content.decode()


@pytest.mark.django_db
def test_bulk_accept_accepts_the_selected_drafts_only(school_a, biology):
    with schema_context(school_a.schema):
        first = _question(biology, school_a.teacher)
        second = _question(biology, school_a.teacher, "numeric")
        left = _question(biology, school_a.teacher, "true_false")
    client = school_a.client(school_a.teacher)
    response = client.post(
        f"{_base(biology)}/questions/bulk/",
        {"ids": [first.pk, second.pk], "action": "accept", "next": f"{_base(biology)}/questions/"},
    )
    assert response.status_code == 302
    assert "Accepted 2 questions." in text(client.get(response["Location"]))
    with schema_context(school_a.schema):
        statuses = dict(Question.objects.filter(course=biology).values_list("pk", "status"))
    assert statuses == {first.pk: "accepted", second.pk: "accepted", left.pk: "draft"}


@pytest.mark.django_db
def test_the_selected_questions_go_into_a_new_quiz(school_a, biology):
    with schema_context(school_a.schema):
        first = _question(biology, school_a.teacher)
        second = _question(biology, school_a.teacher, "fill_blank")
    response = school_a.client(school_a.teacher).post(
        f"{_base(biology)}/questions/bulk/",
        {"ids": [second.pk, first.pk], "action": "add", "quiz": "", "new_title": "Week 1"},
    )
    with schema_context(school_a.schema):
        quiz = Quiz.objects.get(course=biology)
        assert quiz.title == "Week 1" and quiz.state == Quiz.State.DRAFT
        assert list(quiz.items.values_list("question_id", flat=True)) == [second.pk, first.pk]
        assert set(Question.objects.filter(course=biology).values_list("status", flat=True)) == {
            "accepted"
        }
    assert response["Location"] == f"{_base(biology)}/quizzes/{quiz.pk}/"


@pytest.mark.django_db
def test_adding_a_rejected_question_to_a_quiz_is_refused_with_the_selection_kept(
    school_a, biology, quiz
):
    with schema_context(school_a.schema):
        good = _question(biology, school_a.teacher)
        bad = _question(biology, school_a.teacher, "true_false")
        services.question_reject(bad)
    response = school_a.client(school_a.teacher).post(
        f"{_base(biology)}/questions/bulk/",
        {"ids": [good.pk, bad.pk], "action": "add", "quiz": str(quiz.pk)},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert f"Rejected questions cannot go into a quiz: {bad.pk}. Accept them first." in text(
        response
    )
    assert f'value="{good.pk}" id="select-{good.pk}" checked' in html
    with schema_context(school_a.schema):
        assert not QuizItem.objects.filter(quiz=quiz).exists()


# --- quizzes -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_quiz_settings_are_saved(school_a, biology, quiz):
    response = school_a.client(school_a.teacher).post(
        f"{_base(biology)}/quizzes/{quiz.pk}/",
        {
            "title": "Cells quiz",
            "description": "Chapter 1",
            "time_limit_minutes": "30",
            "attempts_allowed": "2",
            "shuffle_questions": "on",
            "show_feedback": "immediately",
            "opens_at": "2027-01-10T09:00",
            "closes_at": "2027-01-17T09:00",
        },
    )
    assert response.status_code == 302
    with schema_context(school_a.schema):
        quiz.refresh_from_db()
    assert (quiz.time_limit_minutes, quiz.attempts_allowed, quiz.show_feedback) == (
        30,
        2,
        "immediately",
    )
    assert (quiz.shuffle_questions, quiz.shuffle_options) == (True, False)
    assert quiz.opens_at == dt.datetime(2027, 1, 10, 9, 0, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_refused_quiz_settings_show_each_reason_and_keep_what_was_typed(school_a, biology, quiz):
    client = school_a.client(school_a.teacher)
    typed = {
        "title": "Renamed quiz",
        "time_limit_minutes": "45",
        "attempts_allowed": "500",
        "show_feedback": "never",
        "opens_at": "2027-01-10T09:00",
        "closes_at": "2027-01-09T09:00",
    }
    too_many = client.post(f"{_base(biology)}/quizzes/{quiz.pk}/", typed)
    backwards = client.post(
        f"{_base(biology)}/quizzes/{quiz.pk}/", {**typed, "attempts_allowed": "3"}
    )

    assert too_many.status_code == backwards.status_code == 400
    assert "Attempts allowed is 0 (unlimited) to 100." in text(too_many)
    assert "The quiz must close after it opens." in text(backwards)
    html = too_many.content.decode()
    assert 'value="Renamed quiz"' in html and 'value="500"' in html and 'value="45"' in html
    assert 'value="2027-01-09T09:00"' in html
    assert "<h1>Cells quiz</h1>" in html  # the heading shows what is stored
    with schema_context(school_a.schema):
        quiz.refresh_from_db()
        assert (quiz.title, quiz.attempts_allowed, quiz.time_limit_minutes, quiz.closes_at) == (
            "Cells quiz",
            1,
            None,
            None,
        )


@pytest.mark.django_db
def test_questions_are_reordered_removed_and_the_quiz_published(school_a, biology, quiz):
    with schema_context(school_a.schema):
        a = _question(biology, school_a.teacher)
        b = _question(biology, school_a.teacher, "numeric")
        c = _question(biology, school_a.teacher, "true_false")
        services.quiz_questions_add(quiz, [a.pk, b.pk, c.pk])
    client = school_a.client(school_a.teacher)
    base = f"{_base(biology)}/quizzes/{quiz.pk}"

    moved = client.post(f"{base}/items/{c.pk}/move/", {"direction": "up"}, headers=HTMX)
    assert moved.status_code == 200
    assert re.findall(r'id="item-(\d+)"', moved.content.decode()) == [
        str(a.pk),
        str(c.pk),
        str(b.pk),
    ]
    client.post(f"{base}/items/{a.pk}/move/", {"direction": "up"})  # already first: no change
    removed = client.post(f"{base}/items/{b.pk}/remove/", headers=HTMX)
    assert re.findall(r'id="item-(\d+)"', removed.content.decode()) == [str(a.pk), str(c.pk)]
    published = client.post(f"{base}/publish/")
    assert published.status_code == 302
    assert "“Cells quiz” is published: the course’s students see it." in text(
        client.get(f"{base}/")
    )

    with schema_context(school_a.schema):
        quiz.refresh_from_db()
        assert quiz.state == Quiz.State.PUBLISHED
        assert list(quiz.items.order_by("position").values_list("question_id", flat=True)) == [
            a.pk,
            c.pk,
        ]
    client.post(f"{base}/unpublish/")
    with schema_context(school_a.schema):
        quiz.refresh_from_db()
        assert quiz.state == Quiz.State.DRAFT


@pytest.mark.django_db
def test_publishing_an_empty_quiz_is_refused_with_the_reason(school_a, biology, quiz):
    client = school_a.client(school_a.teacher)
    response = client.post(f"{_base(biology)}/quizzes/{quiz.pk}/publish/", follow=True)
    assert "Add at least one question before publishing this quiz." in text(response)
    with schema_context(school_a.schema):
        quiz.refresh_from_db()
        assert quiz.state == Quiz.State.DRAFT


# --- nothing a question says can run as script --------------------------------------------

PAYLOADS = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[x](javascript:alert(1))")


def _assert_inert(html: str) -> None:
    assert "<script>alert" not in html
    assert "<img" not in html
    assert "onerror=" not in html.replace("onerror=alert(1)&gt;", "")  # escaped text is inert
    assert not re.search(r"""href=["']?\s*javascript:""", html, re.I)


@pytest.mark.django_db
def test_script_in_a_question_is_never_executable_on_any_page(school_a, biology, quiz):
    payload = " ".join(PAYLOADS)
    with schema_context(school_a.schema):
        question = services.question_create(
            course=biology,
            kind="multiple",
            stem=f"Pick the safe ones {payload}",
            options=[
                {"text": f"First {PAYLOADS[0]} one", "correct": True, "feedback": PAYLOADS[1]},
                {"text": f"Second {PAYLOADS[1]} two", "correct": False},
                {"text": f"Third {PAYLOADS[2]}", "correct": False},
            ],
            explanation=f"Because {payload}",
            topic="<b>topic</b>",
        )
        # Material text is data too: a quote full of markup is shown as text.
        Question.objects.filter(pk=question.pk).update(source_quote=payload, source_section=payload)
        services.quiz_questions_add(quiz, [question.pk])
    client = school_a.client(school_a.teacher)

    for url, headers in (
        (f"{_base(biology)}/questions/", {}),
        (f"{_base(biology)}/questions/{question.pk}/edit/", {}),
        (f"{_base(biology)}/questions/{question.pk}/edit/", HTMX),
        (f"{_base(biology)}/quizzes/{quiz.pk}/", {}),
    ):
        response = client.get(url, headers=headers)
        assert response.status_code == 200, url
        _assert_inert(response.content.decode())
    bank = client.get(f"{_base(biology)}/questions/")
    assert "Pick the safe ones" in text(bank)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in bank.content.decode()  # the quote, as text


# --- exchange formats --------------------------------------------------------------------


@pytest.mark.django_db
def test_the_quiz_page_offers_exports_and_gift_downloads_the_questions(school_a, biology, quiz):
    with schema_context(school_a.schema):
        services.quiz_questions_add(quiz, [_question(biology, school_a.teacher).pk])
    client = school_a.client(school_a.teacher)
    page = client.get(f"{_base(biology)}/quizzes/{quiz.pk}/").content.decode()
    for fmt in ("qti", "moodle", "gift"):
        assert f'href="{_base(biology)}/quizzes/{quiz.pk}/export/{fmt}/"' in page

    response = client.get(f"{_base(biology)}/quizzes/{quiz.pk}/export/gift/?download=1")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="cells-quiz')
    # The file holds the answer keys: no cache keeps a copy.
    assert "no-store" in response["Cache-Control"]
    assert "Which organelle makes most of a cell's ATP?" in response.content.decode()
    assert school_a.client(school_a.student).get(
        f"{_base(biology)}/quizzes/{quiz.pk}/export/gift/"
    ).status_code in (403, 404)


@pytest.mark.django_db
def test_an_export_that_loses_something_says_what_before_the_download(school_a, biology, quiz):
    with schema_context(school_a.schema):
        material, chunk = _ready_material(school_a, biology)
        services.quiz_questions_add(quiz, [_generated(biology, material, chunk).pk])
    client = school_a.client(school_a.teacher)
    url = f"{_base(biology)}/quizzes/{quiz.pk}/export/gift/"

    response = client.get(url)

    assert response.status_code == 200 and "Content-Disposition" not in response
    assert "What GIFT cannot carry" in text(response)
    assert 'href="?download=1"' in response.content.decode()
    assert client.get(f"{url}?download=1")["Content-Disposition"].startswith("attachment;")


@pytest.mark.django_db
def test_exporting_an_empty_quiz_explains_why_nothing_came(school_a, biology, quiz):
    response = school_a.client(school_a.teacher).get(
        f"{_base(biology)}/quizzes/{quiz.pk}/export/moodle/", follow=True
    )
    assert response.redirect_chain[-1][0] == f"{_base(biology)}/quizzes/{quiz.pk}/"
    assert "The quiz has no questions to export." in text(response)


@pytest.mark.django_db
def test_an_imported_gift_file_lands_in_the_bank_as_drafts_with_a_report(school_a, biology):
    gift = b"::Boiling:: Water boils at 100 degrees at sea level. {TRUE}\n\n::Sum:: 2 + 2 = {#4}\n"
    response = school_a.client(school_a.teacher).post(
        f"{_base(biology)}/questions/import/",
        {"format": "gift", "file": SimpleUploadedFile("week1.gift.txt", gift)},
    )
    assert response.status_code == 200
    assert "2 questions imported" in text(response)
    with schema_context(school_a.schema):
        imported = Question.objects.filter(course=biology)
        assert sorted(imported.values_list("kind", "status", "origin")) == [
            ("numeric", "draft", "imported"),
            ("true_false", "draft", "imported"),
        ]
