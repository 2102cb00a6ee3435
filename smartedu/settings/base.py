"""Django itself: debug, keys, hosts, pages, files, e-mail and HTTPS."""

from pathlib import Path

from .env import get_bool, get_int, get_list, get_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent

# Development mode (`make run` turns it on).
DEBUG = get_bool("DJANGO_DEBUG", False)
# Django's signing key; required unless DJANGO_DEBUG.
SECRET_KEY = get_str("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me" if DEBUG else "")
if not SECRET_KEY:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is not set. Set it (or DJANGO_DEBUG=true for local development)."
    )
# Former keys, still accepted for signed values (sessions, password-reset links): a rotated key
# goes here for a while so nobody is signed out at the switch.
SECRET_KEY_FALLBACKS = get_list("DJANGO_SECRET_KEY_FALLBACKS", [])

# The domain schools hang under: school "demo" is served on demo.<SMARTEDU_BASE_DOMAIN>;
# the bare domain serves the platform admin.
SMARTEDU_BASE_DOMAIN = get_str("SMARTEDU_BASE_DOMAIN", "localhost")
# Comma-separated; by default the base domain and its subdomains.
ALLOWED_HOSTS = get_list(
    "DJANGO_ALLOWED_HOSTS", [SMARTEDU_BASE_DOMAIN, f".{SMARTEDU_BASE_DOMAIN}", "127.0.0.1"]
)
# Comma-separated, e.g. https://*.smartedu.example.
CSRF_TRUSTED_ORIGINS = get_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

MIDDLEWARE = [
    "smartedu.metrics.MetricsMiddleware",
    "smartedu.health.HealthCheckMiddleware",
    "smartedu.middleware.RequestContextMiddleware",
    "django_tenants.middleware.main.TenantMainMiddleware",
    "tenants.middleware.SuspendedSchoolMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "smartedu.middleware.LogContextUserMiddleware",
    "smartedu.middleware.DomainErrorMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "smartedu.context_processors.school",
            ],
        },
    },
]

WSGI_APPLICATION = None
ASGI_APPLICATION = "smartedu.asgi.application"

LANGUAGE_CODE = "en-us"
TIME_ZONE = get_str("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Where `filesystem` storage keeps files.
MEDIA_ROOT = Path(get_str("SMARTEDU_MEDIA_ROOT", str(BASE_DIR / ".data" / "media")))
MEDIA_URL = "/media/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# E.g. django.core.mail.backends.smtp.EmailBackend (with Django's EMAIL_* settings).
EMAIL_BACKEND = get_str("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# The sender of invitations and password resets.
DEFAULT_FROM_EMAIL = get_str("DJANGO_DEFAULT_FROM_EMAIL", "SmartEdu <no-reply@smartedu.local>")

# HTTPS. Production (DEBUG off) is HTTPS-only by default; the TLS proxy in front (nginx, the
# ingress) says so with X-Forwarded-Proto, which is trusted because only the proxy reaches the app.
# Cookies are sent over HTTPS only:
SESSION_COOKIE_SECURE = get_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Redirect HTTP to HTTPS (/health, /ready and /metrics are exempt, for plain-HTTP probes
# and scrapes).
SECURE_SSL_REDIRECT = get_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
# Orchestrator probes and the Prometheus scraper talk plain HTTP to the container directly.
SECURE_REDIRECT_EXEMPT = [r"^health$", r"^ready$", r"^metrics$"]
# Strict-Transport-Security max-age.
SECURE_HSTS_SECONDS = get_int("DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
# HSTS covers every school host.
SECURE_HSTS_INCLUDE_SUBDOMAINS = get_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
# Adds `preload`: set false unless you will submit the domain to browsers' preload list.
SECURE_HSTS_PRELOAD = get_bool("DJANGO_SECURE_HSTS_PRELOAD", not DEBUG)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# How long an invitation link stays valid.
SMARTEDU_INVITATION_DAYS = 14

# The port `make run` serves on (used in printed links).
SMARTEDU_DEV_PORT = get_str("SMARTEDU_PORT", "8000")

# Development serves static files straight from the source folders.
WHITENOISE_USE_FINDERS = DEBUG
