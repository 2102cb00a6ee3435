"""PDF: one page at a time (load, take the text, close), headings from the outline, OCR for
scanned pages."""

import bisect
import logging
import re
from collections.abc import Iterator

from courses.sniffing.pdf import PDFIUM_LOCK, pdf_open_error

from .common import (
    HEADING_SEPARATOR,
    LIST_ITEM,
    ExtractionError,
    ExtractionReport,
    Section,
    clean_inline,
    clean_text,
)
from .ocr import OCR_DPI, SCANNED, ocr_available, ocr_image

logger = logging.getLogger(__name__)

MAX_OUTLINE_ENTRIES = 5_000
SOFT_HYPHEN_BREAK = re.compile(r"[\u00ad\x02][ \t]*(?:\r\n|\r|\n)")
HYPHEN_BREAK = re.compile(r"(?<=[^\W\d_])-\n(?=[a-zß-ÿ])")


def extract_pdf(path: str, report: ExtractionReport) -> Iterator[Section]:
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
                        text = clean_text(ocr_image(image))
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
                    image = SCANNED
            return raw, image
        finally:
            page.close()


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
