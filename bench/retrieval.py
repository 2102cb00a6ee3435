"""Retrieval at scale: latency (p50/p95) and recall@10 of ``ai.retrieval.vector_search`` and of
the fused ``chunk_search`` over 100k and 1M chunks, unfiltered and filtered to courses, against
exact ground truth computed with numpy.

    make bench BENCH=retrieval BENCH_ARGS="--chunks 100000 1000000"   # or, by hand:
    python -m smartedu.embedded exec --data .data/bench-retrieval --redis-port 0 -- \
        .venv/bin/python bench/retrieval.py --chunks 100000 1000000

Vectors: embedding a million real passages with all-MiniLM-L6-v2 on a small CPU takes hours,
so the script embeds a few thousand real passages (docstrings of Python's standard library and
of Django, read with ``ast``: prose nobody wrote for this bench) through the product's
``ai.embeddings`` and synthesises the rest as normalised noisy mixtures of those embeddings:
each material is about one topic (its chunks mix passages near one anchor passage) and each
course holds 1% of the chunks. Queries are embeddings of held-out real passages (never loaded)
plus noisy variants of them. Everything is seeded: the same arguments give the same data.

Loading uses binary COPY with the HNSW and GIN indexes dropped, then builds them (the build
times are part of the report). Works in its own scratch database (bench_retrieval), dropped at
the end unless ``--keep-db``; ``--reuse`` measures again on a kept database without reloading.
"""

import argparse
import ast
import hashlib
import re
import sys
import sysconfig
import time
from pathlib import Path

import _common
import numpy as np

SEED = 20261123
CHUNKS_PER_MATERIAL = 100
K = 10
# Returned ids whose exact distance ties the 10th true neighbour's (within float32 rounding)
# count as found: pgvector and numpy round the same cosine slightly differently.
TIE_EPSILON = 1e-5
# Installed packages whose docstrings (real prose on many topics) become passages.
DOCSTRING_PACKAGES = ("django", "numpy", "celery", "kombu", "rest_framework", "transformers")


# --- real text --------------------------------------------------------------------------------


def real_passages() -> list[str]:
    """Passages of 250-1200 characters from the docstrings of Python's standard library and of
    some installed packages, in a fixed order."""
    import importlib

    roots = [Path(sysconfig.get_paths()["stdlib"])]
    for package in DOCSTRING_PACKAGES:
        try:
            roots.append(Path(importlib.import_module(package).__file__).parent)
        except ImportError:
            continue
    docs = []
    for root in roots:
        for path in sorted(root.rglob("*.py"), key=lambda p: p.as_posix()):
            parts = set(path.relative_to(root).parts)
            if parts & {"site-packages", "dist-packages", "test", "tests", "idlelib"}:
                continue
            try:
                tree = ast.parse(path.read_text(encoding="utf-8"))
            except (SyntaxError, UnicodeDecodeError, ValueError):
                continue
            for node in ast.walk(tree):
                if isinstance(
                    node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef
                ):
                    doc = ast.get_docstring(node)
                    if doc:
                        docs.append(doc)
    passages = []
    for doc in docs:
        paragraphs = [re.sub(r"\s+", " ", p).strip() for p in re.split(r"\n\s*\n", doc)]
        # Prose only: no doctest lines, no tables of symbols.
        paragraphs = [
            p
            for p in paragraphs
            if p and not p.startswith((">>>", "...")) and sum(c.isalpha() for c in p) > 0.6 * len(p)
        ]
        current = ""
        for paragraph in paragraphs:
            current = f"{current} {paragraph}".strip()
            if len(current) >= 400:
                passages.append(current[:1200])
                current = ""
        if len(current) >= 250:
            passages.append(current)
    return list(dict.fromkeys(passages))


