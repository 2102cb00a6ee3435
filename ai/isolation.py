"""Extraction in a child process with a memory cap.

Reading a hostile file can blow up inside a C library (a PDF whose small content stream inflates
to gigabytes, a page image of absurd size): no size check before the fact catches every such
file. So the worker reads files in a child process whose address space is capped at
``INGEST_EXTRACT_MEMORY_MB``: a file that needs more fails that child with a clear reason, and
the worker, its model and the queue carry on. The child streams chunk drafts and progress back
as JSON lines; the parent writes them to the database.

    python -m ai.isolation <path> <kind>      # the child's side (started by extract_isolated)
"""

import json
import os
import resource
import subprocess
import sys
from collections.abc import Iterator

from django.conf import settings

from .chunking import ChunkDraft
from .extraction.common import ExtractionError, ExtractionReport

OUT_OF_MEMORY = 3


def _cap_memory(limit_bytes: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))

    return apply


def extract_isolated(path: str, kind: str, report: ExtractionReport) -> Iterator[ChunkDraft]:
    """Chunk drafts of the file at ``path``, read by a memory-capped child process. Updates
    ``report`` as pages are read; raises ExtractionError for anything the child could not read."""
    limit_mb = settings.INGEST_EXTRACT_MEMORY_MB
    child = subprocess.Popen(
        [sys.executable, "-m", "ai.isolation", path, kind],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        preexec_fn=_cap_memory(limit_mb * 1024 * 1024),
        env=_child_env(),
        text=True,
        bufsize=1,
    )
    # Both pipes exist: they were asked for above.
    assert child.stdout is not None and child.stderr is not None
    error = None
    peak_bytes = 0
    try:
        for line in child.stdout:
            message = json.loads(line)
            if message["type"] == "chunk":
                yield ChunkDraft(**message["draft"])
            elif message["type"] == "progress":
                report.pages_total = message["pages_total"]
                report.pages_done = message["pages_done"]
                report.ocr_pages = message["ocr_pages"]
                report.notes[:] = message["notes"]
            elif message["type"] == "error":
                error = ExtractionError(message["code"], message["message"])
        peak_bytes = _wait(child)
    finally:
        if child.poll() is None:  # the caller stopped early (time limit, deleted material)
            child.kill()
            child.wait()
        child.stdout.close()
        stderr = child.stderr.read()
        child.stderr.close()
    if error is not None:
        raise error
    # A library that cannot allocate may abort or crash rather than raise: judge by how close
    # to the cap the child came.
    if child.returncode == OUT_OF_MEMORY or (
        child.returncode < 0 and peak_bytes >= limit_mb * 1024 * 1024 // 2
    ):
        raise ExtractionError(
            "too_complex",
            f"Reading this file needed more than {limit_mb} MB of memory, so it was stopped. "
            "It may be damaged or built to overload readers; export it again (e.g. print to "
            "PDF) and upload the new file.",
        )
    if child.returncode != 0:
        raise ExtractionError(
            "malformed",
            "This file could not be read: the reader stopped on it "
            f"({_last_line(stderr)}). Save it again and upload the new file.",
        )


def _wait(child: subprocess.Popen) -> int:
    """Reap the child and return its peak resident memory in bytes."""
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss * 1024


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    # The child reads with this process's settings, overrides included.
    for name in ("INGEST_OCR", "INGEST_OCR_LANGUAGES", "CHUNK_MAX_TOKENS", "CHUNK_OVERLAP_TOKENS"):
        env[name] = str(getattr(settings, name))
    # Address-space caps count reserved memory: keep malloc arenas and tokenizer threads few.
    env.update(MALLOC_ARENA_MAX="2", TOKENIZERS_PARALLELISM="false", RAYON_NUM_THREADS="1")
    env["DJANGO_SETTINGS_MODULE"] = env.get("DJANGO_SETTINGS_MODULE", "smartedu.settings")
    return env


def _last_line(text: str) -> str:
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1][:200] if lines else "no reason given"


def _child_main(path: str, kind: str) -> int:
    import django

    django.setup()
    from .chunking import chunk_sections
    from .extraction import extract_sections

    report = ExtractionReport()
    out = sys.stdout
    last_done = -1

    def send(message: dict) -> None:
        out.write(json.dumps(message) + "\n")

    def progress() -> None:
        nonlocal last_done
        if report.pages_done != last_done:
            last_done = report.pages_done
            send(
                {
                    "type": "progress",
                    "pages_total": report.pages_total,
                    "pages_done": report.pages_done,
                    "ocr_pages": report.ocr_pages,
                    "notes": report.notes,
                }
            )

    try:
        for draft in chunk_sections(extract_sections(path, kind, report)):
            progress()
            send({"type": "chunk", "draft": draft.__dict__})
        progress()
        last_done = -1
        progress()  # the final notes, even when no page count changed
    except ExtractionError as exc:
        send({"type": "error", "code": exc.code, "message": exc.message})
    except MemoryError:
        return OUT_OF_MEMORY
    out.flush()
    return 0


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smartedu.settings")
    sys.exit(_child_main(sys.argv[1], sys.argv[2]))
