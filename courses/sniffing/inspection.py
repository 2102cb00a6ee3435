"""The one check an upload goes through: what kind of material it is, or why it is refused."""

import hashlib
import os
from dataclasses import dataclass

from django.conf import settings

from .office import inspect_office_zip, reject_known_binary, reject_legacy_office
from .pdf import inspect_pdf
from .rejection import BLOCK, HEAD, MaterialRejected
from .text import text_kind


@dataclass(frozen=True)
class Inspection:
    kind: str
    size_bytes: int
    sha256: str
    page_count: int | None


def material_inspect(path: str, filename: str) -> Inspection:
    """Check the file at ``path`` (uploaded as ``filename``) and say what kind of material it is.

    Raises MaterialRejected with code empty, too_large, unsupported_type, too_many_pages,
    password_protected, malformed or zip_bomb."""
    size = os.path.getsize(path)
    if size == 0:
        raise MaterialRejected("empty", "This file is empty: there is nothing in it to read.")
    limit = settings.MATERIAL_MAX_BYTES
    if size > limit:
        raise MaterialRejected(
            "too_large",
            f"This file is {_megabytes(size)}; the largest file you can upload is "
            f"{_megabytes(limit)}. Split it into smaller files or compress its images.",
        )
    with open(path, "rb") as handle:
        head = handle.read(HEAD)

    pages: int | None  # only PDFs and Office files have pages to count
    if b"%PDF-" in head[:1024]:
        kind, pages = "pdf", inspect_pdf(path, size)
    elif head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        kind, pages = inspect_office_zip(path)
    elif head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        reject_legacy_office(path)
    else:
        reject_known_binary(head)
        kind, pages = text_kind(path, filename), None
    return Inspection(kind=kind, size_bytes=size, sha256=file_sha256(path), page_count=pages)


def file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _megabytes(size: int) -> str:
    value = size / (1024 * 1024)
    return f"{value:.0f} MB" if value >= 10 or value == int(value) else f"{value:.1f} MB"
