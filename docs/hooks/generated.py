"""The manual's generated parts: the settings table and the websocket message reference.

An mkdocs hook (mkdocs.yml ``hooks:``): a page holding ``<!-- generated:settings -->`` or
``<!-- generated:websocket-messages -->`` gets the table in its place at build time, so the manual
cannot drift from the code. Both are produced in a child Python process, because they import the
settings and the apps (which must not leak into the mkdocs process or the test run):

- ``python docs/hooks/generated.py settings`` imports every settings module under a few
  environments (so that reads behind an ``if`` are reached too) and renders what
  ``smartedu.settings.env.READS`` noted, with each read's default and the comment above it;
- ``python docs/hooks/generated.py websockets`` sets Django up, imports every module named
  ``payloads`` in the apps and renders their ``smartedu.payloads.Frame`` subclasses by endpoint.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import os
import subprocess
import sys
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
APPS = ("smartedu", "tenants", "accounts", "courses", "ai", "quizzes")
MARKERS = {
    "<!-- generated:settings -->": "settings",
    "<!-- generated:websocket-messages -->": "websockets",
    "<!-- generated:error-codes -->": "errors",
}
# Environments the settings are imported under, one after the other: the first is production
# with nothing optional set, the next ones switch on what is read only conditionally.
SCENARIOS: tuple[dict[str, str], ...] = (
    {"DATABASE_URL": "postgres://docs@localhost/docs", "DJANGO_SECRET_KEY": "docs"},
    {"DJANGO_DEBUG": "true"},
    {
        "SMARTEDU_STORAGE": "s3",
        "AWS_STORAGE_BUCKET_NAME": "docs",
        "DATABASE_POOL_MAX_SIZE": "1",
        "DATABASE_REPLICA_URL": "postgres://docs@localhost/replica",
        "SENTRY_DSN": "https://key@localhost/1",
    },
)


# --- mkdocs hook --------------------------------------------------------------------------------


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    for marker, what in MARKERS.items():
        if marker in markdown:
            markdown = markdown.replace(marker, generate(what))
    return markdown


@cache
def generate(what: str) -> str:
    """Markdown for ``what`` ("settings" or "websockets"), rendered in a child process."""
    result = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), what],
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), **SCENARIOS[0]},
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode:
        raise RuntimeError(f"generating the {what} page failed:\n{result.stderr}")
    return result.stdout


# --- settings -----------------------------------------------------------------------------------


def comment_above(lines: list[str], line: int) -> str:
    """The comment block right above source line ``line`` (1-based), and the one ending it."""
    block: list[str] = []
    index = line - 2
    while index >= 0 and lines[index].lstrip().startswith("#"):
        text = lines[index].strip().lstrip("#").strip()
        if text.startswith("---"):  # a section rule names a group, not this variable
            break
        block.insert(0, text)
        index -= 1
    if "  # " in lines[line - 1]:
        block.append(lines[line - 1].split("  # ", 1)[1].strip())
    return " ".join(block)


def read_call(tree: ast.Module, name: str) -> ast.Call | None:
    """The first call in the module that reads ``name`` (``get_*("NAME", ...)``)."""
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id.startswith("get_")
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and node.args[0].value == name
    ]
    return min(calls, key=lambda node: node.lineno, default=None)


def _default_expression(call: ast.Call) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == "default":
            return keyword.value
    return call.args[1] if len(call.args) > 1 else None


def _show(value: object) -> str:
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, list):
        return f"`{','.join(value)}`" if value else "(empty)"
    if value == "":
        return "(empty)"
    return f"`{value}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_settings(reads: list[Any]) -> str:
    """A table per settings module: variable, type, default, and the comment above its read."""
    by_module: dict[str, dict[str, list[Any]]] = {}
    for read in reads:
        by_module.setdefault(read.module, {}).setdefault(read.name, []).append(read)
    out: list[str] = []
    for module, names in by_module.items():
        path = Path(sys.modules[module].__file__ or "")
        source = path.read_text()
        lines, tree = source.splitlines(), ast.parse(source)
        doc = (ast.get_docstring(tree) or "").split("\n\n")[0].replace("\n", " ")
        out += [f"### `{path.relative_to(ROOT)}`", ""] + ([doc, ""] if doc else [])
        out += ["| variable | type | default | meaning (the comment above it) |"]
        out += ["| --- | --- | --- | --- |"]
        # In source order (reads behind an ``if`` were noted later, under their scenario).
        calls = {name: read_call(tree, name) for name in names}
        order = sorted(names, key=lambda name: getattr(calls[name], "lineno", 0))
        for name in order:
            seen = names[name]
            # A variable read twice (probed as a string, then parsed) shows its strictest kind.
            kind = next((r.kind for r in seen if r.kind == "database URL"), seen[0].kind)
            required = all(r.default is None for r in seen)
            default = next((r.default for r in seen if r.default is not None), None)
            call = calls[name]
            # A statement spread over lines: the comment above the read's own line is its own.
            comment = comment_above(lines, call.lineno) if call else ""
            expression = _default_expression(call) if call else None
            if required:
                shown = "required"
            elif expression is not None and any(
                isinstance(node, ast.Name) for node in ast.walk(expression)
            ):
                # It depends on another setting: the expression says more than one value.
                shown = f"`{ast.unparse(expression)}`"
            else:
                shown = _show(default)
            out.append(f"| `{name}` | {kind} | {_cell(shown)} | {_cell(comment)} |")
        out.append("")
    return "\n".join(out)


def settings_reads() -> list[Any]:
    """Import every settings module under each scenario, and return what the reader noted."""
    from smartedu.settings import env

    package = importlib.import_module("smartedu.settings")
    modules = [
        importlib.import_module(f"smartedu.settings.{path.stem}")
        for path in sorted(Path(package.__file__ or "").parent.glob("*.py"))
        if path.stem not in {"__init__", "env"}
    ]
    for scenario in SCENARIOS[1:]:
        os.environ.update(scenario)
        for module in modules:
            importlib.reload(module)
    return list(env.READS)


# --- websocket messages -------------------------------------------------------------------------


def payload_modules(root: Path = ROOT, packages: tuple[str, ...] = APPS) -> list[str]:
    """Dotted names of every module called ``payloads`` inside ``packages`` (under ``root``)."""
    names = []
    for package in packages:
        for path in sorted((root / package).rglob("payloads*")):
            if "migrations" in path.parts or (path.is_dir() and path.name != "payloads"):
                continue
            if path.is_file() and path.name != "payloads.py":
                continue
            if path.is_dir() and not (path / "__init__.py").exists():
                continue
            parts = path.relative_to(root).with_suffix("").parts
            names.append(".".join(parts))
    return names


def frames_in(modules: list[ModuleType]) -> list[type]:
    """The concrete Frame subclasses declared in ``modules`` (those with a ``type``)."""
    from smartedu.payloads import Frame

    found: list[type] = []
    for module in modules:
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(cls, Frame)
                and cls is not Frame
                and cls.__module__ == module.__name__
                and isinstance(getattr(cls, "type", None), str)
                and cls not in found
            ):
                found.append(cls)
    return found


def _when(cls: type) -> str:
    """The docstring's summary (its first line, with the lines it wraps onto)."""
    doc = inspect.cleandoc(cls.__dict__.get("__doc__") or "")
    summary = " ".join(doc.split("\n\n")[0].split())
    # A dataclass without a docstring gets its signature as one: that says nothing.
    return "" if summary.startswith(f"{cls.__name__}(") else summary


