"""AI evaluation: how well the product retrieves, answers, refuses and writes quiz questions on
three real third-party documents, against gold questions written by hand (bench/eval/).

    make eval                                  # or, by hand:
    python -m smartedu.embedded exec --data .data/eval --redis-port 0 -- \\
        .venv/bin/python bench/eval.py [--smoke]

What it does, all through the product's own code, in a scratch database (bench_eval):

- creates a school and one course, and uploads the documents of bench/eval/ to it with
  ``courses.services.material_upload`` (the upload page's service), then runs the two ingestion
  steps the Celery tasks run (``ai.ingestion.material_extract``, then ``material_embed`` until
  done) in this process, so nothing waits for a worker;
- retrieval: for each answerable question, the rank of the first passage of the right document
  that contains one of the question's gold evidence phrases (compared after folding case,
  punctuation and spaces, so independent of how the product cuts passages), in the top 10 of
  (a) the product's ``ai.retrieval.chunk_search`` (cosine similarity and BM25 blended, the best
  candidates re-ranked by their closest sentence), (a') the same without re-ranking, (b) plain BM25
  (``rank_bm25.BM25Okapi``, words of section and text, no stemming or stop words) and (c) plain
  dense retrieval (cosine between the query's embedding and the stored chunk embeddings, exact),
  all over the same chunks of the course: top-1, top-5 and MRR@10;
- the tutor: every question through ``ai.tutor.services.tutor_turn_create`` and ``tutor_answer``
  (the offline answerer: no language model, whatever the environment). Answerable questions:
  the share refused (the "not covered" answer), the ``supported`` flag, and an automatic
  judgement of what the student reads (the answer text and its citations' quotes): "evidence
  quoted" when a gold evidence phrase is in it, "answer words" when at least 75% of the gold
  answer's content words are, "correct" when either holds, and "cites the passage" when one of
  the cited passages contains the evidence. Unanswerable questions (on the documents' topics but
  not answered by them) and off-topic ones: the share refused;
- quiz generation: one job per document through ``quizzes.generation.lifecycle.
  generation_job_create`` and ``slices.generation_job_run`` (the task's function, run here until
  done), offline generator, all six kinds: the kinds produced, the distinct passages cited, the
  candidates turned away, and the saved questions checked again by ``check_grounding`` and by a
  literal check that shares no code with it (bench/generation.py). The questions are written to
  bench/eval/out/generated.json for judging by hand.

Every question's outcome goes to bench/eval/out/details.json (gitignored). The figures are
printed and recorded in bench/RESULTS.md (section ``eval``) and bench/results.json (key
``eval``, with the spec's targets as ``ceiling``). ``--smoke`` runs one document and five
questions of each kind and records nowhere unless ``--results`` is given.
"""

import argparse
import collections
import json
import os
import re
import statistics
import sys
import time
import unicodedata
from pathlib import Path

import _common
import _figures

EVAL_DIR = _common.REPO / "bench" / "eval"
OUT_DIR = EVAL_DIR / "out"
DOCUMENTS = ("grep-manual.txt", "valgrind-faq-memcheck.html", "npm-guide.markdown")
KINDS = ["single", "multiple", "true_false", "short_answer", "numeric", "fill_blank"]
TOP_K = 10
ANSWER_WORDS_RECALL = 0.75
# The product's targets (the spec): (figure, direction, ceiling in %).
TARGETS = {
    "retrieval top-5": (">=", 90.0),
    "retrieval top-1": (">=", 70.0),
    "near-topic refused": (">=", 90.0),
    "off-topic refused": (">=", 98.0),
    "answerable refused": ("<=", 3.0),
}
STOPWORDS = frozenset(
    """a an and are as at be by can do does e eg for from g how i if in into is it its not of on
    or so that the their them then there these this to use used uses with you your""".split()
)


# --- the gold set ------------------------------------------------------------------------------


