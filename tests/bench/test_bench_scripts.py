"""The bench scripts keep working: each runs end to end with tiny sizes, records its section in
a results file, and leaves no scratch database behind. Nothing here is timed; the real figures
come from `make bench` (bench/RESULTS.md)."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

REPO = Path(__file__).resolve().parents[2]

# A smoke run takes about a minute alone; beside the rest of the suite on two cores it has taken
# over 220 s, so the limits leave room for that and still stop a hung bench.
pytestmark = pytest.mark.timeout(480)


def run_bench(script: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(REPO / "bench" / script), *args],
        cwd=REPO,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=450,
    )


def table_rows(text: str, first_cells: tuple[str, ...]) -> list[list[str]]:
    """The cells of the Markdown table rows in ``text`` whose first cell is one of these."""
    rows = []
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] in first_cells:
            rows.append(cells)
    return rows


def database_exists(name: str) -> bool:
    url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(url, autocommit=True) as conn:
        return bool(conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone())


def test_provisioning_bench_records_clone_migrate_and_bulk_figures(tmp_path):
    results = tmp_path / "RESULTS.md"
    (results).write_text("# Results\n\nA line someone wrote by hand.\n")

    done = run_bench(
        "provisioning.py",
        "--runs",
        "1",
        "--schools",
        "2",
        "--db",
        "bench_smoke_provisioning",
        "--results",
        str(results),
    )

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    text = results.read_text()
    assert "A line someone wrote by hand." in text
    assert text.count("<!-- bench:provisioning -->") == 1
    labels = (
        "clone the template (school_provision, tenants.cloning)",
        "replay migrations (FAKES_MIGRATIONS=False)",
        "django-tenants' clone_schema(), SQL alone (the previous method)",
    )
    methods = table_rows(text, labels)
    # Each method once with no other school, once with the bulk run's schools in place.
    assert sorted(cells[0] for cells in methods) == sorted(labels * 2)
    assert all(cells[1] == "1" and float(cells[2].replace(",", "")) > 0 for cells in methods)
    bulk = table_rows(text, ("2",))
    assert len(bulk) == 1 and float(bulk[0][1]) > 0
    # The public tenant, the template and the two schools.
    executors = table_rows(text, ("standard", "multiprocessing, 2 processes"))
    assert [cells[1] for cells in executors] == ["4", "4"]
    assert "- cores: " in text and "- commit: " in text
    assert not database_exists("bench_smoke_provisioning")


def test_provisioning_bench_replaces_its_section_on_a_second_run(tmp_path):
    results = tmp_path / "RESULTS.md"
    for _ in range(2):
        done = run_bench(
            "provisioning.py",
            "--runs",
            "1",
            "--schools",
            "1",
            "--db",
            "bench_smoke_provisioning",
            "--results",
            str(results),
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert results.read_text().count("## Provisioning schools") == 1


def test_migrations_bench_moves_a_real_column_in_every_school_with_each_executor(tmp_path):
    results = tmp_path / "RESULTS.md"
    done = run_bench(
        "migrations.py",
        "--schools",
        "2",
        "--db",
        "bench_smoke_migrations",
        "--results",
        str(results),
    )

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    text = results.read_text()
    executors = ("standard", "multiprocessing, 2 processes", "migrate_schools, 2 processes")
    rows = table_rows(text, executors)
    # Each of django-tenants' executors: no-op, add column, remove column over the template and
    # the two schools; migrate_schools: no-op with and without its check, add column. The
    # bench itself fails unless the column really came and went in every schema.
    assert sorted((cells[0], cells[1]) for cells in rows) == sorted(
        [
            (executor, step)
            for executor in executors[:2]
            for step in ("no-op", "add column", "remove column")
        ]
        + [(executors[2], step) for step in ("no-op", "no-op, --restart", "add column")]
    )
    assert all(cells[2] == "3" for cells in rows)
    # Every pass that connects to the schools takes time; migrate_schools' no-op is one query.
    assert all(float(cells[3]) > 0 for cells in rows if cells[:2] != [executors[2], "no-op"])
    assert not database_exists("bench_smoke_migrations")


def test_bench_refuses_a_database_that_is_not_a_scratch_one(tmp_path):
    done = run_bench("provisioning.py", "--db", "smartedu", "--results", str(tmp_path / "r.md"))
    assert done.returncode != 0
    assert "bench_<name>" in done.stderr
    assert not (tmp_path / "r.md").exists()


@pytest.mark.live
@pytest.mark.parametrize("client", ["wrk", "asyncio"])
def test_roster_api_bench_loads_real_daphne_servers(tmp_path, client):
    if client == "wrk" and shutil.which("wrk") is None:
        pytest.skip("wrk is not installed (apt-get install -y wrk)")
    results = tmp_path / "RESULTS.md"

    done = run_bench(
        "roster_api.py",
        "--users",
        "5",
        "--duration",
        "1",
        "--connections",
        "2",
        "--processes",
        "1",
        "2",
        "--client",
        client,
        "--db",
        f"bench_smoke_roster_{client}",
        "--results",
        str(results),
    )

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    text = results.read_text()
    assert f"- client: {client}, on the same machine as the servers" in text
    rows = [cells for cells in table_rows(text, ("api-key", "session")) if len(cells) == 9]
    assert [cells[:3] for cells in rows] == [
        [auth, str(processes), "2"] for auth in ("api-key", "session") for processes in (1, 2)
    ]
    # Every run answered: some requests, none of them failed.
    for cells in rows:
        assert int(cells[3].replace(",", "")) > 0 and cells[-1] == "0", cells
    # The same request in process: served, with its SQL queries counted.
    direct = [cells for cells in table_rows(text, ("api-key", "session")) if len(cells) == 3]
    assert [cells[0] for cells in direct] == ["api-key", "session"]
    assert all(int(cells[2]) > 0 for cells in direct)
    assert not database_exists(f"bench_smoke_roster_{client}")


def test_embedding_bench_records_chunks_per_second(tmp_path):
    results = tmp_path / "RESULTS.md"

    done = run_bench(
        "embedding.py", "--chunks", "32", "--batch-sizes", "8,16", "--results", str(results)
    )

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    rows = table_rows(results.read_text(), ("cpu",))
    assert [cells[1] for cells in rows] == ["8", "16"]
    assert all(float(cells[4].replace(",", "")) > 0 for cells in rows)


@pytest.mark.live
def test_ingestion_bench_runs_a_real_worker_to_ready(tmp_path):
    results = tmp_path / "RESULTS.md"

    done = run_bench(
        "ingestion.py", "--pages", "3", "--db", "bench_smoke_ingestion", "--results", str(results)
    )

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    text = results.read_text()
    assert "**3 pages**" in text
    (end_to_end,) = table_rows(text, ("end to end",))
    assert float(end_to_end[1]) > 0
    assert "Peak resident memory" in text
    assert not database_exists("bench_smoke_ingestion")


@pytest.mark.live
def test_generation_bench_runs_real_jobs_through_a_worker(tmp_path):
    results = tmp_path / "RESULTS.md"

    done = run_bench(
        "generation.py",
        "--pages", "4",
        "--questions", "4",
        "--sample", "8",
        "--runs", "1",
        "--db", "bench_smoke_generation",
        "--results", str(results),
    )  # fmt: skip

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    text = results.read_text()
    assert "**4 pages**" in text
    jobs = table_rows(text, ("1: request → reviewable draft", "2: the same request again"))
    assert [cells[1:3] for cells in jobs] == [["done", "4"], ["done", "4"]]
    assert float(jobs[0][-1]) > 0
    (timed,) = table_rows(text, ("median of 1, caches emptied",))
    assert float(timed[3]) > 0
    rerun = re.search(r"job 2 \(the same request as a job\): \*\*([\d.]+)%\*\*", text)
    assert rerun and 0 <= float(rerun.group(1)) <= 100
    assert not database_exists("bench_smoke_generation")


@pytest.mark.live
def test_websockets_bench_holds_answers_and_broadcasts_through_real_daphne(tmp_path):
    results = tmp_path / "RESULTS.md"

    done = run_bench(
        "websockets.py",
        "--connections", "20",
        "--steps", "10", "20",
        "--class-size", "10",
        "--clients", "2",
        "--ping-samples", "10",
        "--pace", "1",
        "--duration", "2",
        "--restart-duration", "3",
        "--live-rounds", "1",
        "--settle", "30",
        "--db", "bench_smoke_websockets",
        "--results", str(results),
    )  # fmt: skip

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    text = results.read_text()
    assert text.count("<!-- bench:websockets -->") == 1
    assert "a connection pool per process (max 8)" in text
    # 1. Both ramps reached their last step, every socket open, none failed or closed.
    ramp = [cells for cells in table_rows(text, ("1", "2")) if len(cells) == 10]
    assert [cells[:2] for cells in ramp] == [["1", "10"], ["1", "20"], ["2", "10"], ["2", "20"]]
    assert all(cells[8] == "0" and float(cells[6]) > 0 for cells in ramp), ramp
    # 2. Every student's answers were acknowledged, none refused, and all of them are stored.
    runs = table_rows(
        text, ("burst, 1", "every 1 s for 2 s, 1", "burst, 2", "every 1 s for 2 s, 2")
    )
    assert [(cells[2], cells[3]) for cells in runs] == [("10", "10"), ("20", "20")] * 2
    assert all(cells[10] == "0; unacked 0" for cells in runs), runs
    prose = " ".join(text.split())  # paragraphs are wrapped
    assert re.search(r"stored with exactly the acknowledged text, \*\*0 lost\*\*", prose)
    probe = table_rows(text, ("answer_save, as the consumer calls it (its event included)",))
    assert len(probe) == 1 and int(probe[0][3]) > 0
    # 3. Every joined student read the question and the reveal; their answers are stored.
    live = [cells for cells in table_rows(text, ("1", "2")) if len(cells) == 14]
    assert [cells[:2] for cells in live] == [["1", "10"], ["2", "10"]]
    assert all(cells[10] == "10 / 10" and cells[13] == "0" for cells in live), live
    # 4. A killed server loses no acknowledged answer, and every answer is acknowledged.
    (restart,) = [cells for cells in table_rows(text, ("30",)) if len(cells) == 8]
    assert restart[4] == "30" and restart[5] == "**0**" and restart[6] == "0", restart
    assert not database_exists("bench_smoke_websockets")
