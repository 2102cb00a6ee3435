"""Hybrid retrieval over a school's chunks: vector similarity (pgvector) and BM25 over the
PostgreSQL tsvector, blended by score, then the best candidates re-ranked by their closest
sentence (``ai.sentences``). All of the project's pgvector SQL lives here.

Why this shape (measured by ``make eval`` on third-party manuals, docs/benchmarks/evaluation.md):
full text with AND semantics (every word of the question) finds nothing for most real questions,
and reciprocal-rank fusion throws the sides' margins away; BM25 with OR semantics and IDF
weights, blended with the cosine similarity, ranks the answer first far more often, and scoring
a passage by its best sentence keeps a one-sentence answer from being diluted by the rest.

Searches run in the current connection's schema, i.e. the school's: a school can only ever
search its own chunks. Only chunks of ``ready`` materials are found; the vector side counts only
chunks embedded by the school's current model (``ai.embeddings.embedding_model_name()``), so a
chunk awaiting re-embedding is still found by its words.

How the vector side keeps its recall when filtered to some courses: pgvector < 0.8 applies a
filter *after* the HNSW index returned its ``ef_search`` nearest rows, so a course holding 1%
of a school's chunks keeps about 1% of them and recall collapses. Hence:

- scope (the filtered courses, or the whole school) of at most ``RETRIEVAL_EXACT_MAX_CHUNKS``
  chunks: an exact scan of just those rows, through the course index, never the HNSW index;
- a bigger scope: the HNSW index with ``hnsw.ef_search`` widened by the inverse of the scope's
  share of the table (at most 1000, pgvector's limit) and an over-fetch; when fewer rows than
  asked for survive the filter, the exact scan answers instead;
- pgvector >= 0.8: iterative index scans (``hnsw.iterative_scan = strict_order``), which keep
  scanning the graph until enough filtered rows are found.

Index settings are ``SET LOCAL`` inside a transaction (and put back when the caller already had
one open), so they never leak to other queries on the connection.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction

from ai.fulltext import READY, bm25_scores, near_identical, query_lexemes, shingles, text_search
from ai.models import EMBEDDING_DIMENSIONS

__all__ = ["SearchHit", "chunk_search", "query_lexemes", "text_search", "vector_search"]

# pgvector rejects larger values of hnsw.ef_search.
EF_SEARCH_MAX = 1000


@dataclass(frozen=True)
class SearchHit:
    chunk_id: int
    material_id: int
    material_title: str
    course_id: int
    page: int | None
    section: str
    text: str
    score: float  # the blended (and re-ranked) score; higher is better
    similarity: float | None  # cosine similarity 1 - distance; None: no vector of the model
    vector_rank: int | None  # 1-based rank in the vector list
    text_rank: int | None  # 1-based rank in the BM25 list (None: no word of the query)
    bm25: float = 0.0  # its BM25 score for the query
    sentence_similarity: float | None = None  # its closest sentence's, when re-ranked


def candidate_pool(k: int) -> int:
    """How many rows each side fetches before fusion: fusion can only promote a chunk that one
    of the two lists holds, so each list looks further than the k finally returned."""
    return max(4 * k, 40)


# --- the fused search -------------------------------------------------------------------------


def chunk_search(
    query: str,
    *,
    course_ids: list[int] | None,
    k: int = 10,
    query_vector: list[float] | None = None,
    rerank: bool | None = None,
) -> list[SearchHit]:
    """The top ``k`` chunks for ``query`` in these courses (``None``: the whole school), best
    first. Embeds the query with the school's model unless ``query_vector`` is given (so a
    caller that already embedded it, or holds no model, pays nothing). ``rerank`` (default:
    on unless RETRIEVAL_SENTENCE_WEIGHT is 0) scores the best RETRIEVAL_RERANK_DEPTH
    candidates again by their closest sentence. Blank query → []."""
    if not query or not query.strip() or k <= 0:
        return []
    if course_ids is not None and not course_ids:
        return []
    if query_vector is None:
        from ai.embeddings import embed_query

        query_vector = embed_query(query)
    pool = max(candidate_pool(k), k)
    vector_list = vector_search(query_vector, course_ids=course_ids, k=pool)
    lexemes = query_lexemes(query)
    text_list = bm25_scores(lexemes, course_ids=course_ids, k=pool)

    vector_ranks = {cid: rank for rank, (cid, _) in enumerate(vector_list, start=1)}
    text_ranks = {cid: rank for rank, (cid, _) in enumerate(text_list, start=1)}
    distances = dict(vector_list)
    bm25 = dict(text_list)
    # Each side's candidates get the other side's score too, so every candidate is blended
    # from both (a chunk just outside one side's pool is not scored as zero there).
    text_only = [cid for cid in bm25 if cid not in distances]
    distances.update(_distances(query_vector, text_only))
    vector_only = [cid for cid in distances if cid not in bm25]
    bm25.update(bm25_scores(lexemes, course_ids=course_ids, k=len(vector_only), only=vector_only))
    if not distances and not bm25:
        return []
    weight = settings.RETRIEVAL_TEXT_WEIGHT
    candidates = set(distances) | set(bm25)
    scores = {
        cid: (1.0 - distances[cid] if cid in distances else 0.0) + weight * bm25.get(cid, 0.0)
        for cid in candidates
    }
    order = sorted(candidates, key=lambda cid: (-scores[cid], distances.get(cid, math.inf), cid))

    sentence_weight = settings.RETRIEVAL_SENTENCE_WEIGHT
    reranking = sentence_weight > 0 and rerank is not False
    depth = settings.RETRIEVAL_RERANK_DEPTH if reranking else 0
    # A few rows beyond k stand in for near-duplicates dropped below.
    rows = _chunk_details(order[: max(k + DUPLICATE_SLACK, depth)])
    sentence_scores: dict[int, float] = {}
    if reranking:
        from ai.sentences import scored_sentences

        head = [cid for cid in order[:depth] if cid in rows]
        by_passage = scored_sentences(
            query_vector, [(cid, rows[cid][4], rows[cid][5]) for cid in head]
        )
        for cid in head:
            sentences = by_passage.get(cid) or []
            sentence_scores[cid] = max((s.similarity for s in sentences), default=0.0)
            scores[cid] += sentence_weight * sentence_scores[cid]
        # Re-ranked candidates are compared with each other only: the rest keep their order.
        head.sort(key=lambda cid: (-scores[cid], distances.get(cid, math.inf), cid))
        order = head + [cid for cid in order if cid not in sentence_scores]

    hits: list[SearchHit] = []
    kept: list[frozenset[tuple[str, ...]]] = []
    for chunk_id in order:
        if len(hits) == k:
            break
        row = rows.get(chunk_id)
        if row is None:  # deleted between the searches and this read, or past the slack
            continue
        material_id, title, course_id, page, section, text = row
        own = shingles(text)
        if any(near_identical(own, other) for other in kept):
            # The same text twice (a file uploaded again, a page repeated): one is enough.
            continue
        kept.append(own)
        vector_distance = distances.get(chunk_id)
        hits.append(
            SearchHit(
                chunk_id=chunk_id,
                material_id=material_id,
                material_title=title,
                course_id=course_id,
                page=page,
                section=section,
                text=text,
                score=scores[chunk_id],
                similarity=None if vector_distance is None else 1.0 - vector_distance,
                vector_rank=vector_ranks.get(chunk_id),
                text_rank=text_ranks.get(chunk_id),
                bm25=bm25.get(chunk_id, 0.0),
                sentence_similarity=sentence_scores.get(chunk_id),
            )
        )
    return hits


# Rows read past k to replace near-duplicates (ai.fulltext.near_identical).
DUPLICATE_SLACK = 5


def _distances(query_vector: list[float], chunk_ids: list[int]) -> dict[int, float]:
    """Cosine distances of these chunks' vectors (those embedded by the school's model)."""
    if not chunk_ids:
        return {}
    from ai.embeddings import embedding_model_name

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT id, embedding <=> %s::vector FROM ai_chunk
            WHERE id = ANY(%s) AND embedding_model = %s AND embedding IS NOT NULL
            """,
            [_vector_literal(query_vector), list(chunk_ids), embedding_model_name()],
        )
        return {row[0]: float(row[1]) for row in cursor.fetchall()}


