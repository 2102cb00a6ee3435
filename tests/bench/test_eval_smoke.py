"""The AI evaluation (bench/eval.py) keeps working: a smoke run on one document and five
questions of each kind prints its tables, records its section and figures, writes the generated
questions for hand judging, and leaves no scratch database behind. The figures themselves come
from `make eval` (bench/RESULTS.md)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

REPO = Path(__file__).resolve().parents[2]

# About a minute alone (most of it embedding one document's passages); room for a loaded machine.
pytestmark = [pytest.mark.bench, pytest.mark.timeout(480)]


def database_exists(name: str) -> bool:
    url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(url, autocommit=True) as conn:
        return bool(conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone())


def test_eval_smoke_run_scores_retrieval_answers_refusals_and_generation(tmp_path):
    results = tmp_path / "RESULTS.md"
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "bench" / "eval.py"),
            "--smoke",
            "--db",
            "bench_smoke_eval",
            "--results",
            str(results),
            "--out",
            str(tmp_path / "out"),
        ],
        cwd=REPO,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=450,
    )

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for heading in (
        "product top-5",
        "BM25 top-5",
        "dense top-5",
        "answerable refused",
        "near-topic refused",
        "pass check_grounding",
    ):
        assert heading in done.stdout, heading
    text = results.read_text()
    assert text.count("<!-- bench:eval -->") == 1 and "smoke run" in text
    assert "grep-manual.txt" in text and "- cores: " in text

    figures = {
        f["name"]: f for f in json.loads((tmp_path / "results.json").read_text())["eval"]["figures"]
    }
    top5 = figures["retrieval top-5, product (chunk_search), all documents"]
    assert top5["questions"] == 5 and 0 <= top5["value"] <= 100
    assert top5["ceiling"] == 90.0 and top5["direction"] == ">=" and isinstance(top5["met"], bool)
    assert figures["answerable refused, all documents"]["ceiling"] == 3.0
    assert figures["off-topic refused"]["questions"] == 5
    for method in ("BM25", "dense (cosine)"):
        assert 0 <= figures[f"retrieval top-1, {method}, all documents"]["value"] <= 100

    details = json.loads((tmp_path / "out" / "details.json").read_text())
    assert sorted({q["category"] for q in details}) == ["answerable", "near-topic", "off-topic"]
    assert all(q["gold_passages"] for q in details if q["category"] == "answerable")
    generated = json.loads((tmp_path / "out" / "generated.json").read_text())
    assert generated and all(q["passage"] and q["evidence"] for q in generated)
    assert not database_exists("bench_smoke_eval")
