"""One way to fail: a DomainError reads the same to an API client, a person on a page and a
page's websocket — its code, its sentence and its status — and documents itself."""

import datetime as dt

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.test import RequestFactory
from django.utils import timezone

from smartedu.api.errors import exception_handler
from smartedu.consumers import GuardedJsonConsumer
from smartedu.errors import Conflict, DomainError, Forbidden, NotFound, error_codes
from smartedu.middleware import DomainErrorMiddleware
from tenants.quotas import QuotaExceeded


class PublishRefused(DomainError):
    codes = {"not_ready_to_publish": (409, "The quiz has no questions yet.")}


def test_a_refusal_carries_its_code_sentence_and_status():
    refusal = PublishRefused("Add a question before publishing.", question_count=0)

    assert (refusal.code, refusal.status, str(refusal)) == (
        "not_ready_to_publish",
        409,
        "Add a question before publishing.",
    )
    assert refusal.as_body() == {
        "code": "not_ready_to_publish",
        "message": "Add a question before publishing.",
        "question_count": 0,
    }


def test_a_code_may_be_chosen_per_refusal_and_the_status_follows_it():
    assert Conflict("Retry only a failed job.", code="not_failed").status == 409
    assert NotFound("No such course.").status == 404
    assert Forbidden("Only teachers.").status == 403


def test_not_found_and_forbidden_are_djangos_own_404_and_403():
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    assert isinstance(NotFound("No such course."), Http404)
    assert isinstance(Forbidden("Only teachers."), PermissionDenied)


def test_the_api_sends_the_error_envelope_with_extras_and_headers():
    resets_at = timezone.now() + dt.timedelta(hours=2)
    refusal = QuotaExceeded("The budget is spent.", resets_at=resets_at, limit=10, used=10)

    response = exception_handler(refusal, {})

    assert response.status_code == 429
    assert response.data["error"]["code"] == "quota_exceeded"
    assert response.data["error"]["message"] == "The budget is spent."
    assert (response.data["error"]["limit"], response.data["error"]["used"]) == (10, 10)
    assert response.data["error"]["resets_at"].endswith("Z")
    assert 7100 < int(response["Retry-After"]) <= 7200


def test_the_api_maps_a_subclass_declared_anywhere():
    response = exception_handler(PublishRefused("Add a question first."), {})

    assert response.status_code == 409
    assert response.data == {
        "error": {"code": "not_ready_to_publish", "message": "Add a question first."}
    }


@pytest.mark.django_db
def test_a_page_shows_the_sentence_with_the_status(school_a):
    request = RequestFactory().post("/courses/1/quizzes/2/publish/", HTTP_HOST=school_a.host)
    request.user = school_a.teacher
    request.tenant = school_a.model

    response = DomainErrorMiddleware(lambda r: None).process_exception(
        request, PublishRefused("Add a question before publishing.")
    )

    assert response.status_code == 409
    assert "Add a question before publishing." in response.content.decode()
    assert "Nothing was changed." in response.content.decode()


def test_an_htmx_request_gets_the_sentence_alone_to_show_in_place():
    request = RequestFactory().post("/x/", HTTP_HX_REQUEST="true")

    response = DomainErrorMiddleware(lambda r: None).process_exception(
        request, PublishRefused("Add <b>a question</b> first.")
    )

    assert response.status_code == 409
    assert response.content.decode() == (
        '<p class="form-error" role="alert">Add &lt;b&gt;a question&lt;/b&gt; first.</p>'
    )


def test_a_page_leaves_404_and_403_to_djangos_own_pages():
    middleware = DomainErrorMiddleware(lambda r: None)
    request = RequestFactory().get("/x/")

    assert middleware.process_exception(request, NotFound("No such course.")) is None
    assert middleware.process_exception(request, Forbidden("Only teachers.")) is None
    assert middleware.process_exception(request, ValueError("a bug")) is None


class _PublishingConsumer(GuardedJsonConsumer):
    async def connect(self):
        await self.accept()

    async def receive_json(self, content, **kwargs):
        if content.get("type") == "publish":
            raise PublishRefused("Add a question before publishing.", quiz=7)
        await self.send_json({"type": "published"})


@pytest.mark.django_db
def test_a_websocket_gets_an_error_frame_and_stays_open():
    async_to_sync(_publish_twice)()


async def _publish_twice():
    communicator = WebsocketCommunicator(_PublishingConsumer.as_asgi(), "/ws/test/")
    connected, _ = await communicator.connect()
    assert connected

    await communicator.send_json_to({"type": "publish"})
    assert await communicator.receive_json_from() == {
        "type": "error",
        "code": "not_ready_to_publish",
        "message": "Add a question before publishing.",
        "quiz": 7,
    }
    await communicator.send_json_to({"type": "anything"})
    assert await communicator.receive_json_from() == {"type": "published"}
    await communicator.disconnect()


def test_every_code_is_documented_once_with_its_status_and_meaning():
    codes = {entry.code: entry for entry in error_codes()}
    assert len(error_codes()) == len({(e.code, e.raised_by) for e in error_codes()})

    assert codes["quota_exceeded"].status == 429
    assert codes["not_ready_to_publish"].raised_by.endswith("PublishRefused")
    assert {"validation_error", "not_found", "permission_denied", "conflict"} <= set(codes)
    assert all(entry.meaning for entry in codes.values())