def _chunk_details(chunk_ids: list[int]) -> dict[int, tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.id, c.material_id, m.title, c.course_id, c.page, c.section, c.text
            FROM ai_chunk c JOIN courses_material m ON m.id = c.material_id
            WHERE c.id = ANY(%s)
            """,
            [list(chunk_ids)],
        )
        return {row[0]: row[1:] for row in cursor.fetchall()}


# --- vectors ----------------------------------------------------------------------------------


def vector_search(
    query_vector: list[float], *, course_ids: list[int] | None, k: int
) -> list[tuple[int, float]]:
    """(chunk_id, cosine distance) of the ``k`` nearest chunks, best first, among chunks of
    ready materials embedded by the school's current model. The strategy (exact scan, widened
    HNSW, iterative HNSW) is picked per call; see the module docstring."""
    if k <= 0 or (course_ids is not None and not course_ids):
        return []
    from ai.embeddings import embedding_model_name

    literal = _vector_literal(query_vector)
    model = embedding_model_name()
    plan = vector_plan(course_ids, k)
    if plan.method == "exact":
        return _exact(literal, model, course_ids, k)
    hits = _hnsw(literal, model, course_ids, k, plan)
    if len(hits) < k and plan.method == "hnsw":
        # The filter left too few of the index's candidates: only an exact scan is sure.
        return _exact(literal, model, course_ids, k)
    return hits


@dataclass(frozen=True)
class VectorPlan:
    method: str  # "exact" | "hnsw" | "iterative"
    scope_rows: int  # chunks in the filtered courses (or the table's estimate)
    ef_search: int  # 0 for exact


def vector_plan(course_ids: list[int] | None, k: int) -> VectorPlan:
    """Which strategy ``vector_search`` uses for this scope (exposed for tests and the bench)."""
    limit = settings.RETRIEVAL_EXACT_MAX_CHUNKS
    base_ef = settings.RETRIEVAL_HNSW_EF_SEARCH
    with connection.cursor() as cursor:
        # The planner's row estimate of the whole table: free, and exact enough for a ratio.
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = 'ai_chunk'::regclass")
        estimate = cursor.fetchone()[0]
        if course_ids is None and estimate >= 0 and estimate > 2 * limit:
            scope = total = estimate
        else:
            # Bounded: counts at most limit + 1 entries of the course index.
            cursor.execute(
                "SELECT count(*) FROM (SELECT 1 FROM ai_chunk "
                + ("WHERE course_id = ANY(%s) " if course_ids is not None else "")
                + "LIMIT %s) AS s",
                [course_ids, limit + 1] if course_ids is not None else [limit + 1],
            )
            scope = cursor.fetchone()[0]
            if scope <= limit:
                return VectorPlan("exact", scope, 0)
            if course_ids is None:
                # The whole table is the scope: the capped count only says "more than limit".
                scope = total = max(estimate, scope)
            else:
                cursor.execute(
                    "SELECT count(*) FROM ai_chunk WHERE course_id = ANY(%s)", [course_ids]
                )
                scope = cursor.fetchone()[0]
                total = max(estimate, scope)
    fetch = max(candidate_pool(k), k)
    if _iterative_scans():
        return VectorPlan("iterative", scope, min(max(base_ef, fetch), EF_SEARCH_MAX))
    share = scope / total if total > 0 else 1.0
    ef = math.ceil(max(base_ef, fetch) / max(share, 1e-9))
    return VectorPlan("hnsw", scope, max(min(ef, EF_SEARCH_MAX), min(fetch, EF_SEARCH_MAX)))


def _exact(literal: str, model: str, course_ids: list[int] | None, k: int):
    # "+ 0" makes the sort key an expression the HNSW index cannot serve, so the planner reads
    # the scope's rows (through the course index when filtered) and compares every vector.
    course_filter = "AND c.course_id = ANY(%(courses)s)" if course_ids is not None else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT c.id, (c.embedding <=> %(q)s::vector) + 0 AS distance
            FROM ai_chunk c JOIN courses_material m ON m.id = c.material_id
            WHERE m.state = %(ready)s AND c.embedding_model = %(model)s
              AND c.embedding IS NOT NULL {course_filter}
            ORDER BY distance, c.id
            LIMIT %(k)s
            """,
            {"q": literal, "model": model, "courses": course_ids, "k": k, "ready": READY},
        )
        return [(row[0], float(row[1])) for row in cursor.fetchall()]


