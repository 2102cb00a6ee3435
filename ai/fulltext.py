"""Full-text search over a school's chunks: BM25 computed in PostgreSQL from the chunks'
English tsvector (``ai_chunk.search_vector``, GIN-indexed).

Matching is OR: a chunk is a candidate when it holds any word of the question, and the score
weighs rare words most (inverse document frequency within the searched courses), so "Which
option prints the lines that do not match?" finds the passage about -v although that passage
does not say "prints" or "option". Term frequencies are the lexemes' positions in the tsvector;
a chunk's length is its number of distinct lexemes. Searches run in the current schema."""

from __future__ import annotations

import re

from django.db import connection

READY = "ready"
# BM25's term-frequency saturation and length normalisation (the usual Okapi values).
BM25_K1 = 1.2
BM25_B = 0.75
# A word in more than this share of the scope's chunks ("file" in a manual about files) still
# counts in the score but does not by itself make a chunk a candidate: it would match most rows.
COMMON_TERM_SHARE = 0.5


def query_lexemes(query: str) -> list[str]:
    """The query's words as the chunks' tsvector holds them: English stems, no stopwords."""
    if not query or not query.strip():
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT lexeme FROM unnest(to_tsvector('english', %s)) ORDER BY lexeme", [query]
        )
        return [row[0] for row in cursor.fetchall()]


def text_search(query: str, *, course_ids: list[int] | None, k: int) -> list[tuple[int, float]]:
    """(chunk_id, BM25 score) of the ``k`` best full-text matches, best first; a score is a
    share of what a chunk holding every word of the query would get (1.0 or a little over). A
    chunk matches when it holds any word of the query (OR semantics), rare words weighing most;
    the query is read by ``to_tsvector``, which takes anything a person types and never
    raises."""
    if k <= 0 or (course_ids is not None and not course_ids):
        return []
    return bm25_scores(query_lexemes(query), course_ids=course_ids, k=k)


def bm25_scores(
    lexemes: list[str], *, course_ids: list[int] | None, k: int, only: list[int] | None = None
) -> list[tuple[int, float]]:
    """BM25 of the scope's chunks (ready materials of these courses) for these lexemes, best
    first; ``only`` scores just those chunks (document frequencies still come from the whole
    scope). Term frequencies are the lexemes' positions in each chunk's tsvector."""
    if not lexemes or k <= 0 or (course_ids is not None and not course_ids):
        return []
    if only is not None and not only:
        return []
    course_filter = "AND c.course_id = ANY(%(courses)s)" if course_ids is not None else ""
    only_filter = "AND s.id = ANY(%(only)s)" if only is not None else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH scope AS (
                SELECT c.id, c.search_vector FROM ai_chunk c
                JOIN courses_material m ON m.id = c.material_id AND m.state = %(ready)s
                WHERE TRUE {course_filter}
            ),
            total AS (SELECT count(*) AS n FROM scope),
            terms AS (
                SELECT t.lexeme,
                       (SELECT count(*) FROM scope s
                        WHERE s.search_vector @@ quote_literal(t.lexeme)::tsquery) AS df
                FROM unnest(%(lexemes)s::text[]) AS t(lexeme)
            ),
            weighted AS (
                SELECT terms.lexeme,
                       ln(1 + (total.n - terms.df + 0.5) / (terms.df + 0.5)) AS idf,
                       terms.df <= %(common)s * total.n AS selective
                FROM terms, total WHERE terms.df > 0
            ),
            wanted AS (
                SELECT coalesce(
                    string_agg(quote_literal(lexeme), ' | ') FILTER (WHERE selective),
                    string_agg(quote_literal(lexeme), ' | ')
                )::tsquery AS query
                FROM weighted
            ),
            matched AS (
                SELECT s.id, length(s.search_vector) AS dl, w.idf,
                       coalesce(array_length(v.positions, 1), 1) AS tf
                FROM scope s
                CROSS JOIN LATERAL unnest(s.search_vector) AS v(lexeme, positions, weights)
                JOIN weighted w ON w.lexeme = v.lexeme
                WHERE s.search_vector @@ (SELECT query FROM wanted) {only_filter}
            ),
            average AS (SELECT greatest(avg(dl), 1) AS dl FROM matched),
            -- A chunk holding every word of the query once, at average length, scores the sum
            -- of the words' weights (words no chunk holds weigh most): scores are shares of it.
            ideal AS (
                SELECT greatest(sum(ln(1 + (total.n - terms.df + 0.5) / (terms.df + 0.5))), 1e-9)
                       AS score
                FROM terms, total
            )
            SELECT m.id,
                   sum(m.idf * m.tf * (%(k1)s + 1)
                       / (m.tf + %(k1)s * (1 - %(b)s + %(b)s * m.dl / average.dl)))
                   / min(ideal.score) AS score
            FROM matched m, average, ideal
            GROUP BY m.id
            ORDER BY score DESC, m.id
            LIMIT %(k)s
            """,
            {
                "lexemes": lexemes,
                "courses": course_ids,
                "only": only,
                "k": k,
                "ready": READY,
                "common": COMMON_TERM_SHARE,
                "k1": BM25_K1,
                "b": BM25_B,
            },
        )
        return [(row[0], float(row[1])) for row in cursor.fetchall()]


# A word as a student types it: letters and digits, joined by the marks of terms ("C++",
# "package-lock.json", "don't").
WORD_RE = re.compile(r"[^\W_](?:[\w'’.+-]*[^\W_])?")


def words_not_in_material(question: str, *, course_ids: list[int]) -> list[str]:
    """The question's rare words (as typed, in order) that no passage of these courses' ready
    materials contains in any form: "ripgrep" in a question to a course on GNU grep. A word
    counts as rare when the embedding model's vocabulary has no single token for it (names,
    products, terms of art); everyday words ("make", "world") are left to the similarity check,
    since a student may well use words the material does not. Stopwords never count."""
    from .chunking import token_counter

    count = token_counter()
    found = WORD_RE.findall(question)
    words = [w for w in dict.fromkeys(found) if count(w) > 1 and not w.isdigit()]
    if not words or not course_ids:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT w.word FROM unnest(%(words)s::text[]) WITH ORDINALITY AS w(word, place)
            WHERE length(to_tsvector('english', w.word)) > 0
              AND NOT EXISTS (
                SELECT 1 FROM ai_chunk c
                JOIN courses_material m ON m.id = c.material_id AND m.state = %(ready)s
                WHERE c.course_id = ANY(%(courses)s)
                  AND c.search_vector @@ (
                    SELECT string_agg(quote_literal(lexeme), ' | ')::tsquery
                    FROM unnest(to_tsvector('english', w.word))
                  )
              )
            ORDER BY w.place
            """,
            {"words": words, "courses": course_ids, "ready": READY},
        )
        return [row[0] for row in cursor.fetchall()]


