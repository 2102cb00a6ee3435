"""The offline generator makes real questions from real material: every one passes the content
gate, is graded right by its own key, is answerable from the passage it cites (the key is in
the quoted sentence, the distractors are not), and comes out the same for the same input.

Material: the biology sample as a PDF and chapters of the Python Language Reference as
Markdown, both read by the product's extraction and chunking (see conftest). The embeddings are
the real local model's."""

import re
from dataclasses import asdict

import pytest

from ai.generation import offline
from ai.generation.checks import (
    check_grounding,
    content_words,
    evidence_sentences,
    fold,
    is_statement,
    normalize_evidence,
    split_sentences,
    states,
    true_false_statement,
)
from ai.generation.offline import OfflineGenerator, answer_variants, term_kind
from ai.generation.types import GenerationSpec, Passage
from quizzes.answers import normalize_answer
from quizzes.content import question_content_clean
from quizzes.generation.apply import content_problem
from quizzes.grading import grade
from quizzes.models import QuestionVersion

KINDS = ["single", "multiple", "true_false", "short_answer", "numeric", "fill_blank"]


def spec(count=12, kinds=KINDS, difficulty="medium", topic=""):
    return GenerationSpec(count=count, kinds=tuple(kinds), difficulty=difficulty, topic=topic)


def generate(passages, *, want=12, kinds=KINDS, difficulty="medium", exclude=frozenset(), **kw):
    return OfflineGenerator(content_check=content_problem).generate(
        spec(want, kinds, difficulty, **kw),
        passages,
        want=want,
        kinds=list(kinds),
        exclude_evidence=exclude,
    )


def cited(candidate, passages) -> Passage:
    (passage,) = [p for p in passages if p.chunk_id == candidate.chunk_id]
    return passage


def version_of(candidate) -> QuestionVersion:
    content = question_content_clean(
        kind=candidate.kind,
        stem=candidate.stem,
        options=candidate.options,
        answer=candidate.answer,
        explanation=candidate.explanation,
    )
    return QuestionVersion(**content)


def key_responses(kind, version):
    """The response a student who knows the key gives, and responses that are wrong."""
    if kind in ("single", "true_false"):
        right = [o["id"] for o in version.options if o["correct"]]
        return {"option": right[0]}, [
            {"option": o["id"]} for o in version.options if not o["correct"]
        ]
    if kind == "multiple":
        right = [o["id"] for o in version.options if o["correct"]]
        wrong = [o["id"] for o in version.options if not o["correct"]]
        return {"options": right}, [{"options": wrong}]
    if kind == "numeric":
        value = version.answer["value"]
        return {"value": str(value)}, [{"value": str(value + 1 + version.answer["tolerance"])}]
    return {"text": version.answer["accepted"][0]}, [{"text": "photosynthesis of code"}]


@pytest.fixture(scope="module")
def manual_batch(manual_passages):
    return generate(manual_passages, want=30)


@pytest.fixture(scope="module")
def biology_batch(biology_passages):
    return generate(biology_passages, want=12)


@pytest.fixture(params=["biology", "manual"])
def batch_and_passages(request, biology_batch, manual_batch, biology_passages, manual_passages):
    if request.param == "biology":
        return biology_batch, biology_passages
    return manual_batch, manual_passages


def test_the_generator_makes_the_questions_asked_for_from_a_real_manual(manual_batch):
    assert len(manual_batch.candidates) == 30
    assert [c.kind for c in manual_batch.candidates] == KINDS * 5


def test_every_question_passes_the_content_gate_and_is_graded_right_by_its_key(
    batch_and_passages,
):
    batch, _ = batch_and_passages
    assert batch.candidates
    for candidate in batch.candidates:
        version = version_of(candidate)
        right, wrongs = key_responses(candidate.kind, version)
        assert grade(candidate.kind, version, right) == 1.0, candidate.stem
        for wrong in wrongs:
            assert grade(candidate.kind, version, wrong) < 1.0, candidate.stem


