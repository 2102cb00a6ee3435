"""The OpenAPI schema documents every endpoint, generates without a single warning, and the
Swagger UI renders from our own static files."""

import re

import pytest
import yaml
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS

from .conftest import api

pytestmark = pytest.mark.django_db

OPERATIONS = {
    ("/api/v1/users/", "get"): "users_list",
    ("/api/v1/users/", "post"): "users_create",
    ("/api/v1/users/{user_id}/", "get"): "users_retrieve",
    ("/api/v1/users/{user_id}/", "patch"): "users_update",
    ("/api/v1/users/{user_id}/deactivate/", "post"): "users_deactivate",
    ("/api/v1/users/{user_id}/reactivate/", "post"): "users_reactivate",
    ("/api/v1/users/bulk-upsert/", "post"): "users_bulk_upsert",
    ("/api/v1/courses/", "get"): "courses_list",
    ("/api/v1/courses/", "post"): "courses_create",
    ("/api/v1/courses/{course_id}/", "get"): "courses_retrieve",
    ("/api/v1/courses/{course_id}/", "patch"): "courses_update",
    ("/api/v1/courses/{course_id}/enrollments/", "get"): "course_enrollments_list",
    ("/api/v1/courses/{course_id}/enrollments/", "post"): "course_enrollments_create",
    (
        "/api/v1/courses/{course_id}/enrollments/{user_id}/",
        "delete",
    ): "course_enrollments_delete",
    ("/api/v1/courses/{course_id}/materials/", "get"): "course_materials_list",
    ("/api/v1/courses/{course_id}/materials/", "post"): "course_materials_create",
    ("/api/v1/materials/{material_id}/", "get"): "materials_retrieve",
    ("/api/v1/materials/{material_id}/", "delete"): "materials_delete",
    ("/api/v1/materials/{material_id}/retry/", "post"): "materials_retry",
    ("/api/v1/materials/{material_id}/chunks/", "get"): "material_chunks_list",
    ("/api/v1/courses/{course_id}/search/", "get"): "course_search",
    ("/api/v1/courses/{course_id}/tutor/", "post"): "course_tutor_ask",
    ("/api/v1/courses/{course_id}/tutor/turns/", "get"): "course_tutor_turns_list",
    ("/api/v1/tutor/turns/{turn_id}/", "get"): "tutor_turns_retrieve",
    # quiz generation, the question bank, quizzes and exchange formats
    ("/api/v1/courses/{course_id}/generation-jobs/", "get"): "course_generation_jobs_list",
    ("/api/v1/courses/{course_id}/generation-jobs/", "post"): "course_generation_jobs_create",
    ("/api/v1/generation-jobs/{job_id}/", "get"): "generation_jobs_retrieve",
    ("/api/v1/generation-jobs/{job_id}/questions/", "get"): "generation_job_questions_list",
    ("/api/v1/courses/{course_id}/questions/", "get"): "course_questions_list",
    ("/api/v1/courses/{course_id}/questions/", "post"): "course_questions_create",
    (
        "/api/v1/courses/{course_id}/questions/bulk-accept/",
        "post",
    ): "course_questions_bulk_accept",
    ("/api/v1/courses/{course_id}/questions/import/", "post"): "course_questions_import",
    ("/api/v1/questions/{question_id}/", "get"): "questions_retrieve",
    ("/api/v1/questions/{question_id}/", "patch"): "questions_update",
    ("/api/v1/questions/{question_id}/", "delete"): "questions_delete",
    ("/api/v1/questions/{question_id}/accept/", "post"): "questions_accept",
    ("/api/v1/questions/{question_id}/reject/", "post"): "questions_reject",
    ("/api/v1/questions/{question_id}/regenerate/", "post"): "questions_regenerate",
    ("/api/v1/questions/{question_id}/versions/", "get"): "question_versions_list",
    ("/api/v1/courses/{course_id}/quizzes/", "get"): "course_quizzes_list",
    ("/api/v1/courses/{course_id}/quizzes/", "post"): "course_quizzes_create",
    ("/api/v1/quizzes/{quiz_id}/", "get"): "quizzes_retrieve",
    ("/api/v1/quizzes/{quiz_id}/", "patch"): "quizzes_update",
    ("/api/v1/quizzes/{quiz_id}/questions/", "post"): "quiz_questions_add",
    ("/api/v1/quizzes/{quiz_id}/questions/{question_id}/", "delete"): "quiz_questions_remove",
    ("/api/v1/quizzes/{quiz_id}/questions/order/", "put"): "quiz_questions_reorder",
    ("/api/v1/quizzes/{quiz_id}/publish/", "post"): "quizzes_publish",
    ("/api/v1/quizzes/{quiz_id}/unpublish/", "post"): "quizzes_unpublish",
    ("/api/v1/quizzes/{quiz_id}/export/", "get"): "quizzes_export",
    ("/api/v1/quizzes/{quiz_id}/export/warnings/", "get"): "quizzes_export_warnings",
    # attempts, results, progress, statistics and accommodations
    ("/api/v1/quizzes/{quiz_id}/attempts/", "get"): "quiz_attempts_list",
    ("/api/v1/quizzes/{quiz_id}/attempts/", "post"): "quiz_attempts_start",
    ("/api/v1/attempts/{attempt_id}/", "get"): "attempts_retrieve",
    ("/api/v1/attempts/{attempt_id}/answers/{position}/", "put"): "attempt_answers_save",
    ("/api/v1/attempts/{attempt_id}/submit/", "post"): "attempts_submit",
    ("/api/v1/courses/{course_id}/attempts/", "get"): "course_attempts_list",
    ("/api/v1/students/{user_id}/attempts/", "get"): "student_attempts_list",
    ("/api/v1/courses/{course_id}/progress/", "get"): "course_progress_list",
    ("/api/v1/students/{user_id}/progress/", "get"): "student_progress_retrieve",
    ("/api/v1/quizzes/{quiz_id}/statistics/", "get"): "quiz_statistics_retrieve",
    ("/api/v1/users/{user_id}/accommodation/", "get"): "user_accommodation_retrieve",
    ("/api/v1/users/{user_id}/accommodation/", "put"): "user_accommodation_update",
}
# State changes that take no body, so there is nothing to be invalid.
NO_BODY = (
    "deactivate/",
    "reactivate/",
    "/accept/",
    "/publish/",
    "/unpublish/",
    "/attempts/",
    "/submit/",
)