def embed_cached(texts: list[str], cache_dir: Path) -> np.ndarray:
    """Embeddings of ``texts`` by the product's embedder, cached on disk by content and model."""
    from ai.embeddings import embedder, embedding_model_name

    model = embedding_model_name()
    digest = hashlib.sha256(("\0".join([model, *texts])).encode()).hexdigest()[:16]
    path = cache_dir / f"embeddings-{digest}.npy"
    if path.exists():
        return np.load(path)
    started = time.perf_counter()
    vectors = []
    batch = 256
    for i in range(0, len(texts), batch):
        vectors.extend(embedder().embed(texts[i : i + batch]))
        done = min(i + batch, len(texts))
        rate = done / (time.perf_counter() - started)
        print(f"  embedded {done}/{len(texts)} real passages ({rate:.0f}/s)", flush=True)
    array = np.asarray(vectors, dtype=np.float32)
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.save(path, array)
    return array


# --- synthetic corpus -------------------------------------------------------------------------


def _normalise(a: np.ndarray) -> np.ndarray:
    return (a / np.linalg.norm(a, axis=-1, keepdims=True)).astype(np.float32)


class Corpus:
    """``n`` chunks: vectors, the real passage each one's text comes from, its material and
    course. Chunk i (0-based) is stored with id i + 1."""

    def __init__(self, base: np.ndarray, n: int, courses: int, seed: int = SEED):
        rng = np.random.default_rng(seed + n)
        self.n = n
        materials = -(-n // CHUNKS_PER_MATERIAL)
        # Each base passage's 32 nearest others: a material's topic.
        sims = base @ base.T
        neighbours = np.argsort(-sims, axis=1)[:, :32]
        anchors = rng.integers(0, len(base), materials)
        self.material = np.repeat(np.arange(materials), CHUNKS_PER_MATERIAL)[:n]
        # Materials dealt to courses so each course holds 1/courses of the chunks.
        material_course = rng.permutation(np.arange(materials) % courses)
        self.course = material_course[self.material]
        topic = neighbours[anchors[self.material]]
        self.source = topic[np.arange(n), rng.integers(0, 32, n)]
        other = topic[np.arange(n), rng.integers(0, 32, n)]
        self.vectors = np.empty((n, base.shape[1]), dtype=np.float32)
        step = 100_000
        for i in range(0, n, step):
            j = slice(i, min(i + step, n))
            weight = rng.uniform(0.0, 0.6, (j.stop - i, 1)).astype(np.float32)
            noise = rng.normal(0.0, 0.025, (j.stop - i, base.shape[1])).astype(np.float32)
            self.vectors[j] = _normalise(base[self.source[j]] + weight * base[other[j]] + noise)
        self.materials = materials


def queries(held_out: np.ndarray, noisy: int, seed: int = SEED) -> np.ndarray:
    rng = np.random.default_rng(seed)
    picks = held_out[rng.integers(0, len(held_out), noisy)]
    variants = _normalise(picks + rng.normal(0.0, 0.025, picks.shape).astype(np.float32))
    return np.concatenate([held_out, variants])


def exact_top(corpus: Corpus, q: np.ndarray, mask: np.ndarray | None, k: int = K):
    """(ids, distances) of the true k nearest chunks (cosine), by brute force."""
    if mask is None:
        candidates = None
        sims = corpus.vectors @ q
    else:
        candidates = np.flatnonzero(mask)
        sims = corpus.vectors[candidates] @ q
    top = np.argpartition(-sims, k)[:k]
    top = top[np.argsort(-sims[top])]
    rows = top if candidates is None else candidates[top]
    return rows + 1, 1.0 - sims[top]


def recall(corpus: Corpus, q: np.ndarray, truth_distances: np.ndarray, found: list[int]) -> float:
    if not found:
        return 0.0
    distances = 1.0 - corpus.vectors[np.asarray(found) - 1] @ q
    threshold = truth_distances[-1] + TIE_EPSILON
    return min(int((distances <= threshold).sum()), K) / K


# --- loading ----------------------------------------------------------------------------------


def school_load(url: str, corpus: Corpus, texts: list[str], slug: str) -> dict[str, float]:
    """A school with 100 courses, ready materials and the corpus as chunks; returns timings."""
    import psycopg
    from django.db import connection
    from django.test import override_settings
    from django_tenants.utils import schema_context
    from pgvector.psycopg import register_vector

    from ai.embeddings import embedding_model_name
    from courses.models import Course, Material
    from tenants.services import school_provision

    timings = {}
    # Replaying migrations, not cloning the template: django-tenants' clone_schema() copies a
    # vector(384) column as plain "vector", and the HNSW index then refuses it.
    with override_settings(TENANT_CREATION_FAKES_MIGRATIONS=False):
        school_provision(name=f"Bench retrieval {corpus.n}", slug=slug)
    courses = int(corpus.course.max()) + 1
    model = embedding_model_name()
    with schema_context(slug):
        course_rows = Course.objects.bulk_create(
            [Course(code=f"C{i:03d}", name=f"Course {i}") for i in range(courses)]
        )
        course_ids = [c.pk for c in course_rows]
        material_course = np.zeros(corpus.materials, dtype=np.int64)
        material_course[corpus.material] = corpus.course
        Material.objects.bulk_create(
            [
                Material(
                    id=m + 1,
                    course_id=course_ids[material_course[m]],
                    title=f"Material {m + 1}",
                    filename=f"material-{m + 1}.txt",
                    kind=Material.Kind.TEXT,
                    file=f"bench/{m + 1}.txt",
                    size_bytes=1,
                    sha256=f"{m + 1:064x}",
                    state=Material.State.READY,
                    embedding_model=model,
                )
                for m in range(corpus.materials)
            ],
            batch_size=2000,
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = %s "
                "AND indexname IN ('chunk_embedding_hnsw', 'chunk_search_vector_gin')",
                [slug],
            )
            indexes = dict(cursor.fetchall())
            for name in indexes:
                cursor.execute(f'DROP INDEX "{slug}"."{name}"')
    connection.close()

    columns = [
        "id",
        "material_id",
        "course_id",
        "ordinal",
        "page",
        "section",
        "text",
        "token_count",
        "embedding",
        "embedding_model",
    ]
    with psycopg.connect(url) as conn:
        conn.execute(f'SET search_path TO "{slug}", extensions, public')
        register_vector(conn)
        types = dict(
            conn.execute(
                "SELECT column_name, udt_name FROM information_schema.columns "
                "WHERE table_schema = %s AND table_name = 'ai_chunk'",
                [slug],
            ).fetchall()
        )
        started = time.perf_counter()
        material_course_ids = np.asarray(course_ids)[corpus.course]
        with conn.cursor().copy(
            f"COPY ai_chunk ({', '.join(columns)}) FROM STDIN WITH (FORMAT BINARY)"
        ) as copy:
            copy.set_types([types[c] for c in columns])
            for i in range(corpus.n):
                text = texts[corpus.source[i]]
                copy.write_row(
                    (
                        i + 1,
                        int(corpus.material[i]) + 1,
                        int(material_course_ids[i]),
                        i % CHUNKS_PER_MATERIAL,
                        i % CHUNKS_PER_MATERIAL // 3 + 1,
                        f"Section {i % CHUNKS_PER_MATERIAL // 10 + 1}",
                        text,
                        len(text) // 4,
                        corpus.vectors[i],
                        model,
                    )
                )
                if (i + 1) % 100_000 == 0:
                    print(f"  copied {i + 1:,} chunks", flush=True)
        conn.commit()
        timings["copy_s"] = time.perf_counter() - started
        conn.execute("SELECT setval('ai_chunk_id_seq', %s)", [corpus.n])
        conn.commit()

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'SET search_path TO "{slug}", extensions, public')
        conn.execute("SET maintenance_work_mem = '4GB'")
        conn.execute("SET max_parallel_maintenance_workers = 2")
        for name, key in (("chunk_embedding_hnsw", "hnsw_s"), ("chunk_search_vector_gin", "gin_s")):
            started = time.perf_counter()
            conn.execute(indexes[name])
            timings[key] = time.perf_counter() - started
            print(f"  built {name} in {timings[key]:.0f} s", flush=True)
        started = time.perf_counter()
        conn.execute("VACUUM ANALYZE ai_chunk")
        timings["vacuum_s"] = time.perf_counter() - started
    return timings


