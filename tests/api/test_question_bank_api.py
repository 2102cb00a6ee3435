"""The question bank through the API: the people who run a course (and API keys) write, read,
edit, accept and reject its questions with their keys; an edit of a question students have
seen makes a new version and their attempts keep the old one; nothing a teacher types can run
script; students never reach the bank; and no school sees or touches another's questions."""

import pytest
from django_tenants.utils import schema_context

from courses import services as course_services
from quizzes import services as quiz_services
from quizzes.models import Attempt, AttemptQuestion, Question, QuestionVersion

from .conftest import api, make_keys

QUESTION_KEYS = {
    "id",
    "course",
    "kind",
    "status",
    "origin",
    "version",
    "stem",
    "stem_html",
    "options",
    "answer",
    "explanation",
    "explanation_html",
    "topic",
    "objective",
    "difficulty",
    "source",
    "generation_job",
    "generator",
    "rejection_reason",
    "created_at",
    "updated_at",
}
ATP = {
    "kind": "single",
    "stem": "What do mitochondria produce?",
    "options": [
        {"text": "ATP", "correct": True, "feedback": "Yes: the cell's energy currency."},
        {"text": "DNA", "feedback": "DNA is copied in the nucleus."},
        {"text": "Glucose"},
    ],
    "explanation": "Mitochondria make **ATP** by respiration.",
    "topic": "Cells",
    "objective": "Name the products of respiration",
    "difficulty": "easy",
}


@pytest.fixture
def course(school_a):
    """BIO-101, taught by school A's teacher and taken by its first student."""
    with schema_context(school_a.schema):
        course = course_services.course_create(
            code="BIO-101", name="Biology", created_by=school_a.teacher
        )
        course_services.enrollment_add(course=course, user=school_a.students[0])
    return course


@pytest.fixture
def teacher(school_a):
    return school_a.client(school_a.teacher)


def make_question(school, course, **content) -> Question:
    fields = {**ATP, **content}
    with schema_context(school.schema):
        return quiz_services.question_create(course=course, created_by=school.teacher, **fields)


def post(client, url: str, body=None):
    return client.post(url, body or {}, content_type="application/json")


def patch(client, url: str, body: dict):
    return client.patch(url, body, content_type="application/json")


def bank(school) -> list[tuple]:
    with schema_context(school.schema):
        return list(
            Question.objects.order_by("pk").values_list(
                "pk", "status", "current_version__number", "current_version__stem"
            )
        )


# --- writing and reading ------------------------------------------------------------------


