"""check_grounding accepts a question whose key the cited passage supports and no distractor is,
whoever wrote it, and turns away the ways a generator (or a language model) gets it wrong: a key
the passage does not state, a distractor it does, evidence it does not contain, a "false"
statement that is in fact the passage's own sentence."""

import pytest

from ai.generation.checks import check_grounding
from ai.generation.similarity import question_embedding_text
from ai.generation.types import Candidate, Passage
from tests.ai import samples

MITOCHONDRIA = samples.CELL_BIOLOGY[1]
POWERHOUSE = "Mitochondria are the powerhouses of the cell."
ATP = (
    "They break down glucose and fatty acids in a process called cellular respiration and store "
    "the released energy in molecules of adenosine triphosphate, known as ATP."
)
MUSCLE = (
    "A muscle cell can contain thousands of mitochondria because it needs a great deal of energy."
)
CODON = samples.CELL_BIOLOGY[3]


def passage(text: str = MITOCHONDRIA, chunk_id: int = 7) -> Passage:
    # As a PDF page comes out of extraction: wrapped lines, a heading line.
    wrapped = "Mitochondria\n\n" + text.replace(" of the cell. ", " of the\ncell. ")
    return Passage(chunk_id, 1, "Cell biology", 2, "The cell", wrapped)


def single(key="mitochondria", wrong=("ribosomes", "chloroplasts", "lysosomes"), **kw):
    fields = dict(
        kind="single",
        stem="Which organelles are the powerhouses of the cell?",
        chunk_id=7,
        options=[{"text": key, "correct": True}] + [{"text": w, "correct": False} for w in wrong],
        evidence=POWERHOUSE,
    )
    fields.update(kw)
    return Candidate(**fields)


def true_false(statement: str, key: bool, evidence: str = POWERHOUSE) -> Candidate:
    return Candidate(
        kind="true_false",
        stem=f"True or false: {statement}",
        chunk_id=7,
        options=[
            {"text": "True", "correct": key is True},
            {"text": "False", "correct": key is False},
        ],
        evidence=evidence,
    )


# --- accepted ------------------------------------------------------------------------------


def test_a_supported_single_choice_question_is_accepted():
    assert check_grounding(single(), passage()) is None


def test_a_language_models_quote_with_other_quotes_case_and_spacing_is_accepted():
    candidate = single(
        key="Mitochondria",
        evidence="“mitochondria  are the powerhouses of the cell”",
        stem="Which organelles are called the cell’s powerhouses?",
    )
    assert check_grounding(candidate, passage()) is None


def test_evidence_may_join_sentences_from_different_places_of_the_passage():
    candidate = Candidate(
        kind="multiple",
        stem="Which statements are true?",
        chunk_id=7,
        options=[
            {"text": POWERHOUSE, "correct": True},
            {"text": MUSCLE, "correct": True},
            {"text": "Mitochondria are the storage rooms of the cell.", "correct": False},
            {"text": "A muscle cell contains no mitochondria at all.", "correct": False},
        ],
        evidence=f"{POWERHOUSE} … {MUSCLE}",
    )
    assert check_grounding(candidate, passage()) is None


def test_a_true_false_stem_may_be_asked_as_a_question():
    candidate = true_false(POWERHOUSE, True)
    candidate.stem = "Is it true that mitochondria are the powerhouses of the cell?"
    assert check_grounding(candidate, passage()) is None


def test_true_and_false_statements_with_their_right_keys_are_accepted():
    assert check_grounding(true_false(POWERHOUSE, True), passage()) is None
    assert (
        check_grounding(true_false("Ribosomes are the powerhouses of the cell.", False), passage())
        is None
    )


def test_short_answer_fill_blank_and_numeric_keys_stated_by_the_evidence_are_accepted():
    short = Candidate(
        kind="short_answer",
        stem="What molecule stores the energy released by cellular respiration?",
        chunk_id=7,
        answer={"accepted": ["ATP", "adenosine triphosphate"]},
        evidence=ATP,
    )
    blank = Candidate(
        kind="fill_blank",
        stem="Mitochondria are the ____ of the cell.",
        chunk_id=7,
        answer={"accepted": ["powerhouses", "powerhouse"]},
        evidence=POWERHOUSE,
    )
    codon = Candidate(
        kind="numeric",
        stem="How many bases does a ribosome read at a time?",
        chunk_id=8,
        answer={"value": 3, "tolerance": 0},
        evidence="Ribosomes build proteins by reading messenger RNA three bases at a time.",
    )
    assert check_grounding(short, passage()) is None
    assert check_grounding(blank, passage()) is None
    assert check_grounding(codon, passage(CODON, chunk_id=8)) is None


# --- rejected ------------------------------------------------------------------------------


def test_a_key_the_passage_does_not_state_is_rejected():
    reason = check_grounding(single(key="chloroplasts", wrong=("ribosomes", "nuclei")), passage())
    assert reason == "The correct option “chloroplasts” is not stated by the evidence."


