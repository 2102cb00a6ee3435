"""Word documents (DOCX) block by block, and slide decks (PPTX) slide by slide."""

import re
from collections.abc import Iterator

from .common import ExtractionReport, HeadingPath, Paragraphs, Section, clean_inline, clean_text

DOCX_HEADING_STYLE = re.compile(r"^heading\s*([1-9])$", re.IGNORECASE)


def extract_docx(path: str, report: ExtractionReport) -> Iterator[Section]:
    from docx import Document
    from docx.table import Table

    document = Document(path)
    headings = HeadingPath()
    buffer = Paragraphs()
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            buffer.add(_docx_table_text(block))
        else:
            level = _docx_heading_level(block)
            text = block.text
            if level is not None and clean_inline(text):
                yield from buffer.take(None, headings.path)
                headings.enter(level, clean_inline(text))
                continue
            buffer.add(text)
        if buffer.full:
            yield from buffer.take(None, headings.path)
    yield from buffer.take(None, headings.path)


def _docx_heading_level(paragraph) -> int | None:
    style = paragraph.style
    match = DOCX_HEADING_STYLE.match(style.name or "") if style is not None else None
    if match:
        return int(match.group(1))
    # Custom heading styles mark themselves with an outline level (0-8; 9 is body text).
    levels = paragraph._p.xpath("./w:pPr/w:outlineLvl/@w:val")
    if not levels and style is not None:
        levels = style.element.xpath("./w:pPr/w:outlineLvl/@w:val")
    if levels and levels[0].isdigit() and int(levels[0]) < 9:
        return int(levels[0]) + 1
    return None


def _docx_table_text(table) -> str:
    rows = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            # A merged cell is repeated once per grid column it spans.
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            cells.append(clean_inline(cell.text))
        line = " | ".join(cell for cell in cells if cell)
        if line:
            rows.append(line)
    return "\n".join(rows)


# --- PPTX -------------------------------------------------------------------------------------


def extract_pptx(path: str, report: ExtractionReport) -> Iterator[Section]:
    from pptx import Presentation

    deck = Presentation(path)
    slides = deck.slides
    report.pages_total = len(slides)
    for number, slide in enumerate(slides, start=1):
        title_shape = slide.shapes.title
        title = ""
        if title_shape is not None and title_shape.has_text_frame:
            title = clean_inline(title_shape.text_frame.text)
        parts: list[str] = []
        for shape in _reading_order(slide.shapes):
            if title_shape is not None and shape.shape_id == title_shape.shape_id:
                continue
            parts.extend(_shape_texts(shape))
        if slide.has_notes_slide:
            notes = slide.notes_slide.notes_text_frame
            if notes is not None:
                parts.append(notes.text)
        text = clean_text("\n\n".join(part for part in parts if part.strip()))
        report.pages_done = number
        if text or title:
            # A title-only slide (a section divider) still says something worth finding.
            yield Section(page=number, heading=title, text=text or title)


def _reading_order(shapes):
    return sorted(shapes, key=lambda shape: (shape.top or 0, shape.left or 0))


def _shape_texts(shape) -> list[str]:
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
        return [text for inner in _reading_order(shape.shapes) for text in _shape_texts(inner)]
    if getattr(shape, "has_table", False) and shape.has_table:
        rows = []
        for row in shape.table.rows:
            line = " | ".join(c for c in (clean_inline(cell.text) for cell in row.cells) if c)
            if line:
                rows.append(line)
        return ["\n".join(rows)]
    if shape.has_text_frame:
        return [shape.text_frame.text]
    return []
