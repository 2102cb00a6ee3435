"""Text uploads: HTML, Markdown and plain text, and the encoding they are read with."""

import codecs
import re

from .rejection import ACCEPTED_TYPES, BLOCK, HEAD, MaterialRejected

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
