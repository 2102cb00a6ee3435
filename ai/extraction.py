"""Text out of a stored material, section by section, in document order.

``extract_sections`` is a generator: it reads a PDF one page at a time (load, take the text,
close) and the other kinds one structural block at a time, so memory stays bounded whatever the
length of the document. Each ``Section`` carries its page (PDF page or slide number, None for
kinds without pages) and the heading path in force ("Cells › Mitochondria").

Whatever goes wrong inside a library surfaces as an ``ExtractionError`` with a stable code and a
sentence a teacher can act on; nothing else escapes."""

import bisect
import logging
import re
import shutil
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.conf import settings

from courses.sniffing.pdf import PDFIUM_LOCK, pdf_open_error
from courses.sniffing.rejection import MaterialRejected
from courses.sniffing.text import read_text, text_encoding

logger = logging.getLogger(__name__)

HEADING_SEPARATOR = " › "
# Long runs of text under one heading are handed on in pieces of about this many characters,
# always at a paragraph boundary (the chunker joins pieces of the same page and heading).
SECTION_CHARS = 16_000
OCR_DPI = 200
OCR_TIMEOUT_SECONDS = 120
MAX_OUTLINE_ENTRIES = 5_000

KIND_LABELS = {
    "pdf": "PDF",
    "docx": "Word document",
    "pptx": "presentation",
    "html": "web page",
    "markdown": "Markdown file",
    "text": "text file",
}


@dataclass(frozen=True)
class Section:
    page: int | None
    heading: str
    text: str