def test_a_teacher_writes_a_question_and_reads_it_back_with_its_key(school_a, course, teacher):
    response = post(teacher, f"/api/v1/courses/{course.pk}/questions/", ATP)

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == QUESTION_KEYS
    assert (body["course"], body["kind"], body["status"], body["origin"], body["version"]) == (
        course.pk,
        "single",
        "draft",
        "manual",
        1,
    )
    assert body["options"] == [
        {"id": "a", "text": "ATP", "correct": True, "feedback": "Yes: the cell's energy currency."},
        {"id": "b", "text": "DNA", "correct": False, "feedback": "DNA is copied in the nucleus."},
        {"id": "c", "text": "Glucose", "correct": False, "feedback": ""},
    ]
    assert body["answer"] == {}
    assert body["explanation_html"] == (
        "<p>Mitochondria make <strong>ATP</strong> by respiration.</p>\n"
    )
    assert (body["topic"], body["objective"], body["difficulty"]) == (
        "Cells",
        "Name the products of respiration",
        "easy",
    )
    assert body["source"] == {
        "chunk_id": None,
        "material_id": None,
        "material_title": None,
        "page": None,
        "section": "",
        "quote": "",
    }
    assert (body["generation_job"], body["generator"]) == (None, "")
    assert teacher.get(f"/api/v1/questions/{body['id']}/").json() == body
    with schema_context(school_a.schema):
        question = Question.objects.get(pk=body["id"])
        assert question.created_by == school_a.teacher


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            {
                "kind": "true_false",
                "stem": "Mitochondria have their own DNA.",
                "options": [{"id": "true", "correct": True}, {"id": "false"}],
            },
            {"options": ["true", "false"], "correct": ["true"], "answer": {}},
        ),
        (
            {
                "kind": "multiple",
                "stem": "Which are organelles?",
                "options": [
                    {"text": "Nucleus", "correct": True},
                    {"text": "Ribosome", "correct": True},
                    {"text": "Glucose"},
                ],
            },
            {"options": ["a", "b", "c"], "correct": ["a", "b"], "answer": {}},
        ),
        (
            {
                "kind": "short_answer",
                "stem": "What molecule stores the cell's energy?",
                "answer": {"accepted": ["ATP", "adenosine triphosphate"]},
            },
            {
                "options": [],
                "correct": [],
                "answer": {"accepted": ["ATP", "adenosine triphosphate"], "case_sensitive": False},
            },
        ),
        (
            {
                "kind": "fill_blank",
                "stem": "Mitochondria produce ______.",
                "answer": {"accepted": ["ATP"]},
            },
            {
                "options": [],
                "correct": [],
                "answer": {"accepted": ["ATP"], "case_sensitive": False},
            },
        ),
        (
            {
                "kind": "numeric",
                "stem": "At what temperature (°C) does water boil at sea level?",
                "answer": {"value": 100, "tolerance": 0.5, "unit": "°C"},
            },
            {
                "options": [],
                "correct": [],
                "answer": {"value": 100.0, "tolerance": 0.5, "unit": "°C"},
            },
        ),
    ],
)
def test_every_kind_of_question_keeps_its_key(school_a, course, writer, content, expected):
    response = post(writer, f"/api/v1/courses/{course.pk}/questions/", content)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == content["kind"]
    assert [o["id"] for o in body["options"]] == expected["options"]
    assert [o["id"] for o in body["options"] if o["correct"]] == expected["correct"]
    assert body["answer"] == expected["answer"]
    with schema_context(school_a.schema):
        # A partner system is nobody in the school.
        assert Question.objects.get(pk=body["id"]).created_by is None
    if content["kind"] == "fill_blank":
        assert body["stem"] == "Mitochondria produce ____."


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            {**ATP, "kind": "essay"},
            "kind: Unknown question type “essay”; use one of single, multiple, true_false, "
            "short_answer, numeric, fill_blank.",
        ),
        ({**ATP, "stem": "  "}, "stem: The question has no text."),
        (
            {
                **ATP,
                "options": [{"text": "ATP", "correct": True}, {"text": "DNA", "correct": True}],
            },
            "options: A one-answer question needs exactly one correct option (2 marked).",
        ),
        (
            {**ATP, "options": [{"text": "ATP", "correct": True}]},
            "options: A question needs 2 to 8 options (1 given).",
        ),
        (
            {"kind": "fill_blank", "stem": "Mitochondria make ATP.", "answer": {"accepted": ["x"]}},
            "stem: A fill-in-the-blank question marks exactly one blank with ____.",
        ),
        (
            {"kind": "short_answer", "stem": "What is made?", "answer": {"accepted": []}},
            "answer: Give at least one accepted answer.",
        ),
        (
            {**ATP, "colour": "red"},
            "colour: Unknown field; the accepted fields are: answer, difficulty, explanation, "
            "kind, objective, options, stem, topic.",
        ),
        (
            {**ATP, "status": "accepted"},
            "status: A new question is a draft; accept it with POST /questions/{id}/accept/.",
        ),
        ({**ATP, "difficulty": "extreme"}, 'difficulty: "extreme" is not a valid choice.'),
        (
            {**ATP, "options": [{"text": "ATP", "correct": True, "right": True}, {"text": "B"}]},
            "options[0].right: Unknown field; the accepted fields are: correct, feedback, id, "
            "text.",
        ),
    ],
)
def test_a_question_that_is_not_whole_is_refused_with_the_reason(
    school_a, course, writer, content, message
):
    response = post(writer, f"/api/v1/courses/{course.pk}/questions/", content)

    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["message"]) == ("validation_error", message)
    assert bank(school_a) == []


