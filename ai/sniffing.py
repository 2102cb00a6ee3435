"""What an uploaded file really is, checked before anything is stored or queued.

The type comes from the content (magic bytes, the members of a zip, whether the bytes decode as
text), never from the name; the name only breaks the tie between Markdown and plain text. Every
refusal is a ``MaterialRejected`` with a stable code and a sentence a teacher can act on.

Nothing here decompresses a zip member or renders a page: checks read the zip directory, the
PDF's page tree, and stream the file once or twice in fixed-size blocks (constant memory)."""

import codecs
import hashlib
import os
import re
import threading
import zipfile
from dataclasses import dataclass

from django.conf import settings

# PDFium is not thread-safe, and web processes serve uploads from several threads.
PDFIUM_LOCK = threading.RLock()

ACCEPTED_TYPES = (
    "Accepted types are PDF, Word (.docx), PowerPoint (.pptx), web pages (HTML), Markdown and "
    "plain text."
)
BLOCK = 1024 * 1024
HEAD = 8192

# A zip member that inflates more than this many times its stored size, once it is big, is a
# bomb: Office XML compresses about 5-20x and media hardly at all.
ZIP_MAX_RATIO = 100
ZIP_RATIO_MIN_BYTES = 8 * 1024 * 1024
ZIP_MAX_MEMBERS = 10_000

DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
PPTX_MAIN = "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"
PPTM_MAIN = "application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml"
SLIDE_MEMBER = re.compile(r"^ppt/slides/slide\d+\.xml$")

MARKDOWN_NAMES = (".md", ".markdown", ".mdown", ".mkd", ".mkdn")
TEXT_NAMES = (".txt", ".text")
HTML_NAMES = (".html", ".htm", ".xhtml")
HTML_TAG = re.compile(
    r"<(html|head|body|title|meta|div|p|h[1-6]|table|ul|ol|article|section|main|header|span|a)"
    r"[\s>/]",
    re.IGNORECASE,
)
MARKDOWN_HEADING = re.compile(r"^#{1,6}[ \t]+\S", re.MULTILINE)
MARKDOWN_OTHER = re.compile(
    r"^(```|~~~|\s*[-*+][ \t]+\S|\s*\d+\.[ \t]+\S|>[ \t])|\]\([^)\s]+\)", re.M
)
# Control characters that never appear in real text (tab, newlines and form feed do).
BINARY_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")