def fold(text: str) -> str:
    """Lower case, letters and digits only, single spaces: what evidence is compared on."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    return " ".join(re.sub(r"[\W_]+", " ", text).split())


def content_words(text: str) -> set[str]:
    return {w for w in fold(text).split() if w not in STOPWORDS and (len(w) > 1 or w.isdigit())}


def load_gold(name: str) -> dict:
    import yaml

    gold = yaml.safe_load((EVAL_DIR / f"{Path(name).stem}.yaml").read_text(encoding="utf-8"))
    if gold.get("document") != name:
        raise SystemExit(f"{Path(name).stem}.yaml is about {gold.get('document')!r}, not {name!r}")
    for item in gold["answerable"]:
        if not item.get("evidence") or not item.get("answer"):
            raise SystemExit(f"{item['id']}: an answerable question needs answer and evidence")
    return gold


def load_off_topic() -> list[dict]:
    import yaml

    return yaml.safe_load((EVAL_DIR / "off-topic.yaml").read_text(encoding="utf-8"))["off_topic"]


# --- ingestion ---------------------------------------------------------------------------------


def upload_and_ingest(course, path: Path):
    """The material, uploaded as the upload page does and ingested as the tasks do."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from ai import ingestion
    from courses import services as course_services
    from courses.models import Material

    def quiet(payload):
        return None

    material, _ = course_services.material_upload(
        course=course,
        upload=SimpleUploadedFile(path.name, path.read_bytes()),
        uploaded_by=None,
    )
    started = time.perf_counter()
    ingestion.material_extract(material.pk, report=quiet)
    extracted = time.perf_counter()
    while ingestion.material_embed(material.pk, report=quiet, slice_seconds=3600) == "more":
        pass
    done = time.perf_counter()
    material = Material.objects.get(pk=material.pk)
    if material.state != Material.State.READY:
        raise SystemExit(f"Ingesting {path.name} failed: {material.state} {material.error}")
    return material, extracted - started, done - extracted


# --- retrieval ---------------------------------------------------------------------------------


class Chunks:
    """The course's chunks as the baselines see them: texts, folded texts, vectors."""

    def __init__(self, course):
        import numpy as np
        from rank_bm25 import BM25Okapi

        from ai.models import Chunk

        rows = list(
            Chunk.objects.filter(course=course)
            .order_by("id")
            .values_list("id", "material_id", "section", "text", "embedding")
        )
        self.ids = [r[0] for r in rows]
        self.material = {r[0]: r[1] for r in rows}
        self.text = {r[0]: r[3] for r in rows}
        self.folded = {r[0]: fold(r[3]) for r in rows}
        vectors = np.asarray([list(r[4]) for r in rows], dtype=np.float32)
        self.vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        self.bm25 = BM25Okapi([self.words(f"{r[2]} {r[3]}") for r in rows])

    @staticmethod
    def words(text: str) -> list[str]:
        return re.findall(r"[a-z0-9]+", text.lower())

    def holding(self, material_id: int, evidence: list[str]) -> set[int]:
        """The chunks of this material that contain one of the evidence phrases."""
        phrases = [fold(e) for e in evidence]
        return {
            cid
            for cid in self.ids
            if self.material[cid] == material_id and any(p in self.folded[cid] for p in phrases)
        }

    def bm25_top(self, question: str, k: int) -> list[int]:
        import numpy as np

        scores = self.bm25.get_scores(self.words(question))
        return [self.ids[i] for i in np.argsort(-scores, kind="stable")[:k]]

    def dense_top(self, vector, k: int) -> list[int]:
        import numpy as np

        query = np.asarray(vector, dtype=np.float32)
        scores = self.vectors @ (query / np.linalg.norm(query))
        return [self.ids[i] for i in np.argsort(-scores, kind="stable")[:k]]


def first_rank(ranked: list[int], relevant: set[int]) -> int | None:
    for rank, cid in enumerate(ranked, start=1):
        if cid in relevant:
            return rank
    return None


def retrieval_scores(ranks: list[int | None]) -> dict:
    n = len(ranks)
    if not n:
        return {"top1": None, "top5": None, "mrr": None}
    return {
        "top1": 100 * sum(1 for r in ranks if r == 1) / n,
        "top5": 100 * sum(1 for r in ranks if r is not None and r <= 5) / n,
        "mrr": sum(1 / r for r in ranks if r is not None) / n,
    }


