"""The product's settings plus bench/migration_app as a school (tenant) app, for
bench/migrations.py only."""

from smartedu.settings import *  # noqa: F403
from smartedu.settings import INSTALLED_APPS, TENANT_APPS

TENANT_APPS = [*TENANT_APPS, "migration_app"]
INSTALLED_APPS = [*INSTALLED_APPS, "migration_app"]