def test_script_in_a_question_never_comes_back(school_a, course, teacher):
    created = post(
        teacher,
        f"/api/v1/courses/{course.pk}/questions/",
        {
            **ATP,
            "stem": "<script>alert('stem')</script>What do <b>mitochondria</b> make?",
            "explanation": "<img src=x onerror=alert(1)>See [the notes](javascript:alert(2)).",
        },
    )
    assert created.status_code == 201
    body = created.json()
    assert body["stem"] == "What do mitochondria make?"
    assert body["stem_html"] == "<p>What do mitochondria make?</p>\n"
    assert "onerror" not in body["explanation"] and "<img" not in body["explanation"]
    # A javascript: link is never a link; what is left is inert text.
    assert "href" not in body["explanation_html"]
    assert "<script" not in body["explanation_html"]

    edited = patch(
        teacher,
        f"/api/v1/questions/{body['id']}/",
        {"stem": "Cells <script>document.cookie</script>&lt;script&gt;x&lt;/script&gt; make what?"},
    )
    assert edited.status_code == 200
    stem, stem_html = edited.json()["stem"], edited.json()["stem_html"]
    assert "document.cookie" not in stem
    assert "<script" not in stem_html
    # Text that only spells a tag is shown as text, escaped.
    assert "&lt;script&gt;" in stem_html


def test_the_bank_lists_newest_first_and_filters(school_a, course, reader):
    cells = make_question(school_a, course)
    plants = make_question(
        school_a,
        course,
        kind="short_answer",
        stem="What pigment makes leaves green?",
        options=None,
        answer={"accepted": ["chlorophyll"]},
        topic="Plants",
        difficulty="hard",
    )
    with schema_context(school_a.schema):
        quiz_services.question_reject(cells, reason="Too easy")
    url = f"/api/v1/courses/{course.pk}/questions/"

    everything = reader.get(url).json()
    assert (everything["count"], [q["id"] for q in everything["results"]]) == (
        2,
        [plants.pk, cells.pk],
    )
    assert everything["results"][1]["rejection_reason"] == "Too easy"
    for params, expected in [
        ({"status": "rejected"}, [cells.pk]),
        ({"status": "draft"}, [plants.pk]),
        ({"kind": "short_answer"}, [plants.pk]),
        ({"topic": "plants"}, [plants.pk]),
        ({"difficulty": "easy"}, [cells.pk]),
        ({"search": "pigment leaves"}, [plants.pk]),
        ({"search": "pigment mitochondria"}, []),
        ({"job": 999999}, []),
        ({"material": 999999}, []),
    ]:
        found = reader.get(url, params).json()["results"]
        assert [q["id"] for q in found] == expected, params
    for params, message in [
        ({"colour": "red"}, "colour: Unknown field; the accepted fields are: difficulty, job, "),
        ({"status": "approved"}, 'status: "approved" is not a valid choice.'),
        ({"job": "latest"}, "job: A valid integer is required."),
    ]:
        refused = reader.get(url, params)
        assert refused.status_code == 400
        assert refused.json()["error"]["message"].startswith(message)


# --- editing and versions -----------------------------------------------------------------


def show_in_an_attempt(school, question: Question) -> AttemptQuestion:
    """A student's attempt that showed the question's current version (the attempt flow
    itself is another part of the product)."""
    with schema_context(school.schema):
        quiz = quiz_services.quiz_create(course=question.course, title=f"Quiz {question.pk}")
        quiz_services.quiz_questions_add(quiz, [question.pk])
        attempt = Attempt.objects.create(quiz=quiz, student=school.students[0])
        question.refresh_from_db()
        return AttemptQuestion.objects.create(
            attempt=attempt, question=question, version=question.current_version, position=1
        )


