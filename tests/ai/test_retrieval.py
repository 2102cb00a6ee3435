"""Hybrid retrieval (ai.retrieval): the right passage for a question, keywords found by full
text, only ready material of the asked courses and of the school's own model, any input safe,
the HNSW path as good as the exact one on a small set, no index setting left behind, and never
another school's chunks. Real PostgreSQL + pgvector and the real local embedding model."""

import hashlib

import pytest
from django.db import connection
from django.test import override_settings
from django_tenants.utils import schema_context

from ai import retrieval
from ai.embeddings import embed_query, embedder, embedding_model_name
from ai.models import Chunk
from courses import services as course_services
from courses.models import Material

PASSAGES = {
    "photosynthesis": (
        "Photosynthesis",
        "Green plants capture light energy in their chloroplasts. Chlorophyll absorbs red and "
        "blue light, and the energy splits water molecules, releasing oxygen. The plant then "
        "uses carbon dioxide from the air to build sugars in the Calvin cycle.",
    ),
    "mitochondria": (
        "Cellular respiration",
        "Mitochondria release the energy stored in glucose. The enzyme complex ATP-synthase-7 "
        "in the inner membrane turns the flow of protons into ATP, the molecule cells spend "
        "on almost everything they do.",
    ),
    "revolution": (
        "The French Revolution",
        "In 1789 the Estates-General met at Versailles for the first time in generations. "
        "Within weeks the Third Estate declared itself a National Assembly, and in July a "
        "Paris crowd stormed the Bastille fortress.",
    ),
    "tectonics": (
        "Plate tectonics",
        "The Earth's crust is broken into plates that drift a few centimetres a year. Where "
        "two plates collide, mountains such as the Himalayas rise; where one slides beneath "
        "another, deep ocean trenches and volcanoes form.",
    ),
    "fractions": (
        "Adding fractions",
        "To add two fractions, first rewrite them over a common denominator. One half plus "
        "one third becomes three sixths plus two sixths, which is five sixths.",
    ),
    "poetry": (
        "Sonnets",
        "A Shakespearean sonnet has fourteen lines of iambic pentameter: three quatrains and "
        "a closing rhyming couplet that often turns the argument of the poem.",
    ),
    "old-poetry": (
        "Sonnets (last year's notes)",
        "Sonnets in English are written in iambic pentameter: fourteen lines, rhymed, often "
        "ending on a couplet.",
    ),
}


def _course(school, code):
    with schema_context(school.schema):
        return course_services.course_create(code=code, name=code.title())


def _material(course, title, *, state=Material.State.READY):
    return Material.objects.create(
        course=course,
        title=title,
        filename=f"{title}.txt",
        kind=Material.Kind.TEXT,
        file=f"tests/{title}.txt",
        size_bytes=100,
        sha256=hashlib.sha256(title.encode()).hexdigest(),
        state=state,
        embedding_model=embedding_model_name(),
    )


def _chunks(material, keys, *, model=None, page=1):
    vectors = embedder().embed([PASSAGES[key][1] for key in keys])
    return [
        Chunk.objects.create(
            material=material,
            course_id=material.course_id,
            ordinal=i,
            page=page + i,
            section=PASSAGES[key][0],
            text=PASSAGES[key][1],
            token_count=len(PASSAGES[key][1].split()),
            embedding=vector,
            embedding_model=model or embedding_model_name(),
        )
        for i, (key, vector) in enumerate(zip(keys, vectors, strict=True))
    ]


@pytest.fixture
def library(school_a):
    """School A: a science course (photosynthesis, mitochondria, tectonics, fractions) and a
    humanities course (revolution, poetry), each one ready material."""
    science = _course(school_a, "SCI-1")
    humanities = _course(school_a, "HUM-1")
    with schema_context(school_a.schema):
        science_material = _material(science, "Science notes")
        humanities_material = _material(humanities, "Humanities reader")
        chunks = dict(
            zip(
                ["photosynthesis", "mitochondria", "tectonics", "fractions"],
                _chunks(
                    science_material, ["photosynthesis", "mitochondria", "tectonics", "fractions"]
                ),
                strict=True,
            )
        )
        chunks.update(
            zip(
                ["revolution", "poetry"],
                _chunks(humanities_material, ["revolution", "poetry"]),
                strict=True,
            )
        )
    return {
        "science": science,
        "humanities": humanities,
        "science_material": science_material,
        "chunks": chunks,
    }


