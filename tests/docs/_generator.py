"""The manual's generator (docs/hooks/generated.py), loaded by path: docs/ is not a package."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_spec = importlib.util.spec_from_file_location(
    "docs_hooks_generated", ROOT / "docs" / "hooks" / "generated.py"
)
assert _spec and _spec.loader
generated = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(generated)