def test_editing_a_question_nobody_has_seen_rewrites_it_in_place(school_a, course, teacher):
    question = make_question(school_a, course)

    response = patch(
        teacher,
        f"/api/v1/questions/{question.pk}/",
        {"stem": "Which molecule do mitochondria produce?", "topic": "Respiration"},
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == QUESTION_KEYS | {"new_version"}
    assert (body["version"], body["new_version"], body["stem"], body["topic"]) == (
        1,
        False,
        "Which molecule do mitochondria produce?",
        "Respiration",
    )
    assert body["options"][0]["text"] == "ATP"  # what was not sent stays
    with schema_context(school_a.schema):
        assert QuestionVersion.objects.filter(question=question).count() == 1


def test_editing_a_question_an_attempt_showed_makes_a_new_version(school_a, course, teacher):
    question = make_question(school_a, course)
    shown = show_in_an_attempt(school_a, question)

    response = patch(
        teacher,
        f"/api/v1/questions/{question.pk}/",
        {
            "stem": "Which molecule do mitochondria produce most of?",
            "options": [
                {"text": "ATP", "correct": True},
                {"text": "Insulin"},
            ],
        },
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["version"], body["new_version"]) == (2, True)
    assert [o["text"] for o in body["options"]] == ["ATP", "Insulin"]
    with schema_context(school_a.schema):
        shown.refresh_from_db()
        assert shown.version.number == 1
        assert shown.version.stem == "What do mitochondria produce?"
        assert [o["text"] for o in shown.version.options] == ["ATP", "DNA", "Glucose"]

    versions = teacher.get(f"/api/v1/questions/{question.pk}/versions/").json()
    assert versions["count"] == 2
    first, second = versions["results"]
    assert (first["number"], first["shown"], first["current"]) == (1, True, False)
    assert (second["number"], second["shown"], second["current"]) == (2, False, True)
    assert first["stem"] == "What do mitochondria produce?"
    assert second["stem"] == "Which molecule do mitochondria produce most of?"
    assert set(first) == {
        "number",
        "stem",
        "stem_html",
        "options",
        "answer",
        "explanation",
        "created_by",
        "created_at",
        "current",
        "shown",
    }
    assert second["created_by"] == school_a.teacher.pk

    # Tags are the question's, not the version's: changing one makes no version.
    retag = patch(teacher, f"/api/v1/questions/{question.pk}/", {"difficulty": "hard"})
    assert (retag.json()["version"], retag.json()["new_version"]) == (2, False)


def test_a_question_read_from_the_api_can_be_sent_back_as_it_is(school_a, course, writer):
    question = make_question(school_a, course)
    read = writer.get(f"/api/v1/questions/{question.pk}/").json()
    editable = ("kind", "stem", "options", "answer", "explanation", "topic", "objective")

    response = patch(writer, f"/api/v1/questions/{question.pk}/", {k: read[k] for k in editable})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["new_version"] is False
    assert {k: body[k] for k in editable} == {k: read[k] for k in editable}


def test_an_edit_that_breaks_the_question_changes_nothing(school_a, course, teacher):
    question = make_question(school_a, course)
    before = bank(school_a)

    for body, message in [
        ({"kind": "true_false"}, "options: Mark exactly one of True and False as correct."),
        ({"stem": ""}, "stem: The question has no text."),
        ({"status": "accepted"}, "status: Change a question's status with POST "),
        ({"answer": {"accepted": ["x"], "regex": ".*"}}, "answer.regex: Unknown field;"),
    ]:
        response = patch(teacher, f"/api/v1/questions/{question.pk}/", body)
        assert response.status_code == 400, body
        assert response.json()["error"]["message"].startswith(message), response.json()
    assert bank(school_a) == before


# --- review -------------------------------------------------------------------------------


def test_a_teacher_rejects_with_a_reason_and_accepts_again(school_a, course, teacher):
    question = make_question(school_a, course)

    rejected = post(
        teacher, f"/api/v1/questions/{question.pk}/reject/", {"reason": "  The  key is wrong "}
    )
    assert rejected.status_code == 200
    assert (rejected.json()["status"], rejected.json()["rejection_reason"]) == (
        "rejected",
        "The key is wrong",
    )
    accepted = post(teacher, f"/api/v1/questions/{question.pk}/accept/")
    assert accepted.status_code == 200
    assert (accepted.json()["status"], accepted.json()["rejection_reason"]) == ("accepted", "")

    unknown = post(teacher, f"/api/v1/questions/{question.pk}/reject/", {"why": "x"})
    assert unknown.status_code == 400
    assert unknown.json()["error"]["message"] == (
        "why: Unknown field; the accepted fields are: reason."
    )


def test_bulk_accept_accepts_only_this_courses_drafts(school_a, course, writer):
    drafts = [make_question(school_a, course, stem=f"Question number {n}?") for n in range(3)]
    rejected = make_question(school_a, course, stem="A rejected one?")
    with schema_context(school_a.schema):
        quiz_services.question_reject(rejected, reason="no")
        other = course_services.course_create(code="CHEM-1", name="Chemistry")
    elsewhere = make_question(school_a, other, stem="Another course's draft?")

    response = post(
        writer,
        f"/api/v1/courses/{course.pk}/questions/bulk-accept/",
        {"questions": [drafts[0].pk, drafts[1].pk, rejected.pk, elsewhere.pk]},
    )

    assert response.status_code == 200
    assert response.json() == {"accepted": 2}
    statuses = {pk: status for pk, status, _, _ in bank(school_a)}
    assert [statuses[q.pk] for q in (*drafts, rejected, elsewhere)] == [
        "accepted",
        "accepted",
        "draft",
        "rejected",
        "draft",
    ]
    empty = post(writer, f"/api/v1/courses/{course.pk}/questions/bulk-accept/", {"questions": []})
    assert empty.status_code == 400
    assert empty.json()["error"]["message"] == "questions: Choose at least one question."


def test_a_question_in_a_quiz_cannot_be_deleted_but_a_free_one_can(school_a, course, writer):
    free = make_question(school_a, course, stem="A free question?")
    used = make_question(school_a, course, stem="A question in a quiz?")
    with schema_context(school_a.schema):
        quiz = quiz_services.quiz_create(course=course, title="Unit 1")
        quiz_services.quiz_questions_add(quiz, [used.pk])

    refused = writer.delete(f"/api/v1/questions/{used.pk}/")
    assert refused.status_code == 409
    assert refused.json()["error"] == {
        "code": "in_use",
        "message": "This question is in a quiz; remove it from the quiz first.",
    }
    assert writer.delete(f"/api/v1/questions/{free.pk}/").status_code == 204
    assert [row[0] for row in bank(school_a)] == [used.pk]
    assert writer.get(f"/api/v1/questions/{free.pk}/").status_code == 404


# --- who may --------------------------------------------------------------------------------


def test_a_read_only_key_reads_the_bank_but_changes_nothing(school_a, course, reader):
    question = make_question(school_a, course)
    before = bank(school_a)

    assert reader.get(f"/api/v1/courses/{course.pk}/questions/").status_code == 200
    assert reader.get(f"/api/v1/questions/{question.pk}/").status_code == 200
    assert reader.get(f"/api/v1/questions/{question.pk}/versions/").status_code == 200
    for response in (
        post(reader, f"/api/v1/courses/{course.pk}/questions/", ATP),
        patch(reader, f"/api/v1/questions/{question.pk}/", {"stem": "Changed?"}),
        reader.delete(f"/api/v1/questions/{question.pk}/"),
        post(reader, f"/api/v1/questions/{question.pk}/accept/"),
        post(reader, f"/api/v1/questions/{question.pk}/reject/"),
        post(reader, f"/api/v1/courses/{course.pk}/questions/bulk-accept/", {"questions": [1]}),
    ):
        assert response.status_code == 403
        assert response.json()["error"]["message"] == (
            "This API key is read-only; create a read-write key to make changes."
        )
    assert bank(school_a) == before


def test_students_never_reach_the_bank(school_a, course):
    question = make_question(school_a, course)
    before = bank(school_a)
    student = school_a.client(school_a.students[0])  # takes BIO-101
    outsider = school_a.client(school_a.students[1])  # does not

    for client, code in ((student, 403), (outsider, 404)):
        for response in (
            client.get(f"/api/v1/courses/{course.pk}/questions/"),
            post(client, f"/api/v1/courses/{course.pk}/questions/", ATP),
            client.get(f"/api/v1/questions/{question.pk}/"),
            client.get(f"/api/v1/questions/{question.pk}/versions/"),
            patch(client, f"/api/v1/questions/{question.pk}/", {"stem": "Changed?"}),
            client.delete(f"/api/v1/questions/{question.pk}/"),
            post(client, f"/api/v1/questions/{question.pk}/accept/"),
            post(client, f"/api/v1/questions/{question.pk}/reject/"),
            post(client, f"/api/v1/courses/{course.pk}/questions/bulk-accept/", {"questions": [1]}),
        ):
            assert response.status_code == code, (response.request, response.content)
    refused = student.get(f"/api/v1/questions/{question.pk}/").json()["error"]
    assert refused == {
        "code": "permission_denied",
        "message": "Only this course's teachers and the school's admins can do this.",
    }
    assert bank(school_a) == before


def test_a_teacher_only_reaches_the_banks_of_courses_they_teach(school_a, course):
    with schema_context(school_a.schema):
        other = course_services.course_create(code="ART-1", name="Art")
    question = make_question(school_a, other)
    teacher = school_a.client(school_a.teacher)
    assert teacher.get(f"/api/v1/courses/{other.pk}/questions/").status_code == 404
    assert teacher.get(f"/api/v1/questions/{question.pk}/").status_code == 404
    admin = school_a.client(school_a.admin)
    assert admin.get(f"/api/v1/questions/{question.pk}/").status_code == 200


def test_school_b_cannot_see_or_touch_school_a_questions(school_a, school_b, course, keys_b):
    question = make_question(school_a, course)
    before = bank(school_a)
    with schema_context(school_b.schema):
        own = course_services.course_create(
            code="GEO-1", name="Geology", created_by=school_b.teacher
        )
    own_question = make_question(
        school_b,
        own,
        kind="short_answer",
        stem="What is molten rock at the surface called?",
        options=None,
        answer={"accepted": ["lava"]},
    )
    beta_key = api(school_b, keys_b.read_write)
    beta_teacher = school_b.client(school_b.teacher)

    for client in (beta_key, beta_teacher):
        listed = client.get(f"/api/v1/courses/{own.pk}/questions/").json()
        assert [q["id"] for q in listed["results"]] == [own_question.pk]
        assert all("mitochondria" not in q["stem"] for q in listed["results"])
        if own.pk != course.pk:
            assert client.get(f"/api/v1/courses/{course.pk}/questions/").status_code == 404
        if question.pk != own_question.pk:
            for response in (
                client.get(f"/api/v1/questions/{question.pk}/"),
                patch(client, f"/api/v1/questions/{question.pk}/", {"stem": "Hijacked?"}),
                client.delete(f"/api/v1/questions/{question.pk}/"),
                post(client, f"/api/v1/questions/{question.pk}/accept/"),
                client.get(f"/api/v1/questions/{question.pk}/versions/"),
            ):
                assert response.status_code == 404
    # School A's key on school B's host is no key at all.
    alpha_key_on_b = api(school_b, make_keys(school_a).read_write)
    assert alpha_key_on_b.get(f"/api/v1/questions/{question.pk}/").status_code == 401
    assert bank(school_a) == before
