"""Zip-based Office files (DOCX, PPTX), older Office files and other known binaries."""

import re
import zipfile
from typing import NoReturn

from django.conf import settings

from .rejection import ACCEPTED_TYPES, BLOCK, MaterialRejected

# A zip member that inflates more than this many times its stored size, once it is big, is a
# bomb: Office XML compresses about 5-20x and media hardly at all.
ZIP_MAX_RATIO = 100
ZIP_RATIO_MIN_BYTES = 8 * 1024 * 1024
ZIP_MAX_MEMBERS = 10_000

DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
PPTX_MAIN = "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"
PPTM_MAIN = "application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml"
SLIDE_MEMBER = re.compile(r"^ppt/slides/slide\d+\.xml$")


def inspect_office_zip(path: str) -> tuple[str, int | None]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise MaterialRejected(
            "malformed",
            "This file is damaged: it looks like a Word or PowerPoint file but its contents "
            "cannot be read. Save it again and upload the new file.",
        ) from exc
    with archive:
        members = archive.infolist()
        check_zip_directory(members)
        names = {member.filename for member in members}
        if any(member.flag_bits & 0x1 for member in members):
            raise MaterialRejected(
                "password_protected",
                "This file is protected by a password. Remove the password and upload it again.",
            )
        content_types = _zip_content_types(archive, names)
        if DOCX_MAIN in content_types:
            return "docx", None
        if PPTX_MAIN in content_types or PPTM_MAIN in content_types:
            slides = sum(1 for name in names if SLIDE_MEMBER.match(name))
            if slides > settings.MATERIAL_MAX_PAGES:
                raise MaterialRejected(
                    "too_many_pages",
                    f"This presentation has {slides:,} slides; the most a file can have is "
                    f"{settings.MATERIAL_MAX_PAGES:,}. Split it into smaller files.",
                )
            return "pptx", slides
        if "word/document.xml" in names or any("wordprocessingml" in t for t in content_types):
            what = "a Word template or macro-enabled document"
            fix = "Save it as a regular Word document (.docx)"
        elif "xl/workbook.xml" in names or any("spreadsheetml" in t for t in content_types):
            what, fix = "a spreadsheet", "Save the content you need as PDF"
        elif "ppt/presentation.xml" in names:
            what, fix = "a PowerPoint template or show", "Save it as a presentation (.pptx)"
        elif "mimetype" in names and any(name == "content.xml" for name in names):
            what, fix = "an OpenDocument file", "Save it as .docx, .pptx or PDF"
        else:
            what, fix = "a zip archive", "Upload the documents inside it one by one"
        raise MaterialRejected(
            "unsupported_type",
            f"This file is {what}, which cannot be used. {fix}. {ACCEPTED_TYPES}",
        )


def check_zip_directory(members: list[zipfile.ZipInfo]) -> None:
    """Refuse a zip whose directory promises too much: too many members, too many bytes once
    expanded, an absurd compression ratio, or members that overlap (a known bomb trick)."""
    bomb = MaterialRejected(
        "zip_bomb",
        "This file expands to far more data than a real document holds (it looks like a "
        '"zip bomb"), so it was not accepted. Save the document again and upload the new file.',
    )
    if len(members) > ZIP_MAX_MEMBERS:
        raise bomb
    total = 0
    for member in members:
        total += member.file_size
        if member.file_size >= ZIP_RATIO_MIN_BYTES and member.file_size > ZIP_MAX_RATIO * max(
            member.compress_size, 1
        ):
            raise bomb
    if total > settings.MATERIAL_MAX_UNCOMPRESSED_BYTES:
        raise bomb
    offsets = sorted(member.header_offset for member in members)
    if len(set(offsets)) != len(offsets):
        raise bomb


def _zip_content_types(archive: zipfile.ZipFile, names: set[str]) -> set[str]:
    if "[Content_Types].xml" not in names:
        return set()
    info = archive.getinfo("[Content_Types].xml")
    if info.file_size > 1024 * 1024:
        return set()
    try:
        data = archive.read(info)
    except (zipfile.BadZipFile, OSError, ValueError, RuntimeError) as exc:
        raise MaterialRejected(
            "malformed",
            "This file is damaged and its contents cannot be read. Save it again and upload the "
            "new file.",
        ) from exc
    return {
        value.decode("ascii", "replace") for value in re.findall(rb'ContentType="([^"]+)"', data)
    }


# --- legacy Office and other binaries ---------------------------------------------------------


def reject_legacy_office(path: str) -> NoReturn:
    # A password-protected .docx/.pptx is an OLE2 container holding an "EncryptedPackage".
    marker = "EncryptedPackage".encode("utf-16-le")
    tail = b""
    with open(path, "rb") as handle:
        while block := handle.read(BLOCK):
            if marker in tail + block:
                raise MaterialRejected(
                    "password_protected",
                    "This Office file is protected by a password. Remove the password and "
                    "upload it again.",
                )
            tail = block[-len(marker) :]
    raise MaterialRejected(
        "unsupported_type",
        "This is an older Microsoft Office file (.doc, .xls or .ppt), which cannot be used. "
        f"Save it as .docx, .pptx or PDF and upload it again. {ACCEPTED_TYPES}",
    )


def reject_known_binary(head: bytes) -> None:
    import filetype

    kind = filetype.guess(head)
    if kind is None:
        return
    if kind.mime.startswith("image/"):
        what = f"an image ({kind.extension.upper()})"
        fix = " To use a scanned page, put it in a PDF first."
    elif kind.extension in ("exe", "elf", "dex", "class", "wasm", "macho"):
        what, fix = "a computer program", ""
    elif kind.mime.startswith(("audio/", "video/")):
        what, fix = "an audio or video file", ""
    else:
        what, fix = f"a .{kind.extension} file", ""
    raise MaterialRejected(
        "unsupported_type", f"This file is {what}, which cannot be used.{fix} {ACCEPTED_TYPES}"
    )
