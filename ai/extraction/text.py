"""Plain text: paragraphs at blank lines, hard-wrapped lines joined again."""

from collections.abc import Iterator

from courses.sniffing.text import text_encoding

from .common import LIST_ITEM, SECTION_CHARS, ExtractionReport, Paragraphs, Section, clean_inline


def extract_text(path: str, report: ExtractionReport) -> Iterator[Section]:
    buffer = Paragraphs()
    paragraph: list[str] = []
    size = 0
    with open(path, encoding=text_encoding(path), newline=None) as handle:
        for line in handle:
            if line.strip():
                paragraph.append(line)
                size += len(line)
                # A file without blank lines is still handed on in bounded pieces.
                if size < SECTION_CHARS:
                    continue
            if paragraph:
                buffer.add(_unwrap(paragraph))
                paragraph, size = [], 0
            if buffer.full:
                yield from buffer.take(None, "")
    if paragraph:
        buffer.add(_unwrap(paragraph))
    yield from buffer.take(None, "")


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
