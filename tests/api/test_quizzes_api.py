"""Quizzes through the API: the people who run a course make a quiz from the bank, set it up,
order its questions and publish it; its students then read it without ever seeing a key; and
no school sees or touches another school's quizzes."""

import json

import pytest
from django_tenants.utils import schema_context

from courses import services as course_services
from quizzes import services as quiz_services
from quizzes.models import Question, Quiz, QuizItem

from .conftest import api

# Words that exist only in keys, feedback and explanations: a student's response must not
# contain any of them.
SECRETS = ("Krebsium", "FEEDBACK-SECRET", "EXPLANATION-SECRET", "373.15", "0.25")


@pytest.fixture
def course(school_a):
    with schema_context(school_a.schema):
        course = course_services.course_create(
            code="BIO-101", name="Biology", created_by=school_a.teacher
        )
        course_services.enrollment_add(course=course, user=school_a.students[0])
    return course


@pytest.fixture
def teacher(school_a):
    return school_a.client(school_a.teacher)


def post(client, url: str, body=None):
    return client.post(url, body or {}, content_type="application/json")


def questions(school, course) -> list[Question]:
    """One question of each kind whose keys, feedback and explanations use the SECRETS."""
    explanation = {"explanation": "EXPLANATION-SECRET: see chapter 2."}
    contents = [
        {
            "kind": "single",
            "stem": "What do mitochondria produce?",
            "options": [
                {"text": "ATP", "correct": True, "feedback": "FEEDBACK-SECRET right"},
                {"text": "DNA", "feedback": "FEEDBACK-SECRET wrong"},
            ],
        },
        {
            "kind": "multiple",
            "stem": "Which are organelles?",
            "options": [
                {"text": "Nucleus", "correct": True},
                {"text": "Ribosome", "correct": True},
                {"text": "Glucose"},
            ],
        },
        {
            "kind": "true_false",
            "stem": "Cells have membranes.",
            "options": [{"id": "true", "correct": True}, {"id": "false"}],
        },
        {"kind": "short_answer", "stem": "Name the cycle.", "answer": {"accepted": ["Krebsium"]}},
        {"kind": "fill_blank", "stem": "The ____ cycle.", "answer": {"accepted": ["Krebsium"]}},
        {
            "kind": "numeric",
            "stem": "Water boils at how many kelvin?",
            "answer": {"value": 373.15, "tolerance": 0.25, "unit": "K"},
        },
    ]
    with schema_context(school.schema):
        return [
            quiz_services.question_create(course=course, **content, **explanation)
            for content in contents
        ]


def published_quiz(school, course) -> Quiz:
    made = questions(school, course)
    with schema_context(school.schema):
        quiz = quiz_services.quiz_create(
            course=course, title="Cells: unit test", time_limit_minutes=20
        )
        quiz_services.quiz_questions_add(quiz, [q.pk for q in made])
        quiz_services.quiz_publish(quiz)
    return quiz


def quiz_rows(school) -> list[tuple]:
    with schema_context(school.schema):
        return list(
            Quiz.objects.order_by("pk").values_list("pk", "title", "state", "time_limit_minutes")
        ) + list(QuizItem.objects.order_by("pk").values_list("quiz_id", "question_id", "position"))


def walk_keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in walk_keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in walk_keys(v)}
    return set()


# --- making a quiz ------------------------------------------------------------------------


