"""Logging (JSON lines carrying request id and school) and Sentry."""

from .env import get_str

LOG_LEVEL = get_str("LOG_LEVEL", "INFO")
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