class ExtractionError(Exception):
    """Extraction stopped; ``message`` is meant for the teacher."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class ExtractionReport:
    pages_total: int | None = None
    pages_done: int = 0
    notes: list[str] = field(default_factory=list)
    ocr_pages: int = 0


def extract_sections(
    path: str, kind: str, report: ExtractionReport | None = None
) -> Iterator[Section]:
    """Yield the text of the file at ``path`` (a Material.Kind value) in document order.

    Updates ``report`` as it goes: pages_total/pages_done for PDFs and slide decks, ocr_pages
    and notes for the teacher. Raises ExtractionError (no_text, no_text_layer, malformed,
    password_protected, unsupported_type) and nothing else."""
    report = report if report is not None else ExtractionReport()
    extractor = EXTRACTORS.get(kind)
    label = KIND_LABELS.get(kind, "file")
    if extractor is None:
        raise ExtractionError("unsupported_type", f"Files of type {kind!r} cannot be read.")
    found_text = False
    try:
        for section in extractor(path, report):
            found_text = True
            yield section
    except ExtractionError:
        raise
    except MaterialRejected as exc:
        raise ExtractionError(exc.code, exc.message) from exc
    except Exception as exc:
        logger.warning("extraction of %s failed", kind, exc_info=True)
        raise ExtractionError(
            "malformed",
            f"This {label} is damaged and could not be read completely. Save or export it again "
            "from the program that made it and upload the new file.",
        ) from exc
    if not found_text:
        raise ExtractionError(
            "no_text",
            f"No text was found in this {label}, so there is nothing for the tutor to use.",
        )


# --- text clean-up ----------------------------------------------------------------------------

LIGATURES = str.maketrans(
    {"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"}
)
LINE_BREAKS = re.compile(r"\r\n?|[\x0b\x0c\x85\u2028\u2029]")
INVISIBLE = re.compile(
    r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u00ad\u200b-\u200d\u2060\ufeff\ufffe\uffff]"
)
SPACES = re.compile(r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
BLANK_LINES = re.compile(r"\n{3,}")


def clean_text(text: str) -> str:
    """NFC text without control or invisible characters, single spaces, trimmed lines and at
    most one blank line in a row (a blank line separates paragraphs)."""
    text = LINE_BREAKS.sub("\n", text)
    text = INVISIBLE.sub("", text).translate(LIGATURES)
    text = unicodedata.normalize("NFC", text)
    lines = [SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def clean_inline(text: str) -> str:
    """``clean_text`` on one line: every break becomes a space (headings, cells, titles)."""
    return SPACES.sub(" ", clean_text(text).replace("\n", " ")).strip()


class HeadingPath:
    """The headings in force: entering a level-n heading closes every heading at level >= n."""

    def __init__(self) -> None:
        self._stack: list[tuple[int, str]] = []

    def enter(self, level: int, title: str) -> None:
        while self._stack and self._stack[-1][0] >= level:
            self._stack.pop()
        self._stack.append((level, title[:200]))

    @property
    def path(self) -> str:
        return HEADING_SEPARATOR.join(title for _, title in self._stack)


class Paragraphs:
    """Paragraphs waiting to become one Section; handed out when a heading changes or when
    SECTION_CHARS accumulate."""

    def __init__(self) -> None:
        self._items: list[str] = []
        self._size = 0

    def add(self, text: str) -> None:
        text = clean_text(text)
        if text:
            self._items.append(text)
            self._size += len(text)

    @property
    def full(self) -> bool:
        return self._size >= SECTION_CHARS

    def take(self, page: int | None, heading: str) -> Iterator[Section]:
        if self._items:
            text = "\n\n".join(self._items)
            self._items, self._size = [], 0
            yield Section(page=page, heading=heading, text=text)


# --- PDF --------------------------------------------------------------------------------------

SOFT_HYPHEN_BREAK = re.compile(r"[\u00ad\x02][ \t]*(?:\r\n|\r|\n)")
HYPHEN_BREAK = re.compile(r"(?<=[^\W\d_])-\n(?=[a-zß-ÿ])")
LIST_ITEM = re.compile(r"^([-*•◦▪‣–]|\d{1,3}[.)]|[a-z][.)])\s")


def ocr_available() -> bool:
    return settings.INGEST_OCR == "auto" and shutil.which("tesseract") is not None


def _pdf(path: str, report: ExtractionReport) -> Iterator[Section]:
    import pypdfium2 as pdfium

    with PDFIUM_LOCK:
        try:
            document = pdfium.PdfDocument(path)
        except pdfium.PdfiumError as exc:
            rejection = pdf_open_error(exc)
            raise ExtractionError(rejection.code, rejection.message) from exc
    try:
        with PDFIUM_LOCK:
            pages = len(document)
            outline = _pdf_outline(document, pages)
        report.pages_total = pages
        outline_pages = [entry[0] for entry in outline]
        use_ocr = ocr_available()
        scanned_without_ocr = ocr_failed = ocr_empty = 0
        found_text = False
        for index in range(pages):
            raw, image = _pdf_page(document, index, render_if_blank=use_ocr)
            text = pdf_page_text(raw)
            if not text and image is not None:
                if use_ocr:
                    try:
                        text = clean_text(_ocr(image))
                    except Exception:
                        logger.warning("OCR of page %s failed", index + 1, exc_info=True)
                        ocr_failed += 1
                    else:
                        if text:
                            report.ocr_pages += 1
                        else:
                            ocr_empty += 1
                    finally:
                        image.close()
                else:
                    scanned_without_ocr += 1
            report.pages_done = index + 1
            if text:
                found_text = True
                at = bisect.bisect_right(outline_pages, index) - 1
                yield Section(page=index + 1, heading=outline[at][2] if at >= 0 else "", text=text)
    finally:
        with PDFIUM_LOCK:
            document.close()

    if report.ocr_pages:
        report.notes.append(f"Text on {_pages(report.ocr_pages)} was read by OCR.")
    if not found_text:
        if scanned_without_ocr:
            raise ExtractionError(
                "no_text_layer",
                "This PDF has no text layer (it looks scanned) and OCR is not available on this "
                "server, so its text cannot be read. Upload a PDF with selectable text, or ask "
                "your administrator to install Tesseract OCR.",
            )
        if ocr_failed:
            raise ExtractionError(
                "no_text_layer",
                "This PDF has no text layer (it looks scanned) and reading it with OCR failed on "
                "this server. Upload a PDF with selectable text, or ask your administrator to "
                "check the OCR installation.",
            )
        if ocr_empty:
            raise ExtractionError(
                "no_text",
                "This PDF has no text layer (it looks scanned) and OCR found no readable text in "
                "its pages. Scan it again at a higher quality, or upload a PDF with selectable "
                "text.",
            )
        return
    if scanned_without_ocr:
        report.notes.append(
            f"{_pages(scanned_without_ocr).capitalize()} had no text layer (they look scanned) "
            "and were skipped because OCR is not available on this server."
        )
    if ocr_failed:
        report.notes.append(f"OCR failed on {_pages(ocr_failed)}; their text is missing.")


def _pages(count: int) -> str:
    return f"{count} page" if count == 1 else f"{count} pages"


def _pdf_page(document, index: int, *, render_if_blank: bool):
    """The raw text of one page and, when it has none but shows an image (a scan) and OCR is
    wanted, the page rendered for OCR. The page is closed before returning."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    with PDFIUM_LOCK:
        try:
            page = document[index]
        except pdfium.PdfiumError as exc:
            raise ExtractionError(
                "malformed",
                f"Page {index + 1} of this PDF is damaged and cannot be read. Export the PDF "
                "again and upload the new file.",
            ) from exc
        try:
            textpage = page.get_textpage()
            try:
                raw = textpage.get_text_range()
            finally:
                textpage.close()
            image = None
            if not raw.strip():
                has_image = any(
                    True
                    for _ in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=4)
                )
                if has_image and render_if_blank:
                    bitmap = page.render(scale=OCR_DPI / 72, grayscale=True)
                    try:
                        image = bitmap.to_pil().copy()
                    finally:
                        bitmap.close()
                elif has_image:
                    # No OCR wanted: a marker is enough for the caller to count a scanned page.
                    image = _SCANNED
            return raw, image
        finally:
            page.close()


