"""Plain text: paragraphs at blank lines, hard-wrapped lines joined again, and headings where
the text underlines them (a title over a line of ``*``, ``=``, ``-``, ``.`` or ``~``, as
reStructuredText, Texinfo's plain output and many READMEs write them): the first underline
character met is level 1, the next new one level 2, and so on."""

import re
from collections.abc import Iterator

from courses.sniffing.text import text_encoding

from .common import (
    LIST_ITEM,
    SECTION_CHARS,
    ExtractionReport,
    HeadingPath,
    Paragraphs,
    Section,
    clean_inline,
)

UNDERLINE = re.compile(r"^\s*([*=\-.~^#])\1{2,}\s*$")


def extract_text(path: str, report: ExtractionReport) -> Iterator[Section]:
    buffer = Paragraphs()
    headings = HeadingPath()
    levels: list[str] = []  # underline characters in the order first met
    paragraph: list[str] = []
    size = 0

    def flush() -> Iterator[Section]:
        underlined = _underlined_title(paragraph)
        if underlined is None:
            buffer.add(_unwrap(paragraph))
            return
        title, char = underlined
        yield from buffer.take(None, headings.path)
        if char not in levels:
            levels.append(char)
        headings.enter(levels.index(char) + 1, title)

    with open(path, encoding=text_encoding(path), newline=None) as handle:
        for line in handle:
            if line.strip():
                paragraph.append(line)
                size += len(line)
                # A file without blank lines is still handed on in bounded pieces.
                if size < SECTION_CHARS:
                    continue
            if paragraph:
                yield from flush()
                paragraph, size = [], 0
            if buffer.full:
                yield from buffer.take(None, headings.path)
    if paragraph:
        yield from flush()
    yield from buffer.take(None, headings.path)


def _underlined_title(lines: list[str]) -> tuple[str, str] | None:
    """(title, underline character) of a two-line paragraph whose second line underlines the
    first."""
    underline = UNDERLINE.match(lines[1]) if len(lines) == 2 else None
    if underline is None:
        return None
    title = clean_inline(lines[0])
    if not title or UNDERLINE.match(lines[0]) or len(lines[1].strip()) < 0.6 * len(title):
        return None
    return title, underline.group(1)


def _unwrap(lines: list[str]) -> str:
    """Hard-wrapped lines back into one line each paragraph; list items keep their own line."""
    out: list[str] = []
    for raw in lines:
        line = clean_inline(raw)
        if not line:
            continue
        if out and not LIST_ITEM.match(line):
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
    return "\n".join(out)
