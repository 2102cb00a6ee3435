"""Why an upload is refused, and the reading limits every check shares."""

from collections.abc import Mapping
from typing import ClassVar

from smartedu.errors import DomainError

ACCEPTED_TYPES = (
    "Accepted types are PDF, Word (.docx), PowerPoint (.pptx), web pages (HTML), Markdown and "
    "plain text."
)
BLOCK = 1024 * 1024
HEAD = 8192


class MaterialRejected(DomainError):
    """An upload that cannot become course material; ``message`` is meant for the teacher.

    When several files were sent at once, ``filename`` names the one refused (set by
    courses.services.materials.material_upload_all) and the message starts with it."""

    codes: ClassVar[Mapping[str, tuple[int, str]]] = {
        "malformed": (400, "The file is damaged and its contents cannot be read."),
        "empty": (400, "The file holds nothing to read."),
        "too_many_pages": (400, "The document has more pages or slides than a file may have."),
        "password_protected": (400, "The file is protected by a password."),
        "zip_bomb": (400, "The file expands to far more data than a real document holds."),
        "too_large": (413, "The file is larger than a material may be."),
        "unsupported_type": (415, "The file's content is not a type that can be used."),
    }

    filename: str | None = None

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)

    @property
    def message(self) -> str:
        return f"{self.filename}: {self.reason}" if self.filename else self.reason

    @message.setter
    def message(self, value: str) -> None:
        self.reason = value
