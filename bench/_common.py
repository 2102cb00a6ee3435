"""What every bench script shares: a scratch database, the machine's description, percentiles,
tables, and the section of bench/RESULTS.md each script owns.

A bench never touches dev or test data: it creates its own database (``bench_<name>``) on the
PostgreSQL server that ``DATABASE_URL`` points at, bootstraps it the way ``make run`` does, and
drops it at the end.
"""

import datetime as dt
import math
import os
import platform
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    # Scripts run as `python bench/x.py`; the project's apps are importable from the repo root.
    sys.path.insert(0, str(REPO))

RESULTS = REPO / "bench" / "RESULTS.md"


# --- the scratch database --------------------------------------------------------------------


def _with_db_name(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _admin_connect(url: str):
    """A psycopg connection to the server's maintenance database (autocommit, for DDL).
    libpq reads the URL itself, percent-encoded Unix-socket hosts included."""
    import psycopg

    return psycopg.connect(_with_db_name(url, "postgres"), autocommit=True)


def scratch_database_create(name: str) -> str:
    """(Re)create the database ``name`` and return its URL. Refuses names outside bench_*."""
    if not re.fullmatch(r"bench_[a-z0-9_]{1,40}", name):
        raise SystemExit(f"Scratch database names must look like bench_<name> (got {name!r}).")
    base = os.environ.get("DATABASE_URL")
    if not base:
        raise SystemExit(
            "DATABASE_URL is not set. Run benches through `make bench` (or "
            "`python -m smartedu.embedded exec --data .data/bench --redis-port 0 -- ...`)."
        )
    with _admin_connect(base) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return _with_db_name(base, name)


def scratch_database_drop(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    if not name.startswith("bench_"):
        raise SystemExit(f"Refusing to drop {name!r}: not a bench database.")
    with _admin_connect(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bench_env(database_url: str) -> dict[str, str]:
    """The environment for this process and any server it starts: production-like settings
    (DEBUG off, so Django does not keep every query in memory) against the scratch database."""
    env = os.environ.copy()
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="smartedu.settings",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=env.get("DJANGO_SECRET_KEY") or "bench-only-secret",
        LOG_LEVEL="WARNING",
        # Benches talk plain HTTP to daphne, as nginx does behind its TLS edge.
        DJANGO_SECURE_SSL_REDIRECT="false",
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")])),
    )
    return env


def django_setup(database_url: str) -> None:
    """Point this process at the scratch database and bootstrap it (public tenant + template)."""
    os.environ.update(bench_env(database_url))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("bootstrap", no_demo=True, verbosity=0)


# --- the machine -----------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return float("nan")


def _git_commit() -> str:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return f"{commit}{' (with uncommitted changes)' if dirty else ''}" if commit else "unknown"


def _postgres_version() -> str:
    try:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return cursor.fetchone()[0]
    except Exception:
        return "unknown"


def load_average() -> str:
    load = os.getloadavg()
    return f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (1/5/15 min)"


def cpu_times() -> list[int]:
    """The machine's CPU counters since boot (user ... steal), from /proc/stat."""
    try:
        with open("/proc/stat") as stat:
            return [int(field) for field in stat.readline().split()[1:9]]
    except OSError:
        return []


_cpu_at_start: list[int] = []


def cpu_stolen_since_start() -> str:
    """The share of CPU time the hypervisor gave to other guests since ``machine()`` ran: on a
    shared virtual machine, figures taken while it is high are slower than the code."""
    now = cpu_times()
    if not (now and _cpu_at_start):
        return "unknown"
    spent = [b - a for a, b in zip(_cpu_at_start, now, strict=True)]
    total = sum(spent)
    return f"{spent[7] / total * 100:.0f}% of CPU time" if total else "unknown"


def machine() -> dict[str, str]:
    import django

    _cpu_at_start[:] = cpu_times()

    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": _git_commit(),
        "cpu": _cpu_model(),
        "cores": str(os.cpu_count()),
        "ram": f"{_ram_gib():.1f} GiB",
        "load before": load_average(),
        "software": (
            f"Python {platform.python_version()}, Django {django.get_version()}, "
            f"PostgreSQL {_postgres_version()}"
        ),
    }


def machine_markdown(info: dict[str, str]) -> str:
    return "\n".join(f"- {key}: {value}" for key, value in info.items())


# --- numbers and tables ----------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), p in 0..100."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def table(headers: list[str], rows: list[list]) -> str:
    """A Markdown table, aligned so it also reads well on a terminal."""
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row):
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"

    rule = "| " + " | ".join("-" * w for w in widths) + " |"
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


# --- bench/RESULTS.md ------------------------------------------------------------------------

RESULTS_HEADER = """# SmartEdu benchmark results

Written by the scripts in `bench/` (see bench/README.md); each script replaces its own section
between its markers and leaves the rest of this file alone. Figures are measured, never
estimated; the machine, date, commit and load are recorded with each section.
"""


def record(section: str, title: str, body: str, path: Path = RESULTS) -> None:
    """Replace (or append) the section ``section`` of the results file with ``body``."""
    start, end = f"<!-- bench:{section} -->", f"<!-- /bench:{section} -->"
    block = f"{start}\n## {title}\n\n{body.strip()}\n{end}"
    text = path.read_text() if path.exists() else RESULTS_HEADER
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text if text.endswith("\n") else text + "\n")
