"""Isolation of pytest-xdist workers, loaded as a plugin (``-p tests.parallel`` in addopts) so it
runs before pytest-django reads the settings.

Each worker already gets its own test database (pytest-django names it ``test_<name>_gw<N>``),
and with it its own public schema, template and schools. What the settings take from the
environment is made per worker here, before Django reads it:

- REDIS_URL points at Redis database N + 1 of the same server (0 stays the serial run's), so the
  cache, the channel layer and the Celery broker follow it: a worker process started by worker
  gw0's fixtures can never consume a task queued by gw1, and each worker's ``flushdb`` in
  django_db_setup empties only its own database. (Redis pub/sub is server-wide, but kombu
  prefixes its fanout channels with the database number and channels_redis uses keys.)
- SMARTEDU_MEDIA_ROOT gets a folder per worker: every worker has a school "alpha", and stored
  files live under ``schools/<schema>/``.

The live processes (daphne, Celery) inherit all of this through ``live_env()``, which copies
``os.environ``.
"""

import os
from pathlib import Path

# Redis has 16 databases by default. Private brokers, kept out of the workers' range: 12 for the
# killed-worker test (test_ingestion_pipeline), 13 and 14 for the bench scripts.
_RESERVED_REDIS_DBS = {12, 13, 14}
_MAX_REDIS_DB = 15


def redis_db_for(worker: str) -> int:
    """The Redis database of xdist worker ``gw<N>``: N + 1, skipping the reserved ones."""
    index = int(worker.removeprefix("gw"))
    free = [db for db in range(1, _MAX_REDIS_DB + 1) if db not in _RESERVED_REDIS_DBS]
    if index >= len(free):
        raise RuntimeError(f"{worker}: more xdist workers than Redis databases ({len(free)})")
    return free[index]


def with_redis_db(url: str, db: int) -> str:
    """``url`` with its database number (the path) replaced by ``db``."""
    base, _, rest = url.partition("?")
    scheme, _, address = base.partition("://")
    host = address.split("/", 1)[0]
    return f"{scheme}://{host}/{db}" + (f"?{rest}" if rest else "")


def _isolate(worker: str) -> None:
    db = redis_db_for(worker)
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    os.environ["REDIS_URL"] = with_redis_db(url, db)
    if os.environ.get("CELERY_BROKER_URL"):
        os.environ["CELERY_BROKER_URL"] = with_redis_db(os.environ["CELERY_BROKER_URL"], db)
    if not os.environ.get("SMARTEDU_MEDIA_ROOT"):
        root = Path(__file__).resolve().parents[1] / ".data" / f"media-{worker}"
        os.environ["SMARTEDU_MEDIA_ROOT"] = str(root)


# xdist sets PYTEST_XDIST_WORKER in the worker before it parses the command line, so this runs
# at import, ahead of pytest-django's settings. The controller process runs no test.
if os.environ.get("PYTEST_XDIST_WORKER"):
    _isolate(os.environ["PYTEST_XDIST_WORKER"])