def _hnsw(literal: str, model: str, course_ids: list[int] | None, k: int, plan: VectorPlan):
    course_filter = "AND course_id = ANY(%(courses)s)" if course_ids is not None else ""
    # The inner query is a plain ORDER BY distance LIMIT: the shape the HNSW index serves.
    # Its over-fetch (ef_search rows) leaves room for the filters applied after it.
    sql = f"""
        SELECT c.id, c.distance
        FROM (
            SELECT id, material_id, embedding <=> %(q)s::vector AS distance
            FROM ai_chunk
            WHERE embedding_model = %(model)s {course_filter}
            ORDER BY embedding <=> %(q)s::vector
            LIMIT %(fetch)s
        ) AS c
        JOIN courses_material m ON m.id = c.material_id AND m.state = %(ready)s
        ORDER BY c.distance, c.id
        LIMIT %(k)s
    """
    params = {
        "q": literal,
        "model": model,
        "courses": course_ids,
        "fetch": max(plan.ef_search, k),
        "k": k,
        "ready": READY,
    }
    settings_to_set = {"hnsw.ef_search": str(plan.ef_search)}
    if plan.method == "iterative":
        settings_to_set["hnsw.iterative_scan"] = "strict_order"
    with _local_settings(settings_to_set), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(row[0], float(row[1])) for row in cursor.fetchall()]


