"""The answerability check reads the closest passages word by word: a passage on the question's
subject that leaves what it asks unanswered is not presented as the answer. Real PostgreSQL
(the words' weights come from the full-text index) and the real local model."""

import pytest
from django_tenants.utils import schema_context

from ai.coverage import question_coverage
from ai.models import Chunk
from ai.tutor import services as tutor

from . import samples
from .conftest import course_with_people, ingest_in_process, upload

MANUAL = """Installing the tool
===================

Download the source archive, unpack it, then run ./configure, make and make install. The
tool installs into /usr/local unless you pass another prefix to configure.

Line endings
============

Files written on Windows end each line with a carriage return. The tool strips it before
matching, so patterns work the same on text from any system.

Exit status
===========

The exit status is 0 when a line was selected, 1 when none was, and 2 after an error.
"""

ON_WINDOWS = "How do I install the tool on Windows?"
WHERE_INSTALLED = "Where does the tool install to unless I pass another prefix?"


@pytest.fixture
def manual(fresh_school, committed, tmp_path):
    school = fresh_school()
    course = course_with_people(school, code="TOOLS-1", name="Command-line tools")
    material, _ = upload(school, course, samples.text_file(tmp_path, MANUAL))
    assert ingest_in_process(school, material.pk).state == "ready"
    with schema_context(school.schema):
        passages = {
            c.section.split(" › ")[-1]: (c.pk, c.section, c.text)
            for c in Chunk.objects.filter(material=material)
        }
    return school, course, passages


def coverage_of(school, course, question, passage):
    with schema_context(school.schema):
        (coverage,) = question_coverage(question, [passage], course_ids=[course.pk])
    return coverage


def test_a_passage_on_the_subject_covers_less_of_a_question_it_does_not_answer(manual):
    school, course, passages = manual
    installing = passages["Installing the tool"]

    asked_elsewhere = coverage_of(school, course, ON_WINDOWS, installing)
    answered = coverage_of(school, course, WHERE_INSTALLED, installing)

    assert answered.score > asked_elsewhere.score
    by_word = {m.word: m for m in asked_elsewhere.words}
    # "Windows" is the telling word: rarer in the course than "tool", and not in this passage.
    assert by_word["Windows"].weight > by_word["tool"].weight
    assert by_word["Windows"].match < by_word["install"].match
    # Where the material does speak of Windows, the word is matched.
    line_endings = coverage_of(school, course, ON_WINDOWS, passages["Line endings"])
    assert {m.word: m for m in line_endings.words}["Windows"].match > by_word["Windows"].match


def test_the_tutor_refuses_what_its_closest_passages_leave_unanswered(manual, settings):
    settings.LLM_PROVIDER = "offline"
    school, course, passages = manual
    installing = passages["Installing the tool"]
    low = coverage_of(school, course, ON_WINDOWS, installing).score
    high = coverage_of(school, course, WHERE_INSTALLED, installing).score
    # A floor between the two readings: what the eval tunes on real manuals (TUTOR_MIN_COVERAGE).
    settings.TUTOR_MIN_COVERAGE = (low + high) / 2
    settings.TUTOR_MIN_SIMILARITY = 0.3  # this tiny manual's sentences are all somewhat close

    with schema_context(school.schema):
        refused = tutor.tutor_turn_create(
            course=course, asked_by=school.student, question=ON_WINDOWS
        )
        refused = tutor.tutor_answer(refused.pk, emit=lambda frame: None)
        answered = tutor.tutor_turn_create(
            course=course, asked_by=school.student, question=WHERE_INSTALLED
        )
        answered = tutor.tutor_answer(answered.pk, emit=lambda frame: None)

    assert refused.supported is False and refused.citations == []
    assert refused.answer.startswith("The passages closest to your question")
    assert "Nearby, it covers:" in refused.answer
    assert any("coverage" in passage for passage in refused.retrieved)
    assert answered.supported is True
    assert "/usr/local" in answered.answer
    assert all(p["coverage"] >= 0 for p in answered.retrieved if "coverage" in p)


def test_the_check_can_be_turned_off(manual, settings):
    settings.LLM_PROVIDER = "offline"
    settings.TUTOR_MIN_COVERAGE = 0
    settings.TUTOR_MIN_SIMILARITY = 0.3
    school, course, _ = manual

    with schema_context(school.schema):
        turn = tutor.tutor_turn_create(course=course, asked_by=school.student, question=ON_WINDOWS)
        turn = tutor.tutor_answer(turn.pk, emit=lambda frame: None)

    assert not any("coverage" in passage for passage in turn.retrieved)


def test_a_course_of_one_passage_still_answers_what_it_holds(fresh_school, committed, tmp_path):
    # Every word of the question is in every passage: no word outweighs another, and the
    # passage that answers still covers the question.
    school = fresh_school()
    course = course_with_people(school)
    text = "Mitochondria produce ATP through cellular respiration."
    material, _ = upload(school, course, samples.text_file(tmp_path, text))
    assert ingest_in_process(school, material.pk).state == "ready"
    with schema_context(school.schema):
        (chunk,) = Chunk.objects.filter(material=material)
    coverage = coverage_of(
        school, course, "What do mitochondria produce?", (chunk.pk, chunk.section, chunk.text)
    )
    assert coverage.score > 0.8