class _ScannedMarker:
    def close(self) -> None:
        pass


_SCANNED = _ScannedMarker()


def _ocr(image) -> str:
    import pytesseract

    return pytesseract.image_to_string(
        image, lang=settings.INGEST_OCR_LANGUAGES, timeout=OCR_TIMEOUT_SECONDS
    )


def _pdf_outline(document, pages: int) -> list[tuple[int, int, str]]:
    """(page index, order, heading path) for each bookmark that points at a page, by page."""
    entries: list[tuple[int, int, str]] = []
    stack: list[str] = []
    try:
        for order, bookmark in enumerate(document.get_toc(max_depth=8)):
            if order >= MAX_OUTLINE_ENTRIES:
                break
            del stack[bookmark.level :]
            stack.append(clean_inline(bookmark.get_title() or "")[:200])
            destination = bookmark.get_dest()
            index = destination.get_index() if destination is not None else None
            if index is not None and 0 <= index < pages:
                path = HEADING_SEPARATOR.join(title for title in stack if title)
                entries.append((index, order, path))
    except Exception:
        # A broken outline costs the headings, not the text.
        logger.info("ignoring an unreadable PDF outline", exc_info=True)
        return []
    entries.sort()
    return entries


def pdf_page_text(raw: str) -> str:
    """A page's text with words split at line ends rejoined and wrapped lines joined into
    paragraphs: a line much shorter than the page's longest one ends its paragraph."""
    # PDFium marks a hyphen it found at a line end as \x02; a soft hyphen means the same there.
    text = clean_text(SOFT_HYPHEN_BREAK.sub("-\n", raw))
    text = HYPHEN_BREAK.sub("", text)
    lines = text.split("\n")
    width = max((len(line) for line in lines), default=0)
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        if not line:
            if current:
                paragraphs.append(" ".join(current))
                current = []
            continue
        if current and LIST_ITEM.match(line):
            paragraphs.append(" ".join(current))
            current = []
        current.append(line)
        if len(line) < 0.75 * width:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return "\n\n".join(paragraphs)