class MaterialRejected(Exception):
    """An upload that cannot become course material; ``message`` is meant for the teacher."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


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

    if b"%PDF-" in head[:1024]:
        kind, pages = "pdf", _inspect_pdf(path, size)
    elif head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        kind, pages = _inspect_office_zip(path)
    elif head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        _reject_legacy_office(path)
    else:
        _reject_known_binary(head)
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


# --- PDF ------------------------------------------------------------------------------------


def _inspect_pdf(path: str, size: int) -> int:
    import pypdfium2 as pdfium

    # A complete PDF ends with %%EOF (readers allow up to 1 KB of trailing bytes). Without it the
    # file was cut short, and PDFium would silently rebuild whatever part it can find.
    with open(path, "rb") as handle:
        handle.seek(max(0, size - 1024))
        if b"%%EOF" not in handle.read():
            raise MaterialRejected(
                "malformed",
                "This PDF is incomplete: its end is missing, as if the upload or download was "
                "interrupted. Download or export it again and upload the complete file.",
            )
    with PDFIUM_LOCK:
        try:
            document = pdfium.PdfDocument(path)
        except pdfium.PdfiumError as exc:
            raise pdf_open_error(exc) from exc
        try:
            pages = len(document)
            if pages == 0:
                raise MaterialRejected("empty", "This PDF has no pages.")
            if pages > settings.MATERIAL_MAX_PAGES:
                raise MaterialRejected(
                    "too_many_pages",
                    f"This PDF has {pages:,} pages; the most a file can have is "
                    f"{settings.MATERIAL_MAX_PAGES:,}. Split it into smaller files.",
                )
            # The first and last pages prove the page tree is whole without reading them all.
            for index in {0, pages - 1}:
                try:
                    document[index].close()
                except pdfium.PdfiumError as exc:
                    raise MaterialRejected(
                        "malformed",
                        f"Page {index + 1} of this PDF is damaged and cannot be read. "
                        "Export the PDF again and upload the new file.",
                    ) from exc
            return pages
        finally:
            document.close()


def pdf_open_error(exc: Exception) -> MaterialRejected:
    """The rejection for a PDF that PDFium refused to open."""
    import pypdfium2.raw as pdfium_c

    code = getattr(exc, "err_code", None)
    if code == pdfium_c.FPDF_ERR_PASSWORD:
        return MaterialRejected(
            "password_protected",
            "This PDF is protected by a password. Remove the password and upload it again.",
        )
    if code == pdfium_c.FPDF_ERR_SECURITY:
        return MaterialRejected(
            "password_protected",
            "This PDF is locked with an encryption method that cannot be opened here. Save an "
            "unprotected copy and upload it again.",
        )
    return MaterialRejected(
        "malformed",
        "This PDF is damaged and cannot be opened. Export it again from the program that made "
        "it and upload the new file.",
    )


# --- DOCX / PPTX (zip) ----------------------------------------------------------------------


def _inspect_office_zip(path: str) -> tuple[str, int | None]:
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


def _reject_legacy_office(path: str) -> None:
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


def _reject_known_binary(head: bytes) -> None:
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


# --- text: HTML, Markdown, plain ----------------------------------------------------------------


def text_encoding(path: str) -> str:
    """The encoding this text file is read with: UTF-8 (with or without BOM), UTF-16 (BOM, or
    evident from the zero bytes) or, when it is not valid UTF-8, Windows-1252.

    Raises MaterialRejected: unsupported_type for binary data, malformed for bytes that are no
    known text encoding."""
    with open(path, "rb") as handle:
        head = handle.read(HEAD)
    if head.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    elif len(head) >= 4 and head[1::2].count(0) > 0.4 * len(head[1::2]) and 0 not in head[::2]:
        candidates = ["utf-16-le"]
    elif len(head) >= 4 and head[::2].count(0) > 0.4 * len(head[::2]) and 0 not in head[1::2]:
        candidates = ["utf-16-be"]
    else:
        candidates = ["utf-8", "cp1252"]
    for encoding in candidates:
        verdict = _decodes_as(path, encoding)
        if verdict == "binary":
            break
        if verdict == "ok":
            return encoding
    else:
        raise MaterialRejected(
            "malformed",
            "This text file uses a character encoding that cannot be read. Save it as UTF-8 "
            "text and upload it again.",
        )
    raise MaterialRejected(
        "unsupported_type",
        f"The type of this file could not be recognised: it is not text. {ACCEPTED_TYPES}",
    )


def _decodes_as(path: str, encoding: str) -> str:
    """ "ok", "invalid" (not this encoding) or "binary" (decodes, but is not text)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    controls = characters = 0
    try:
        with open(path, "rb") as handle:
            while True:
                block = handle.read(BLOCK)
                text = decoder.decode(block, final=not block)
                characters += len(text)
                controls += len(BINARY_CONTROLS.findall(text))
                if not block:
                    break
    except UnicodeDecodeError:
        return "invalid"
    # A stray control character or two happens in real exports; a share of them is binary.
    if controls > max(8, characters // 100):
        return "binary"
    return "ok"


def read_text(path: str, encoding: str | None = None) -> str:
    """The whole text of a text file (the size limit bounds it), decoded as sniffed."""
    with open(path, encoding=encoding or text_encoding(path), errors="strict", newline=None) as f:
        return f.read()


def text_kind(path: str, filename: str) -> str:
    """html, markdown or text, for a file already known to be text; empty text is rejected."""
    encoding = text_encoding(path)
    blank = True
    head = ""
    with open(path, encoding=encoding, newline=None) as handle:
        while block := handle.read(BLOCK):
            if not head:
                head = block[:HEAD]
            if block.strip():
                blank = False
                break
    if blank:
        raise MaterialRejected(
            "empty", "This file is empty: it contains only blank space, no text to read."
        )
    name = filename.lower()
    start = _markup_start(head)
    if start.startswith(("<!doctype html", "<html")):
        return "html"
    if start.startswith("{\\rtf"):
        raise MaterialRejected(
            "unsupported_type",
            f"This is a Rich Text (.rtf) file, which cannot be used. Save it as .docx or PDF. "
            f"{ACCEPTED_TYPES}",
        )
    if start.startswith(("<?xml", "<svg")):
        raise MaterialRejected(
            "unsupported_type",
            f"This is an XML or SVG file, which cannot be used. {ACCEPTED_TYPES}",
        )
    if name.endswith(MARKDOWN_NAMES):
        return "markdown"
    if name.endswith(TEXT_NAMES):
        return "text"
    if start.startswith("<") and HTML_TAG.search(head):
        return "html"
    if name.endswith(HTML_NAMES) and HTML_TAG.search(head):
        return "html"
    if MARKDOWN_HEADING.search(head) and len(MARKDOWN_OTHER.findall(head)) >= 1:
        return "markdown"
    return "text"


def _markup_start(head: str) -> str:
    """The beginning of the text, lower-cased, past blank space, an XML declaration and
    comments (an XHTML page starts with those)."""
    start = head.lstrip("\ufeff \t\r\n").lower()
    while True:
        if start.startswith("<?xml") and "<html" in start[:500]:
            start = start[start.find("?>") + 2 :].lstrip()
        elif start.startswith("<!--") and "-->" in start:
            start = start[start.find("-->") + 3 :].lstrip()
        else:
            return start
