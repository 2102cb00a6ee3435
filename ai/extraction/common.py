"""What every extractor shares: the Section it yields, the error and report it fills in, and the
text clean-up (NFC, no invisible characters, paragraphs under a heading path)."""

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

from .boilerplate import drop_boilerplate_lines, is_boilerplate

HEADING_SEPARATOR = " › "
# Long runs of text under one heading are handed on in pieces of about this many characters,
# always at a paragraph boundary (the chunker joins pieces of the same page and heading).
SECTION_CHARS = 16_000


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
        # Contents, menus and navigation are about the document, not in it: never indexed.
        if text and is_boilerplate(text):
            return
        text = drop_boilerplate_lines(text).strip()
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


# A list item keeps its own line when wrapped lines are joined (PDF pages, plain text).
LIST_ITEM = re.compile(r"^([-*•◦▪‣–]|\d{1,3}[.)]|[a-z][.)])\s")