def test_a_teacher_makes_orders_and_publishes_a_quiz(school_a, course, teacher):
    made = questions(school_a, course)[:3]
    created = post(
        teacher,
        f"/api/v1/courses/{course.pk}/quizzes/",
        {"title": "  Cells:   unit 1 ", "attempts_allowed": 2, "shuffle_options": True},
    )
    assert created.status_code == 201, created.content
    quiz = created.json()
    assert set(quiz) == {
        "id",
        "course",
        "title",
        "description",
        "state",
        "time_limit_minutes",
        "attempts_allowed",
        "shuffle_questions",
        "shuffle_options",
        "show_feedback",
        "opens_at",
        "closes_at",
        "late_minutes",
        "late_penalty_percent",
        "question_count",
        "created_at",
        "published_at",
        "items",
    }
    assert (quiz["title"], quiz["state"], quiz["attempts_allowed"], quiz["items"]) == (
        "Cells: unit 1",
        "draft",
        2,
        [],
    )
    url = f"/api/v1/quizzes/{quiz['id']}/"

    added = post(teacher, url + "questions/", {"questions": [made[1].pk, made[0].pk], "points": 2})
    assert added.status_code == 200, added.content
    items = added.json()["items"]
    assert [(i["position"], i["points"], i["question"]["id"]) for i in items] == [
        (1, 2.0, made[1].pk),
        (2, 2.0, made[0].pk),
    ]
    # Drafts are accepted as they go into a quiz; the manager's view carries the key.
    assert {i["question"]["status"] for i in items} == {"accepted"}
    assert items[1]["question"]["options"][0]["correct"] is True
    post(teacher, url + "questions/", {"questions": [made[2].pk]})

    ordered = teacher.put(
        url + "questions/order/",
        {"questions": [made[2].pk, made[0].pk, made[1].pk]},
        content_type="application/json",
    )
    assert ordered.status_code == 200
    assert [i["question"]["id"] for i in ordered.json()["items"]] == [
        made[2].pk,
        made[0].pk,
        made[1].pk,
    ]
    removed = teacher.delete(url + f"questions/{made[0].pk}/")
    assert removed.status_code == 204
    assert teacher.delete(url + f"questions/{made[0].pk}/").json()["error"] == {
        "code": "not_found",
        "message": f"Question {made[0].pk} is not in this quiz.",
    }

    changed = teacher.patch(
        url,
        {"time_limit_minutes": 30, "show_feedback": "immediately", "description": "<b>Go</b>"},
        content_type="application/json",
    )
    assert changed.status_code == 200
    assert (
        changed.json()["time_limit_minutes"],
        changed.json()["show_feedback"],
        changed.json()["description"],
    ) == (30, "immediately", "Go")

    published = post(teacher, url + "publish/")
    assert published.status_code == 200
    assert (published.json()["state"], published.json()["question_count"]) == ("published", 2)
    assert published.json()["published_at"]
    listed = teacher.get(f"/api/v1/courses/{course.pk}/quizzes/").json()
    assert [(q["id"], q["question_count"], q["state"]) for q in listed["results"]] == [
        (quiz["id"], 2, "published")
    ]
    assert "items" not in listed["results"][0]
    unpublished = post(teacher, url + "unpublish/")
    assert unpublished.json()["state"] == "draft"


def test_a_quiz_is_refused_what_would_break_it(school_a, course, writer):
    made = questions(school_a, course)[:2]
    with schema_context(school_a.schema):
        quiz_services.question_reject(made[1], reason="wrong key")
        quiz = quiz_services.quiz_create(course=course, title="Empty")
    url = f"/api/v1/quizzes/{quiz.pk}/"
    before = quiz_rows(school_a)

    empty = post(writer, url + "publish/")
    assert empty.status_code == 409
    assert empty.json()["error"] == {
        "code": "not_publishable",
        "message": "Add at least one question before publishing this quiz.",
    }
    for body, message in [
        ({"questions": [made[1].pk]}, "Rejected questions cannot go into a quiz: "),
        ({"questions": [999999]}, "questions: No such question in this course: 999999."),
        ({"questions": ["x"]}, "questions[0]: A valid integer is required."),
        ({"question": [made[0].pk]}, "question: Unknown field; the accepted fields are: points"),
    ]:
        response = post(writer, url + "questions/", body)
        assert response.status_code == 400, body
        assert message in response.json()["error"]["message"], response.json()
    for body, message in [
        ({"title": ""}, "title: A quiz needs a title."),
        ({"time_limit_minutes": 0}, "time_limit_minutes: A time limit is 1 to 1440 minutes"),
        ({"attempts_allowed": -1}, "attempts_allowed: Attempts allowed is 0 (unlimited) to 100."),
        ({"show_feedback": "sometimes"}, 'show_feedback: "sometimes" is not a valid choice.'),
        (
            {"opens_at": "2026-05-02T10:00:00Z", "closes_at": "2026-05-01T10:00:00Z"},
            "closes_at: The quiz must close after it opens.",
        ),
        ({"state": "published"}, "state: Publish or unpublish with POST /quizzes/{id}/publish/"),
    ]:
        response = writer.patch(url, body, content_type="application/json")
        assert response.status_code == 400, body
        assert response.json()["error"]["message"].startswith(message), response.json()
    reorder = writer.put(
        url + "questions/order/", {"questions": [made[0].pk]}, content_type="application/json"
    )
    assert reorder.json()["error"]["message"] == (
        "questions: List every question of the quiz exactly once."
    )
    assert quiz_rows(school_a) == before


# --- what students see --------------------------------------------------------------------