def sizes(slug: str) -> dict[str, str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_size_pretty(pg_table_size(%s)), "
            "pg_size_pretty(pg_relation_size(%s)), pg_size_pretty(pg_relation_size(%s))",
            [
                f'"{slug}".ai_chunk',
                f'"{slug}".chunk_embedding_hnsw',
                f'"{slug}".chunk_search_vector_gin',
            ],
        )
        table, hnsw, gin = cursor.fetchone()
    return {"table": table, "hnsw": hnsw, "gin": gin}


# --- measuring --------------------------------------------------------------------------------


def measure(corpus, qs, query_texts, scope, course_ids_of, settings_override, with_fused=True):
    """Run every query once through vector_search (and chunk_search); returns figures."""
    from django.test import override_settings

    from ai import retrieval

    vector_ms, fused_ms, recalls = [], [], []
    plans = {}
    with override_settings(**settings_override):
        for i, q in enumerate(qs):
            courses, mask = course_ids_of(i)
            truth_ids, truth_distances = exact_top(corpus, q, mask)
            plan = retrieval.vector_plan(courses, K)
            plans[(plan.method, plan.ef_search)] = plans.get((plan.method, plan.ef_search), 0) + 1
            vector = q.tolist()
            started = time.perf_counter()
            found = retrieval.vector_search(vector, course_ids=courses, k=K)
            vector_ms.append((time.perf_counter() - started) * 1000)
            recalls.append(recall(corpus, q, truth_distances, [cid for cid, _ in found]))
            if with_fused:
                started = time.perf_counter()
                retrieval.chunk_search(query_texts[i], course_ids=courses, k=K, query_vector=vector)
                fused_ms.append((time.perf_counter() - started) * 1000)
    plan_text = ", ".join(
        f"{method}" + (f" ef={ef}" if ef else "") + (f" ×{count}" if len(plans) > 1 else "")
        for (method, ef), count in sorted(plans.items())
    )
    return {
        "scope": scope,
        "plan": plan_text,
        "queries": len(qs),
        "p50": _common.percentile(vector_ms, 50),
        "p95": _common.percentile(vector_ms, 95),
        "recall": float(np.mean(recalls)),
        "recall_min": float(np.min(recalls)),
        "fused_p50": _common.percentile(fused_ms, 50) if fused_ms else None,
        "fused_p95": _common.percentile(fused_ms, 95) if fused_ms else None,
    }


