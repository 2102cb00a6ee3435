"""Quiz generation on a real ~100-page document: how fast the built-in offline generator is, how
many of its keys the cited passage supports, how many near-duplicates a rerun of the same
request makes, and how long a teacher waits from asking for questions to a reviewable draft.

    make bench BENCH=generation              # or, by hand:
    python -m smartedu.embedded exec --data .data/bench --redis-port 0 -- \\
        .venv/bin/python bench/generation.py [--pages 100] [--questions 20]

The document is the Python Language Reference as it ships with the interpreter
(``pydoc_data.topics``: real prose nobody here wrote), laid out as a PDF with one outline entry
per chapter, built once into .data/bench-corpus/. It is uploaded through ``material_upload`` and
ingested, and the generation jobs run, in a real Celery worker process (both queues, as
``make run`` starts it). Works in its own scratch database (bench_generation).

Figures:

(a) offline generator questions/s: ``OfflineGenerator.generate`` over every passage of the
    document in one call, in this process, with the embedding model already loaded and the
    generator's caches emptied before each timed run (so term analysis and embedding count);
(b) keys supported: the share of the generator's *raw* candidates (its own self-check off) that
    pass ``checks.check_grounding`` and the content gate; and, for the questions it returns, a
    literal check independent of the checker's stemming (the key text or number is in the
    cited sentence, the sentence is in the cited passage, no distractor is in the sentence);
    near-duplicates on a rerun: the same request run a second time as a job; the share of the
    second job's questions whose cosine similarity to a question of the first is at least
    GENERATION_DUPLICATE_SIMILARITY (computed here from the stored vectors), and how many
    candidates the pipeline itself turned away as near-duplicates;
(c) request → reviewable draft: ``generation_job_create`` (committed, so the job is queued)
    until the job is ``done`` with its questions in the bank as drafts, through the worker's
    ``quizzes.tasks.generate_questions`` on the ``gpu`` queue (offline generator, no LLM
    configured).
"""

import argparse
import math
import os
import re
import sys
import time
from pathlib import Path

import _common
from ingestion import start_worker

CORPUS_DIR = _common.REPO / ".data" / "bench-corpus"
KINDS = ["single", "multiple", "true_false", "short_answer", "numeric", "fill_blank"]


# --- the document ------------------------------------------------------------------------------


def reference_chapters() -> list[tuple[str, str]]:
    """(title, text) of each chapter of the Language Reference, in a stable order."""
    from pydoc_data.topics import topics

    chapters = []
    for name in sorted(topics):
        lines = topics[name].strip("\n").split("\n")
        if len(lines) > 2 and set(lines[1]) == {"*"}:
            title, body = lines[0], "\n".join(lines[2:])
        else:
            title, body = name, "\n".join(lines)
        chapters.append((title, body))
    return chapters


_PLAIN = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "…": "...", "–": "-", "—": "-"})


def latin1(text: str) -> str:
    """What the PDF's core font can draw: typographic punctuation made plain, the rest of
    non-Latin-1 text replaced."""
    return text.translate(_PLAIN).encode("latin-1", "replace").decode("latin-1")