def _field_default(field: dataclasses.Field[Any]) -> str:
    if field.default is not dataclasses.MISSING:
        return f"`{field.default!r}`"
    if field.default_factory is not dataclasses.MISSING:
        return f"`{getattr(field.default_factory, '__name__', 'factory')}()`"
    return "required"


def render_frames(frames: list[type]) -> str:
    """Per endpoint: a table of its messages, then each message's fields."""
    if not frames:
        return "No typed message is declared yet.\n"
    by_endpoint: dict[str, list[type]] = {}
    for cls in frames:
        by_endpoint.setdefault(getattr(cls, "endpoint", "(no endpoint)"), []).append(cls)
    out: list[str] = []
    for endpoint in sorted(by_endpoint):
        classes = sorted(by_endpoint[endpoint], key=lambda c: (c.sent_by != "client", c.type))
        out += [f"### `{endpoint}`", "", "| type | sent by | when |", "| --- | --- | --- |"]
        for cls in classes:
            out.append(f"| `{cls.type}` | {cls.sent_by} | {_cell(_when(cls))} |")
        out.append("")
        for cls in classes:
            direction = "client → server" if cls.sent_by == "client" else "server → client"
            out += [f"#### `{cls.type}` ({direction})", ""]
            out += [f"`{cls.__module__}.{cls.__qualname__}`. {_cell(_when(cls))}", ""]
            fields = dataclasses.fields(cls)
            if not fields:
                out += ["No fields besides `type`.", ""]
                continue
            out += ["| field | type | default |", "| --- | --- | --- |"]
            for field in fields:
                kind = field.type
                if not isinstance(kind, str):
                    kind = inspect.formatannotation(kind)
                default = _field_default(field)
                out.append(f"| `{field.name}` | `{_cell(kind)}` | {_cell(default)} |")
            out.append("")
    return "\n".join(out)


def _django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smartedu.settings")
    import django
    from django.conf import settings

    # django-tenants checks PG_EXTRA_SEARCH_PATHS against the database when the apps load; the
    # manual is built without one.
    settings.SKIP_PG_EXTRA_VALIDATION = True
    django.setup()


def websocket_frames() -> list[type]:
    _django_setup()
    return frames_in([importlib.import_module(name) for name in payload_modules()])


# --- error codes --------------------------------------------------------------------------------


def render_error_codes() -> str:
    """Every code a refusal may carry (smartedu.errors.error_codes()), after importing every
    page, API view and consumer, which import the modules that declare them."""
    _django_setup()
    for urlconf in ("smartedu.urls_tenant", "smartedu.urls_public", "smartedu.routing"):
        importlib.import_module(urlconf)
    from smartedu.errors import error_codes

    out = ["| Code | HTTP status | When | Raised by |", "| --- | --- | --- | --- |"]
    for entry in error_codes():
        out.append(
            f"| `{entry.code}` | {entry.status} | {_cell(entry.meaning)} | `{entry.raised_by}` |"
        )
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    if sys.argv[1:] == ["settings"]:
        sys.stdout.write(render_settings(settings_reads()))
    elif sys.argv[1:] == ["websockets"]:
        sys.stdout.write(render_frames(websocket_frames()))
    elif sys.argv[1:] == ["errors"]:
        sys.stdout.write(render_error_codes())
    else:
        sys.exit(f"usage: {sys.argv[0]} settings|websockets|errors")
