"""Logging (JSON lines carrying request id and school), Prometheus metrics and Sentry."""

from .env import get_int, get_list, get_str

LOG_LEVEL = get_str("LOG_LEVEL", "INFO")
# text, or json for one JSON object per line (for log shippers).
LOG_FORMAT = get_str("LOG_FORMAT", "text")  # "json" in production

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "smartedu.logging.ContextFilter"}},
    "formatters": {
        "text": {
            "format": (
                "%(asctime)s %(levelname)-7s [%(school)s %(request_id)s] %(name)s: %(message)s"
            )
        },
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s %(school)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["context"],
            "formatter": LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
    },
}

# Prometheus metrics (smartedu/metrics.py). ``GET /metrics`` on the web port answers requests
# from loopback and private addresses; with a token set, also requests that present it as
# ``Authorization: Bearer <token>``. Several processes share their figures through the folder
# named by PROMETHEUS_MULTIPROC_DIR (read by prometheus_client itself), emptied at start.
SMARTEDU_METRICS_TOKEN = get_str("SMARTEDU_METRICS_TOKEN", "")
# The Celery queues whose backlog the web's /metrics reports.
SMARTEDU_METRICS_QUEUES = get_list("SMARTEDU_METRICS_QUEUES", ["ingest", "gpu"])
# Each Celery worker serves its task metrics on this port (0: not served).
SMARTEDU_WORKER_METRICS_PORT = get_int("SMARTEDU_WORKER_METRICS_PORT", 9808)

# Enables Sentry: web processes and Celery workers report errors, tagged with the school.
SENTRY_DSN = get_str("SENTRY_DSN", "")
SENTRY_ENVIRONMENT = get_str("SENTRY_ENVIRONMENT", "production")
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=SENTRY_ENVIRONMENT,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        traces_sample_rate=float(get_str("SENTRY_TRACES_SAMPLE_RATE", "0")),
        send_default_pii=False,
    )
