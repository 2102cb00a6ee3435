"""The product's settings plus bench/migration_app as a tenant app, for bench/migrations.py.

``SMARTEDU_BENCH_MIGRATIONS`` (v1, v2 or v3) picks how many of the app's migrations exist, so
moving from one to the next is "a release added a one-column migration".
``SMARTEDU_BENCH_TENANT_PROCESSES`` sets django-tenants' multiprocessing executor's processes.
"""

import os

from smartedu.settings import *  # noqa: F403
from smartedu.settings import INSTALLED_APPS, TENANT_APPS

TENANT_APPS = [*TENANT_APPS, "migration_app"]
INSTALLED_APPS = [*INSTALLED_APPS, "migration_app"]
MIGRATION_MODULES = {
    "bench_migration_app": "migration_app.migrations_"
    + os.environ.get("SMARTEDU_BENCH_MIGRATIONS", "v3")
}
TENANT_MULTIPROCESSING_MAX_PROCESSES = int(os.environ.get("SMARTEDU_BENCH_TENANT_PROCESSES", "2"))
