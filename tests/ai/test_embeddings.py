"""Embeddings come from the local all-MiniLM-L6-v2 model or an OpenAI-compatible endpoint, as
384-dimension unit vectors in input order; a failing endpoint gives a clear error that says
whether to try again, and a circuit breaker stops hammering an endpoint that is down.

The OpenAI path runs the real ``openai`` client against a real local HTTP server."""

import math
import time

import pytest

from ai.embeddings import EmbeddingError, embed_query, embedder, embedding_model_name
from tests.fakes import openai_server as fake


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def norm(vector: list[float]) -> float:
    return math.sqrt(sum(x * x for x in vector))


def same_as_fake(vectors: list[list[float]], texts: list[str]) -> list[bool]:
    """For each vector, whether it is the fake provider's vector for the text at its place."""
    return [
        cosine(v, fake.fake_embedding(t)) > 0.999999 for v, t in zip(vectors, texts, strict=True)
    ]


@pytest.fixture
def local(settings):
    settings.EMBEDDING_PROVIDER = "local"
    settings.EMBEDDING_MODEL = "all-MiniLM-L6-v2"
    settings.EMBEDDING_DEVICE = "auto"
    return settings


@pytest.fixture
def server():
    with fake.running() as server:
        yield server


@pytest.fixture
def remote(settings, server):
    """Embeddings from the fake server; one retry, short timeouts, so failures end fast."""
    server.use_for(settings, chat=False)
    settings.OPENAI_TIMEOUT_SECONDS = 2
    settings.OPENAI_MAX_RETRIES = 1
    settings.AI_BREAKER_FAILURES = 5
    settings.AI_BREAKER_RESET_SECONDS = 60
    return server


def embed_error(texts=("cells make energy", "plants need light")) -> EmbeddingError:
    with pytest.raises(EmbeddingError) as caught:
        embedder().embed(list(texts))
    return caught.value


# --- the local model ----------------------------------------------------------------------------


def test_local_model_gives_384_dimension_unit_vectors_in_input_order(local):
    texts = ["Mitochondria produce ATP.", "Plants turn light into sugar.", ""]

    vectors = embedder().embed(texts)
    reversed_vectors = embedder().embed(list(reversed(texts)))

    assert embedder().name == "local/all-MiniLM-L6-v2"
    assert embedder().dimensions == 384
    assert [len(v) for v in vectors] == [384, 384, 384]
    assert all(abs(norm(v) - 1) < 1e-5 for v in vectors)
    for a, b in zip(vectors, reversed(reversed_vectors), strict=True):
        assert cosine(a, b) > 0.9999


def test_local_model_scores_similar_sentences_above_unrelated_ones(local):
    question, related, unrelated = embedder().embed(
        [
            "How do mitochondria give the cell its energy?",
            "The mitochondrion is the powerhouse of the cell: it releases energy as ATP.",
            "The football match ended in a goalless draw after extra time.",
        ]
    )

    assert cosine(question, related) > 0.5
    assert cosine(question, unrelated) < 0.2


def test_local_model_runs_on_cuda_only_when_a_gpu_is_there(local):
    import torch

    local.EMBEDDING_DEVICE = "auto"
    assert embedder().device == ("cuda" if torch.cuda.is_available() else "cpu")
    local.EMBEDDING_DEVICE = "cpu"
    assert embedder().device == "cpu"


def test_asking_for_cuda_without_a_gpu_is_a_clear_permanent_error(local):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    local.EMBEDDING_DEVICE = "cuda"

    error = embed_error()

    assert error.retryable is False
    assert error.message.startswith("EMBEDDING_DEVICE is cuda but this machine has no usable")


def test_the_model_name_comes_from_settings(settings, local):
    assert embedding_model_name() == "local/all-MiniLM-L6-v2"
    settings.EMBEDDING_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
    assert embedding_model_name() == "local/all-MiniLM-L6-v2"
    settings.EMBEDDING_PROVIDER = "openai"
    settings.EMBEDDING_MODEL = "text-embedding-3-small"
    assert embedding_model_name() == "openai/text-embedding-3-small"