def reference_pdf(pages: int) -> Path:
    """A PDF of about ``pages`` pages (whole paragraphs; it stops once that many are filled)."""
    path = CORPUS_DIR / f"python-language-reference-{pages}p.pdf"
    if path.exists():
        return path
    from fpdf import FPDF

    print(f"Building a {pages}-page PDF of the Python Language Reference…", flush=True)
    CORPUS_DIR.mkdir(parents=True, exist_ok=True)
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_margins(15, 15, 15)
    done = False
    for title, body in reference_chapters():
        pdf.add_page()
        pdf.start_section(latin1(title))
        pdf.set_font("Helvetica", style="B", size=13)
        pdf.multi_cell(0, 7, latin1(title), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=10)
        for paragraph in re.split(r"\n\s*\n", body):
            # The topics are hard-wrapped; code blocks keep their lines.
            if paragraph.startswith("   "):
                text = "\n".join(line.strip() for line in paragraph.splitlines())
            else:
                text = " ".join(paragraph.split())
            if not text:
                continue
            pdf.multi_cell(0, 4.6, latin1(text), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
            if pdf.page_no() >= pages:
                done = True
                break
        if done:
            break
    tmp = path.with_suffix(".tmp")
    pdf.output(str(tmp))
    tmp.rename(path)
    return path


# --- helpers -----------------------------------------------------------------------------------


def wait(predicate, timeout: float, what: str, poll: float = 0.1):
    deadline = time.perf_counter() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.perf_counter() > deadline:
            raise SystemExit(f"Timed out after {timeout:.0f}s waiting for {what}.")
        time.sleep(poll)


def passages_of(material):
    from ai.generation.types import Passage
    from ai.models import Chunk

    return [
        Passage(c.pk, c.material_id, material.title, c.page, c.section, c.text)
        for c in Chunk.objects.filter(material=material).order_by("ordinal")
    ]


def literally_supported(candidate, passage) -> bool:
    """The key is in the cited sentence word for word, the sentence is in the passage, and no
    distractor is in the sentence: a check that does not share the grounding check's code."""
    from ai.generation.checks import evidence_sentences, fold, normalize_evidence
    from ai.generation.checks import true_false_statement as statement_of
    from ai.generation.offline import NUMBER_WORDS

    text = fold(passage.text)
    evidence = fold(candidate.evidence)
    if not all(s in text for s in evidence_sentences(candidate.evidence)):
        return False
    if candidate.kind in ("single", "multiple"):
        right = [fold(o["text"]) for o in candidate.options if o["correct"]]
        wrong = [fold(o["text"]) for o in candidate.options if not o["correct"]]
        if candidate.kind == "multiple":
            right = [normalize_evidence(r) for r in right]
            wrong = [normalize_evidence(w) for w in wrong]
        return all(r in evidence or r in NUMBER_WORDS for r in right) and not any(
            w in evidence for w in wrong
        )
    if candidate.kind in ("short_answer", "fill_blank"):
        return fold(candidate.answer["accepted"][0]) in evidence
    if candidate.kind == "numeric":
        numbers = [float(n) for n in re.findall(r"\d+(?:\.\d+)?", evidence.replace(",", ""))]
        numbers += [float(NUMBER_WORDS[w]) for w in re.findall(r"[a-z]+", evidence)
                    if w in NUMBER_WORDS]  # fmt: skip
        return candidate.answer["value"] in numbers
    is_true = [o["text"] for o in candidate.options if o["correct"]] == ["True"]
    same = normalize_evidence(statement_of(candidate.stem)) == normalize_evidence(evidence)
    return same is is_true


def content_ok(candidate) -> bool:
    from django.core.exceptions import ValidationError

    from quizzes.content import question_content_clean

    try:
        question_content_clean(
            kind=candidate.kind,
            stem=candidate.stem,
            options=candidate.options,
            answer=candidate.answer,
            explanation=candidate.explanation,
        )
    except ValidationError:
        return False
    return True


def clear_generator_caches() -> None:
    from ai.generation import offline

    offline._analysis_cache.clear()
    offline._vector_cache.clear()


def run_job(course, count: int, timeout: float):
    """Create a generation job (committed, so it is queued) and wait until it is finished."""
    from quizzes.generation.lifecycle import generation_job_create
    from quizzes.models import GenerationJob

    started = time.perf_counter()
    job = generation_job_create(course=course, count=count, kinds=KINDS, difficulty="medium")
    job = wait(
        lambda: (j := GenerationJob.objects.get(pk=job.pk)).is_finished and j,
        timeout,
        f"generation job {job.pk}",
    )
    return job, time.perf_counter() - started


def embeddings_of(job) -> list[list[float]]:
    from quizzes.models import Question

    return [
        [float(x) for x in q.embedding]
        for q in Question.objects.filter(generation_job=job)
        if q.embedding is not None
    ]


def cosine(a, b) -> float:
    dot = math.fsum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.sqrt(math.fsum(x * x for x in a)) * math.sqrt(math.fsum(y * y for y in b)))


