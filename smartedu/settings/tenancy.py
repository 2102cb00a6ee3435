"""Schema-per-school tenancy (django-tenants). Everything tenancy-related is in this block."""

SHARED_APPS = [
    "django_tenants",
    "tenants",
    # Users live in every schema: platform operators in public, a school's people in its own.
    "accounts",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_api_key",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "channels",
]

TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    # In the order of the layers (see pyproject's import-linter contracts): signal receivers
    # such as the demo school's seeders run in this order.
    "accounts",
    "courses",
    "ai",
    "quizzes",
]

INSTALLED_APPS = list(SHARED_APPS) + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.School"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_URLCONF = "smartedu.urls_public"
ROOT_URLCONF = "smartedu.urls_tenant"
# The replica router first: it never lets the replica be migrated, whatever the tenant router
# says, and pins writes to the primary.
DATABASE_ROUTERS = [
    "smartedu.db_routers.ReportReplicaRouter",
    "django_tenants.routers.TenantSyncRouter",
]

# New schools are cloned from this always-migrated template schema instead of replaying every
# migration (see tenants.services.school_provision and bench/provisioning.py).
TENANT_BASE_SCHEMA = "school_template"
TENANT_CREATION_FAKES_MIGRATIONS = True

from .env import get_int  # noqa: E402

# `migrate_schemas --executor=multiprocessing` migrates this many schools at once; so does the
# image's migrate role (`migrate_schools --processes`).
TENANT_MULTIPROCESSING_MAX_PROCESSES = get_int("SMARTEDU_MIGRATION_PROCESSES", 2)

# pgvector's `vector` type lives in a shared schema that every school's search path includes.
PG_EXTRA_SEARCH_PATHS = ["extensions"]

SHOW_PUBLIC_IF_NO_TENANT_FOUND = False

# django-tenants checks PG_EXTRA_SEARCH_PATHS against the database in AppConfig.ready(); Django
# warns about that query on every start. The check is wanted, the warning is noise.
import warnings  # noqa: E402

warnings.filterwarnings(
    "ignore", message="Accessing the database during app initialization", category=RuntimeWarning
)
