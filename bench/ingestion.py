"""Ingestion end to end on a large real PDF: upload → extraction and chunking on the ingest
queue → embedding on the gpu queue → ready, through a real Celery worker process, with the
worker's resident memory sampled throughout.

    make bench BENCH=ingestion              # or, by hand:
    python -m smartedu.embedded exec --data .data/bench --redis-port 0 -- \\
        .venv/bin/python bench/ingestion.py [--pages 2000]

The PDF is built once from the Python standard library's documentation (bench/_corpus.py) and
kept under .data/bench-corpus/. Works in its own scratch database (bench_ingestion).
"""

import argparse
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import _common
import _corpus

CORPUS_DIR = _common.REPO / ".data" / "bench-corpus"


def corpus_pdf(pages: int) -> Path:
    path = CORPUS_DIR / f"stdlib-docs-{pages}p.pdf"
    if not path.exists():
        CORPUS_DIR.mkdir(parents=True, exist_ok=True)
        print(f"Building a {pages}-page PDF from the standard library's docs…", flush=True)
        _corpus.write_pdf(path.with_suffix(".tmp"), pages)
        path.with_suffix(".tmp").rename(path)
    return path


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _descendants(pid: int) -> list[int]:
    found, queue = [], _children(pid)
    while queue:
        child = queue.pop()
        found.append(child)
        queue.extend(_children(child))
    return found


class MemorySampler(threading.Thread):
    """Peak resident memory of the worker's main process, of its busiest descendant (the pool
    process running the jobs, or the child that reads a file), and of the whole process tree."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak_main, self.peak_child, self.peak_total = pid, 0, 0, 0
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.is_set():
            main = _rss_kib(self.pid)
            children = [_rss_kib(child) for child in _descendants(self.pid)]
            self.peak_main = max(self.peak_main, main)
            self.peak_child = max([self.peak_child, *children])
            self.peak_total = max(self.peak_total, main + sum(children))
            time.sleep(0.1)


def start_worker(env: dict, log: Path) -> subprocess.Popen:
    # As the Procfile starts workers: few malloc arenas, or torch's threads each grow their own.
    env = {**env, "MALLOC_ARENA_MAX": "2"}
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "smartedu", "worker", "-Q", "ingest,gpu",
         "--concurrency", "1", "--without-gossip", "--without-mingle", "--loglevel", "WARNING"],
        env=env, cwd=_common.REPO, stdout=open(log, "wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    return process


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--db", default="bench_ingestion")
    parser.add_argument("--results", type=Path, default=_common.RESULTS)
    parser.add_argument("--timeout", type=int, default=3600)
    args = parser.parse_args(argv)

    pdf = corpus_pdf(args.pages)
    # A broker database of its own: no other worker on this Redis can take the bench's jobs.
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    os.environ["CELERY_BROKER_URL"] = redis_url.rsplit("/", 1)[0] + "/14"
    url = _common.scratch_database_create(args.db)
    worker = None
    try:
        _common.django_setup(url)
        info = _common.machine()
        print(_common.machine_markdown(info), flush=True)
        from django.core.files.uploadedfile import SimpleUploadedFile
        from django_tenants.utils import schema_context

        from courses import services as course_services
        from courses.models import Material
        from tenants.services import school_provision

        school = school_provision(name="Bench Ingestion", slug="benchingest").school
        log = _common.REPO / ".data" / "bench-ingestion-worker.log"
        worker = start_worker(_common.bench_env(url), log)
        time.sleep(8)  # let the worker start and import its code before the clock starts
        sampler = MemorySampler(worker.pid)
        sampler.start()
        with schema_context(school.schema_name):
            course = course_services.course_create(code="DOCS-1", name="Python docs")
            started = time.perf_counter()
            material, _ = course_services.material_upload(
                course=course,
                upload=SimpleUploadedFile(pdf.name, pdf.read_bytes()),
                uploaded_by=None,
            )
            uploaded = time.perf_counter()
            extracted_at = None
            while True:
                material.refresh_from_db()
                if extracted_at is None and material.state in ("embedding", "ready"):
                    extracted_at = time.perf_counter()
                if material.state in ("ready", "failed"):
                    break
                if time.perf_counter() - started > args.timeout:
                    raise SystemExit(f"Not ready after {args.timeout}s: {material.state}")
                time.sleep(0.2)
            finished = time.perf_counter()
        sampler.stopped.set()
        sampler.join()
        if material.state != Material.State.READY:
            raise SystemExit(f"Ingestion failed: {material.error}")
        info["load after"] = _common.load_average()
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=60)
        from django.db import connections

        connections.close_all()
        _common.scratch_database_drop(url)

    size_mib = pdf.stat().st_size / 1024 / 1024
    total, extract, embed = finished - started, extracted_at - uploaded, finished - extracted_at
    pages, chunks = material.page_count, material.chunk_count

    def rates(label: str, seconds: float) -> list[str]:
        return [label, f"{seconds:.1f}", f"{pages / seconds:,.1f}", f"{chunks / seconds:,.1f}"]

    rows = [
        ["upload (checks, hash, store)", f"{uploaded - started:.1f}", "", ""],
        rates("extract + chunk (ingest queue)", extract),
        rates("embed (gpu queue, on the CPU here)", embed),
        rates("end to end", total),
    ]
    table = _common.table(["step", "seconds", "pages/s", "chunks/s"], rows)
    body = f"""{_common.machine_markdown(info)}

One PDF of **{pages} pages** ({size_mib:.1f} MiB) of the Python standard library's
documentation, built with fpdf2; **{chunks} chunks** of at most 200 model tokens. One Celery
worker process (`--concurrency 1`, both queues) does everything, as `make run` starts it; the
local all-MiniLM-L6-v2 model embeds on the CPU.

{table}

Peak resident memory: worker main process **{sampler.peak_main / 1024:.0f} MiB**, the busiest
process under it (the pool process holding the embedding model, or the child that reads the
file) **{sampler.peak_child / 1024:.0f} MiB**, the whole worker with all its processes
**{sampler.peak_total / 1024:.0f} MiB** (target: at most 1 GB per worker).
"""
    _common.record("ingestion", "Ingestion end to end (bench/ingestion.py)", body, args.results)
    print(table)
    main_mib, pool_mib = sampler.peak_main / 1024, sampler.peak_child / 1024
    total_mib = sampler.peak_total / 1024
    print(f"peak RSS main {main_mib:.0f} MiB, busiest {pool_mib:.0f} MiB, all {total_mib:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