def word_weights(words: list[str], *, course_ids: list[int]) -> dict[str, float]:
    """How telling each word is in these courses' ready material: its smoothed IDF,
    ln(1 + (N + 1) / (n + 1)) for N passages of which n hold the word in any form, so a word
    every passage holds still counts a little (in a one-passage course, all do). Stopwords (no
    lexeme) are left out; a word the material never holds gets the highest weight."""
    if not words or not course_ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH total AS (
                SELECT count(*) AS n FROM ai_chunk c
                JOIN courses_material m ON m.id = c.material_id AND m.state = %(ready)s
                WHERE c.course_id = ANY(%(courses)s)
            ),
            asked AS (
                SELECT w.word,
                       (SELECT string_agg(quote_literal(lexeme), ' | ')
                        FROM unnest(to_tsvector('english', w.word)))::tsquery AS query
                FROM unnest(%(words)s::text[]) AS w(word)
            )
            SELECT a.word,
                   ln(1.0 + (total.n + 1.0) / (1.0 + (
                       SELECT count(*) FROM ai_chunk c
                       JOIN courses_material m ON m.id = c.material_id AND m.state = %(ready)s
                       WHERE c.course_id = ANY(%(courses)s) AND c.search_vector @@ a.query
                   )))
            FROM asked a, total
            WHERE a.query IS NOT NULL
            """,
            {"words": list(dict.fromkeys(words)), "courses": course_ids, "ready": READY},
        )
        return {row[0]: float(row[1]) for row in cursor.fetchall()}


# Two passages sharing this share of their word 4-grams (of the shorter one) are the same text
# for a reader: the same notes uploaded twice, a page repeated.
DUPLICATE_OVERLAP = 0.8


def shingles(text: str) -> frozenset[tuple[str, ...]]:
    """The text's word 4-grams, case folded."""
    words = text.lower().split()
    return frozenset(tuple(words[i : i + 4]) for i in range(max(1, len(words) - 3)))


def near_identical(a: frozenset[tuple[str, ...]], b: frozenset[tuple[str, ...]]) -> bool:
    smaller = min(len(a), len(b))
    return smaller > 0 and len(a & b) >= DUPLICATE_OVERLAP * smaller
