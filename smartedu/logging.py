"""Log context: every log line carries the request id and the school it was written for."""

import logging
from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
school_var: ContextVar[str] = ContextVar("school", default="-")


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        if not hasattr(record, "school"):
            record.school = school_var.get()
        return True


def bind_school(schema_name: str) -> None:
    """Tag logs and Sentry events from here on with the school."""
    school_var.set(schema_name)
    try:
        import sentry_sdk

        sentry_sdk.set_tag("school", schema_name)
    except ImportError:  # pragma: no cover - sentry-sdk is a dependency
        pass
