"""Quiz generation's engines: candidate questions from course passages, by the built-in offline
generator or an OpenAI-compatible language model, and the checks they pass. Pure work on typed
inputs (passages, kinds, evidence) giving typed candidates: nothing here knows the question bank
(quizzes.generation runs the job, saves drafts and searches the bank for near-duplicates).

- ``types``: what generators take and give (Passage, GenerationSpec, Candidate, Batch);
- ``offline``: the extractive generator (the default with no provider configured);
- ``llm`` (+ ``parsing``): the language-model generator (JSON-schema structured output);
- ``checks``: grounding (key supported by the cited passage, no distractor supported) and the
  text folding the generators share;
- ``similarity``: what is embedded for near-duplicates and the flags, given a bank search.

The public facade is below: ``generator_for``, the embedder calls, the checks and the types.
Heavy libraries (torch, the model) load lazily, as everywhere in ai/."""

from collections.abc import Callable, Sequence

from ..embeddings import EmbeddingError
from ..ingestion import release_connection
from ..llm import LLMError
from .checks import check_grounding, evidence_sentences
from .similarity import duplicate_flags, question_embedding_text
from .types import Batch, Candidate, ContentCheck, GenerationSpec, Generator, Passage, Rejection

__all__ = [
    "Batch",
    "Candidate",
    "ContentCheck",
    "EmbeddingError",
    "GenerationSpec",
    "Generator",
    "LLMError",
    "Passage",
    "Rejection",
    "check_grounding",
    "duplicate_flags",
    "embed_texts",
    "embedding_model",
    "evidence_sentences",
    "generator_for",
    "is_language_model",
    "question_embedding_text",
]


def generator_for(
    *,
    offline: bool = False,
    content_check: ContentCheck | None = None,
    pool: Callable[[], Sequence[Passage]] | None = None,
) -> Generator:
    """The language model when one is configured and ``offline`` is not asked (a job whose
    model failed goes on offline), else the built-in offline generator, whose candidates also
    pass ``content_check`` (the caller's content gate) and whose distractors may come from
    ``pool()`` (more passages of the course; called only when the offline generator is made)."""
    if not offline:
        from ..llm import chat_provider

        provider = chat_provider(task="generation")
        if provider is not None:
            from .llm import LLMGenerator

            return LLMGenerator(provider)
    from .offline import OfflineGenerator

    return OfflineGenerator(content_check=content_check, pool=pool() if pool else ())


def is_language_model(generator: Generator) -> bool:
    """Whether ``generator`` calls a provider (its LLMError means: go on offline)."""
    return hasattr(generator, "provider")


def embedding_model() -> str:
    """The name of the school's current embedding model (vectors of two models never compare)."""
    from ..embeddings import embedder

    return embedder().name


def embed_texts(texts: list[str]) -> list[list[float]]:
    """``texts`` embedded by the school's model, without holding a database connection (a model
    call never does). Raises EmbeddingError when the embedder is unavailable."""
    from ..embeddings import embedder

    if not texts:
        return []
    release_connection()
    return embedder().embed(texts)