@pytest.fixture
def schema(tmp_path) -> dict:
    """The schema as `manage.py spectacular --validate --fail-on-warn` writes it (it raises on
    any warning or any OpenAPI violation)."""
    GENERATOR_STATS.reset()
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    return yaml.safe_load(target.read_text())


def test_schema_generates_with_no_warnings_and_validates(schema):
    assert not GENERATOR_STATS
    assert schema["openapi"].startswith("3.")


def test_every_endpoint_is_documented_with_its_errors(schema):
    documented = {
        (path, method): operation["operationId"]
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if path.startswith("/api/v1/")
    }
    assert documented == OPERATIONS
    for (path, method), _ in OPERATIONS.items():
        operation = schema["paths"][path][method]
        assert operation["tags"] and operation["summary"]
        assert operation["security"] == [{"ApiKeyAuth": []}, {"cookieAuth": []}]
        assert operation["responses"]["401"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"
        }
        assert "403" in operation["responses"]
        if "{" in path:
            assert "404" in operation["responses"]
        if method in ("post", "patch", "put") and not path.endswith(NO_BODY):
            assert "400" in operation["responses"]


def test_components_describe_people_without_passwords_and_the_error_body(schema):
    components = schema["components"]["schemas"]
    assert "password" not in components["User"]["properties"]
    assert components["UserCreateRequest"]["properties"]["password"]["writeOnly"] is True
    assert components["ErrorDetail"]["required"] == ["code", "message"]
    assert components["UserRoleEnum"]["enum"] == ["admin", "teacher", "student"]
    assert components["CourseRoleEnum"]["enum"] == ["teacher", "student"]
    records = components["RosterBulkUpsertRequest"]["properties"]["records"]
    assert (records["minItems"], records["maxItems"]) == (1, 1000)
    assert schema["components"]["securitySchemes"]["ApiKeyAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "`Api-Key <key>`: a key created by the school admin (API keys page).",
    }


