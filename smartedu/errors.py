"""One way to fail: every refusal of the domain is a ``DomainError``.

A service that refuses a request raises a ``DomainError`` (or a subclass) *before* it writes
anything, with a stable ``code`` a program can branch on, a ``message`` a person understands,
and the HTTP ``status`` the refusal calls for. Three adapters turn it into what the caller sees,
each in one place:

- the API: ``smartedu.api.errors.exception_handler`` → ``{"error": {"code", "message", ...}}``;
- the web pages: ``smartedu.middleware.DomainErrorMiddleware`` → the message shown on the
  page the person came from (a form post) or on an error page, with the status;
- the websockets: ``smartedu.consumers.GuardedJsonConsumer`` → an ``error`` frame
  ``{"type": "error", "code", "message", ...}``, the socket staying open.

Each subclass declares the codes it may carry in ``codes`` (code → (status, meaning)); the
registry of every code (``error_codes()``) is what the OpenAPI schema and the manual list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from django.core.exceptions import PermissionDenied
from django.http import Http404


@dataclass(frozen=True)
class ErrorCode:
    """One documented error code: its HTTP status and when it happens."""

    code: str
    status: int
    meaning: str
    raised_by: str


# (code, raised_by) → entry: two refusals may share a code ("not_open") with their own status.
_REGISTRY: dict[tuple[str, str], ErrorCode] = {}


def register_codes(raised_by: str, codes: Mapping[str, tuple[int, str]]) -> None:
    """Document codes that are raised outside a DomainError subclass (authentication, the
    request parser, the framework's own 404 and 405)."""
    for code, (status, meaning) in codes.items():
        _REGISTRY[(code, raised_by)] = ErrorCode(code, status, meaning, raised_by)


class DomainError(Exception):
    """A refusal with a stable code, a sentence for a person and the status it calls for.

    ``extra`` carries machine-readable details that travel in the error body next to the code
    (``resets_at`` of a quota, ``question`` of a refused answer). Nothing was changed."""

    # code → (HTTP status, when it happens); the first is the default code of the class.
    codes: ClassVar[Mapping[str, tuple[int, str]]] = {
        "refused": (400, "The request was refused; the message says why."),
    }

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or next(iter(self.codes))
        known = self.codes.get(self.code)
        self.status = status or (known[0] if known else next(iter(self.codes.values()))[0])
        self.extra = extra

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "codes" in cls.__dict__:  # a subclass that only reuses its parent's codes adds none
            register_codes(f"{cls.__module__}.{cls.__qualname__}", cls.codes)

    def headers(self) -> dict[str, str]:
        """HTTP headers the refusal calls for (a 429's ``Retry-After``)."""
        return {}

    def as_body(self) -> dict[str, Any]:
        """The error as the API and the websockets send it: code, message, then the extras."""
        return {"code": self.code, "message": self.message, **self.extra}

    def __str__(self) -> str:
        return self.message


class NotFound(DomainError, Http404):
    """What the caller may not see does not exist for them (its existence is never revealed).
    Also an ``Http404``, so a web view that lets it through renders the 404 page."""

    codes: ClassVar[Mapping[str, tuple[int, str]]] = {
        "not_found": (404, "No such object in this school, or not one the caller may see."),
    }


class Forbidden(DomainError, PermissionDenied):
    """The caller may see the object but not do this to it. Also a ``PermissionDenied``, so a
    web view that lets it through renders the 403 page."""

    codes: ClassVar[Mapping[str, tuple[int, str]]] = {
        "permission_denied": (403, "The caller's role may not do this."),
    }


class Conflict(DomainError):
    """The object is not in a state that allows this (yet, or any more)."""

    codes: ClassVar[Mapping[str, tuple[int, str]]] = {
        "conflict": (409, "The object is not in a state that allows this."),
        "not_failed": (409, "Only a failed job can be retried."),
        "in_use": (409, "The object is used elsewhere and cannot be removed."),
        "not_publishable": (409, "The quiz cannot be published as it is."),
    }


class TooLarge(DomainError):
    """What was sent is larger than the limit for it; the message says the limit."""

    codes: ClassVar[Mapping[str, tuple[int, str]]] = {
        "too_large": (413, "The file is larger than the limit; the message says the limit."),
    }


class Unavailable(DomainError):
    """An outside service (an AI provider) failed this time, after its retries: try again."""

    codes: ClassVar[Mapping[str, tuple[int, str]]] = {
        "ai_unavailable": (503, "An AI provider failed this time; try again."),
        "tutor_unavailable": (503, "The tutor could not answer this time; ask again."),
    }


def error_codes() -> list[ErrorCode]:
    """Every code a DomainError may carry, by code then by who raises it. Importing the apps'
    error modules first (the API schema and the docs do, through the URLconf) registers theirs."""
    return sorted(_REGISTRY.values(), key=lambda entry: (entry.code, entry.raised_by))


register_codes("smartedu.errors.DomainError", DomainError.codes)
register_codes(
    "smartedu.api.errors",
    {
        "validation_error": (400, "Invalid input; `fields` has the messages per input field."),
        "malformed_request": (400, "The request body could not be read (bad JSON, bad form)."),
        "bad_request": (400, "The request was not understood."),
        "not_authenticated": (401, "No API key or session."),
        "invalid_api_key": (401, "The API key is unknown."),
        "revoked_api_key": (401, "The API key was revoked."),
        "expired_api_key": (401, "The API key expired."),
        "school_suspended": (403, "The school is suspended; nothing can be changed."),
        "method_not_allowed": (405, "The endpoint does not accept this HTTP method."),
        "not_acceptable": (406, "The endpoint cannot answer in the requested format."),
        "payload_too_large": (413, "The request body is too large."),
        "unsupported_media_type": (415, "The request body's content type is not accepted."),
        "rate_limited": (429, "Too many requests; wait as `Retry-After` says."),
    },
)
