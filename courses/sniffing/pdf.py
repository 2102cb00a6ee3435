"""PDF uploads: a complete file whose page tree opens, within the page limit."""

import threading

from django.conf import settings

from .rejection import MaterialRejected

# PDFium is not thread-safe, and web processes serve uploads from several threads.
PDFIUM_LOCK = threading.RLock()


def inspect_pdf(path: str, size: int) -> int:
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
