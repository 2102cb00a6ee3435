"""One reader for every setting that comes from the environment.

Values are parsed strictly: a malformed value stops start-up with the variable's name instead
of surfacing later as a confusing error. Any variable can also be given as ``NAME_FILE`` (a path
whose contents are the value), which is how container secrets are mounted.

Every read is also noted in ``READS`` (name, kind, default and the settings line that asked):
the manual's settings page is generated from it (docs/hooks/generated.py).
"""

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import unquote

import environ
from django.core.exceptions import ImproperlyConfigured

env = environ.Env()

Kind = Literal["str", "bool", "int", "float", "list", "database URL"]


@dataclass(frozen=True)
class Read:
    """One read of an environment variable, as a settings module asked for it."""

    name: str
    kind: Kind
    # None: the variable is required (no default).
    default: str | bool | int | float | list[str] | None
    module: str
    line: int


READS: list[Read] = []


def _note(name: str, kind: Kind, default: str | bool | int | float | list[str] | None) -> None:
    # Two frames up is the settings module that called the public reader.
    caller = sys._getframe(2)
    READS.append(Read(name, kind, default, caller.f_globals.get("__name__", ""), caller.f_lineno))


def _from_file(name: str) -> None:
    path = os.environ.get(f"{name}_FILE")
    if path and name not in os.environ:
        try:
            os.environ[name] = Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={path!r} cannot be read: {exc}") from exc


def get_str(name: str, default: str | None = None) -> str:
    _note(name, "str", default)
    _from_file(name)
    if default is None:
        return env.str(name)
    return env.str(name, default=default)


def get_bool(name: str, default: bool) -> bool:
    _note(name, "bool", default)
    _from_file(name)
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use true/false).")


def get_int(name: str, default: int) -> int:
    _note(name, "int", default)
    _from_file(name)
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from exc


def get_float(name: str, default: float) -> float:
    _note(name, "float", default)
    _from_file(name)
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number.") from exc


def get_list(name: str, default: list[str]) -> list[str]:
    _note(name, "list", default)
    _from_file(name)
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def get_db_url(name: str) -> dict:
    _note(name, "database URL", None)
    _from_file(name)
    try:
        config = env.db_url(name)
    except (environ.ImproperlyConfigured, KeyError) as exc:
        raise ImproperlyConfigured(
            f"{name} is not set. Start the app through `make run` (which starts the embedded "
            f"PostgreSQL) or set {name}=postgres://user:pass@host:5432/dbname."
        ) from exc
    if config.get("ENGINE") != "django.db.backends.postgresql" or not config.get("NAME"):
        # Never echo the URL: it carries the password.
        raise ImproperlyConfigured(
            f"{name} must be a PostgreSQL URL with a database name, "
            f"e.g. {name}=postgres://user:pass@host:5432/dbname."
        )
    # A Unix-socket directory arrives percent-encoded in the host part (postgres://u@%2Frun%2Fpg/db).
    config["HOST"] = unquote(config.get("HOST") or "")
    return config