def test_paraphrased_question_ranks_the_right_passage_first(school_a, library):
    with schema_context(school_a.schema):
        hits = retrieval.chunk_search(
            "How do leaves turn sunlight into food?", course_ids=None, k=3
        )

    top = hits[0]
    assert top.chunk_id == library["chunks"]["photosynthesis"].pk
    assert top.material_id == library["science_material"].pk
    assert top.material_title == "Science notes"
    assert top.course_id == library["science"].pk
    assert (top.page, top.section) == (1, "Photosynthesis")
    assert top.text == PASSAGES["photosynthesis"][1]
    assert top.vector_rank == 1 and top.similarity > 0.3
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)


def test_a_code_that_appears_in_one_chunk_is_found_by_full_text(school_a, library):
    with schema_context(school_a.schema):
        hits = retrieval.chunk_search("ATP-synthase-7", course_ids=None, k=5)
        text_hits = retrieval.text_search("ATP-synthase-7", course_ids=None, k=5)

    mitochondria = library["chunks"]["mitochondria"].pk
    assert [chunk_id for chunk_id, _ in text_hits] == [mitochondria]
    assert text_hits[0][1] > 0
    assert hits[0].chunk_id == mitochondria
    assert hits[0].text_rank == 1


def test_a_passage_holding_only_some_of_the_questions_words_is_found_rare_words_first(
    school_a, library
):
    # No passage holds every word; full text still finds the one with the rare ones
    # ("chloroplasts", "chlorophyll"), ahead of passages that share only everyday words.
    with schema_context(school_a.schema):
        text_hits = retrieval.text_search(
            "Why is chlorophyll inside chloroplasts green for students?", course_ids=None, k=5
        )
    assert text_hits[0][0] == library["chunks"]["photosynthesis"].pk
    assert 0 < text_hits[0][1] <= 1.5  # a share of a passage holding every word


def test_re_ranking_scores_the_best_candidates_by_their_closest_sentence(school_a, library):
    question = "Which molecule do cells spend on almost everything they do?"
    with schema_context(school_a.schema):
        plain = retrieval.chunk_search(question, course_ids=None, k=3, rerank=False)
        reranked = retrieval.chunk_search(question, course_ids=None, k=3, rerank=True)

    mitochondria = library["chunks"]["mitochondria"].pk
    assert all(hit.sentence_similarity is None for hit in plain)
    assert reranked[0].chunk_id == mitochondria
    assert all(hit.sentence_similarity is not None for hit in reranked)
    assert reranked[0].sentence_similarity > 0.3
    assert [hit.score for hit in reranked] == sorted((h.score for h in reranked), reverse=True)


def test_the_same_text_uploaded_twice_is_returned_once(school_a, library):
    # A teacher uploads the same notes again under another title: the copy must not push the
    # next different passage out of the results, nor be cited twice in one answer.
    with schema_context(school_a.schema):
        copy = _material(library["science"], "Science notes (copy)")
        (copied,) = _chunks(copy, ["photosynthesis"])
        hits = retrieval.chunk_search(
            "How do leaves turn sunlight into food?", course_ids=[library["science"].pk], k=3
        )

    ids = [hit.chunk_id for hit in hits]
    original = library["chunks"]["photosynthesis"].pk
    assert len(ids) == 3
    assert (original in ids) != (copied.pk in ids)
    assert len({hit.text for hit in hits}) == 3


def test_course_filter_keeps_other_courses_chunks_out(school_a, library):
    humanities = library["humanities"].pk
    with schema_context(school_a.schema):
        hits = retrieval.chunk_search(
            "How do leaves turn sunlight into food?", course_ids=[humanities], k=10
        )
        vector_hits = retrieval.vector_search(
            embed_query("photosynthesis"), course_ids=[humanities], k=10
        )

    expected = {library["chunks"]["revolution"].pk, library["chunks"]["poetry"].pk}
    assert {hit.chunk_id for hit in hits} <= expected
    assert {hit.course_id for hit in hits} == {humanities}
    assert {chunk_id for chunk_id, _ in vector_hits} == expected