# --- the tutor ---------------------------------------------------------------------------------


def ask(course, question: str) -> tuple[object, float]:
    from ai.tutor.services import tutor_answer, tutor_turn_create

    started = time.perf_counter()
    turn = tutor_turn_create(course=course, asked_by=None, question=question, via="api")
    turn = tutor_answer(turn.pk, emit=lambda frame: None)
    return turn, time.perf_counter() - started


def refused(turn) -> bool:
    return turn.state != "done" or not turn.supported


def judge(turn, item: dict, relevant: set[int]) -> dict:
    """What the student reads (answer and citation quotes) against the gold answer."""
    citations = turn.citations or []
    visible = " ".join([turn.answer or "", *(c.get("quote") or "" for c in citations)])
    folded = fold(visible)
    evidence_quoted = any(fold(e) in folded for e in item["evidence"])
    wanted = content_words(item["answer"])
    found = wanted & set(folded.split())
    recall = len(found) / len(wanted) if wanted else 0.0
    return {
        "evidence_quoted": evidence_quoted,
        "answer_words": recall >= ANSWER_WORDS_RECALL,
        "answer_recall": round(recall, 2),
        "correct": evidence_quoted or recall >= ANSWER_WORDS_RECALL,
        "cites_passage": any(c.get("chunk_id") in relevant for c in citations),
    }


# --- generation --------------------------------------------------------------------------------


def generate(course, material, count: int) -> dict:
    from generation import literally_supported

    from ai.generation.checks import check_grounding
    from ai.generation.offline import style_of
    from ai.generation.types import Candidate, Passage
    from quizzes.generation.lifecycle import generation_job_create
    from quizzes.generation.slices import generation_job_run
    from quizzes.models import GenerationJob, Question

    started = time.perf_counter()
    job = generation_job_create(
        course=course, count=count, kinds=KINDS, difficulty="medium", material_ids=[material.pk]
    )
    for _ in range(1000):
        outcome = generation_job_run(job.pk, report=lambda payload: None, slice_seconds=3600)
        if outcome not in ("more", "busy"):
            break
    seconds = time.perf_counter() - started
    job = GenerationJob.objects.get(pk=job.pk)
    items = []
    questions = (
        Question.objects.filter(generation_job=job)
        .select_related("current_version", "source_chunk")
        .order_by("id")
    )
    for q in questions:
        version, chunk = q.current_version, q.source_chunk
        passage = Passage(
            chunk.pk, chunk.material_id, material.title, chunk.page, chunk.section, chunk.text
        )
        candidate = Candidate(
            kind=q.kind,
            stem=version.stem,
            chunk_id=chunk.pk,
            options=version.options or [],
            answer=version.answer or {},
            explanation=version.explanation,
            evidence=q.source_quote,
        )
        problem = check_grounding(candidate, passage)
        items.append(
            {
                "document": material.filename,
                "kind": q.kind,
                "style": style_of(version.stem, q.kind),
                "stem": version.stem,
                "options": version.options,
                "answer": version.answer,
                "explanation": version.explanation,
                "evidence": q.source_quote,
                "chunk_id": chunk.pk,
                "section": chunk.section,
                "passage": chunk.text,
                "grounding_problem": problem,
                "literally_supported": literally_supported(candidate, passage),
                "judged_by_hand": None,
            }
        )
    return {
        "document": material.filename,
        "asked": count,
        "state": job.state,
        "created": job.created_count,
        "rejected": job.rejected_count,
        "duplicates": job.duplicate_count,
        "seconds": seconds,
        "kinds": dict(collections.Counter(i["kind"] for i in items)),
        "passages": len({i["chunk_id"] for i in items}),
        "sections": len({i["section"] for i in items}),
        "styles": dict(collections.Counter(i["style"] for i in items)),
        "grounded": sum(1 for i in items if i["grounding_problem"] is None),
        "literal": sum(1 for i in items if i["literally_supported"]),
        "items": items,
    }


