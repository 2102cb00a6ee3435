import uuid

from django.db import connection

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
        bind_school(connection.schema_name)
        return self.get_response(request)