def test_schema_is_served_on_the_school_host(school_a):
    response = api(school_a).get("/api/schema/?format=json")
    assert response.status_code == 200
    served = response.json()
    assert set(served["paths"]) == {path for path, _ in OPERATIONS}


def test_swagger_ui_renders_from_our_own_static_files(school_a):
    response = api(school_a).get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "/api/schema/" in page
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert any("swagger-ui-bundle.js" in asset for asset in assets)
    assert not [asset for asset in assets if asset.startswith(("http:", "https:", "//"))]
    assert "cdn" not in page.lower()
    for asset in assets:
        assert api(school_a).get(asset).status_code == 200, asset


def test_quiz_endpoints_are_grouped_and_what_students_read_has_no_keys(schema):
    tags = {
        operation["operationId"]: operation["tags"]
        for item in schema["paths"].values()
        for operation in item.values()
    }
    assert tags["course_generation_jobs_create"] == tags["questions_regenerate"] == ["Generation"]
    assert tags["course_questions_list"] == tags["questions_update"] == ["Question bank"]
    assert tags["quizzes_publish"] == tags["quiz_questions_reorder"] == ["Quizzes"]
    assert tags["quizzes_export"] == tags["course_questions_import"] == ["Exchange"]
    components = schema["components"]["schemas"]
    # Students read questions inside attempts only; the quiz itself lists none.
    assert not {"questions", "items"} & set(components["StudentQuizDetail"]["properties"])
    assert {"correct", "feedback"} <= set(components["QuestionOption"]["properties"])
    assert components["QuestionKindEnum"]["enum"] == [
        "single",
        "multiple",
        "true_false",
        "short_answer",
        "numeric",
        "fill_blank",
    ]
    created = schema["paths"]["/api/v1/courses/{course_id}/generation-jobs/"]["post"]
    assert set(created["responses"]) >= {"202", "400", "429"}
    assert created["responses"]["429"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/QuotaExceededError"
    }
    export = schema["paths"]["/api/v1/quizzes/{quiz_id}/export/"]["get"]
    (fmt,) = [p for p in export["parameters"] if p["name"] == "format"]
    assert fmt["required"] is True
    assert "X-SmartEdu-Export-Warnings" in export["description"]


def test_attempt_endpoints_are_grouped_and_a_students_attempt_shows_keys_only_as_feedback(schema):
    tags = {
        operation["operationId"]: operation["tags"]
        for item in schema["paths"].values()
        for operation in item.values()
    }
    assert tags["quiz_attempts_start"] == tags["attempt_answers_save"] == ["Attempts"]
    assert tags["quiz_attempts_list"] == tags["quiz_statistics_retrieve"] == ["Results"]
    assert tags["course_progress_list"] == tags["student_progress_retrieve"] == ["Progress"]
    components = schema["components"]["schemas"]
    # What a student reads while taking a quiz: the options' wording, never which is right.
    assert set(components["AttemptOption"]["properties"]) == {"id", "text_html"}
    question = set(components["AttemptQuestionState"]["properties"])
    assert not {"correct", "correct_answer", "answer", "explanation_html", "options_key"} & question
    assert components["AttemptQuestionState"]["properties"]["feedback"] == {
        "$ref": "#/components/schemas/AttemptFeedback"
    }
    assert "feedback" not in components["AttemptQuestionState"].get("required", [])
    # The people who run the course read the key with each answer.
    managed = components["ManagedAttemptQuestion"]["properties"]
    assert {"correct", "correct_answer", "explanation_html"} <= set(managed)
    listed = schema["paths"]["/api/v1/quizzes/{quiz_id}/attempts/"]["get"]
    assert set(listed["responses"]["200"]["content"]) == {"application/json", "text/csv"}
    names = {p["name"] for p in listed["parameters"]}
    assert {"student", "external_id", "state", "late", "submitted_after", "format"} <= names
    saved = schema["paths"]["/api/v1/attempts/{attempt_id}/answers/{position}/"]["put"]
    assert set(saved["responses"]) >= {"200", "400", "401", "403", "404", "409"}