def test_students_read_published_quizzes_without_any_key(school_a, course):
    quiz = published_quiz(school_a, course)
    with schema_context(school_a.schema):
        draft = quiz_services.quiz_create(course=course, title="Not yet")
    student = school_a.client(school_a.students[0])

    listed = student.get(f"/api/v1/courses/{course.pk}/quizzes/")
    assert listed.status_code == 200
    assert [q["id"] for q in listed.json()["results"]] == [quiz.pk]
    assert set(listed.json()["results"][0]) == {
        "id",
        "course",
        "title",
        "description",
        "time_limit_minutes",
        "attempts_allowed",
        "show_feedback",
        "opens_at",
        "closes_at",
        "late_minutes",
        "late_penalty_percent",
        "question_count",
        "published_at",
    }
    detail = student.get(f"/api/v1/quizzes/{quiz.pk}/")
    assert detail.status_code == 200
    body = detail.json()
    assert (body["title"], body["question_count"], body["time_limit_minutes"]) == (
        "Cells: unit test",
        6,
        20,
    )
    # Questions only appear inside an attempt (which starts the clock), never before it.
    assert "questions" not in body
    # The promise: nothing that gives an answer away, by name or by value.
    assert walk_keys(body) == {
        "id",
        "course",
        "title",
        "description",
        "time_limit_minutes",
        "attempts_allowed",
        "show_feedback",
        "opens_at",
        "closes_at",
        "late_minutes",
        "late_penalty_percent",
        "question_count",
        "published_at",
    }
    text = json.dumps(body, ensure_ascii=False)
    assert not [secret for secret in SECRETS if secret in text]
    # The same quiz read by its teacher does carry every key (so the check above can fail).
    teacher_text = json.dumps(
        school_a.client(school_a.teacher).get(f"/api/v1/quizzes/{quiz.pk}/").json()
    )
    assert all(secret in teacher_text for secret in SECRETS)

    assert student.get(f"/api/v1/quizzes/{draft.pk}/").status_code == 404
    assert (
        student.get(f"/api/v1/courses/{course.pk}/quizzes/", {"state": "draft"}).json()["results"]
        == []
    )


def test_students_change_nothing_and_others_see_nothing(school_a, course, reader):
    quiz = published_quiz(school_a, course)
    before = quiz_rows(school_a)
    student = school_a.client(school_a.students[0])
    outsider = school_a.client(school_a.students[1])
    url = f"/api/v1/quizzes/{quiz.pk}/"

    for client, code in ((student, 403), (outsider, 404)):
        for response in (
            post(client, f"/api/v1/courses/{course.pk}/quizzes/", {"title": "Mine"}),
            client.patch(url, {"title": "Mine"}, content_type="application/json"),
            post(client, url + "questions/", {"questions": [1]}),
            client.put(
                url + "questions/order/", {"questions": [1]}, content_type="application/json"
            ),
            client.delete(url + "questions/1/"),
            post(client, url + "publish/"),
            post(client, url + "unpublish/"),
        ):
            assert response.status_code == code, response.content
    assert outsider.get(url).status_code == 404
    assert outsider.get(f"/api/v1/courses/{course.pk}/quizzes/").status_code == 404
    assert reader.get(url).status_code == 200
    assert post(reader, url + "unpublish/").status_code == 403
    assert quiz_rows(school_a) == before


def test_school_b_cannot_see_or_touch_school_a_quizzes(school_a, school_b, course, keys_b):
    quiz = published_quiz(school_a, course)
    before = quiz_rows(school_a)
    with schema_context(school_b.schema):
        own = course_services.course_create(code="GEO-1", name="Geology")
        own_quiz = quiz_services.quiz_create(course=own, title="Volcanoes")
    beta_key = api(school_b, keys_b.read_write)

    listed = beta_key.get(f"/api/v1/courses/{own.pk}/quizzes/").json()["results"]
    assert [(q["id"], q["title"]) for q in listed] == [(own_quiz.pk, "Volcanoes")]
    for client in (beta_key, school_b.client(school_b.admin)):
        if quiz.pk != own_quiz.pk:
            url = f"/api/v1/quizzes/{quiz.pk}/"
            for response in (
                client.get(url),
                client.patch(url, {"title": "Taken"}, content_type="application/json"),
                post(client, url + "unpublish/"),
                client.get(url + "export/", {"format": "gift"}),
            ):
                assert response.status_code == 404
        if course.pk != own.pk:
            assert client.get(f"/api/v1/courses/{course.pk}/quizzes/").status_code == 404
    assert quiz_rows(school_a) == before