def test_chunks_of_material_that_is_not_ready_are_not_found(school_a, library):
    with schema_context(school_a.schema):
        pending = _material(library["science"], "Draft", state=Material.State.EMBEDDING)
        failed = _material(library["science"], "Broken", state=Material.State.FAILED)
        hidden = _chunks(pending, ["poetry"]) + _chunks(failed, ["revolution"])
        found = retrieval.chunk_search(
            "sonnet quatrains couplet Bastille", course_ids=[library["science"].pk], k=10
        )
        vector_found = retrieval.vector_search(
            embed_query("fourteen lines of iambic pentameter"),
            course_ids=[library["science"].pk],
            k=10,
        )

    hidden_ids = {chunk.pk for chunk in hidden}
    assert hidden_ids.isdisjoint(hit.chunk_id for hit in found)
    assert hidden_ids.isdisjoint(chunk_id for chunk_id, _ in vector_found)
    assert len(vector_found) == 4  # the science course's four ready chunks


def test_vectors_of_another_embedding_model_are_not_compared(school_a, library):
    with schema_context(school_a.schema):
        material = _material(library["science"], "Old model notes")
        (stale,) = _chunks(material, ["old-poetry"], model="openai/text-embedding-3-small")
        vector_found = retrieval.vector_search(
            embed_query("fourteen lines of iambic pentameter"), course_ids=None, k=10
        )
        hits = retrieval.chunk_search("iambic pentameter sonnet", course_ids=None, k=10)

    assert stale.pk not in {chunk_id for chunk_id, _ in vector_found}
    assert library["chunks"]["poetry"].pk == vector_found[0][0]
    # Still findable by its words while it waits for re-embedding, but never by its vector.
    stale_hits = [hit for hit in hits if hit.chunk_id == stale.pk]
    assert [(hit.vector_rank, hit.similarity) for hit in stale_hits] == [(None, None)]


@pytest.mark.parametrize(
    "query",
    [
        "' OR 1=1 --",
        '"unclosed',
        "!!!",
        "photosynthesis & | ! <-> :*",
        "'; DROP TABLE ai_chunk; --",
        "-",
        "or",
        "\\x00 % _ $$",
    ],
)
def test_odd_queries_return_results_or_nothing_but_never_fail(school_a, library, query):
    with schema_context(school_a.schema):
        hits = retrieval.chunk_search(query, course_ids=[library["science"].pk], k=5)
        text_hits = retrieval.text_search(query, course_ids=None, k=5)
        still_there = Chunk.objects.count()

    assert len(hits) <= 5
    assert all(hit.course_id == library["science"].pk for hit in hits)
    assert isinstance(text_hits, list)
    assert still_there == 6


@pytest.mark.parametrize("query", ["", "   ", "\n\t"])
def test_a_blank_query_finds_nothing(school_a, library, query):
    with schema_context(school_a.schema):
        assert retrieval.chunk_search(query, course_ids=None) == []
        assert retrieval.text_search(query, course_ids=None, k=5) == []


def test_no_courses_means_no_results(school_a, library):
    with schema_context(school_a.schema):
        assert retrieval.chunk_search("photosynthesis", course_ids=[]) == []
        assert retrieval.vector_search(embed_query("x"), course_ids=[], k=5) == []


def test_a_query_vector_of_the_wrong_size_is_refused_with_a_reason(school_a, library):
    with schema_context(school_a.schema), pytest.raises(ValueError, match="384 numbers"):
        retrieval.vector_search([0.1, 0.2], course_ids=None, k=5)


def test_small_scope_is_scanned_exactly_without_the_hnsw_index(school_a, library):
    """The exact path must not reach the HNSW index: filtered HNSW loses recall on pgvector 0.6."""
    statements = []

    def capture(execute, sql, params, many, context):
        statements.append((sql, params))
        return execute(sql, params, many, context)

    science = [library["science"].pk]
    with schema_context(school_a.schema):
        assert retrieval.vector_plan(science, 10).method == "exact"
        with connection.execute_wrapper(capture):
            retrieval.vector_search(embed_query("sunlight"), course_ids=science, k=10)
        # With sequential scans and sorts priced out, the planner would pick the HNSW index for
        # a plain ORDER BY distance; the exact query's sort key leaves it no way to.
        sql, params = next((s, p) for s, p in statements if "+ 0 AS distance" in s)
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            cursor.execute("SET LOCAL enable_seqscan = on")
            cursor.execute("SET LOCAL enable_sort = on")
    assert "chunk_embedding_hnsw" not in plan


