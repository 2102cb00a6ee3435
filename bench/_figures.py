"""Figures as data: bench/results.json, beside the Markdown of bench/RESULTS.md.

Each bench that uses it owns one key of the file (its name) and replaces it whole on every run,
leaving the others alone, as ``_common.record`` does for its section of RESULTS.md. A figure is
a name, a value, a unit and, where the product has a target for it, the target as ``ceiling``
with the ``direction`` it is to be read in (``>=``: at least the ceiling is wanted; ``<=``: at
most), so later work can compare itself with the baseline without parsing Markdown.
"""

import json
from pathlib import Path

import _common

RESULTS_JSON = _common.REPO / "bench" / "results.json"


def figure(
    name: str,
    value: float | int | None,
    unit: str,
    *,
    ceiling: float | None = None,
    direction: str | None = None,
    **extra,
) -> dict:
    """One figure. ``value`` None means not measured (e.g. no question of that kind)."""
    if (ceiling is None) != (direction is None):
        raise ValueError("A ceiling needs a direction (>= or <=) and the other way round.")
    if direction not in (None, ">=", "<="):
        raise ValueError(f"direction must be >= or <=, not {direction!r}")
    if isinstance(value, float):
        value = round(value, 3)
    item = {"name": name, "value": value, "unit": unit}
    if ceiling is not None:
        item["ceiling"] = ceiling
        item["direction"] = direction
        item["met"] = (
            None if value is None else (value >= ceiling if direction == ">=" else value <= ceiling)
        )
    item.update(extra)
    return item


def record_json(
    bench: str, *, title: str, info: dict, figures: list[dict], path: Path = RESULTS_JSON
) -> None:
    """Replace (or add) ``bench``'s entry of the JSON results file."""
    data = json.loads(path.read_text()) if path.exists() else {}
    data[bench] = {
        "title": title,
        "date": info.get("date"),
        "commit": info.get("commit"),
        "machine": {k: v for k, v in info.items() if k not in ("date", "commit")},
        "figures": figures,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