def run_size(url, args, base, texts, held_out, held_out_texts):
    from django.conf import settings
    from django.db import connection
    from django_tenants.utils import schema_context

    from tenants.models import School

    n = args.n
    slug = f"benchret{n}"
    print(f"\n{n:,} chunks: synthesising vectors", flush=True)
    corpus = Corpus(base, n, args.courses)
    timings = {}
    if not (args.reuse and School.objects.filter(schema_name=slug).exists()):
        existing = School.objects.filter(schema_name=slug).first()
        if existing:
            from tenants.services import school_delete

            school_delete(existing)
        timings = school_load(url, corpus, texts, slug)
    qs = queries(held_out, args.noisy)
    # A short question-like text per query for the full-text side: the passage's first words.
    short = [" ".join(t.split()[:6]) for t in held_out_texts]
    query_texts = short + [short[i % len(short)] for i in range(args.noisy)]
    rng = np.random.default_rng(SEED + 1)
    picked_course = rng.integers(0, args.courses, len(qs))
    rows = []
    with schema_context(slug):
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM courses_course ORDER BY id")
            course_pk = [r[0] for r in cursor.fetchall()]
        table_sizes = sizes(slug)

        def whole(_):
            return None, None

        def one(i):
            c = picked_course[i]
            return [course_pk[c]], corpus.course == c

        def ten(i):
            cs = [(picked_course[i] + j) % args.courses for j in range(args.courses // 10)]
            return [course_pk[c] for c in cs], np.isin(corpus.course, cs)

        base_ef = settings.RETRIEVAL_HNSW_EF_SEARCH
        exact_max = settings.RETRIEVAL_EXACT_MAX_CHUNKS
        # Warm the caches the way a running server has them.
        measure(corpus, qs[:20], query_texts[:20], "warm-up", whole, {}, with_fused=True)
        measure(corpus, qs[:20], query_texts[:20], "warm-up", one, {}, with_fused=False)
        for ef in args.ef_sweep:
            label = f"whole school, ef_search {ef}" + (" (default)" if ef == base_ef else "")
            rows.append(
                measure(corpus, qs, query_texts, label, whole, {"RETRIEVAL_HNSW_EF_SEARCH": ef})
            )
            print(_row_text(rows[-1]), flush=True)
        share = 100 / args.courses
        rows.append(measure(corpus, qs, query_texts, f"1 course ({share:g}%)", one, {}))
        print(_row_text(rows[-1]), flush=True)
        rows.append(
            measure(
                corpus,
                qs,
                query_texts,
                f"1 course ({share:g}%), HNSW forced (EXACT_MAX_CHUNKS=0)",
                one,
                {"RETRIEVAL_EXACT_MAX_CHUNKS": 0},
                with_fused=False,
            )
        )
        print(_row_text(rows[-1]), flush=True)
        rows.append(
            measure(
                corpus, qs, query_texts, f"{args.courses // 10} courses ({share * 10:g}%)", ten, {}
            )
        )
        print(_row_text(rows[-1]), flush=True)
    return {
        "n": n,
        "timings": timings,
        "sizes": table_sizes,
        "rows": rows,
        "exact_max": exact_max,
        "base_ef": base_ef,
    }


def _row_text(row) -> str:
    fused = (
        f", chunk_search p50/p95 {row['fused_p50']:.1f}/{row['fused_p95']:.1f} ms"
        if row["fused_p50"]
        else ""
    )
    return (
        f"  {row['scope']}: {row['plan']}: p50 {row['p50']:.1f} ms, p95 {row['p95']:.1f} ms, "
        f"recall@10 {row['recall']:.3f} (min {row['recall_min']:.1f}){fused}"
    )


def _server_facts() -> dict[str, str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        version = cursor.fetchone()[0]
        facts = {"pgvector": version}
        for name in ("shared_buffers", "work_mem", "effective_cache_size", "jit"):
            cursor.execute(f"SHOW {name}")
            facts[name] = cursor.fetchone()[0]
    return facts


def _hnsw_parameters() -> str:
    from ai.models import Chunk

    (index,) = [i for i in Chunk._meta.indexes if i.name == "chunk_embedding_hnsw"]
    return f"m={index.m}, ef_construction={index.ef_construction}"


def report(results, info, facts, args) -> str:
    lines = [_common.machine_markdown(info)]
    lines.append(
        "- server: "
        + ", ".join(f"{k} {v}" for k, v in facts.items())
        + f"; HNSW index {_hnsw_parameters()} (the migrations'), built with "
        "maintenance_work_mem 4GB and 2 parallel workers"
    )
    lines.append(
        f"- data: {args.base_count:,} real passages embedded with {args.model} "
        f"(+ {args.held_out:,} held out as queries), the rest synthesised (see bench/README.md); "
        f"{args.courses} courses, {CHUNKS_PER_MATERIAL} chunks per material, all ready"
    )
    lines.append(
        f"- queries: {args.held_out} held-out passage embeddings + {args.noisy} noisy variants, "
        f"k={K}; each filtered query picks its own course(s); recall@10 against numpy brute force"
    )
    lines.append("")
    load_rows = []
    for result in results:
        t = result["timings"]
        load_rows.append(
            [
                f"{result['n']:,}",
                f"{t['copy_s']:.0f}" if t else "reused",
                f"{result['n'] / t['copy_s']:,.0f}" if t else "",
                f"{t['hnsw_s']:.0f}" if t else "",
                f"{t['gin_s']:.0f}" if t else "",
                f"{t['vacuum_s']:.0f}" if t else "",
                result["sizes"]["table"],
                result["sizes"]["hnsw"],
                result["sizes"]["gin"],
            ]
        )
    lines.append(
        _common.table(
            [
                "chunks",
                "COPY s",
                "rows/s",
                "HNSW build s",
                "GIN build s",
                "VACUUM ANALYZE s",
                "table",
                "HNSW index",
                "GIN index",
            ],
            load_rows,
        )
    )
    lines.append("")
    query_rows = []
    for result in results:
        for row in result["rows"]:
            query_rows.append(
                [
                    f"{result['n']:,}",
                    row["scope"],
                    row["plan"],
                    row["queries"],
                    f"{row['p50']:.1f}",
                    f"{row['p95']:.1f}",
                    f"{row['recall']:.3f}",
                    f"{row['recall_min']:.1f}",
                    "" if row["fused_p50"] is None else f"{row['fused_p50']:.1f}",
                    "" if row["fused_p95"] is None else f"{row['fused_p95']:.1f}",
                ]
            )
    lines.append(
        _common.table(
            [
                "chunks",
                "scope",
                "vector plan",
                "queries",
                "vector p50 ms",
                "vector p95 ms",
                "recall@10",
                "worst query",
                "chunk_search p50 ms",
                "chunk_search p95 ms",
            ],
            query_rows,
        )
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--courses", type=int, default=100)
    parser.add_argument("--base", type=int, default=4000, help="real passages embedded")
    parser.add_argument("--held-out", type=int, default=200, help="real passages as queries")
    parser.add_argument("--noisy", type=int, default=100, help="noisy query variants")
    parser.add_argument(
        "--ef-sweep", type=int, nargs="+", default=None, help="unfiltered ef_search values"
    )
    parser.add_argument("--db", default="bench_retrieval", help="scratch database name")
    parser.add_argument("--results", type=Path, default=_common.RESULTS)
    parser.add_argument("--cache-dir", type=Path, default=_common.REPO / ".data" / "bench-cache")
    parser.add_argument("--keep-db", action="store_true", help="leave the scratch database")
    parser.add_argument("--reuse", action="store_true", help="measure a kept database again")
    args = parser.parse_args(argv)

    if args.reuse:
        import os

        url = _common._with_db_name(os.environ["DATABASE_URL"], args.db)
    else:
        url = _common.scratch_database_create(args.db)
    try:
        _common.django_setup(url)
        from django.conf import settings

        from ai.embeddings import embedding_model_name

        if args.ef_sweep is None:
            args.ef_sweep = sorted({40, settings.RETRIEVAL_HNSW_EF_SEARCH, 200})
        info = _common.machine()
        facts = _server_facts()
        print(_common.machine_markdown(info), facts, flush=True)

        passages = real_passages()
        rng = np.random.default_rng(SEED)
        order = rng.permutation(len(passages))
        wanted = args.base + args.held_out
        if len(passages) < wanted:
            raise SystemExit(f"Only {len(passages)} real passages found; {wanted} wanted.")
        chosen = [passages[i] for i in order[:wanted]]
        print(f"{len(passages):,} real passages found; embedding {wanted:,}", flush=True)
        vectors = embed_cached(chosen, args.cache_dir)
        base, held_out = vectors[: args.base], vectors[args.base :]
        texts, held_out_texts = chosen[: args.base], chosen[args.base :]
        args.base_count, args.model = len(base), embedding_model_name()

        results = []
        for n in args.chunks:
            args.n = n
            results.append(run_size(url, args, base, texts, held_out, held_out_texts))
        info["load after"] = _common.load_average()
    finally:
        if not args.keep_db:
            from django.db import connections

            connections.close_all()
            _common.scratch_database_drop(url)

    body = report(results, info, facts, args)
    print("\n" + body)
    _common.record("retrieval", "Retrieval: vector and hybrid search", body, args.results)
    print(f"\nRecorded in {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