# --- the run -----------------------------------------------------------------------------------


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}%"


def share(flags: list[bool]) -> float | None:
    return 100 * sum(flags) / len(flags) if flags else None


def count_of(flags: list[bool]) -> str:
    return f"{pct(share(flags))} ({sum(flags)}/{len(flags)})" if flags else "–"


def run(args) -> dict:
    from django_tenants.utils import schema_context

    from ai.embeddings import embed_query, embedding_model_name
    from ai.retrieval import chunk_search
    from courses import services as course_services
    from tenants.services import school_provision

    started = time.perf_counter()
    school = school_provision(name="AI evaluation", slug="evaluation").school
    results: dict = {"documents": [], "questions": [], "generation": []}
    with schema_context(school.schema_name):
        course = course_services.course_create(code="EVAL", name="AI evaluation")
        materials = {}
        for name in args.documents:
            path = EVAL_DIR / name
            material, extract_s, embed_s = upload_and_ingest(course, path)
            materials[name] = material
            results["documents"].append(
                {
                    "document": name,
                    "kind": material.kind,
                    "bytes": path.stat().st_size,
                    "chunks": material.chunk_count,
                    "extract_s": extract_s,
                    "embed_s": embed_s,
                }
            )
            print(
                f"{name}: {material.chunk_count} passages "
                f"(extracted {extract_s:.1f}s, embedded {embed_s:.1f}s)",
                flush=True,
            )
        chunks = Chunks(course)
        results["model"] = embedding_model_name()
        results["course_chunks"] = len(chunks.ids)

        asked = []
        for name in args.documents:
            gold = load_gold(name)
            for item in gold["answerable"][: args.answerable]:
                asked.append(("answerable", name, item))
            for item in gold["unanswerable"][: args.unanswerable]:
                asked.append(("near-topic", name, item))
        for item in load_off_topic()[: args.off_topic]:
            asked.append(("off-topic", None, item))

        for number, (category, name, item) in enumerate(asked, start=1):
            question = item["question"]
            record = {
                "id": item["id"],
                "category": category,
                "document": name,
                "question": question,
            }
            if category == "answerable":
                relevant = chunks.holding(materials[name].pk, item["evidence"])
                record["gold_passages"] = sorted(relevant)
                t0 = time.perf_counter()
                product = [
                    h.chunk_id for h in chunk_search(question, course_ids=[course.pk], k=TOP_K)
                ]
                record["product_ms"] = 1000 * (time.perf_counter() - t0)
                record["product"] = first_rank(product, relevant)
                plain = chunk_search(question, course_ids=[course.pk], k=TOP_K, rerank=False)
                record["no_rerank"] = first_rank([h.chunk_id for h in plain], relevant)
                record["bm25"] = first_rank(chunks.bm25_top(question, TOP_K), relevant)
                record["dense"] = first_rank(
                    chunks.dense_top(embed_query(question), TOP_K), relevant
                )
            turn, seconds = ask(course, question)
            record.update(
                tutor_ms=1000 * seconds,
                refused=refused(turn),
                supported=bool(turn.supported),
                state=turn.state,
                answer=turn.answer,
                citations=[
                    {"chunk_id": c.get("chunk_id"), "quote": c.get("quote")}
                    for c in turn.citations or []
                ],
            )
            if category == "answerable":
                record.update(judge(turn, item, relevant))
            results["questions"].append(record)
            if number % 25 == 0 or number == len(asked):
                print(f"  asked {number}/{len(asked)} questions", flush=True)

        for name in args.documents:
            if args.generate:
                outcome = generate(course, materials[name], args.generate)
                results["generation"].append(outcome)
                print(
                    f"{name}: {outcome['created']}/{outcome['asked']} questions generated in "
                    f"{outcome['seconds']:.1f}s",
                    flush=True,
                )
    results["wall_s"] = time.perf_counter() - started
    return results


# --- the report --------------------------------------------------------------------------------