# --- the bench ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--sample", type=int, default=60, help="raw candidates checked in (b)")
    parser.add_argument("--runs", type=int, default=3, help="timed generator runs in (a)")
    parser.add_argument("--db", default="bench_generation")
    parser.add_argument("--results", type=Path, default=_common.RESULTS)
    parser.add_argument("--timeout", type=int, default=1800)
    args = parser.parse_args(argv)

    pdf = reference_pdf(args.pages)
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    os.environ["CELERY_BROKER_URL"] = redis_url.rsplit("/", 1)[0] + "/13"
    # The bench measures the offline generator: no language model, whatever the environment.
    os.environ["LLM_PROVIDER"] = "offline"
    url = _common.scratch_database_create(args.db)
    worker = None
    try:
        _common.django_setup(url)
        info = _common.machine()
        print(_common.machine_markdown(info), flush=True)
        from django.conf import settings
        from django.core.files.uploadedfile import SimpleUploadedFile
        from django_tenants.utils import schema_context

        from ai.embeddings import embedder
        from ai.generation.checks import check_grounding, evidence_sentences
        from ai.generation.offline import OfflineGenerator
        from ai.generation.similarity import question_embedding_text
        from ai.generation.types import GenerationSpec
        from courses import services as course_services
        from courses.models import Material
        from quizzes.generation.apply import content_problem, duplicate_flags
        from quizzes.models import Question
        from tenants.services import school_provision

        threshold = settings.GENERATION_DUPLICATE_SIMILARITY
        school = school_provision(name="Bench Generation", slug="benchgen").school
        log = _common.REPO / ".data" / "bench-generation-worker.log"
        env = {**_common.bench_env(url), "LLM_PROVIDER": "offline"}
        worker = start_worker(env, log)
        time.sleep(8)  # let the worker start and import its code
        with schema_context(school.schema_name):
            course = course_services.course_create(code="PY-REF", name="Python reference")
            material, _ = course_services.material_upload(
                course=course,
                upload=SimpleUploadedFile(pdf.name, pdf.read_bytes()),
                uploaded_by=None,
            )
            print("Ingesting through the worker…", flush=True)
            material = wait(
                lambda: (m := Material.objects.get(pk=material.pk)).is_finished and m,
                args.timeout,
                "ingestion",
                poll=0.5,
            )
            if material.state != Material.State.READY:
                raise SystemExit(f"Ingestion failed: {material.error}")
            passages = passages_of(material)
            by_id = {p.chunk_id: p for p in passages}
            print(f"{material.page_count} pages, {len(passages)} passages", flush=True)

            # (a) speed, in this process.
            spec = GenerationSpec(count=args.questions, kinds=tuple(KINDS))
            generator = OfflineGenerator(content_check=content_problem)
            started = time.perf_counter()
            generator.generate(spec, passages, want=args.questions, kinds=KINDS)
            cold = time.perf_counter() - started  # includes loading the embedding model
            timings = []
            for _ in range(args.runs):
                clear_generator_caches()
                started = time.perf_counter()
                batch = generator.generate(spec, passages, want=args.questions, kinds=KINDS)
                timings.append(time.perf_counter() - started)
            made = len(batch.candidates)
            best, median = min(timings), _common.percentile(timings, 50)
            print(f"(a) {made} questions in {median:.2f}s (median)", flush=True)

            # (b) grounding, raw and returned.
            raw = OfflineGenerator(self_check=False).generate(
                GenerationSpec(count=args.sample, kinds=tuple(KINDS)),
                passages,
                want=args.sample,
                kinds=KINDS,
            )
            raw_ok = [
                check_grounding(c, by_id[c.chunk_id]) is None and content_ok(c)
                for c in raw.candidates
            ]
            checked = OfflineGenerator(content_check=content_problem).generate(
                GenerationSpec(count=args.sample, kinds=tuple(KINDS)),
                passages,
                want=args.sample,
                kinds=KINDS,
            )
            literal_ok = [literally_supported(c, by_id[c.chunk_id]) for c in checked.candidates]
            by_kind = {}
            for candidate, ok in zip(checked.candidates, literal_ok, strict=True):
                by_kind.setdefault(candidate.kind, []).append(ok)
            print(
                f"(b) raw {sum(raw_ok)}/{len(raw_ok)} pass the checks; returned "
                f"{sum(literal_ok)}/{len(literal_ok)} literally supported",
                flush=True,
            )

            # (c) end to end through the worker, then the same request again.
            first, first_seconds = run_job(course, args.questions, args.timeout)
            print(f"(c) job 1: {first.state}, {first.created_count} in {first_seconds:.1f}s")
            # The generator asked again, told which sentences the bank already quotes (what a
            # bank-aware caller passes as exclude_evidence): how many of its questions would
            # still be near-duplicates of the bank or of each other.
            bank_evidence = {
                sentence
                for quote in Question.objects.filter(course=course).values_list(
                    "source_quote", flat=True
                )
                for sentence in evidence_sentences(quote)
            }
            again = OfflineGenerator(content_check=content_problem).generate(
                spec, passages, want=args.questions, kinds=KINDS, exclude_evidence=bank_evidence
            )
            again_flags = duplicate_flags(
                course.pk,
                embedder().embed(
                    [
                        question_embedding_text(c.kind, c.stem, c.options, c.answer)
                        for c in again.candidates
                    ]
                ),
                threshold=threshold,
            )
            print(f"    generator again: {sum(again_flags)}/{len(again_flags)} near-duplicates")
            second, second_seconds = run_job(course, args.questions, args.timeout)
            print(f"    job 2: {second.state}, {second.created_count} in {second_seconds:.1f}s")
            first_vectors, second_vectors = embeddings_of(first), embeddings_of(second)
            repeats = sum(
                1 for v in second_vectors if any(cosine(v, w) >= threshold for w in first_vectors)
            )
            sample_questions = list(
                Question.objects.filter(generation_job=first)
                .select_related("current_version")
                .order_by("id")[:6]
            )
        info["load after"] = _common.load_average()
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=60)
        from django.db import connections

        connections.close_all()
        _common.scratch_database_drop(url)

    def share(values) -> str:
        return f"{100 * sum(values) / len(values):.1f}% ({sum(values)}/{len(values)})"

    speed = _common.table(
        ["run", "questions", "seconds", "questions/s"],
        [
            ["first call (loads the embedding model)", made, f"{cold:.2f}", f"{made / cold:.1f}"],
            [f"median of {args.runs}, caches emptied", made, f"{median:.2f}",
             f"{made / median:.1f}"],
            [f"best of {args.runs}", made, f"{best:.2f}", f"{made / best:.1f}"],
        ],
    )  # fmt: skip
    kinds_table = _common.table(
        ["kind", "returned", "literally supported"],
        [[kind, len(oks), share(oks)] for kind, oks in sorted(by_kind.items())],
    )
    second_total = second.created_count + second.duplicate_count
    jobs = _common.table(
        ["job", "state", "questions", "near-duplicates turned away", "rejected", "seconds"],
        [
            ["1: request → reviewable draft", first.state, first.created_count,
             first.duplicate_count, first.rejected_count, f"{first_seconds:.1f}"],
            ["2: the same request again", second.state, second.created_count,
             second.duplicate_count, second.rejected_count, f"{second_seconds:.1f}"],
        ],
    )  # fmt: skip
    rerun_rate = 100 * repeats / len(second_vectors) if second_vectors else float("nan")
    again_rate = 100 * sum(again_flags) / len(again_flags) if again_flags else float("nan")
    examples = "\n".join(
        f"- *{q.kind}*: {q.current_version.stem[:220]}"
        + (
            " — key: "
            + "; ".join(o["text"][:80] for o in q.current_version.options if o["correct"])
            if q.current_version.options
            else f" — key: {q.current_version.answer}"
        )
        for q in sample_questions
    )
    body = f"""{_common.machine_markdown(info)}

Document: **{material.page_count} pages** of the Python Language Reference (the interpreter's
`pydoc_data.topics`, real prose nobody on the team wrote) as a PDF with one outline entry per
chapter, ingested by the worker into **{len(passages)} passages**. Question kinds: all six
({", ".join(KINDS)}), medium difficulty, no topic. Embeddings: the local all-MiniLM-L6-v2 on the
CPU. No language model is configured, so jobs use the offline generator.

(a) Offline generator, {made} questions from every passage of the document in one call:

{speed}

(b) Keys supported by their passage: of {len(raw_ok)} raw candidates (the generator's own
self-check off), **{share(raw_ok)}** pass `check_grounding` and the content gate; the generator
drops the others before returning. Of the {len(literal_ok)} questions it returns,
**{share(literal_ok)}** pass a literal check that shares no code with `check_grounding` (key
text or number word for word in the cited sentence, that sentence in the passage, no distractor
in it):

{kinds_table}

(c) Through a real Celery worker (`generation_job_create` → `quizzes.tasks.generate_questions`
on the `gpu` queue, slices of `GENERATION_SLICE_SECONDS`, checks, embedding, near-duplicate query,
`question_create`), warm worker (the model was loaded by ingestion):

{jobs}

Near-duplicates on a rerun of the same request:

- the generator asked for {len(again_flags)} questions again over the whole document, with the
  sentences job 1's questions quote as `exclude_evidence`: **{again_rate:.1f}%**
  ({sum(again_flags)}/{len(again_flags)}) are flagged by `duplicate_flags` (near-duplicates of
  job 1's questions or of each other), before any filtering;
- job 2 (the same request as a job): **{rerun_rate:.1f}%** of its {len(second_vectors)} saved
  questions have cosine similarity ≥ {threshold} to one of job 1's (computed here from the
  stored vectors). The pipeline itself turned away {second.duplicate_count} of the
  {second_total} candidates it checked as near-duplicates of the bank.

Targets: 20 questions reviewable in < 60 s; ≥ 95% keys supported; < 5% near-duplicates on a
rerun.

Sample questions from job 1:

{examples}
"""
    _common.record("generation", "Quiz generation (bench/generation.py)", body, args.results)
    print(speed)
    print(kinds_table)
    print(jobs)
    print(f"rerun near-duplicates: generator {again_rate:.1f}%, job 2 {rerun_rate:.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
