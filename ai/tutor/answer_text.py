"""An answer as text: its sentences with their citations [n], and the answer rebuilt from the
sentences the check keeps, with the citations it gives them. Joining ``split_answer``'s pieces
gives the text back, so an answer the check leaves alone is unchanged to the character."""

from __future__ import annotations

import re
from dataclasses import dataclass

# "[1]", and "[1, 2]" from a model that wrote several numbers in one pair of brackets.
CITATION = re.compile(r"\s*\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]")
_CITATIONS_ONLY = re.compile(r"^(?:\s*\[\d{1,3}(?:\s*,\s*\d{1,3})*\])+[\s.,;:!?]*$")
_LIST_MARKER = re.compile(r"^\s*(?:[-*•>]+|\d{1,2}[.)])\s+")
_TRAILING = re.compile(r"[\s.!?:;,]*$")


@dataclass
class Piece:
    """A span of the answer: a sentence (with the citations after it) or the blank space and
    list markers between sentences, kept to rebuild the text."""

    text: str
    sentence: bool
    # The space between two sentences of a line (not a list marker nor a line break).
    gap: bool = False


def split_answer(text: str) -> list[Piece]:
    """The answer as sentences and the space between them; citations that follow a sentence's
    full stop ("… ATP. [1]") belong to that sentence. Joining the pieces gives ``text``."""
    from ..chunking import SENTENCE_END

    pieces: list[Piece] = []
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        ending = line[len(body) :]
        marker = _LIST_MARKER.match(body)
        if marker:
            pieces.append(Piece(marker.group(0), False))
            body = body[marker.end() :]
        start = 0
        for gap in SENTENCE_END.finditer(body):
            _add_sentence(pieces, body[start : gap.start()])
            pieces.append(Piece(gap.group(0), False, gap=True))
            start = gap.end()
        _add_sentence(pieces, body[start:])
        if ending:
            pieces.append(Piece(ending, False))
    return pieces


def _add_sentence(pieces: list[Piece], text: str) -> None:
    if not text:
        return
    if _CITATIONS_ONLY.match(text):
        previous = next((p for p in reversed(pieces) if p.sentence), None)
        if previous is not None and pieces[-1].text.strip() == "":
            # "… ATP. [1]": the space and the citation join the sentence before them.
            gap = pieces.pop()
            previous.text += gap.text + text
            return
    pieces.append(Piece(text, True))


def recited(text: str, cited: list[int], kept: list[int]) -> str:
    """The sentence with ``kept`` as its citations, where its first citation was (else before
    its final punctuation)."""
    if cited == kept:
        return text
    marks = "".join(f"[{n}]" for n in kept)
    first = CITATION.search(text)
    if first is None:
        end = _TRAILING.search(text)
        at = end.start() if end else len(text)
        return f"{text[:at]} {marks}{text[at:]}" if marks else text
    head, tail = text[: first.start()], CITATION.sub("", text[first.end() :])
    return f"{head} {marks}{tail}" if marks else f"{head}{tail}"


def rebuild(pieces: list[Piece], kept: dict[int, str]) -> str:
    """The answer with only the kept sentences: a line whose sentences all went goes with its
    list marker; spaces between sentences close up."""
    lines: list[str] = []
    current: list[str] = []
    has_sentence = False
    for piece in pieces:
        if piece.sentence:
            if id(piece) in kept:
                current.append(kept[id(piece)])
                has_sentence = True
            continue
        if piece.gap and not has_sentence:
            continue  # the space after a removed sentence that opened the line
        if "\n" in piece.text:
            if has_sentence:
                lines.append(_tidy("".join(current)))
            elif not "".join(current).strip():
                lines.append("")  # a blank line stays a paragraph break
            current, has_sentence = [], False
            continue
        current.append(piece.text)
    if has_sentence:
        lines.append(_tidy("".join(current)))
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _tidy(line: str) -> str:
    # Spaces left where a sentence went close up; a list's indentation stays.
    return re.sub(r"(?<=\S)[ \t]{2,}", " ", line).rstrip()
