"""Sentences of a passage, and how close each is in meaning to a question.

Both the re-ranking step of retrieval and the tutor's offline answerer judge a passage by its
sentences rather than as a whole: a 200-token passage that holds the answer in one sentence is
otherwise diluted by the rest. Sentences are embedded with the school's own model, prefixed by
the passage's heading (which gives "It returns 2." its subject), and cached per process by
(school schema, model, passage id, text), since the same passages come back for related
questions; passage ids repeat across schools, hence the schema."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from threading import Lock

from .chunking import SENTENCE_END

# Fragments shorter than this (a list bullet, "Yes.") are no sentence to quote or score alone.
MIN_SENTENCE_CHARS = 3
_CACHE_PASSAGES = 4096


@dataclass(frozen=True)
class ScoredSentence:
    text: str
    similarity: float  # cosine similarity to the question
    index: int  # its place in the passage


def split_sentences(text: str) -> list[str]:
    """The passage's sentences in order; each line break also ends one (lists, code, tables)."""
    sentences = []
    for line in text.split("\n"):
        for sentence in SENTENCE_END.split(line):
            sentence = sentence.strip()
            if len(sentence) >= MIN_SENTENCE_CHARS:
                sentences.append(sentence)
    return sentences or ([text.strip()] if text.strip() else [])


_cache: OrderedDict[tuple[str, str, int, int], tuple[list[str], list[list[float]]]] = OrderedDict()
_lock = Lock()


def _sentence_vectors(
    passages: list[tuple[int, str, str]],
) -> dict[int, tuple[list[str], list[list[float]]]]:
    """(sentences, unit vectors) of each (passage id, heading, text), embedding only the
    passages not cached yet, in one batch."""
    from smartedu.db import current_schema

    from .embeddings import embedder, embedding_model_name

    model = embedding_model_name()
    schema = current_schema()
    found: dict[int, tuple[list[str], list[list[float]]]] = {}
    missing: list[tuple[tuple[str, str, int, int], int, list[str], list[str]]] = []
    with _lock:
        for passage_id, heading, text in passages:
            key = (schema, model, passage_id, hash((heading, text)))
            cached = _cache.get(key)
            if cached is not None:
                _cache.move_to_end(key)
                found[passage_id] = cached
            else:
                sentences = split_sentences(text)
                inputs = [f"{heading}: {s}" if heading else s for s in sentences]
                missing.append((key, passage_id, sentences, inputs))
    if missing:
        vectors = embedder().embed([i for *_, inputs in missing for i in inputs])
        start = 0
        with _lock:
            for key, passage_id, sentences, inputs in missing:
                own = [_unit(v) for v in vectors[start : start + len(inputs)]]
                start += len(inputs)
                found[passage_id] = (sentences, own)
                _cache[key] = (sentences, own)
            while len(_cache) > _CACHE_PASSAGES:
                _cache.popitem(last=False)
    return found


def scored_sentences(
    query_vector: list[float], passages: list[tuple[int, str, str]]
) -> dict[int, list[ScoredSentence]]:
    """Each passage's sentences with their similarity to the question, in passage order."""
    query = _unit(query_vector)
    scored = {}
    for passage_id, (sentences, vectors) in _sentence_vectors(passages).items():
        scored[passage_id] = [
            ScoredSentence(text, sum(a * b for a, b in zip(query, vector, strict=True)), index)
            for index, (text, vector) in enumerate(zip(sentences, vectors, strict=True))
        ]
    return scored


def sentence_vectors(
    passages: list[tuple[int, str, str]],
) -> dict[int, tuple[list[str], list[list[float]]]]:
    """Each (passage id, heading, text)'s sentences and their unit vectors, from the same cache
    as ``scored_sentences``: the tutor's answer check compares an answer's sentences with them."""
    return _sentence_vectors(passages)


def _unit(vector: list[float]) -> list[float]:
    norm = sum(x * x for x in vector) ** 0.5 or 1.0
    return [x / norm for x in vector]
