import uuid

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.html import escape

from .db import current_schema
from .errors import DomainError, Forbidden, NotFound
from .logging import bind_school, request_id_var


class RequestContextMiddleware:
    """Give every request an id (a sane X-Request-ID from the proxy, else a new one)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = (
            incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex
        )
        request.request_id = request_id
        request_id_var.set(request_id)
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


class LogContextUserMiddleware:
    """Runs after tenant resolution: binds the school to the log context and Sentry."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        bind_school(current_schema())
        return self.get_response(request)


class DomainErrorMiddleware:
    """A DomainError that a page's view lets through becomes the page a person reads: the
    sentence and the status it calls for (an htmx request gets the sentence alone, to show in
    place). NotFound and Forbidden are Django's own 404 and 403 and render those pages. The API
    maps DomainErrors itself (smartedu.api.errors), before they reach this."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DomainError) or isinstance(exception, NotFound | Forbidden):
            return None
        if request.headers.get("HX-Request") == "true":
            return HttpResponse(
                f'<p class="form-error" role="alert">{escape(exception.message)}</p>',
                status=exception.status,
            )
        return render(
            request,
            "error.html",
            {"message": exception.message, "code": exception.code},
            status=exception.status,
        )