def test_the_key_is_in_the_cited_sentence_and_no_distractor_is(batch_and_passages):
    """Checked literally, independently of checks.check_grounding's stemming."""
    batch, passages = batch_and_passages
    for candidate in batch.candidates:
        passage = cited(candidate, passages)
        passage_text = fold(passage.text)
        evidence = fold(candidate.evidence)
        for sentence in evidence_sentences(candidate.evidence):
            assert sentence in passage_text, candidate.evidence
        if candidate.kind == "single":
            (key,) = [o["text"] for o in candidate.options if o["correct"]]
            assert re.search(rf"(?<![\w]){re.escape(fold(key))}(?![\w])", evidence) or (
                key.lower() in offline.NUMBER_WORDS
            ), (key, evidence)
            for option in candidate.options:
                if not option["correct"]:
                    assert fold(option["text"]) not in evidence, (option, evidence)
        elif candidate.kind == "multiple":
            for option in candidate.options:
                stated = normalize_evidence(option["text"]) in evidence
                assert stated is option["correct"], (option, evidence)
        elif candidate.kind in ("short_answer", "fill_blank"):
            assert normalize_answer(candidate.answer["accepted"][0]) in evidence
        elif candidate.kind == "numeric":
            numbers = re.findall(r"\d+(?:\.\d+)?", evidence.replace(",", ""))
            words = [w for w in re.findall(r"[a-z]+", evidence) if w in offline.NUMBER_WORDS]
            values = [float(n) for n in numbers] + [float(offline.NUMBER_WORDS[w]) for w in words]
            assert candidate.answer["value"] in values, (candidate.answer, evidence)
        elif candidate.kind == "true_false":
            statement = normalize_evidence(true_false_statement(candidate.stem))
            is_true = [o["text"] for o in candidate.options if o["correct"]] == ["True"]
            assert (statement == normalize_evidence(candidate.evidence)) is is_true
        assert check_grounding(candidate, passage) is None


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_is_produced_when_asked(manual_passages, kind):
    batch = generate(manual_passages, want=4, kinds=[kind])

    assert [c.kind for c in batch.candidates] == [kind] * 4
    assert batch.notes == []


def test_false_statements_are_really_false_for_the_passage(manual_passages, biology_passages):
    falses = []
    for passages in (manual_passages, biology_passages):
        batch = generate(passages, want=16, kinds=["true_false"])
        for candidate in batch.candidates:
            if [o["text"] for o in candidate.options if o["correct"]] == ["False"]:
                falses.append((candidate, cited(candidate, passages)))
    assert len(falses) >= 5
    for candidate, passage in falses:
        statement = true_false_statement(candidate.stem)
        sentences = split_sentences(passage.text)
        assert normalize_evidence(statement) not in {normalize_evidence(s) for s in sentences}
        words = set(content_words(statement))
        for sentence in sentences:
            # Not stated: a word the sentence lacks, or its negation flipped.
            assert not states(sentence, statement), (statement, sentence)
        # It is the evidence sentence with one term swapped, its negation flipped or its number
        # changed: close enough to be tempting.
        assert len(words & set(content_words(candidate.evidence))) >= len(words) - 3


def test_distractors_are_of_the_same_kind_as_the_key(manual_passages, biology_passages):
    singles = []
    for passages in (manual_passages, biology_passages):
        singles += generate(passages, want=10, kinds=["single"]).candidates
    assert len(singles) == 20
    terms = [c for c in singles if c.style in ("cloze", "definition")]
    assert terms
    for candidate in singles:
        (key,) = [o["text"] for o in candidate.options if o["correct"]]
        assert len(candidate.options) == 4
        if candidate in terms:
            kinds = {term_kind(o["text"]) for o in candidate.options}
            assert kinds == {term_kind(key)}, candidate.options
        else:  # statements against statements
            assert all(is_statement(o["text"]) for o in candidate.options), candidate.options


def test_multiple_answer_questions_mix_true_sentences_and_swapped_ones(manual_passages):
    batch = generate(manual_passages, want=5, kinds=["multiple"])

    assert len(batch.candidates) == 5
    for candidate in batch.candidates:
        passage = cited(candidate, manual_passages)
        sentences = {normalize_evidence(s) for s in split_sentences(passage.text)}
        right = [o for o in candidate.options if o["correct"]]
        wrong = [o for o in candidate.options if not o["correct"]]
        assert len(right) == 2 and len(wrong) == 2
        assert all(normalize_evidence(o["text"]) in sentences for o in right)
        assert not any(normalize_evidence(o["text"]) in sentences for o in wrong)
        # Each wrong statement tells the student what the material really says.
        assert all(o["feedback"].startswith("The material says:") for o in wrong)


def test_numeric_questions_blank_a_number_of_the_sentence(manual_passages, biology_passages):
    batch = generate(biology_passages + manual_passages, want=6, kinds=["numeric"])

    assert len(batch.candidates) == 6
    for candidate in batch.candidates:
        assert "____" in candidate.stem
        assert candidate.answer["tolerance"] >= 0
        assert check_grounding(candidate, cited(candidate, biology_passages + manual_passages)) is (
            None
        )