@pytest.mark.django_db
def test_the_openapi_schema_lists_every_error_code():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    code = schema["components"]["schemas"]["ErrorDetail"]["properties"]["code"]

    assert {"quota_exceeded", "validation_error", "not_found"} <= set(code["enum"])
    assert "- `quota_exceeded` (429):" in code["description"]


# --- the apps' own refusals are DomainErrors too --------------------------------------------

APP_PACKAGES = ("smartedu.", "tenants.", "accounts.", "courses.", "ai.", "quizzes.")


def _app_codes():
    """The registry as the running site has it (its URLconfs import every refusal's module),
    without the classes tests declare for themselves."""
    import smartedu.routing  # noqa: F401
    import smartedu.urls_tenant  # noqa: F401

    return [entry for entry in error_codes() if entry.raised_by.startswith(APP_PACKAGES)]


@pytest.mark.parametrize(
    "code,status",
    [
        ("too_large", 413),
        ("unsupported_type", 415),
        ("empty", 400),
        ("password_protected", 400),
        ("zip_bomb", 400),
        ("some_new_reason", 400),
    ],
)
def test_a_refused_upload_answers_with_the_status_its_reason_calls_for(code, status):
    from courses.sniffing.rejection import MaterialRejected

    response = exception_handler(MaterialRejected(code, "This file cannot be used."), {})

    assert response.status_code == status
    assert response.data == {"error": {"code": code, "message": "This file cannot be used."}}


def test_a_refused_file_among_several_is_named_in_the_sentence():
    from courses.sniffing.rejection import MaterialRejected

    refusal = MaterialRejected("empty", "This file is empty.")
    refusal.filename = "notes.txt"

    message = exception_handler(refusal, {}).data["error"]["message"]
    assert message == "notes.txt: This file is empty."
    assert refusal.reason == "This file is empty."


@pytest.mark.parametrize(
    "code,status",
    [
        ("not_open", 409),
        ("time_up", 409),
        ("bad_response", 400),
        ("not_a_student", 403),
        ("not_published", 404),
        ("no_such_question", 404),
        ("a_rule_added_later", 409),
    ],
)
def test_an_attempt_refusal_answers_with_the_status_its_code_calls_for(code, status):
    from quizzes.attempts.errors import AttemptRefused

    response = exception_handler(AttemptRefused(code, "Not now."), {})

    assert response.status_code == status
    assert response.data == {"error": {"code": code, "message": "Not now."}}


def test_a_provider_that_failed_after_its_retries_is_a_503_to_ask_again():
    from ai.openai_compat import ProviderError

    failure = ProviderError("The embedding provider did not answer within 5 s.", retryable=True)
    response = exception_handler(failure, {})

    assert isinstance(failure, DomainError)
    assert response.status_code == 503
    assert response.data == {
        "error": {
            "code": "ai_unavailable",
            "message": "The embedding provider did not answer within 5 s.",
        }
    }


def test_a_page_shows_an_attempt_refusal_with_its_status():
    from quizzes.attempts.errors import AttemptRefused

    response = DomainErrorMiddleware(lambda r: None).process_exception(
        RequestFactory().post("/x/", HTTP_HX_REQUEST="true"),
        AttemptRefused("closed", "This quiz closed at 9:00."),
    )

    assert response.status_code == 409
    assert "This quiz closed at 9:00." in response.content.decode()


def test_each_code_has_one_status_wherever_it_is_raised():
    statuses: dict[str, set[int]] = {}
    for entry in _app_codes():
        statuses.setdefault(entry.code, set()).add(entry.status)

    # Two names kept for what clients already branch on: an empty upload is a bad request
    # (400) while an empty quiz is a conflict (409); an unpublished quiz cannot be taken (404)
    # nor run live until it is published (409).
    shared = {code for code, found in statuses.items() if len(found) > 1}
    assert shared == {"empty", "not_published"}


def test_the_apps_refusals_are_registered_with_their_status():
    registered = {(entry.code, entry.status, entry.raised_by) for entry in _app_codes()}

    assert {
        ("too_large", 413, "courses.sniffing.rejection.MaterialRejected"),
        ("unsupported_type", 415, "courses.sniffing.rejection.MaterialRejected"),
        ("not_a_student", 403, "quizzes.attempts.errors.AttemptRefused"),
        ("not_open", 409, "quizzes.attempts.errors.AttemptRefused"),
        ("ai_unavailable", 503, "smartedu.errors.Unavailable"),
        ("tutor_unavailable", 503, "smartedu.errors.Unavailable"),
        ("too_large", 413, "smartedu.errors.TooLarge"),
    } <= registered


@pytest.mark.django_db
def test_each_registered_error_code_appears_in_the_openapi_schema():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    code = schema["components"]["schemas"]["ErrorDetail"]["properties"]["code"]

    assert {entry.code for entry in _app_codes()} <= set(code["enum"])
    assert "- `unsupported_type` (415):" in code["description"]
    assert "- `not_a_student` (403):" in code["description"]
