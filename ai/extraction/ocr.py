"""Reading scanned pages with Tesseract, when the server has it and INGEST_OCR allows it."""

import shutil

from django.conf import settings

OCR_DPI = 200
OCR_TIMEOUT_SECONDS = 120


def ocr_available() -> bool:
    return settings.INGEST_OCR == "auto" and shutil.which("tesseract") is not None


class ScannedMarker:
    """Stands for a scanned page when OCR is off: counted, never read; nothing to close."""

    def close(self) -> None:
        pass


SCANNED = ScannedMarker()


def ocr_image(image) -> str:
    import pytesseract

    return pytesseract.image_to_string(
        image, lang=settings.INGEST_OCR_LANGUAGES, timeout=OCR_TIMEOUT_SECONDS
    )