def test_a_distractor_the_evidence_states_is_rejected():
    candidate = single(
        stem="What stores the energy released by cellular respiration?",
        key="ATP",
        wrong=("adenosine triphosphate", "glucose", "DNA"),
        evidence=ATP,
    )
    assert check_grounding(candidate, passage()) == (
        "The wrong option “adenosine triphosphate” is stated by the evidence."
    )


def test_a_distractor_equal_to_the_key_is_rejected():
    candidate = single(key="mitochondria", wrong=("Mitochondria.", "ribosomes"))
    assert check_grounding(candidate, passage()) == (
        "The wrong option “Mitochondria.” is the same as a correct one."
    )


def test_a_wrong_statement_the_passage_states_elsewhere_is_rejected():
    candidate = Candidate(
        kind="multiple",
        stem="Which statements are true?",
        chunk_id=7,
        options=[
            {"text": POWERHOUSE, "correct": True},
            {"text": "Ribosomes are the powerhouses of the cell.", "correct": False},
            {"text": MUSCLE, "correct": False},
        ],
        evidence=POWERHOUSE,
    )
    assert check_grounding(candidate, passage()).startswith("The wrong option “A muscle cell")


def test_evidence_that_is_not_in_the_passage_is_rejected():
    candidate = single(evidence="Mitochondria are the kitchens of the cell.")
    assert check_grounding(candidate, passage()) == (
        "The quoted evidence “Mitochondria are the kitchens of the cell.” is not in the cited "
        "passage."
    )


def test_no_evidence_or_another_passage_is_rejected():
    assert check_grounding(single(evidence=" "), passage()) == (
        "The question quotes no evidence from its passage."
    )
    assert check_grounding(single(chunk_id=8), passage()) == (
        "The question cites a different passage from the one it was checked against."
    )


def test_a_false_statement_that_is_a_sentence_of_the_passage_is_rejected():
    reason = check_grounding(true_false(MUSCLE, False), passage())
    assert reason == "The statement marked False is a sentence of the passage."


def test_a_false_statement_the_passage_says_in_other_words_is_rejected():
    reordered = "The cell's powerhouses are the mitochondria."
    reason = check_grounding(true_false(reordered, False), passage())
    assert reason == "The statement marked False is stated by the passage."


def test_a_false_statement_the_evidence_says_nothing_about_is_rejected():
    reason = check_grounding(true_false("Water boils at low pressure easily.", False), passage())
    assert reason == "The evidence does not address the statement marked False."


@pytest.mark.parametrize(
    "statement",
    [
        "Mitochondria are not the powerhouses of the cell.",
        "Mitochondria aren't the powerhouses of the cell.",
        "Ribosomes are the powerhouses of the cell.",
    ],
)
def test_a_true_statement_with_a_negation_added_or_a_term_swapped_is_rejected(statement):
    reason = check_grounding(true_false(statement, True), passage())
    assert reason == "The statement marked True is not stated by the evidence."


def test_an_accepted_answer_the_evidence_does_not_state_is_rejected():
    candidate = Candidate(
        kind="short_answer",
        stem="What are the powerhouses of the cell?",
        chunk_id=7,
        answer={"accepted": ["mitochondria", "golgi bodies"]},
        evidence=POWERHOUSE,
    )
    assert check_grounding(candidate, passage()) == (
        "The accepted answer “golgi bodies” is not stated by the evidence."
    )


def test_a_numeric_key_outside_the_tolerance_of_the_evidence_is_rejected():
    candidate = Candidate(
        kind="numeric",
        stem="How many bases make a codon?",
        chunk_id=8,
        answer={"value": 4, "tolerance": 0.5},
        evidence="Each group of three bases, a codon, names one amino acid.",
    )
    assert check_grounding(candidate, passage(CODON, chunk_id=8)) == (
        "The evidence states no number within 0.5 of 4."
    )


def test_two_keys_on_a_one_answer_question_are_rejected():
    candidate = single(options=None)
    candidate.options = [
        {"text": "mitochondria", "correct": True},
        {"text": "cell", "correct": True},
        {"text": "ribosomes", "correct": False},
    ]
    assert check_grounding(candidate, passage()) == (
        "A one-answer question has 2 options marked correct."
    )


# --- what near-duplicate detection compares -------------------------------------------------


def test_the_embedding_text_is_the_stem_and_key_without_template_wording():
    text = question_embedding_text(
        "single",
        "Which option completes this statement from the material? “____ are the powerhouses.”",
        [{"text": "Mitochondria", "correct": True}, {"text": "Ribosomes", "correct": False}],
        {},
    )
    assert text == "“____ are the powerhouses.”\nAnswer: Mitochondria"
    assert question_embedding_text("true_false", "True or false: X is Y.", [
        {"id": "true", "text": "True", "correct": False},
        {"id": "false", "text": "False", "correct": True},
    ]) == "X is Y.\nAnswer: false"  # fmt: skip
    assert question_embedding_text("numeric", "How many?", [], {"value": 3.0, "unit": "m"}) == (
        "How many?\nAnswer: 3.0 m"
    )
    assert question_embedding_text("fill_blank", "A ____ b.", [], {"accepted": ["x", "y"]}) == (
        "A ____ b.\nAnswer: x"
    )
