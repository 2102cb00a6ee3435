"""A school's stored files: all of them live under ``schools/<schema>/``."""

from collections.abc import Iterator
from pathlib import Path

from django.core.files.storage import default_storage


def storage_prefix(schema: str) -> str:
    return f"schools/{schema}/"


def stored_files(schema: str) -> Iterator[str]:
    """Every stored file of a school, as storage names."""

    def walk(directory: str) -> Iterator[str]:
        try:
            subdirs, files = default_storage.listdir(directory)
        except FileNotFoundError:
            return
        for name in files:
            yield f"{directory}{name}"
        for sub in subdirs:
            yield from walk(f"{directory}{sub}/")

    yield from walk(storage_prefix(schema))


def remove_empty_folders(prefix: str) -> None:
    """A local file system keeps the folders its files lived in (object stores have none)."""
    import shutil

    try:
        root = Path(default_storage.path(prefix))
    except NotImplementedError:
        return
    if root.is_dir() and not any(p.is_file() for p in root.rglob("*")):
        shutil.rmtree(root)