# --- DOCX -------------------------------------------------------------------------------------

DOCX_HEADING_STYLE = re.compile(r"^heading\s*([1-9])$", re.IGNORECASE)


def _docx(path: str, report: ExtractionReport) -> Iterator[Section]:
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


def _pptx(path: str, report: ExtractionReport) -> Iterator[Section]:
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


# --- HTML -------------------------------------------------------------------------------------

HTML_SKIP = frozenset(
    "script style noscript template iframe frame frameset object embed applet svg math canvas "
    "nav footer form button select textarea input head title meta link base audio video "
    "source track map area".split()
)
HTML_SKIP_ROLES = frozenset({"navigation", "banner", "contentinfo", "search", "menu", "menubar"})
HTML_BLOCK = frozenset(
    "address article aside blockquote body caption dd details dialog div dl dt fieldset "
    "figcaption figure header hr legend li main ol p pre section summary table tbody thead "
    "tfoot ul".split()
)
HTML_HEADINGS = {f"h{n}": n for n in range(1, 7)}
HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.IGNORECASE)


def _html(path: str, report: ExtractionReport) -> Iterator[Section]:
    yield from html_sections(_read_html(path))


def _read_html(path: str) -> str:
    encoding = text_encoding(path)
    if encoding == "cp1252":
        # Not UTF-8: the page's own <meta charset> knows better than a guess.
        with open(path, "rb") as handle:
            declared = META_CHARSET.search(handle.read(4096))
        if declared:
            try:
                return read_text(path, declared.group(1).decode("ascii"))
            except (LookupError, UnicodeDecodeError):
                pass
    return read_text(path, encoding)


def html_sections(markup: str, page: int | None = None) -> Iterator[Section]:
    """The readable text of an HTML document, split at its h1-h6 headings. Scripts, styles,
    templates, frames, forms, navigation, footers and hidden elements are left out; attributes
    (event handlers, javascript: URLs) never become text."""
    import lxml.html
    from lxml import etree

    markup = XML_DECLARATION.sub("", markup, count=1)
    if not markup.strip():
        return
    parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, no_network=True)
    try:
        root = lxml.html.document_fromstring(markup, parser=parser)
    except etree.ParserError:
        return  # "Document is empty": markup without any element
    main = root.find(".//main")
    if main is None:
        main = root.find(".//body")
    if main is None:
        main = root

    headings = HeadingPath()
    buffer = Paragraphs()
    line: list[str] = []
    paragraph: list[str] = []
    heading_level: int | None = None
    heading_text: list[str] = []

    def end_line() -> None:
        text = SPACES.sub(" ", "".join(line)).strip()
        line.clear()
        if text:
            paragraph.append(text)

    def end_paragraph() -> None:
        end_line()
        if paragraph:
            buffer.add("\n".join(paragraph))
            paragraph.clear()

    def add(text: str | None) -> None:
        if not text:
            return
        text = text.replace("\n", " ")
        if heading_level is not None:
            heading_text.append(text)
        else:
            line.append(text)

    walker = etree.iterwalk(main, events=("start", "end"))
    for event, element in walker:
        tag = element.tag.lower() if isinstance(element.tag, str) else ""
        if event == "start":
            if not tag or _html_skipped(element, tag):
                walker.skip_subtree()
                continue
            if tag in HTML_HEADINGS and heading_level is None:
                end_paragraph()
                yield from buffer.take(page, headings.path)
                heading_level, heading_text = HTML_HEADINGS[tag], []
            elif tag in ("br", "tr"):
                end_line()
            elif tag in ("td", "th") and "".join(line).strip():
                add(" | ")
            elif tag in HTML_BLOCK:
                end_paragraph()
            elif tag == "img" and element.get("alt"):
                add(f" {element.get('alt')} ")
            add(element.text)
        else:
            if tag in HTML_HEADINGS and heading_level == HTML_HEADINGS[tag]:
                title = clean_inline("".join(heading_text))
                if title:
                    headings.enter(heading_level, title)
                heading_level = None
            elif tag in HTML_BLOCK and heading_level is None:
                end_paragraph()
            elif tag == "tr":
                end_line()
            if element is not main:
                add(element.tail)
            if buffer.full:
                yield from buffer.take(page, headings.path)
    end_paragraph()
    yield from buffer.take(page, headings.path)


