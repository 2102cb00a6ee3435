"""Chat generation through an OpenAI-compatible endpoint: answers stream piece by piece with
their token usage, structured output comes back as a parsed object, and every way a provider
can fail ends in a clear error that says whether asking again may help.

The real ``openai`` client runs against a real local HTTP server speaking the API."""

import json
import math
import time

import pytest

from ai.llm import ChatResult, LLMError, chat_provider
from tests.fakes import openai_server as fake

MESSAGES = [
    {"role": "system", "content": "You are a patient tutor. Cite sources like [1]."},
    {"role": "user", "content": "What do mitochondria produce?"},
]
QUIZ_SCHEMA = {
    "type": "object",
    "properties": {
        "question": {"type": "string"},
        "options": {"type": "array", "items": {"type": "string"}},
        "answer": {"type": "integer"},
    },
    "required": ["question", "options", "answer"],
    "additionalProperties": False,
}


@pytest.fixture
def server():
    with fake.running() as server:
        yield server


@pytest.fixture
def remote(settings, server):
    """Chat through the fake server; one retry, short timeouts, so failures end fast."""
    server.use_for(settings, embeddings=False)
    settings.OPENAI_TIMEOUT_SECONDS = 2
    settings.OPENAI_MAX_RETRIES = 1
    settings.AI_BREAKER_FAILURES = 5
    settings.AI_BREAKER_RESET_SECONDS = 60
    settings.LLM_MAX_OUTPUT_TOKENS = 300
    return server


def stream(deltas: list[str] | None = None, **kwargs) -> ChatResult:
    deltas = [] if deltas is None else deltas
    return chat_provider().stream_chat(MESSAGES, on_delta=deltas.append, **kwargs)


def stream_error(deltas: list[str] | None = None) -> LLMError:
    with pytest.raises(LLMError) as caught:
        stream(deltas)
    return caught.value


def json_error() -> LLMError:
    with pytest.raises(LLMError) as caught:
        chat_provider().complete_json(MESSAGES, schema=QUIZ_SCHEMA, schema_name="quiz_question")
    return caught.value


def chat_requests(server) -> list[dict]:
    return server.requests_to("/chat/completions")


# --- choosing the provider ----------------------------------------------------------------------


def test_with_no_key_the_offline_answerer_is_used(settings):
    settings.LLM_PROVIDER = "auto"
    settings.OPENAI_API_KEY = ""
    assert chat_provider() is None


def test_offline_is_used_when_asked_for_even_with_a_key(settings):
    settings.LLM_PROVIDER = "offline"
    settings.OPENAI_API_KEY = "sk-anything"
    assert chat_provider() is None


def test_a_key_selects_the_openai_compatible_provider_and_it_is_reused(settings, server):
    settings.LLM_PROVIDER = "auto"
    settings.LLM_MODEL = "gpt-4o-mini"
    settings.OPENAI_BASE_URL = server.url
    settings.OPENAI_API_KEY = server.api_key

    provider = chat_provider()

    assert provider.name == "openai/gpt-4o-mini"
    assert chat_provider() is provider
    settings.LLM_MODEL = "llama-3.1-8b-instruct"
    assert chat_provider() is not provider
    assert chat_provider().name == "openai/llama-3.1-8b-instruct"


def test_an_explicit_openai_provider_works_without_a_key_for_local_servers(settings, server):
    settings.LLM_PROVIDER = "openai"
    settings.OPENAI_BASE_URL = server.url
    settings.OPENAI_API_KEY = ""
    assert chat_provider() is not None


# --- streaming --------------------------------------------------------------------------------


def test_a_streamed_answer_arrives_in_pieces_that_make_the_whole_text(remote):
    text = "Mitochondria produce ATP through cellular respiration [1]."
    remote.script(fake.reply(text))
    deltas: list[str] = []

    result = stream(deltas, max_tokens=123)

    assert "".join(deltas) == text == result.text
    assert len(deltas) == len(text.split())
    assert result.prompt_tokens == sum(fake.count_tokens(m["content"]) for m in MESSAGES)
    assert result.completion_tokens == fake.count_tokens(text)
    assert result.model == "gpt-4o-mini"
    (request,) = chat_requests(remote)
    assert request["body"] == {
        "model": "gpt-4o-mini",
        "messages": MESSAGES,
        "stream": True,
        "stream_options": {"include_usage": True},
        "temperature": 0.2,
        "max_tokens": 123,
    }


def test_the_answer_length_defaults_to_the_setting(remote):
    stream()
    assert chat_requests(remote)[0]["body"]["max_tokens"] == 300


def test_usage_is_estimated_when_the_server_reports_none(remote):
    text = "ATP [1]."
    remote.script(fake.reply(text, usage=False))

    result = stream()

    prompt = "\n".join(m["content"] for m in MESSAGES)
    assert (result.prompt_tokens, result.completion_tokens) == (
        math.ceil(len(prompt) / 4),
        math.ceil(len(text) / 4),
    )


def test_a_rate_limited_stream_is_retried_and_only_the_retry_streams(remote):
    remote.script(fake.status(429, retry_after=0.05), fake.reply("ATP [1]."))
    deltas: list[str] = []

    result = stream(deltas)

    assert result.text == "".join(deltas) == "ATP [1]."
    assert len(chat_requests(remote)) == 2


