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
}


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
        if method in ("post", "patch") and not path.endswith(("deactivate/", "reactivate/")):
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
