"""Production settings: with DJANGO_DEBUG=false the app passes Django's deployment checks with no
warning, is HTTPS-only (redirect, HSTS, secure cookies), still answers the orchestrator's plain
HTTP probes, and accepts values signed with a former secret key while the key is rotated.
Development (DJANGO_DEBUG=true, as `make run` and the suite use) keeps plain HTTP."""

import json
import secrets
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import _free_port, _wait_for_http, daphne_command, live_env

ROOT = Path(__file__).resolve().parents[2]


def production_env(**overrides) -> dict:
    env = live_env()
    for name in list(env):
        if name.startswith(("DJANGO_SECURE", "DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS")):
            del env[name]
    env.update(
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        SMARTEDU_BASE_DOMAIN="example.org",
        REDIS_URL=settings.REDIS_URL,
        LOG_LEVEL="WARNING",
    )
    env.update(overrides)
    return env


def manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def python_with_settings(code: str, env: dict) -> str:
    result = manage("shell", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_production_settings_pass_the_deployment_checks_without_a_warning():
    env = production_env(DJANGO_SECRET_KEY_FALLBACKS=secrets.token_urlsafe(64))
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_is_https_only_by_default():
    dump = python_with_settings(
        "import json; from django.conf import settings as s; print(json.dumps({"
        "'redirect': s.SECURE_SSL_REDIRECT, 'hsts': s.SECURE_HSTS_SECONDS, "
        "'subdomains': s.SECURE_HSTS_INCLUDE_SUBDOMAINS, 'preload': s.SECURE_HSTS_PRELOAD, "
        "'session': s.SESSION_COOKIE_SECURE, 'csrf': s.CSRF_COOKIE_SECURE}))",
        production_env(),
    )
    assert json.loads(dump.splitlines()[-1]) == {
        "redirect": True,
        "hsts": 31536000,
        "subdomains": True,
        "preload": True,
        "session": True,
        "csrf": True,
    }


def test_an_operator_can_turn_hsts_preload_off_and_shorten_hsts():
    dump = python_with_settings(
        "from django.conf import settings as s; "
        "print(s.SECURE_HSTS_PRELOAD, s.SECURE_HSTS_SECONDS)",
        production_env(DJANGO_SECURE_HSTS_PRELOAD="false", DJANGO_SECURE_HSTS_SECONDS="600"),
    )
    assert dump.splitlines()[-1] == "False 600"


def test_development_keeps_plain_http():
    """`make run` serves http://<school>.localhost:8000 with DJANGO_DEBUG=true."""
    dump = python_with_settings(
        "from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE)",
        production_env(DJANGO_DEBUG="true"),
    )
    assert dump.splitlines()[-1] == "False 0 False"


def test_a_value_signed_with_the_former_key_stays_valid_while_it_is_a_fallback():
    old_key, new_key = secrets.token_urlsafe(64), secrets.token_urlsafe(64)
    token = python_with_settings(
        "from django.core import signing; print(signing.dumps('signed-in'))",
        production_env(DJANGO_SECRET_KEY=old_key),
    ).splitlines()[-1]
    check = (
        "from django.core import signing\n"
        "try:\n"
        f"    print(signing.loads({token!r}))\n"
        "except signing.BadSignature:\n"
        "    print('rejected')"
    )
    rotated = production_env(DJANGO_SECRET_KEY=new_key, DJANGO_SECRET_KEY_FALLBACKS=old_key)
    assert python_with_settings(check, rotated).splitlines()[-1] == "signed-in"
    retired = production_env(DJANGO_SECRET_KEY=new_key)
    assert python_with_settings(check, retired).splitlines()[-1] == "rejected"


@pytest.mark.live
def test_probes_answer_plain_http_while_pages_redirect_to_https(django_db_setup):
    """A production web process: the orchestrator's /health and /ready over plain HTTP get their
    answer; a school page over plain HTTP is sent to https; behind the TLS proxy it is served."""
    port = _free_port()
    env = production_env(SMARTEDU_BASE_DOMAIN=settings.SMARTEDU_BASE_DOMAIN)
    process = subprocess.Popen(
        daphne_command(port, "--proxy-headers"),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)

    def get(path: str, host: str = "10.0.0.7", **headers) -> tuple[int, dict]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}{path}", headers={"Host": host, **headers}
        )
        try:
            with opener.open(request, timeout=10) as response:
                return response.status, dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers)

    try:
        _wait_for_http(port, process)
        assert get("/health")[0] == 200
        assert get("/ready")[0] == 200
        school_host = pytest.school_a.host
        status, headers = get("/accounts/login/", host=school_host)
        assert status == 301
        assert headers["Location"] == f"https://{school_host}/accounts/login/"
        status, headers = get(
            "/accounts/login/", host=school_host, **{"X-Forwarded-Proto": "https"}
        )
        assert status == 200
        assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    finally:
        process.terminate()
        process.wait(timeout=15)