@contextmanager
def _local_settings(values: dict[str, str]):
    """``SET LOCAL`` these settings for the block, in a transaction of its own. When the caller
    already holds a transaction, SET LOCAL would outlive the block (it lasts until the
    outermost commit), so the previous values are put back on the way out; on an error the
    savepoint's rollback undoes them."""
    nested = connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        previous: dict[str, str | None] = {}
        if nested:
            for name in values:
                cursor.execute("SELECT current_setting(%s, true)", [name])
                previous[name] = cursor.fetchone()[0]
        for name, value in values.items():
            cursor.execute("SELECT set_config(%s, %s, true)", [name, value])
        yield
        for name, old in previous.items():
            if old is None:  # never set in this session: back to the server's default
                cursor.execute(f"SET LOCAL {_setting_name(name)} TO DEFAULT")
            else:
                cursor.execute("SELECT set_config(%s, %s, true)", [name, old])


def _setting_name(name: str) -> str:
    if name not in ("hnsw.ef_search", "hnsw.iterative_scan"):
        raise ValueError(f"unexpected setting {name!r}")
    return name


_pgvector_versions: dict[str, tuple[int, ...]] = {}


def pgvector_version() -> tuple[int, ...]:
    """The server's pgvector version, asked once per process and database."""
    key = f"{connection.settings_dict.get('HOST')}/{connection.settings_dict.get('NAME')}"
    if key not in _pgvector_versions:
        with connection.cursor() as cursor:
            cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
            row = cursor.fetchone()
        parts = (row[0] if row else "0").split(".")
        _pgvector_versions[key] = tuple(int(p) for p in parts if p.isdigit())
    return _pgvector_versions[key]


def _iterative_scans() -> bool:
    return pgvector_version() >= (0, 8)


def _vector_literal(vector) -> str:
    values = [float(x) for x in vector]
    if len(values) != EMBEDDING_DIMENSIONS:
        raise ValueError(
            f"A query vector needs {EMBEDDING_DIMENSIONS} numbers; this one has {len(values)}."
        )
    if not all(math.isfinite(x) for x in values):
        raise ValueError("A query vector must hold finite numbers only.")
    return "[" + ",".join(repr(x) for x in values) + "]"
