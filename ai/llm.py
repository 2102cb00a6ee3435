"""Chat generation through an OpenAI-compatible ``/v1/chat/completions`` endpoint (OpenAI, or
vLLM / Ollama / llama.cpp on the GPU workers): a streamed answer for the tutor and JSON-schema
structured output for quiz generation.

``chat_provider(task)`` follows the current school's chosen providers for the task in order
(tenants.ai_providers), else the environment's; it is None when the built-in offline
answerer/generator should be used instead: LLM_PROVIDER=offline, or auto with no OPENAI_API_KEY,
and no provider chosen. The client retries 429/5xx (honouring
Retry-After), timeouts and dropped connections on the initial request; a circuit breaker per
endpoint then fails fast while the provider is down."""

import hashlib
import json
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypedDict

from django.conf import settings

from .openai_compat import ProviderError, breaker_for, openai_client, provider_error

if TYPE_CHECKING:
    from tenants.ai_providers import ChainLink

LABEL = "chat model provider"
TEMPERATURE = 0.2

_FENCE_RE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)


class LLMError(ProviderError):
    """Generation failed. ``message`` is a sentence for a teacher or operator; ``retryable``
    says whether asking again later may work. After a stream broke, the caller keeps the
    text it already received through ``on_delta``."""


class _StreamState(TypedDict):
    """What reading a stream has learnt so far: the provider's usage (an object with token
    counts, when it sends one), the model that answered, whether it finished, characters read."""

    usage: object
    model: str
    finished: bool
    received: int


@dataclass
class ChatResult:
    text: str
    prompt_tokens: int
    completion_tokens: int
    model: str
    # Who answered, when a school's chain of providers was tried (ai.provider_chain).
    provider: str = ""


class ChatProvider(Protocol):
    name: str

    def stream_chat(
        self,
        messages: list[dict],
        *,
        on_delta: Callable[[str], None],
        max_tokens: int | None = None,
    ) -> ChatResult: ...

    def complete_json(
        self,
        messages: list[dict],
        *,
        schema: dict,
        schema_name: str,
        max_tokens: int | None = None,
    ) -> tuple[dict, ChatResult]: ...


def estimate_tokens(text: str) -> int:
    """About four characters a token: used when a server reports no usage."""
    return math.ceil(len(text) / 4)


def _prompt_text(messages: list[dict]) -> str:
    parts = []
    for message in messages:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            parts.extend(p.get("text", "") for p in content if isinstance(p, dict))
    return "\n".join(parts)


