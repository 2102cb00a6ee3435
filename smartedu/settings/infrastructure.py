"""PostgreSQL, Redis, Celery, Channels, cache and file storage."""

from .env import get_bool, get_db_url, get_int, get_str

# PostgreSQL with pgvector, e.g. postgres://u:p@host:5432/db (`make run` sets it).
DATABASES = {"default": get_db_url("DATABASE_URL")}
DATABASES["default"]["ENGINE"] = "django_tenants.postgresql_backend"
# Seconds to keep database connections open (only without a pool).
DATABASES["default"]["CONN_MAX_AGE"] = get_int("DATABASE_CONN_MAX_AGE", 0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# A connection pool per process (psycopg's, through Django): a websocket answer or a request
# borrows an open connection instead of opening one (a new PostgreSQL connection costs a few
# milliseconds, more than the answer's own UPDATE). 0 turns it off; then DATABASE_CONN_MAX_AGE
# applies (Django refuses the two together). The Procfile's web process uses 8.
DATABASE_POOL_MAX_SIZE = get_int("DATABASE_POOL_MAX_SIZE", 0)
if DATABASE_POOL_MAX_SIZE:
    if DATABASES["default"]["CONN_MAX_AGE"]:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            "DATABASE_CONN_MAX_AGE must be 0 while DATABASE_POOL_MAX_SIZE is set: pooled "
            "connections are kept by the pool. Set DATABASE_POOL_MAX_SIZE=0 to use "
            "DATABASE_CONN_MAX_AGE instead."
        )
    # The pool replaces broken connections itself; a health check on every borrow would cost
    # one more round trip than the answer it serves.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": DATABASE_POOL_MAX_SIZE,
        # Seconds a request waits for a pooled connection before failing.
        "timeout": get_int("DATABASE_POOL_TIMEOUT", 10),
    }

# A streaming read replica of the primary, for reports (smartedu.db_routers): the class
# dashboard, the school overview, quiz statistics and course progress read there; everything
# else, and every write, stays on the primary. Same settings as the primary's connection.
if get_str("DATABASE_REPLICA_URL", ""):  # or DATABASE_REPLICA_URL_FILE
    DATABASES["replica"] = {
        **{key: value for key, value in DATABASES["default"].items() if key != "NAME"},
        **get_db_url("DATABASE_REPLICA_URL"),
        "ENGINE": "django_tenants.postgresql_backend",
        # Under test the replica alias reads the test database, as a replica of it would.
        "TEST": {"MIRROR": "default"},
    }
    DATABASES["replica"]["OPTIONS"] = {
        **DATABASES["default"].get("OPTIONS", {}),
        **DATABASES["replica"].get("OPTIONS", {}),
    }

# Redis for the cache, the channel layer and (by default) the Celery broker (`make run` sets it).
REDIS_URL = get_str("REDIS_URL", "redis://127.0.0.1:6379/0")

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        # Cache keys carry the schema so two schools never read each other's entries.
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
    }
}

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL], "capacity": 1500, "expiry": 30},
    }
}

# The Celery broker.
CELERY_BROKER_URL = get_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "ingest"
# Run tasks inline (debugging only).
CELERY_TASK_ALWAYS_EAGER = get_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Seconds before an unacknowledged task is redelivered.
    "visibility_timeout": get_int("CELERY_VISIBILITY_TIMEOUT", 3600),
    # Ten priority levels (0 is served first): tutor answers overtake queued embedding batches.
    "priority_steps": list(range(10)),
    "sep": ":",
    "queue_order_strategy": "priority",
}
CELERY_TASK_DEFAULT_PRIORITY = 5
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# filesystem, or s3 for S3-compatible object storage (the bucket is named by the AWS_* settings).
STORAGE_BACKEND = get_str("SMARTEDU_STORAGE", "filesystem")
if STORAGE_BACKEND == "s3":
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            # The bucket when SMARTEDU_STORAGE=s3.
            "bucket_name": get_str("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": get_str("AWS_S3_ENDPOINT_URL", "") or None,
            "access_key": get_str("AWS_ACCESS_KEY_ID", "") or None,
            "secret_key": get_str("AWS_SECRET_ACCESS_KEY", "") or None,
            "region_name": get_str("AWS_S3_REGION_NAME", "") or None,
            "file_overwrite": False,
        },
    }
elif STORAGE_BACKEND == "filesystem":
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
else:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"SMARTEDU_STORAGE={STORAGE_BACKEND!r}: use filesystem or s3.")

STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
