"""Why an upload is refused, and the reading limits every check shares."""

ACCEPTED_TYPES = (
    "Accepted types are PDF, Word (.docx), PowerPoint (.pptx), web pages (HTML), Markdown and "
    "plain text."
)
BLOCK = 1024 * 1024
HEAD = 8192


class MaterialRejected(Exception):
    """An upload that cannot become course material; ``message`` is meant for the teacher."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message