class OpenAIChat:
    """An OpenAI-compatible chat endpoint."""

    def __init__(
        self,
        *,
        model: str,
        base_url: str | None,
        api_key: str,
        timeout: float,
        max_retries: int,
        max_output_tokens: int,
        breaker_failures: int,
        breaker_reset_seconds: float,
        key_hint: str = "OPENAI_API_KEY",
        breaker_scope: str = "",
    ) -> None:
        self.name = f"openai/{model}"
        self._key_hint = key_hint
        self._model = model
        self._base_url = base_url
        self._timeout = timeout
        self._max_retries = max_retries
        self._max_output_tokens = max_output_tokens
        self._client = openai_client(
            base_url=base_url, api_key=api_key, timeout=timeout, max_retries=max_retries
        )
        # One breaker per endpoint and account: a school's own account being rate-limited
        # must not open the breaker of the platform's account at the same address.
        self.breaker = breaker_for(
            LABEL,
            f"{base_url or ''}#{breaker_scope}" if breaker_scope else base_url,
            fail_max=breaker_failures,
            reset_seconds=breaker_reset_seconds,
        )

    def _error(self, exc: Exception) -> LLMError:
        error = provider_error(
            exc,
            LLMError,
            label=LABEL,
            key_setting=self._key_hint,
            model_setting="LLM_MODEL",
            model=self._model,
            base_url=self._base_url,
            timeout=self._timeout,
            max_retries=self._max_retries,
        )
        assert isinstance(error, LLMError)  # provider_error makes the class it is given
        return error

    def _usage(self, usage, messages: list[dict], text: str) -> tuple[int, int]:
        prompt = getattr(usage, "prompt_tokens", None)
        completion = getattr(usage, "completion_tokens", None)
        if isinstance(prompt, int) and isinstance(completion, int):
            return prompt, completion
        return estimate_tokens(_prompt_text(messages)), estimate_tokens(text)

    def stream_chat(
        self,
        messages: list[dict],
        *,
        on_delta: Callable[[str], None],
        max_tokens: int | None = None,
    ) -> ChatResult:
        """Stream an answer, calling ``on_delta`` with each piece of text as it arrives.

        Raises LLMError(retryable=True) when the stream breaks off or carries garbage part-way;
        the pieces already passed to ``on_delta`` stand. An exception raised by ``on_delta``
        propagates unchanged and does not count against the provider."""
        import openai

        state: _StreamState = {
            "usage": None,
            "model": self._model,
            "finished": False,
            "received": 0,
        }
        pieces: list[str] = []
        with self.breaker.guard(LLMError):
            try:
                stream = self._client.chat.completions.create(
                    model=self._model,
                    messages=messages,
                    stream=True,
                    stream_options={"include_usage": True},
                    temperature=TEMPERATURE,
                    max_tokens=max_tokens or self._max_output_tokens,
                )
            except openai.APIError as exc:
                raise self._error(exc) from exc
            with stream:
                for piece in self._read(stream, state):
                    pieces.append(piece)
                    on_delta(piece)
            if not state["finished"]:
                raise LLMError(
                    f"The {LABEL}'s answer ended before it was complete "
                    f"(after {state['received']} characters).",
                    retryable=True,
                )
        text = "".join(pieces)
        prompt_tokens, completion_tokens = self._usage(state["usage"], messages, text)
        return ChatResult(text, prompt_tokens, completion_tokens, state["model"])

    def _read(self, stream, state: _StreamState) -> Iterator[str]:
        """The text pieces of a stream; every failure of the stream itself becomes LLMError."""
        import openai

        iterator = iter(stream)
        while True:
            received = state["received"]
            try:
                chunk = next(iterator)
            except StopIteration:
                return
            except openai.APITimeoutError as exc:
                raise LLMError(
                    f"The {LABEL} stopped sending the answer: nothing for {self._timeout:g} s "
                    f"after {received} characters.",
                    retryable=True,
                ) from exc
            except openai.APIConnectionError as exc:
                raise LLMError(
                    f"The connection to the {LABEL} broke after {received} characters of the "
                    "answer.",
                    retryable=True,
                ) from exc
            except openai.APIError as exc:
                raise LLMError(
                    f"The {LABEL} reported an error part-way through the answer: {exc.message}",
                    retryable=True,
                ) from exc
            except ValueError as exc:
                raise LLMError(
                    f"The {LABEL} sent a garbled stream after {received} characters ({exc}).",
                    retryable=True,
                ) from exc
            try:
                if getattr(chunk, "model", None):
                    state["model"] = chunk.model
                if getattr(chunk, "usage", None) is not None:
                    state["usage"] = chunk.usage
                texts = []
                for choice in chunk.choices or []:
                    content = choice.delta.content if choice.delta is not None else None
                    if content:
                        texts.append(str(content))
                    if choice.finish_reason:
                        state["finished"] = True
            except (AttributeError, TypeError) as exc:
                raise LLMError(
                    f"The {LABEL} sent a stream chunk in an unknown shape after {received} "
                    "characters.",
                    retryable=True,
                ) from exc
            for text in texts:
                state["received"] += len(text)
                yield text

    def complete_json(
        self,
        messages: list[dict],
        *,
        schema: dict,
        schema_name: str,
        max_tokens: int | None = None,
    ) -> tuple[dict, ChatResult]:
        """Ask for a JSON object following ``schema`` (structured output, strict) and parse it.
        Checking the object against the schema is the caller's job."""
        import openai

        with self.breaker.guard(LLMError):
            try:
                response = self._client.chat.completions.create(
                    model=self._model,
                    messages=messages,
                    response_format={
                        "type": "json_schema",
                        "json_schema": {"name": schema_name, "schema": schema, "strict": True},
                    },
                    temperature=TEMPERATURE,
                    max_tokens=max_tokens or self._max_output_tokens,
                )
            except openai.APIError as exc:
                raise self._error(exc) from exc
            except ValueError as exc:
                raise LLMError(
                    f"The {LABEL} sent a response that is not valid JSON ({exc}).",
                    retryable=True,
                ) from exc
        try:
            choice = response.choices[0]
            message = choice.message
            content, refusal = message.content, getattr(message, "refusal", None)
            finish_reason = choice.finish_reason
        except (AttributeError, IndexError, TypeError) as exc:
            raise LLMError(
                f"The {LABEL} sent a response with no answer in it.", retryable=True
            ) from exc
        if refusal:
            raise LLMError(f"The model declined to answer: {refusal}", retryable=False)
        if not isinstance(content, str):
            raise LLMError(f"The {LABEL} sent a response with no answer in it.", retryable=True)
        data = _parse_json_object(content, cut_off=finish_reason == "length")
        prompt_tokens, completion_tokens = self._usage(
            getattr(response, "usage", None), messages, content
        )
        model = getattr(response, "model", None) or self._model
        return data, ChatResult(content, prompt_tokens, completion_tokens, model)


def _parse_json_object(content: str, *, cut_off: bool) -> dict:
    text = content.strip()
    fenced = _FENCE_RE.match(text)
    if fenced:
        # Some local servers wrap the object in a Markdown code fence despite the schema.
        text = fenced.group(1)
    try:
        data = json.loads(text)
    except ValueError as exc:
        why = "it was cut off at the token limit" if cut_off else f"{exc}"
        raise LLMError(
            f"The model returned malformed JSON ({why}); asking again may help.",
            retryable=True,
        ) from exc
    if not isinstance(data, dict):
        raise LLMError(
            f"The model returned malformed JSON (a {type(data).__name__}, not an object); "
            "asking again may help.",
            retryable=True,
        )
    return data


def _build(link: "ChainLink") -> OpenAIChat:
    return OpenAIChat(
        model=link.model,
        base_url=link.base_url,
        api_key=link.api_key,
        timeout=float(settings.OPENAI_TIMEOUT_SECONDS),
        max_retries=int(settings.OPENAI_MAX_RETRIES),
        max_output_tokens=int(settings.LLM_MAX_OUTPUT_TOKENS),
        breaker_failures=int(settings.AI_BREAKER_FAILURES),
        breaker_reset_seconds=float(settings.AI_BREAKER_RESET_SECONDS),
        key_hint=link.key_hint,
        # The environment's provider keeps the breaker it always had.
        breaker_scope="" if link.is_default else hashlib.sha256(link.api_key.encode()).hexdigest(),
    )


def chat_provider(task: str = "tutor") -> ChatProvider | None:
    """The chat provider for ``task`` ("tutor" or "generation") in the current school: its
    chosen fallback order (ai.provider_chain), else the environment's provider; None for the
    offline answerer/generator (nothing configured or chosen)."""
    from .provider_chain import resolve

    return resolve(task, build=_build)
