"""Chunking: passages that follow the document's structure, fit the model's token budget,
overlap within a section, and come out the same every time."""

import itertools
import re
import subprocess
import sys

import pytest

from ai.chunking import ChunkDraft, chunk_sections, token_counter
from ai.extraction import extract_sections
from ai.extraction.common import Section

from . import samples

CELLS = "\n\n".join(samples.CELL_BIOLOGY)
PHOTO = "\n\n".join(samples.PHOTOSYNTHESIS)


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text.replace("\n", " ")) if s]


def chunks(sections, **budget) -> list[ChunkDraft]:
    return list(chunk_sections(sections, **budget))


def test_token_counter_counts_model_wordpieces_without_special_tokens():
    count = token_counter()

    assert count("") == 0
    assert count("cell") == 1
    # "mitochondria" is not in the vocabulary whole: WordPiece splits it.
    assert count("mitochondria") > 1
    assert count("The cell divides.") == 4
    assert count("a b") == count("a") + count("b")


def test_token_counter_does_not_import_torch():
    probe = (
        "import sys; from ai.chunking import token_counter; "
        "assert token_counter()('Mitochondria make ATP.') > 0; "
        "print('torch' in sys.modules)"
    )

    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)

    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "False"


def test_a_chunk_never_spans_two_pages_or_two_headings():
    sections = [
        Section(1, "Cells", CELLS),
        Section(1, "Cells › Mitochondria", samples.CELL_BIOLOGY[1]),
        Section(2, "Cells › Mitochondria", samples.CELL_BIOLOGY[1]),
        Section(3, "Photosynthesis", PHOTO),
    ]

    drafts = chunks(sections, max_tokens=80, overlap_tokens=16)

    for draft in drafts:
        source = next(s for s in sections if (s.page, s.heading) == (draft.page, draft.section))
        flat_source = " ".join(source.text.split())
        assert " ".join(draft.text.split()) in flat_source, draft
    keys = [(d.page, d.section) for d in drafts]
    assert [k for k, _ in itertools.groupby(keys)] == [(s.page, s.heading) for s in sections]


def test_every_chunk_fits_the_budget_and_reports_its_true_token_count():
    count = token_counter()
    long_text = "\n\n".join(samples.CELL_BIOLOGY + samples.PHOTOSYNTHESIS) * 5

    drafts = chunks([Section(None, "Biology", long_text)], max_tokens=64, overlap_tokens=12)

    assert len(drafts) > 10
    for draft in drafts:
        assert draft.token_count == count(draft.text)
        assert 0 < draft.token_count <= 64


def test_default_budget_comes_from_settings(settings):
    settings.CHUNK_MAX_TOKENS = 50
    settings.CHUNK_OVERLAP_TOKENS = 0

    drafts = chunks([Section(None, "", CELLS)])

    assert max(d.token_count for d in drafts) <= 50
    assert len(drafts) >= 4


def test_paragraph_and_sentence_boundaries_are_respected():
    drafts = chunks([Section(None, "Cells", CELLS)], max_tokens=80, overlap_tokens=0)

    all_sentences = set(sentences(CELLS))
    for draft in drafts:
        for sentence in sentences(draft.text):
            assert sentence in all_sentences, sentence
    # With room for whole paragraphs, each chunk is exactly one or more whole paragraphs.
    assert [d.text for d in drafts] == samples.CELL_BIOLOGY


def test_consecutive_chunks_of_a_section_overlap_by_trailing_sentences():
    count = token_counter()

    drafts = chunks([Section(4, "Cells", CELLS)], max_tokens=60, overlap_tokens=20)

    overlapping = 0
    for before, after in itertools.pairwise(drafts):
        last = sentences(before.text)[-1]
        if after.text.startswith(last):
            overlapping += 1
            assert count(last) <= 20
    assert overlapping >= 2
    # Nothing is lost: every sentence of the section is in some chunk.
    covered = {s for d in drafts for s in sentences(d.text)}
    assert covered == set(sentences(CELLS))


def test_no_overlap_crosses_into_another_section():
    drafts = chunks(
        [Section(1, "Cells", CELLS), Section(1, "Photosynthesis", PHOTO)],
        max_tokens=60,
        overlap_tokens=20,
    )

    first_photo = next(d for d in drafts if d.section == "Photosynthesis")
    assert first_photo.text.startswith(samples.PHOTOSYNTHESIS[0].split(". ")[0])


def test_an_over_long_sentence_is_split_between_words():
    sentence = " ".join(f"organelle{n}" for n in range(400)) + "."

    drafts = chunks([Section(None, "Run-on", sentence)], max_tokens=50, overlap_tokens=0)

    assert len(drafts) > 3
    assert all(d.token_count <= 50 for d in drafts)
    assert " ".join(d.text for d in drafts) == sentence


def test_a_word_longer_than_the_budget_is_cut_into_pieces():
    blob = "A" * 5000

    drafts = chunks([Section(None, "", blob)], max_tokens=20, overlap_tokens=0)

    assert "".join(d.text.replace(" ", "") for d in drafts) == blob
    assert all(d.token_count <= 20 and len(d.text) < 1000 for d in drafts)


def test_tiny_fragments_are_merged_not_emitted_alone():
    text = "Cells.\n\nYes.\n\n" + samples.CELL_BIOLOGY[0] + "\n\nSo."

    drafts = chunks([Section(None, "Cells", text)], max_tokens=200, overlap_tokens=40)

    assert len(drafts) == 1
    assert drafts[0].text == text


def test_a_small_remainder_borrows_from_the_chunk_before_it():
    count = token_counter()
    text = samples.CELL_BIOLOGY[1] + " It is small."

    drafts = chunks([Section(None, "", text)], max_tokens=count(text) - 2, overlap_tokens=0)

    assert len(drafts) == 2
    assert all(d.token_count >= 8 for d in drafts)
    assert " ".join(d.text for d in drafts) == text


def test_ordinals_are_consecutive_and_the_same_input_gives_the_same_drafts(tmp_path):
    path = samples.pdf_with_pages(
        tmp_path, [CELLS, PHOTO, CELLS], headings=["Cells", "Plants", None]
    )

    first = chunks(extract_sections(str(path), "pdf"), max_tokens=60, overlap_tokens=15)
    second = chunks(extract_sections(str(path), "pdf"), max_tokens=60, overlap_tokens=15)

    assert first == second
    assert [d.ordinal for d in first] == list(range(len(first)))
    assert {d.page for d in first} == {1, 2, 3}
    assert [d.section for d in first if d.page == 2][0] == "Plants"


def test_chunks_stream_out_of_an_endless_document():
    endless = (Section(page, "", samples.CELL_BIOLOGY[page % 4]) for page in itertools.count(1))

    first_five = list(itertools.islice(chunk_sections(endless, max_tokens=100), 5))

    assert [d.page for d in first_five] == [1, 2, 3, 4, 5]


def test_empty_sections_give_no_chunks():
    assert chunks([Section(1, "", "  \n\n "), Section(2, "", "")]) == []


def test_a_budget_too_small_to_hold_a_word_is_refused():
    with pytest.raises(ValueError):
        chunks([Section(None, "", CELLS)], max_tokens=2)
