"""Embedding throughput of the configured provider (the local all-MiniLM-L6-v2 by default):
chunks per second for passages of about 200 model tokens, by batch size, on the CPU (and on a
GPU when torch sees one).

    make bench BENCH=embedding              # or, by hand:
    python -m smartedu.embedded exec --data .data/bench --redis-port 0 -- \\
        .venv/bin/python bench/embedding.py [--chunks 1024] [--batch-sizes 16,32,64,128]

Passages come from the Python standard library's documentation (bench/_corpus.py), cut to
~200 tokens with the product's own chunker, so the token budget is the one ingestion uses.
"""

import argparse
import os
import sys
import time
from pathlib import Path

import _common
import _corpus


def passages(count: int) -> list[str]:
    from ai.chunking import chunk_sections, token_counter
    from ai.extraction.common import Section

    text = _corpus.paragraphs()
    sections = (Section(page=None, heading="", text=p) for p in text * 4)
    drafts = []
    for draft in chunk_sections(sections, max_tokens=200, overlap_tokens=0):
        if draft.token_count >= 150:
            drafts.append(draft.text)
        if len(drafts) == count:
            break
    count_tokens = token_counter()
    mean = sum(count_tokens(t) for t in drafts) / len(drafts)
    return drafts, mean


def measure(texts: list[str], batch_size: int, device: str) -> float:
    """Seconds to embed all ``texts`` (after one untimed warm-up batch)."""
    from django.test import override_settings

    from ai.embeddings import embedder

    with override_settings(EMBEDDING_BATCH_SIZE=batch_size, EMBEDDING_DEVICE=device):
        model = embedder()
        model.embed(texts[:batch_size])
        started = time.perf_counter()
        for start in range(0, len(texts), batch_size):
            model.embed(texts[start : start + batch_size])
        return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, default=1024)
    parser.add_argument("--batch-sizes", default="16,32,64,128")
    parser.add_argument("--results", type=Path, default=_common.RESULTS)
    args = parser.parse_args(argv)
    os.environ.update(_common.bench_env(os.environ["DATABASE_URL"]))
    import django

    django.setup()
    import torch

    from ai.embeddings import embedding_model_name

    info = _common.machine()
    info["torch"] = f"{torch.__version__}, {torch.get_num_threads()} CPU threads"
    print(_common.machine_markdown(info), flush=True)
    texts, mean_tokens = passages(args.chunks)
    print(f"{len(texts)} passages, {mean_tokens:.0f} tokens on average", flush=True)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    rows = []
    for device in devices:
        for batch_size in [int(b) for b in args.batch_sizes.split(",")]:
            seconds = measure(texts, batch_size, device)
            rate = len(texts) / seconds
            rows.append([device, batch_size, len(texts), f"{seconds:.1f}", f"{rate:,.1f}"])
            print(f"  {device} batch {batch_size}: {rate:,.1f} chunks/s", flush=True)
    info["load after"] = _common.load_average()
    table = _common.table(["device", "batch", "chunks", "seconds", "chunks/s"], rows)
    best_cpu = max(float(r[4].replace(",", "")) for r in rows if r[0] == "cpu")
    body = f"""{_common.machine_markdown(info)}

Model: `{embedding_model_name()}` through `ai.embeddings` (the path ingestion uses), unit-length
vectors. {len(texts)} passages of real documentation text cut by the product's chunker, mean
{mean_tokens:.0f} model tokens each; one untimed warm-up batch per row.

{table}

Best on the CPU: **{best_cpu:,.1f} chunks/s** (target: ≥ 30 chunks/s of ~200 tokens).
{"No GPU is visible to torch on this machine, so there is no GPU row." if len(devices) == 1 else ""}
"""
    _common.record("embedding", "Embedding throughput (bench/embedding.py)", body, args.results)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
