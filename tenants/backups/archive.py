"""The backup archive's format: its name and version, adding a member, reading the manifest and
the other members back, and how operations report progress."""

import io
import json
import tarfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError

FORMAT = "smartedu-school-backup/1"

Progress = Callable[[str], None]


def quiet(_message: str) -> None:
    pass


def add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(time.time())
    archive.addfile(info, io.BytesIO(data))


def read_manifest(path: Path) -> dict[str, Any]:
    try:
        archive = tarfile.open(path, "r:*")
    except tarfile.ReadError as exc:
        raise ValidationError(
            f"{path} is not a SmartEdu school backup (not a tar archive)."
        ) from exc
    with archive:
        try:
            member = archive.extractfile("manifest.json")
        except KeyError:
            member = None
        if member is None:
            raise ValidationError(f"{path} is not a SmartEdu school backup (no manifest.json).")
        manifest: dict[str, Any] = json.loads(member.read())
    if manifest.get("format") != FORMAT:
        raise ValidationError(
            f"{path} has format {manifest.get('format')!r}; this version restores {FORMAT!r}."
        )
    return manifest


def member_bytes(archive: tarfile.TarFile, name: str) -> bytes:
    """The bytes of the archive's member ``name``."""
    member = archive.extractfile(name)
    if member is None:
        raise ValidationError(f"{name} in the archive is not a file.")
    return member.read()