def summarise(results: dict, documents: list[str]) -> dict:
    """Figures per document and over all documents."""
    questions = results["questions"]
    summary = {}
    for scope in [*documents, "all"]:
        answerable = [
            q
            for q in questions
            if q["category"] == "answerable" and scope in ("all", q["document"])
        ]
        near = [
            q
            for q in questions
            if q["category"] == "near-topic" and scope in ("all", q["document"])
        ]
        summary[scope] = {
            "answerable": len(answerable),
            "gold_missing": [q["id"] for q in answerable if not q["gold_passages"]],
            **{
                m: retrieval_scores([q[m] for q in answerable])
                for m in ("product", "no_rerank", "bm25", "dense")
            },
            "refused": [q["refused"] for q in answerable],
            "supported": [q["supported"] for q in answerable],
            "evidence_quoted": [q["evidence_quoted"] for q in answerable],
            "answer_words": [q["answer_words"] for q in answerable],
            "correct": [q["correct"] for q in answerable],
            "cites_passage": [q["cites_passage"] for q in answerable],
            "near_refused": [q["refused"] for q in near],
        }
    summary["off-topic"] = [q["refused"] for q in questions if q["category"] == "off-topic"]
    return summary


def figures_of(summary: dict, results: dict, documents: list[str]) -> list[dict]:
    figure = _figures.figure
    out = []

    def target(key):
        direction, ceiling = TARGETS[key]
        return {"ceiling": ceiling, "direction": direction}

    for scope in [*documents, "all"]:
        s = summary[scope]
        where = "all documents" if scope == "all" else scope
        for method, label in (
            ("product", "product (chunk_search)"),
            ("no_rerank", "product without re-ranking"),
            ("bm25", "BM25"),
            ("dense", "dense (cosine)"),
        ):
            for k in ("top1", "top5"):
                name = f"retrieval {k[:3]}-{k[3:]}, {label}, {where}"
                extra = target(f"retrieval {k[:3]}-{k[3:]}") if method == "product" else {}
                out.append(figure(name, s[method][k], "%", questions=s["answerable"], **extra))
            out.append(figure(f"retrieval MRR@10, {label}, {where}", s[method]["mrr"], "ratio"))
        out.append(
            figure(
                f"answerable refused, {where}",
                share(s["refused"]),
                "%",
                questions=len(s["refused"]),
                **target("answerable refused"),
            )
        )
        for key, label in (
            ("supported", "answers flagged supported"),
            ("correct", "answers correct (evidence or answer words)"),
            ("evidence_quoted", "answers quoting the evidence"),
            ("cites_passage", "answers citing a passage with the evidence"),
        ):
            out.append(figure(f"{label}, {where}", share(s[key]), "%", questions=len(s[key])))
        out.append(
            figure(
                f"near-topic refused, {where}",
                share(s["near_refused"]),
                "%",
                questions=len(s["near_refused"]),
                **target("near-topic refused"),
            )
        )
    out.append(
        figure(
            "off-topic refused",
            share(summary["off-topic"]),
            "%",
            questions=len(summary["off-topic"]),
            **target("off-topic refused"),
        )
    )
    for g in results["generation"]:
        made = g["created"]
        out.append(
            figure(
                f"generated questions, {g['document']}",
                made,
                "questions",
                asked=g["asked"],
                kinds=g["kinds"],
            )
        )
        out.append(
            figure(
                f"generated questions passing check_grounding, {g['document']}",
                100 * g["grounded"] / made if made else None,
                "%",
            )
        )
        out.append(
            figure(
                f"generated questions' distinct passages, {g['document']}",
                g["passages"],
                "passages",
            )
        )
        out.append(
            figure(
                f"generated questions' distinct sections, {g['document']}",
                g.get("sections"),
                "sections",
            )
        )
        out.append(
            figure(
                f"generated questions' distinct item styles, {g['document']}",
                len(g.get("styles") or {}),
                "styles",
                styles=g.get("styles"),
            )
        )
    times = [q["tutor_ms"] for q in results["questions"]]
    out.append(figure("tutor answer p50", statistics.median(times) if times else None, "ms"))
    out.append(figure("evaluation wall time", results["wall_s"], "s"))
    return out


