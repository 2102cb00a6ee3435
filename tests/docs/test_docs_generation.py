"""The generated parts of the manual: the websocket message reference and the settings table."""

import ast
import importlib
import sys
import textwrap

import pytest

from smartedu.settings import env

from ._generator import ROOT, generated

PAYLOADS = '''
from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal

from smartedu.payloads import Frame


@dataclass(frozen=True)
class Answered(Frame):
    """Sent when a student's answer is stored.

    Not part of the summary: only the first line says when.
    """

    type: ClassVar[str] = "answered"
    sent_by: ClassVar[Literal["server", "client"]] = "server"
    endpoint: ClassVar[str] = "ws/example/<code>/"

    question: int
    ref: str = ""
    tags: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Answer(Frame):
    """A student answers the open question (the first answer to a round counts; later ones
    are refused)."""

    type: ClassVar[str] = "answer"
    sent_by: ClassVar[Literal["server", "client"]] = "client"
    endpoint: ClassVar[str] = "ws/example/<code>/"

    choice: str
'''

LIVE_PAYLOADS = """
from dataclasses import dataclass
from typing import ClassVar

from smartedu.payloads import Frame
from something.payloads import Answered  # imported, not declared here: listed once


@dataclass(frozen=True)
class Pong(Frame):
    type: ClassVar[str] = "pong"
    sent_by: ClassVar[str] = "server"
    endpoint: ClassVar[str] = "ws/other/"
"""


@pytest.fixture
def something(tmp_path, monkeypatch):
    """A throwaway package ``something``: ``something.payloads``, ``something.live.payloads``."""
    package = tmp_path / "something"
    (package / "live").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "live" / "__init__.py").write_text("")
    (package / "payloads.py").write_text(PAYLOADS)
    (package / "live" / "payloads.py").write_text(textwrap.dedent(LIVE_PAYLOADS))
    (package / "live" / "payloads_helpers.py").write_text("")  # not a payloads module
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in [name for name in sys.modules if name.split(".")[0] == "something"]:
        del sys.modules[name]


def test_payload_modules_are_found_anywhere_in_a_package(something):
    assert generated.payload_modules(something, ("something",)) == [
        "something.live.payloads",
        "something.payloads",
    ]
    assert "smartedu.payloads" in generated.payload_modules()


def test_a_frame_subclass_in_a_payloads_module_is_rendered_under_its_endpoint(something):
    modules = [
        importlib.import_module(name)
        for name in generated.payload_modules(something, ("something",))
    ]
    frames = generated.frames_in(modules)
    assert sorted(cls.type for cls in frames) == ["answer", "answered", "pong"]

    page = generated.render_frames(frames)

    assert "### `ws/example/<code>/`" in page
    assert "### `ws/other/`" in page
    # The summary: type, who sends it, the docstring's first line.
    # A summary wrapped over two lines is one sentence.
    assert (
        "| `answer` | client | A student answers the open question (the first answer to a round "
        "counts; later ones are refused). |"
    ) in page
    assert "| `answered` | server | Sent when a student's answer is stored. |" in page
    assert "Not part of the summary" not in page
    # Each message's fields with their types and defaults.
    assert "#### `answered` (server → client)" in page
    assert "| `question` | `int` | required |" in page
    assert "| `ref` | `str` | `''` |" in page
    assert "| `tags` | `list[str]` | `list()` |" in page
    assert "| `choice` | `str` | required |" in page
    # Without a docstring, nothing is made up.
    assert "| `pong` | server |  |" in page
    assert "No fields besides `type`." in page


def test_no_frames_says_so():
    assert generated.render_frames([]) == "No typed message is declared yet.\n"


def test_the_env_reader_notes_each_read_and_returns_the_same_value(monkeypatch):
    monkeypatch.setenv("DOCS_PROBE_NUMBER", "12")
    before = len(env.READS)

    assert env.get_int("DOCS_PROBE_NUMBER", 7) == 12
    assert env.get_bool("DOCS_PROBE_UNSET_FLAG", True) is True

    number, flag = env.READS[before:]
    assert (number.name, number.kind, number.default, number.module) == (
        "DOCS_PROBE_NUMBER",
        "int",
        7,
        __name__,
    )
    assert (flag.name, flag.kind, flag.default) == ("DOCS_PROBE_UNSET_FLAG", "bool", True)


def settings_rows(page: str) -> dict[str, list[str]]:
    rows = {}
    for line in page.splitlines():
        if line.startswith("| `"):
            cells = [cell.strip() for cell in line.strip("|").split(" | ")]
            rows[cells[0].strip("`")] = cells[1:]
    return rows


def test_the_settings_table_lists_every_variable_with_type_default_and_comment():
    page = generated.generate("settings")
    rows = settings_rows(page)

    assert rows["DATABASE_URL"][:2] == ["database URL", "required"]
    assert rows["REDIS_URL"][:2] == ["str", "`redis://127.0.0.1:6379/0`"]
    assert rows["DJANGO_SECRET_KEY"][0] == "str"
    assert "signing key" in rows["DJANGO_SECRET_KEY"][2]
    assert rows["DJANGO_DEBUG"][:2] == ["bool", "`false`"]
    assert rows["DJANGO_SECURE_SSL_REDIRECT"][1] == "`not DEBUG`"
    assert rows["TUTOR_MIN_SIMILARITY"][:2] == ["float", "`0.5`"]
    assert rows["TUTOR_MIN_SIMILARITY"][2].startswith("Below this cosine similarity")
    # Read only behind an `if`: reached by the generator's scenarios all the same.
    assert rows["AWS_STORAGE_BUCKET_NAME"][:2] == ["str", "required"]
    assert rows["DATABASE_POOL_TIMEOUT"][:2] == ["int", "`10`"]
    assert rows["SENTRY_TRACES_SAMPLE_RATE"][1] == "`0`"
    assert rows["DATABASE_REPLICA_URL"][0] == "database URL"
    assert "### `smartedu/settings/infrastructure.py`" in page

    # Every variable a settings module reads is in the table.
    read = set()
    for path in (ROOT / "smartedu" / "settings").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id.startswith("get_")
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                read.add(node.args[0].value)
    assert len(read) > 60
    assert read - set(rows) == set()