def _html_skipped(element, tag: str) -> bool:
    if not tag or tag in HTML_SKIP:
        return True
    if element.get("hidden") is not None or element.get("aria-hidden", "").lower() == "true":
        return True
    if (element.get("role") or "").lower() in HTML_SKIP_ROLES:
        return True
    if tag == "header" and not any(
        ancestor.tag in ("article", "section", "main") for ancestor in element.iterancestors()
    ):
        return True  # a page header (logo, site menu), not an article's own header
    return bool(HIDDEN_STYLE.search(element.get("style") or ""))


# --- Markdown ---------------------------------------------------------------------------------

FRONT_MATTER = re.compile(r"\A---[ \t]*\n.*?\n(---|\.\.\.)[ \t]*\n", re.DOTALL)
RAW_HTML_OPEN = re.compile(r"^<(script|style|noscript|template|iframe|textarea)\b[^>]*>$", re.I)


def _markdown(path: str, report: ExtractionReport) -> Iterator[Section]:
    from markdown_it import MarkdownIt

    source = FRONT_MATTER.sub("", read_text(path), count=1)
    tokens = MarkdownIt("commonmark").enable("table").enable("strikethrough").parse(source)
    headings = HeadingPath()
    buffer = Paragraphs()
    heading_level: int | None = None
    row: list[str] | None = None
    rows: list[str] = []
    for token in tokens:
        kind = token.type
        if kind == "heading_open":
            heading_level = int(token.tag[1])
        elif kind == "heading_close":
            heading_level = None
        elif kind == "inline" and heading_level is not None:
            title = clean_inline(_markdown_inline(token.children or []))
            if title:
                yield from buffer.take(None, headings.path)
                headings.enter(heading_level, title)
        elif kind == "inline" and row is not None:
            row.append(clean_inline(_markdown_inline(token.children or [])))
        elif kind == "inline":
            buffer.add(_markdown_inline(token.children or []))
        elif kind == "tr_open":
            row = []
        elif kind == "tr_close" and row is not None:
            rows.append(" | ".join(cell for cell in row if cell))
            row = None
        elif kind == "table_close":
            buffer.add("\n".join(line for line in rows if line))
            rows = []
        elif kind in ("fence", "code_block"):
            buffer.add(token.content)
        elif kind == "html_block":
            for section in html_sections(token.content):
                buffer.add(section.text)
        if buffer.full:
            yield from buffer.take(None, headings.path)
    yield from buffer.take(None, headings.path)


def _markdown_inline(children) -> str:
    """The words of an inline token: markup and raw HTML tags dropped, and nothing between an
    inline <script> (or style, template...) and its closing tag."""
    parts: list[str] = []
    hidden_until: str | None = None
    for child in children:
        if child.type == "html_inline":
            content = child.content.strip()
            if hidden_until is not None:
                if content.lower().startswith(f"</{hidden_until}"):
                    hidden_until = None
            else:
                opened = RAW_HTML_OPEN.match(content)
                if opened:
                    hidden_until = opened.group(1).lower()
            continue
        if hidden_until is not None:
            continue
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type == "softbreak":
            parts.append(" ")
        elif child.type == "hardbreak":
            parts.append("\n")
        elif child.type == "image":
            parts.append(child.content)
    return "".join(parts)


# --- plain text -------------------------------------------------------------------------------


def _text(path: str, report: ExtractionReport) -> Iterator[Section]:
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


EXTRACTORS = {
    "pdf": _pdf,
    "docx": _docx,
    "pptx": _pptx,
    "html": _html,
    "markdown": _markdown,
    "text": _text,
}