def test_short_answers_accept_singular_and_plural():
    assert answer_variants("cell") == ["cell", "cells"]
    assert answer_variants("powerhouses") == ["powerhouses", "powerhouse"]
    assert answer_variants("plasma membrane") == ["plasma membrane", "plasma membranes"]
    assert answer_variants("enzymes") == ["enzymes", "enzyme"]
    assert answer_variants("ATP") == ["ATP"]


def test_a_definition_sentence_becomes_a_which_term_question(biology_passages):
    batch = generate(biology_passages, want=6, kinds=["short_answer"])

    defined = [c for c in batch.candidates if c.stem.startswith("Which term does the material")]
    assert defined, [c.stem for c in batch.candidates]
    for candidate in defined:
        answer = candidate.answer["accepted"][0]
        assert fold(candidate.evidence).startswith((fold(answer), "the " + fold(answer)))


def test_same_input_gives_the_same_questions(manual_passages):
    first = generate(manual_passages, want=12)
    # Fresh caches: the result must not depend on what an earlier call left behind.
    offline._analysis_cache.clear()
    offline._vector_cache.clear()
    second = generate(manual_passages, want=12)

    assert [asdict(c) for c in first.candidates] == [asdict(c) for c in second.candidates]


def test_used_evidence_is_not_used_again(manual_passages):
    first = generate(manual_passages, want=12)
    used = {s for c in first.candidates for s in evidence_sentences(c.evidence)}

    second = generate(manual_passages, want=12, exclude=used)

    assert len(second.candidates) == 12
    for candidate in second.candidates:
        assert not set(evidence_sentences(candidate.evidence)) & used, candidate.evidence


def test_exclusion_matches_whatever_the_case_spacing_or_quotes(biology_passages):
    first = generate(biology_passages, want=1, kinds=["fill_blank"])
    (sentence,) = [c.evidence for c in first.candidates]
    shouted = "“" + "  ".join(sentence.upper().split()) + "”"

    again = generate(biology_passages, want=1, kinds=["fill_blank"], exclude={shouted})

    assert [c.evidence for c in again.candidates] != [sentence]


def test_no_sentence_is_used_twice_in_one_batch(manual_batch):
    sentences = [s for c in manual_batch.candidates for s in evidence_sentences(c.evidence)]
    assert len(sentences) == len(set(sentences))


def test_questions_spread_over_the_material(manual_batch):
    assert len({c.chunk_id for c in manual_batch.candidates}) >= 20


def test_harder_questions_have_closer_distractors(manual_passages):
    from ai.embeddings import embedder

    def mean_similarity(difficulty):
        batch = generate(manual_passages, want=16, kinds=["single"], difficulty=difficulty)
        total, count = 0.0, 0
        # Term options (statements are compared with statements, not ranked by closeness).
        for candidate in [c for c in batch.candidates if c.style in ("cloze", "definition")]:
            (key,) = [o["text"] for o in candidate.options if o["correct"]]
            wrong = [o["text"] for o in candidate.options if not o["correct"]]
            vectors = embedder().embed([key, *wrong])
            for vector in vectors[1:]:
                total += sum(a * b for a, b in zip(vectors[0], vector, strict=True))
                count += 1
        return total / count

    assert mean_similarity("hard") > mean_similarity("easy") + 0.05


def test_mixed_difficulty_spreads_over_easy_medium_and_hard(manual_passages):
    batch = generate(manual_passages, want=6, difficulty="mixed")
    assert [c.difficulty for c in batch.candidates] == ["easy", "medium", "hard"] * 2


def test_topic_is_the_requested_one_or_the_passage_heading(manual_passages):
    asked = generate(manual_passages, want=3, topic="Exceptions")
    assert {c.topic for c in asked.candidates} == {"Exceptions"}

    free = generate(manual_passages, want=6)
    for candidate in free.candidates:
        section = cited(candidate, manual_passages).section
        assert candidate.topic == section.split("›")[-1].strip()


def test_explanations_quote_the_evidence(manual_batch):
    for candidate in manual_batch.candidates:
        assert fold(candidate.evidence.split(" ")[0]) in fold(candidate.explanation)
        assert "The Python Language Reference" in candidate.explanation


def test_material_without_usable_sentences_gives_no_questions():
    code = Passage(
        chunk_id=1,
        material_id=1,
        material_title="Listing",
        page=1,
        section="",
        text="def f(x):\n    return x * 2\n\nfor i in range(10):\n    print(f(i))\n\nTODO",
    )
    batch = generate([code], want=3)

    assert batch.candidates == []
    assert len(batch.notes) == len(KINDS)
    assert batch.notes[0] == (
        "Some passages offered no sentence for a multiple-choice question; other requested "
        "types were made from them instead."
    )