def test_the_hnsw_path_finds_the_same_top_results_as_the_exact_scan(school_a, library):
    questions = [
        "How do leaves turn sunlight into food?",
        "What makes mountains rise?",
        "Who stormed the Bastille?",
        "How many lines does a sonnet have?",
    ]
    with schema_context(school_a.schema):
        vectors = [embed_query(q) for q in questions]
        exact = [retrieval.vector_search(v, course_ids=None, k=3) for v in vectors]
        with override_settings(RETRIEVAL_EXACT_MAX_CHUNKS=0):
            plan = retrieval.vector_plan(None, 3)
            through_index = [retrieval.vector_search(v, course_ids=None, k=3) for v in vectors]
            science = [library["science"].pk]
            filtered_plan = retrieval.vector_plan(science, 3)
            filtered = retrieval.vector_search(vectors[0], course_ids=science, k=3)

    assert plan.method == "hnsw" and plan.ef_search >= 40
    assert [[cid for cid, _ in hits] for hits in through_index] == [
        [cid for cid, _ in hits] for hits in exact
    ]
    for exact_hits, index_hits in zip(exact, through_index, strict=True):
        assert [round(d, 5) for _, d in index_hits] == [round(d, 5) for _, d in exact_hits]
    # A course holding 4 of the 6 chunks: at least the unfiltered width, never the cap.
    assert filtered_plan.method == "hnsw" and 100 <= filtered_plan.ef_search < 1000
    assert filtered[0][0] == library["chunks"]["photosynthesis"].pk


def test_index_settings_do_not_leak_into_the_connection(school_a, library):
    with schema_context(school_a.schema), connection.cursor() as cursor:
        with override_settings(RETRIEVAL_EXACT_MAX_CHUNKS=0, RETRIEVAL_HNSW_EF_SEARCH=321):
            hits = retrieval.vector_search(embed_query("sunlight"), course_ids=None, k=2)
            assert retrieval.vector_plan(None, 2).ef_search == 321
        cursor.execute("SHOW hnsw.ef_search")
        after = cursor.fetchone()[0]

    assert len(hits) == 2
    assert after == "40"  # pgvector's default, not the 321 the search used


def test_another_school_never_gets_this_schools_chunks(school_a, school_b, library):
    beta_course = _course(school_b, "SCI-1")
    with schema_context(school_b.schema):
        beta_material = _material(beta_course, "Beta notes")
        (beta_chunk,) = _chunks(beta_material, ["fractions"])
        asked = [library["science"].pk, library["humanities"].pk, beta_course.pk]
        by_text = retrieval.text_search("photosynthesis chlorophyll", course_ids=asked, k=10)
        fused = retrieval.chunk_search("photosynthesis chlorophyll", course_ids=asked, k=10)
        by_meaning = retrieval.chunk_search(
            "How do leaves turn sunlight into food?", course_ids=None, k=10
        )
        by_vector = retrieval.vector_search(embed_query("sunlight"), course_ids=asked, k=10)
        with override_settings(RETRIEVAL_EXACT_MAX_CHUNKS=0):
            by_index = retrieval.vector_search(embed_query("sunlight"), course_ids=None, k=10)

    assert by_text == []
    assert [hit.chunk_id for hit in fused] == [beta_chunk.pk]  # its only chunk, by vector
    assert [hit.chunk_id for hit in by_meaning] == [beta_chunk.pk]
    assert [hit.material_title for hit in by_meaning] == ["Beta notes"]
    assert [cid for cid, _ in by_vector] == [beta_chunk.pk]
    assert [cid for cid, _ in by_index] == [beta_chunk.pk]


def test_sentence_scores_of_one_school_never_answer_for_another(school_a, school_b):
    # Passage ids repeat across schools (each schema has its own sequence): the sentence cache
    # must hand each school its own passage's sentences.
    from ai.embeddings import embed_query
    from ai.sentences import scored_sentences

    vector = embed_query("What do cells need?")
    with schema_context(school_a.schema):
        alpha = scored_sentences(vector, [(999_001, "", "Cells need glucose.")])
    with schema_context(school_b.schema):
        beta = scored_sentences(vector, [(999_001, "", "Rivers flow to the sea.")])

    assert [s.text for s in alpha[999_001]] == ["Cells need glucose."]
    assert [s.text for s in beta[999_001]] == ["Rivers flow to the sea."]
