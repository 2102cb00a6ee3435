"""Real material for the generation tests, read through the product's own extraction and
chunking: the team's biology sample as a PDF, and a manual nobody here wrote — chapters of the
Python Language Reference that ship with the interpreter (``pydoc_data.topics``) — as Markdown.

Passages get made-up chunk ids (these tests need no database); the generator and the checks
never look chunks up."""

from pathlib import Path

import pytest

from ai.chunking import chunk_sections
from ai.extraction import extract_sections
from ai.generation.types import Passage
from tests.ai import samples

# Chapters of prose (some code, lists and numbers among it, as in a real manual).
REFERENCE_TOPICS = [
    "exceptions", "execmodel", "naming", "truth", "integers", "floating", "booleans",
    "numbers", "try", "while", "for", "if", "import", "raise", "return", "with", "lambda",
    "assert", "del", "pass", "break", "continue", "comparisons", "shifting", "power",
]  # fmt: skip


def passages_from(path: Path, kind: str, title: str, first_id: int) -> list[Passage]:
    return [
        Passage(
            chunk_id=first_id + draft.ordinal,
            material_id=1,
            material_title=title,
            page=draft.page,
            section=draft.section,
            text=draft.text,
        )
        for draft in chunk_sections(extract_sections(str(path), kind))
    ]


def language_reference_markdown(directory: Path) -> Path:
    from pydoc_data.topics import topics

    parts = []
    for name in REFERENCE_TOPICS:
        lines = topics[name].strip("\n").split("\n")
        # The topics are reStructuredText: a title over a row of *s becomes a heading.
        title, body = lines[0], lines[2:] if len(lines) > 1 and set(lines[1]) == {"*"} else lines
        parts.append(f"# {title}\n\n" + "\n".join(body))
    path = Path(directory) / "python-language-reference.md"
    path.write_text("\n\n".join(parts), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def biology_passages(tmp_path_factory) -> list[Passage]:
    pages = samples.CELL_BIOLOGY + samples.PHOTOSYNTHESIS
    headings = ["The cell"] + [None] * 3 + ["Photosynthesis"] + [None] * 2
    path = samples.pdf_with_pages(tmp_path_factory.mktemp("biology"), pages, headings)
    return passages_from(path, "pdf", "Cell biology", 1000)


@pytest.fixture(scope="session")
def manual_passages(tmp_path_factory) -> list[Passage]:
    path = language_reference_markdown(tmp_path_factory.mktemp("manual"))
    return passages_from(path, "markdown", "The Python Language Reference", 5000)