def test_a_provider_that_keeps_failing_gives_a_retryable_error_and_no_text(remote):
    remote.script(fake.status(500), fake.status(500))
    deltas: list[str] = []

    error = stream_error(deltas)

    assert error.retryable is True
    assert error.message.startswith("The chat model provider failed with HTTP 500 (2 attempts)")
    assert deltas == []


def test_a_provider_that_does_not_answer_in_time_gives_a_retryable_error(remote, settings):
    settings.OPENAI_TIMEOUT_SECONDS = 0.3
    settings.OPENAI_MAX_RETRIES = 0
    remote.script(fake.sleep(1.0))

    error = stream_error()

    assert error.retryable is True
    assert error.message == "The chat model provider did not answer within 0.3 s (1 attempt)."


def test_a_stream_cut_mid_way_keeps_the_partial_text_and_is_retryable(remote):
    remote.script(fake.cut_stream("Mitochondria make ATP in every cell [1].", after=2))
    deltas: list[str] = []

    error = stream_error(deltas)

    assert deltas == ["Mitochondria", " make"]
    assert error.retryable is True
    assert error.message == (
        "The connection to the chat model provider broke after 17 characters of the answer."
    )
    assert len(chat_requests(remote)) == 1


def test_a_garbled_stream_keeps_the_partial_text_and_is_retryable(remote):
    remote.script(fake.malformed())
    deltas: list[str] = []

    error = stream_error(deltas)

    assert deltas == ["According"]
    assert error.retryable is True
    assert error.message.startswith(
        "The chat model provider sent a garbled stream after 9 characters"
    )


def test_a_wrong_api_key_is_a_clear_permanent_error(remote, settings):
    settings.OPENAI_API_KEY = "sk-wrong"

    error = stream_error()

    assert error.retryable is False
    assert error.message == (
        "The chat model provider rejected the API key (HTTP 401). Check OPENAI_API_KEY."
    )
    assert len(chat_requests(remote)) == 1


def test_an_error_in_the_callers_callback_propagates_and_does_not_count_against_the_provider(
    remote, settings
):
    settings.AI_BREAKER_FAILURES = 1

    def on_delta(text: str) -> None:
        raise ConnectionAbortedError("the student closed the page")

    with pytest.raises(ConnectionAbortedError):
        chat_provider().stream_chat(MESSAGES, on_delta=on_delta)

    assert chat_provider().breaker.state == "closed"
    assert stream().text == fake.DEFAULT_CHAT_REPLY


def test_the_breaker_opens_after_repeated_failures_fails_fast_then_closes(remote, settings):
    settings.OPENAI_MAX_RETRIES = 0
    settings.AI_BREAKER_FAILURES = 2
    settings.AI_BREAKER_RESET_SECONDS = 0.5
    remote.script(fake.status(502), fake.cut_stream())

    assert "HTTP 502" in stream_error().message
    assert "broke after" in stream_error().message
    before = len(remote.requests)

    error = stream_error()

    assert error.retryable is True
    assert error.message == (
        "The chat model provider is unavailable after repeated failures; retrying in about 1 s."
    )
    assert len(remote.requests) == before

    time.sleep(0.6)
    assert stream().text == fake.DEFAULT_CHAT_REPLY
    assert chat_provider().breaker.state == "closed"


# --- structured output ------------------------------------------------------------------------


def test_structured_output_comes_back_as_the_parsed_object(remote):
    question = {"question": "What do mitochondria make?", "options": ["ATP", "DNA"], "answer": 0}
    remote.script(fake.reply_json(question))

    data, result = chat_provider().complete_json(
        MESSAGES, schema=QUIZ_SCHEMA, schema_name="quiz_question", max_tokens=200
    )

    assert data == question
    assert result.text == json.dumps(question)
    assert result.completion_tokens == fake.count_tokens(json.dumps(question))
    (request,) = chat_requests(remote)
    assert request["body"] == {
        "model": "gpt-4o-mini",
        "messages": MESSAGES,
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "quiz_question", "schema": QUIZ_SCHEMA, "strict": True},
        },
        "temperature": 0.2,
        "max_tokens": 200,
    }


def test_json_in_a_code_fence_is_still_accepted(remote):
    remote.script(fake.reply('```json\n{"question": "Q?", "options": [], "answer": 0}\n```'))

    data, _ = chat_provider().complete_json(MESSAGES, schema=QUIZ_SCHEMA, schema_name="q")

    assert data == {"question": "Q?", "options": [], "answer": 0}


@pytest.mark.parametrize(
    "content, why",
    [
        ('Sure! Here is your question: {"question": ', "Expecting value"),
        ('["not", "an", "object"]', "a list, not an object"),
    ],
)
def test_malformed_json_is_a_retryable_error_saying_so(remote, content, why):
    remote.script(fake.reply(content))

    error = json_error()

    assert error.retryable is True
    assert error.message.startswith("The model returned malformed JSON (")
    assert why in error.message
    assert error.message.endswith("asking again may help.")


def test_a_response_body_that_is_not_json_is_a_retryable_error(remote):
    remote.script(fake.malformed())

    error = json_error()

    assert error.retryable is True
    assert error.message.startswith("The chat model provider sent a response that is not valid")


def test_structured_output_is_retried_on_rate_limits(remote):
    remote.script(fake.status(429, retry_after=0.05), fake.reply_json({"question": "Q?"}))

    data, _ = chat_provider().complete_json(MESSAGES, schema=QUIZ_SCHEMA, schema_name="q")

    assert data == {"question": "Q?"}
    assert len(chat_requests(remote)) == 2
