"""What the embedding and chat adapters share when they talk to an OpenAI-compatible endpoint
(OpenAI, vLLM, Ollama, llama.cpp): the client, one circuit breaker per endpoint, and the mapping
from the ``openai`` package's exceptions to errors a teacher or operator can act on.

The ``openai`` and ``pybreaker`` imports stay inside functions so that importing the web app
stays light."""

import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from smartedu.errors import Unavailable

# Local servers (vLLM, Ollama, llama.cpp) accept any key, but the openai client refuses to
# start without one.
NO_API_KEY = "no-key-configured"


class ProviderError(Unavailable):
    """A provider call failed. ``message`` is a sentence for a teacher or operator;
    ``retryable`` says whether the same call may succeed later (rate limits, outages,
    timeouts) or will keep failing until someone changes the configuration. A request it
    reaches is answered 503 ``ai_unavailable`` (the API) or with the sentence (pages, sockets)."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


def openai_client(*, base_url: str | None, api_key: str, timeout: float, max_retries: int):
    """An ``openai.OpenAI`` client. Its own retries cover 408/409/429/5xx, timeouts and
    connection errors, with exponential backoff that honours Retry-After."""
    import openai

    return openai.OpenAI(
        base_url=base_url or None,
        api_key=api_key or NO_API_KEY,
        timeout=timeout,
        max_retries=max_retries,
    )


def _counts_as_outage(exc: BaseException) -> bool:
    return isinstance(exc, ProviderError) and exc.retryable


class Breaker:
    """A circuit breaker around one endpoint, shared by every thread of the process.

    Only retryable provider failures count (rate limits after retries, 5xx, timeouts, broken
    connections): a 400, a rejected key or a caller's own exception says nothing about the
    endpoint's health. pybreaker's ``call()`` holds its lock for the whole guarded call, which
    would serialise every request in a web process; its ``calling()`` context releases the
    lock while the body runs, so that is what ``guard`` uses."""

    def __init__(self, label: str, *, fail_max: int, reset_seconds: float) -> None:
        import pybreaker

        self.label = label
        self._opened_at = 0.0

        breaker = self

        class _OpenedAt(pybreaker.CircuitBreakerListener):
            def state_change(self, cb, old_state, new_state) -> None:
                if new_state is not None and new_state.name == pybreaker.STATE_OPEN:
                    breaker._opened_at = time.monotonic()

        self._cb = pybreaker.CircuitBreaker(
            fail_max=max(1, fail_max),
            reset_timeout=reset_seconds,
            exclude=[lambda exc: not _counts_as_outage(exc)],
            listeners=[_OpenedAt()],
            # The call that trips the breaker reports its own failure, not a generic one.
            throw_new_error_on_trip=False,
            name=label,
        )

    @property
    def state(self) -> str:
        """ "closed", "open" or "half-open"."""
        return self._cb.current_state

    def seconds_until_retry(self) -> int:
        left = self._cb.reset_timeout - (time.monotonic() - self._opened_at)
        return max(1, math.ceil(left))

    @contextmanager
    def guard(self, error_cls: type[ProviderError]) -> Iterator[None]:
        """Run the body unless the breaker is open; when open, raise ``error_cls`` at once
        (retryable) without touching the endpoint."""
        import pybreaker

        try:
            with self._cb.calling():
                yield
        except pybreaker.CircuitBreakerError:
            raise error_cls(
                f"The {self.label} is unavailable after repeated failures; retrying in about "
                f"{self.seconds_until_retry()} s.",
                retryable=True,
            ) from None


_breakers: dict[tuple, Breaker] = {}
_breakers_lock = threading.Lock()


def breaker_for(label: str, base_url: str | None, *, fail_max: int, reset_seconds: float):
    """The process-wide breaker for ``label`` at ``base_url`` with these limits."""
    key = (label, base_url or "", fail_max, reset_seconds)
    with _breakers_lock:
        breaker = _breakers.get(key)
        if breaker is None:
            breaker = _breakers[key] = Breaker(
                label, fail_max=fail_max, reset_seconds=reset_seconds
            )
        return breaker


def _detail(exc: Any) -> str:
    body = getattr(exc, "body", None)
    message = body.get("message") if isinstance(body, dict) else None
    if not isinstance(message, str) or not message.strip():
        message = getattr(exc, "message", None) or str(exc)
    message = " ".join(str(message).split())
    return message[:300].rstrip(".") + "."


def provider_error(
    exc: Exception,
    error_cls: type[ProviderError],
    *,
    label: str,
    key_setting: str,
    model_setting: str,
    model: str,
    base_url: str | None,
    timeout: float,
    max_retries: int,
) -> ProviderError:
    """Translate an exception from the ``openai`` package into ``error_cls``.

    The client has already retried what can be retried, so what reaches here is either
    lasting (retryable=False: fix the configuration) or an outage to wait out
    (retryable=True)."""
    import openai

    attempts = max_retries + 1
    tries = f"{attempts} attempt{'s' if attempts != 1 else ''}"
    where = base_url or "api.openai.com"
    if isinstance(exc, openai.APITimeoutError):
        return error_cls(
            f"The {label} did not answer within {timeout:g} s ({tries}).", retryable=True
        )
    if isinstance(exc, openai.APIConnectionError):
        return error_cls(f"Could not reach the {label} at {where} ({tries}).", retryable=True)
    if isinstance(exc, openai.APIStatusError):
        code = exc.status_code
        if code in (401, 403):
            return error_cls(
                f"The {label} rejected the API key (HTTP {code}). Check {key_setting}.",
                retryable=False,
            )
        if code == 404:
            return error_cls(
                f"The {label} does not know the model {model!r} (HTTP 404): {_detail(exc)} "
                f"Check {model_setting} and the base URL.",
                retryable=False,
            )
        if code == 429:
            body = getattr(exc, "body", None)
            if isinstance(body, dict) and body.get("code") == "insufficient_quota":
                # OpenAI's "out of credit" is a 429 too, but waiting will not fix it.
                return error_cls(
                    f"The {label} says the account has run out of quota (HTTP 429): "
                    f"{_detail(exc)} Check the provider account's billing.",
                    retryable=False,
                )
            return error_cls(
                f"The {label} is rate-limiting requests (HTTP 429, {tries}).", retryable=True
            )
        if code in (408, 409) or code >= 500:
            return error_cls(
                f"The {label} failed with HTTP {code} ({tries}): {_detail(exc)}",
                retryable=True,
            )
        return error_cls(
            f"The {label} refused the request (HTTP {code}): {_detail(exc)}", retryable=False
        )
    if isinstance(exc, openai.APIError):
        # An error event inside a stream, or a response the client could not validate.
        return error_cls(f"The {label} reported an error: {_detail(exc)}", retryable=True)
    raise TypeError(f"not an openai error: {exc!r}")
