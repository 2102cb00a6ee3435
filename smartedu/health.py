"""/health (the process answers) and /ready (its database, Redis and broker answer).

Served before tenant resolution, so probes work on any host name, including a bare IP."""

import json

from django.conf import settings
from django.db import connection
from django.http import HttpResponse


def _json(payload: dict, status: int) -> HttpResponse:
    return HttpResponse(json.dumps(payload), status=status, content_type="application/json")


def readiness() -> dict[str, str]:
    import redis

    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # any failure means "not ready", with the reason
        checks["database"] = f"error: {exc.__class__.__name__}"
    for name, url in (("redis", settings.REDIS_URL), ("broker", settings.CELERY_BROKER_URL)):
        try:
            client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
            client.ping()
            client.close()
            checks[name] = "ok"
        except Exception as exc:
            checks[name] = f"error: {exc.__class__.__name__}"
    return checks


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/health":
            return _json({"status": "ok"}, 200)
        if request.path == "/ready":
            checks = readiness()
            ready = all(value == "ok" for value in checks.values())
            return _json(
                {"status": "ok" if ready else "unavailable", "checks": checks},
                200 if ready else 503,
            )
        return self.get_response(request)