def report(results: dict, summary: dict, info: dict, args) -> str:
    documents = args.documents
    docs = _common.table(
        ["document", "format", "bytes", "passages", "extract s", "embed s"],
        [
            [
                d["document"],
                d["kind"],
                f"{d['bytes']:,}",
                d["chunks"],
                f"{d['extract_s']:.1f}",
                f"{d['embed_s']:.1f}",
            ]
            for d in results["documents"]
        ],
    )
    scopes = [*documents, "all"]

    def cell(s, m, k):
        value = s[m][k]
        return "–" if value is None else (f"{value:.2f}" if k == "mrr" else f"{value:.1f}%")

    retrieval = _common.table(
        [
            "document",
            "questions",
            "product top-1",
            "product top-5",
            "product MRR",
            "no re-rank top-1",
            "no re-rank top-5",
            "no re-rank MRR",
            "BM25 top-1",
            "BM25 top-5",
            "BM25 MRR",
            "dense top-1",
            "dense top-5",
            "dense MRR",
        ],
        [
            [
                scope,
                summary[scope]["answerable"],
                *(
                    cell(summary[scope], m, k)
                    for m in ("product", "no_rerank", "bm25", "dense")
                    for k in ("top1", "top5", "mrr")
                ),
            ]
            for scope in scopes
        ],
    )
    tutor = _common.table(
        [
            "document",
            "answerable refused",
            "flagged supported",
            "correct",
            "evidence quoted",
            "cites the passage",
            "near-topic refused",
        ],
        [
            [
                scope,
                count_of(summary[scope]["refused"]),
                count_of(summary[scope]["supported"]),
                count_of(summary[scope]["correct"]),
                count_of(summary[scope]["evidence_quoted"]),
                count_of(summary[scope]["cites_passage"]),
                count_of(summary[scope]["near_refused"]),
            ]
            for scope in scopes
        ],
    )
    generation = _common.table(
        [
            "document",
            "asked",
            "made",
            "turned away (rejected / duplicates)",
            "kinds",
            "distinct passages",
            "distinct sections",
            "item styles",
            "pass check_grounding",
            "literal check",
            "seconds",
        ],
        [
            [
                g["document"],
                g["asked"],
                g["created"],
                f"{g['rejected']} / {g['duplicates']}",
                ", ".join(f"{k} {n}" for k, n in sorted(g["kinds"].items())) or "–",
                g["passages"],
                g.get("sections", "–"),
                ", ".join(f"{k} {n}" for k, n in sorted((g.get("styles") or {}).items())) or "–",
                count_of([i["grounding_problem"] is None for i in g["items"]]),
                count_of([i["literally_supported"] for i in g["items"]]),
                f"{g['seconds']:.1f}",
            ]
            for g in results["generation"]
        ],
    )
    s = summary["all"]
    measured = {
        "retrieval top-5": s["product"]["top5"],
        "retrieval top-1": s["product"]["top1"],
        "near-topic refused": share(s["near_refused"]),
        "off-topic refused": share(summary["off-topic"]),
        "answerable refused": share(s["refused"]),
    }

    def met(key):
        value, (direction, ceiling) = measured[key], TARGETS[key]
        if value is None:
            return "–"
        return "yes" if (value >= ceiling if direction == ">=" else value <= ceiling) else "**no**"

    targets = _common.table(
        ["figure (all documents)", "measured", "target", "met"],
        [
            [key, pct(measured[key]), f"{TARGETS[key][0]} {TARGETS[key][1]:.0f}%", met(key)]
            for key in TARGETS
        ],
    )
    missing = [i for scope in documents for i in summary[scope]["gold_missing"]]
    times = sorted(q["tutor_ms"] for q in results["questions"])
    counts = collections.Counter(q["category"] for q in results["questions"])
    return f"""{_common.machine_markdown(info)}

Documents (bench/eval/, one course, {results["course_chunks"]} passages in all, embeddings
{results["model"]}); questions: {counts["answerable"]} answerable, {counts["near-topic"]}
unanswerable near-topic, {counts["off-topic"]} off-topic; the offline answerer and the offline
generator. Wall time {results["wall_s"]:.0f} s; tutor answer p50
{_common.percentile(times, 50):.0f} ms, p95 {_common.percentile(times, 95):.0f} ms.

{docs}

Targets:

{targets}

Retrieval: the first passage holding the gold evidence, ranked among the course's passages
(top-1 / top-5: share of questions with it at rank 1 / in the first 5; MRR over the first 10):

{retrieval}

Tutor (offline answerer): refused = the "not covered" answer; correct = the answer and its
quotes contain a gold evidence phrase or {ANSWER_WORDS_RECALL:.0%} of the gold answer's content
words; cites the passage = a cited passage holds the evidence. Off-topic refused:
**{count_of(summary["off-topic"])}**.

{tutor}

Quiz generation (one job per document, offline generator, all six kinds; questions in
bench/eval/out/generated.json for judging by hand):

{generation}

Gold evidence found in no passage (chunking or gold error): {", ".join(missing) or "none"}.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="1 document, 5 questions of each kind")
    parser.add_argument("--documents", nargs="+", choices=DOCUMENTS, default=None)
    parser.add_argument("--answerable", type=int, default=None, help="per document (default all)")
    parser.add_argument("--unanswerable", type=int, default=None, help="per document")
    parser.add_argument("--off-topic", type=int, default=None)
    parser.add_argument("--generate", type=int, default=None, help="questions per document")
    parser.add_argument("--db", default="bench_eval", help="scratch database name")
    parser.add_argument("--results", type=Path, default=None, help="RESULTS.md to record into")
    parser.add_argument("--results-json", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="generated.json, details.json")
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args(argv)
    smoke = 5 if args.smoke else None
    args.documents = args.documents or list(DOCUMENTS[:1] if args.smoke else DOCUMENTS)
    args.answerable = args.answerable if args.answerable is not None else (smoke or 1000)
    args.unanswerable = args.unanswerable if args.unanswerable is not None else (smoke or 1000)
    args.off_topic = args.off_topic if args.off_topic is not None else (smoke or 1000)
    args.generate = args.generate if args.generate is not None else (3 if args.smoke else 10)
    if args.results is None and not args.smoke:
        args.results = _common.RESULTS
    if args.results is not None and args.results_json is None:
        args.results_json = args.results.with_name("results.json")

    # The offline answerer and generator, whatever the environment; queued tasks (the upload's
    # and the job's, run here instead) go to an in-memory broker nobody reads.
    os.environ["LLM_PROVIDER"] = "offline"
    os.environ["CELERY_BROKER_URL"] = "memory://"
    url = _common.scratch_database_create(args.db)
    try:
        _common.django_setup(url)
        info = _common.machine()
        print(_common.machine_markdown(info), flush=True)
        results = run(args)
        info["load after"] = _common.load_average()
    finally:
        if not args.keep_db:
            from django.db import connections

            connections.close_all()
            _common.scratch_database_drop(url)

    summary = summarise(results, args.documents)
    body = report(results, summary, info, args)
    print("\n" + body)
    args.out.mkdir(parents=True, exist_ok=True)
    generated = [i for g in results["generation"] for i in g["items"]]
    (args.out / "generated.json").write_text(json.dumps(generated, indent=2, ensure_ascii=False))
    (args.out / "details.json").write_text(
        json.dumps(results["questions"], indent=2, ensure_ascii=False)
    )
    if args.results is not None:
        title = "AI evaluation (bench/eval.py)" + (" — smoke run" if args.smoke else "")
        _common.record("eval", title, body, args.results)
        _figures.record_json(
            "eval",
            title=title,
            info=info,
            figures=figures_of(summary, results, args.documents),
            path=args.results_json,
        )
        print(f"\nRecorded in {args.results} and {args.results_json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
