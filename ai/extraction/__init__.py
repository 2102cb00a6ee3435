"""Text out of a stored material, section by section, in document order.

``extract_sections`` is a generator: it reads a PDF one page at a time (load, take the text,
close) and the other kinds one structural block at a time, so memory stays bounded whatever the
length of the document. Each ``Section`` carries its page (PDF page or slide number, None for
kinds without pages) and the heading path in force ("Cells › Mitochondria").

Whatever goes wrong inside a library surfaces as an ``ExtractionError`` with a stable code and a
sentence a teacher can act on; nothing else escapes."""

import logging
from collections.abc import Iterator

from courses.sniffing.rejection import MaterialRejected

from .common import ExtractionError, ExtractionReport, Section
from .markup import extract_html, extract_markdown
from .office import extract_docx, extract_pptx
from .pdf import extract_pdf
from .text import extract_text

logger = logging.getLogger(__name__)

KIND_LABELS = {
    "pdf": "PDF",
    "docx": "Word document",
    "pptx": "presentation",
    "html": "web page",
    "markdown": "Markdown file",
    "text": "text file",
}


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


EXTRACTORS = {
    "pdf": extract_pdf,
    "docx": extract_docx,
    "pptx": extract_pptx,
    "html": extract_html,
    "markdown": extract_markdown,
    "text": extract_text,
}
