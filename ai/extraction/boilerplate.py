"""Text that is about the document rather than in it: tables of contents, menus, navigation
("Next: Usage, Prev: Invoking, Up: Top") and "previous / next" links. It is kept out of the
index: cited as a source it answers nothing, and it draws questions away from the passage that
does answer them. Every extractor's paragraphs pass through ``is_boilerplate``."""

import re

# One entry of a table of contents or menu:
#   "* Invoking::   Command-line options"  (Texinfo menus)
#   "4.2.1. Illegal read / Illegal write errors"  (numbered to two levels or more)
#   "Exit status ........ 12"  (leader dots and a page number)
CONTENTS_ENTRY = re.compile(
    r"^\s*(?:\*\s+[^:]+::.*|\d+(?:\.\d+)+\.?\s+\S.*|.+?(?:\s*\.){4,}\s*[\divxlc]+)\s*$",
    re.IGNORECASE,
)
# A menu's own label, or a Texinfo node line: "File: grep.info,  Node: Usage,  Next: ..."
NAVIGATION_LINE = re.compile(
    r"^\s*(?:\*\s*Menu:|Table of Contents|Contents|File:\s*\S+,\s*Node:.*|"
    r"(?:(?:Next|Prev(?:ious)?|Up|Home)\s*:?\s*[^,]*,?\s*){2,})\s*$",
    re.IGNORECASE,
)
# A run of navigation words alone: "Prev Up Home Next", "« Previous | Next »".
NAVIGATION_WORDS = re.compile(
    r"^[\s|«»‹›<>←→·•-]*(?:(?:prev(?:ious)?|next|up|home|top|back|contents|index)"
    r"[\s|«»‹›<>←→·•:-]*){2,}$",
    re.IGNORECASE,
)


# Several leader-dot entries run together on one line (a paragraph whose breaks were joined).
LEADER_ENTRIES = re.compile(r"(?:.+?(?:\s*\.){4,}\s*[\divxlc]+\s*){2,}", re.IGNORECASE)


def _entries(line: str) -> int:
    if LEADER_ENTRIES.fullmatch(line.strip()):
        return len(re.findall(r"(?:\s*\.){4,}", line))
    return 1 if CONTENTS_ENTRY.match(line) else 0


def is_boilerplate(paragraph: str) -> bool:
    """A paragraph made only of contents entries and navigation lines (at least two entries,
    or one navigation line alone)."""
    lines = [line for line in paragraph.split("\n") if line.strip()]
    if not lines:
        return False
    navigation = sum(
        1 for line in lines if NAVIGATION_LINE.match(line) or NAVIGATION_WORDS.match(line)
    )
    entries = sum(_entries(line) for line in lines)
    if navigation + entries < len(lines):
        return False
    # One numbered line alone (a heading such as "4.2.1. Illegal frees") or beside a single
    # navigation line is kept; anything more is a contents list or a navigation bar.
    return not (entries == 1 and navigation <= 1)


def drop_boilerplate_lines(paragraph: str) -> str:
    """The paragraph without its navigation lines (a Texinfo node line atop real text)."""
    kept = [
        line
        for line in paragraph.split("\n")
        if not (NAVIGATION_LINE.match(line) or NAVIGATION_WORDS.match(line))
    ]
    return "\n".join(kept)
