"""Cheap guards that keep the copies from coming back: who may do what is asked of
courses.access and quizzes.access (no page, API view or consumer writes its own ``_managed…``
helper), app API views raise smartedu.errors' DomainErrors (no APIException of their own), and
the API's error mapping finds no exception class by name through ``sys.modules``."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("accounts", "tenants", "courses", "ai", "quizzes")


def _adapter_modules() -> list[Path]:
    """Every page, API and consumer module of the apps."""
    found: set[Path] = set()
    for app in APPS:
        base = ROOT / app
        for pattern in ("views.py", "views/**/*.py", "api/**/*.py", "consumers.py"):
            found.update(base.glob(pattern))
        found.update(base.glob("consumers/**/*.py"))
    return sorted(found)


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def test_the_guard_sees_the_pages_the_api_and_the_consumers():
    names = {str(path.relative_to(ROOT)) for path in _adapter_modules()}
    assert {"courses/views.py", "ai/api/views.py", "quizzes/consumers/live.py"} <= names
    assert any(name.startswith("quizzes/views/") for name in names)


def _functions(path: Path):
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def _names_in(node: ast.AST) -> set[str]:
    return {
        child.id if isinstance(child, ast.Name) else child.attr
        for child in ast.walk(node)
        if isinstance(child, ast.Name | ast.Attribute)
    }


def test_no_page_api_view_or_consumer_defines_its_own_managed_helper():
    helpers = [
        f"{path.relative_to(ROOT)}:{node.lineno} {node.name}"
        for path in _adapter_modules()
        for node in _functions(path)
        if node.name.startswith(("_managed", "_visible", "_sees_whole_school"))
    ]
    assert helpers == [], "use courses.access / quizzes.access instead"


def test_no_page_api_view_or_consumer_refuses_a_non_manager_by_itself():
    """A function that asks can_manage_course and raises a 403 itself is a copy of
    courses.access (which takes ``manage=`` and ``denied=``)."""
    copies = [
        f"{path.relative_to(ROOT)}:{node.lineno} {node.name}"
        for path in _adapter_modules()
        for node in _functions(path)
        if "can_manage_course" in _names_in(node)
        and any(
            _names_in(raised.exc) & {"PermissionDenied", "Forbidden"}
            for raised in ast.walk(node)
            if isinstance(raised, ast.Raise) and raised.exc is not None
        )
    ]
    assert copies == [], "use courses.access / quizzes.access with manage=True instead"


def test_no_app_api_view_declares_an_api_exception_of_its_own():
    classes = [
        f"{path.relative_to(ROOT)}:{node.lineno} {node.name}"
        for path in _adapter_modules()
        for node in ast.walk(_tree(path))
        if isinstance(node, ast.ClassDef)
        and any(ast.unparse(base).endswith("APIException") for base in node.bases)
    ]
    assert classes == [], "raise a smartedu.errors.DomainError (or a subclass) instead"


def _imported(tree: ast.Module) -> set[str]:
    """The top-level packages a module imports."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_the_api_error_mapping_finds_no_exception_class_through_sys_modules():
    path = ROOT / "smartedu" / "api" / "errors.py"
    assert "sys" not in _imported(_tree(path))
    assert "sys.modules" not in path.read_text()