def test_the_embedder_follows_settings_and_is_reused_while_they_hold(local, settings, server):
    first = embedder()
    assert embedder() is first and first.name == "local/all-MiniLM-L6-v2"

    server.use_for(settings, chat=False)

    assert embedder() is not first
    assert embedder().name == "openai/text-embedding-3-small"
    assert embedder() is embedder()


# --- an OpenAI-compatible endpoint --------------------------------------------------------------


def test_remote_embeddings_are_the_providers_vectors_normalised_in_order(remote):
    texts = ["Cells make energy", "Plants need light and water"]

    vectors = embedder().embed(texts)

    (request,) = remote.requests_to("/embeddings")
    assert request["headers"]["authorization"] == f"Bearer {remote.api_key}"
    assert request["body"] == {
        "model": "text-embedding-3-small",
        "input": texts,
        "dimensions": 384,
        "encoding_format": "float",
    }
    assert [len(v) for v in vectors] == [384, 384]
    assert all(abs(norm(v) - 1) < 1e-9 for v in vectors)
    assert same_as_fake(vectors, texts) == [True, True]


def test_remote_vectors_are_put_back_in_input_order_by_index(remote):
    remote.script(fake.shuffled())
    texts = ["mitochondria", "chloroplast", "ribosome"]

    vectors = embedder().embed(texts)

    assert same_as_fake(vectors, texts) == [True, True, True]


def test_texts_sharing_words_are_similar_on_the_fake_provider(remote):
    a, b, c = embedder().embed(
        ["mitochondria produce energy", "energy from mitochondria", "football draw"]
    )
    assert cosine(a, b) > cosine(a, c)


def test_a_blank_text_is_sent_as_a_space_because_the_api_rejects_empty_strings(remote):
    (vector,) = embedder().embed([""])

    assert remote.requests_to("/embeddings")[0]["body"]["input"] == [" "]
    assert abs(norm(vector) - 1) < 1e-9


def test_large_inputs_go_out_in_batches_of_the_configured_size(remote, settings):
    settings.EMBEDDING_BATCH_SIZE = 2
    texts = [f"passage number {i}" for i in range(5)]

    vectors = embedder().embed(texts)

    assert [len(r["body"]["input"]) for r in remote.requests_to("/embeddings")] == [2, 2, 1]
    assert same_as_fake(vectors, texts) == [True] * 5


def test_a_rate_limit_is_retried_after_the_servers_retry_after(remote):
    remote.script(fake.status(429, retry_after=0.2))

    vectors = embedder().embed(["cells"])

    first, second = remote.requests_to("/embeddings")
    assert second["at"] - first["at"] >= 0.2
    assert len(vectors) == 1


def test_a_provider_that_keeps_failing_gives_a_retryable_error(remote):
    remote.script(fake.status(500), fake.status(500))

    error = embed_error()

    assert error.retryable is True
    assert error.message.startswith("The embedding provider failed with HTTP 500 (2 attempts)")
    assert len(remote.requests_to("/embeddings")) == 2


def test_a_provider_that_does_not_answer_in_time_gives_a_retryable_error(remote, settings):
    settings.OPENAI_TIMEOUT_SECONDS = 0.3
    settings.OPENAI_MAX_RETRIES = 0
    remote.script(fake.sleep(1.0))

    error = embed_error()

    assert error.retryable is True
    assert error.message == "The embedding provider did not answer within 0.3 s (1 attempt)."


def test_an_unreachable_provider_gives_a_retryable_error(remote, settings):
    settings.OPENAI_MAX_RETRIES = 0
    url = remote.url
    remote.stop()

    error = embed_error()

    assert error.retryable is True
    assert error.message == f"Could not reach the embedding provider at {url} (1 attempt)."


def test_a_wrong_api_key_is_a_clear_permanent_error_and_is_not_retried(remote, settings):
    settings.EMBEDDING_API_KEY = "sk-wrong"

    error = embed_error()

    assert error.retryable is False
    assert error.message == (
        "The embedding provider rejected the API key (HTTP 401). Check EMBEDDING_API_KEY."
    )
    assert len(remote.requests_to("/embeddings")) == 1


def test_an_account_out_of_quota_is_a_permanent_error_though_it_comes_as_a_429(remote, settings):
    settings.OPENAI_MAX_RETRIES = 0
    remote.script(
        fake.status(
            429, message="You exceeded your current quota.", error_code="insufficient_quota"
        )
    )

    error = embed_error()

    assert error.retryable is False
    assert error.message == (
        "The embedding provider says the account has run out of quota (HTTP 429): You exceeded "
        "your current quota. Check the provider account's billing."
    )


def test_an_unknown_model_is_a_permanent_error_naming_the_model(remote):
    remote.script(fake.status(404, message="The model `text-embedding-9` does not exist."))

    error = embed_error()

    assert error.retryable is False
    assert "does not know the model 'text-embedding-3-small' (HTTP 404)" in error.message
    assert "Check EMBEDDING_MODEL and the base URL." in error.message


def test_a_refused_request_is_a_permanent_error_with_the_providers_reason(remote):
    remote.script(fake.status(400, message="This model does not support 'dimensions'."))

    error = embed_error()

    assert error.retryable is False
    assert error.message == (
        "The embedding provider refused the request (HTTP 400): This model does not support "
        "'dimensions'."
    )


@pytest.mark.parametrize(
    "behaviour, reason",
    [
        (fake.malformed(), "the response is not valid JSON"),
        (fake.wrong_dimensions(), "embedding 0 has 383 dimensions, the database stores 384"),
        (fake.wrong_dimensions(1536), "embedding 0 has 1536 dimensions, the database stores 384"),
        (fake.wrong_count(), "it returned 1 embeddings for 2 texts"),
        (fake.not_finite(), "embedding 0 contains values that are not finite numbers"),
    ],
)
def test_unusable_output_is_a_permanent_error_saying_what_was_wrong(remote, behaviour, reason):
    remote.script(behaviour)

    error = embed_error()

    assert error.retryable is False
    assert error.message.startswith(f"The embedding provider sent unusable output: {reason}")


def test_the_breaker_opens_after_repeated_failures_fails_fast_then_closes(remote, settings):
    settings.OPENAI_MAX_RETRIES = 0
    settings.AI_BREAKER_FAILURES = 2
    settings.AI_BREAKER_RESET_SECONDS = 0.5
    remote.script(fake.status(503), fake.status(503))

    assert "HTTP 503" in embed_error().message
    assert "HTTP 503" in embed_error().message  # the call that trips the breaker says why
    requests_when_opened = len(remote.requests)

    started = time.monotonic()
    error = embed_error()

    assert time.monotonic() - started < 0.1
    assert error.retryable is True
    assert error.message == (
        "The embedding provider is unavailable after repeated failures; retrying in about 1 s."
    )
    assert len(remote.requests) == requests_when_opened

    time.sleep(0.6)
    assert len(embedder().embed(["cells"])) == 1
    assert embedder().breaker.state == "closed"
    assert len(remote.requests) == requests_when_opened + 1


def test_permanent_errors_do_not_open_the_breaker(remote, settings):
    settings.AI_BREAKER_FAILURES = 2
    remote.script(*[fake.status(400)] * 3, fake.wrong_count())

    for _ in range(4):
        assert embed_error().retryable is False

    assert embedder().breaker.state == "closed"
    assert len(remote.requests_to("/embeddings")) == 4


def test_a_query_is_embedded_once_then_served_from_the_cache(remote):
    first = embed_query("What do mitochondria make?")
    second = embed_query("What do mitochondria make?")
    other = embed_query("What do chloroplasts make?")

    assert first == second and first != other
    assert [r["body"]["input"] for r in remote.requests_to("/embeddings")] == [
        ["What do mitochondria make?"],
        ["What do chloroplasts make?"],
    ]


def test_the_query_cache_does_not_outlive_a_change_of_provider(remote, settings):
    embed_query("What do mitochondria make?")
    with fake.running() as other:
        other.use_for(settings, chat=False)
        embed_query("What do mitochondria make?")
        assert len(other.requests_to("/embeddings")) == 1
