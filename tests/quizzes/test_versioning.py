"""Versions: what a student was shown never changes under them. An edit rewrites the current
version while no attempt has shown it, and makes a new version once one has; the attempt keeps
grading against the version it saw. Tag-only and no-op edits make no version."""

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context

from quizzes.grading import grade, grade_attempt_question, key_response
from quizzes.models import AttemptQuestion, Question, QuestionVersion
from quizzes.services import question_update

from .conftest import show_in_attempt

NEW_OPTIONS = [
    {"text": "Mitochondrion"},
    {"text": "Chloroplast", "correct": True},
    {"text": "Nucleus"},
]


def test_an_unseen_question_is_edited_in_place(school_a, bank):
    with schema_context(school_a.schema):
        question = bank("single")
        v1 = question.current_version
        question_update(question, stem="Which organelle does photosynthesis?", options=NEW_OPTIONS)
        question.refresh_from_db()
        assert QuestionVersion.objects.filter(question=question).count() == 1
        assert question.current_version_id == v1.pk
        v1.refresh_from_db()
        assert v1.number == 1 and v1.stem == "Which organelle does photosynthesis?"
        assert [o["correct"] for o in v1.options] == [False, True, False]


def test_an_edit_after_an_attempt_showed_it_makes_version_2_and_the_attempt_keeps_1(school_a, bank):
    with schema_context(school_a.schema):
        question = bank("single")
        v1 = question.current_version
        shown = show_in_attempt(question, school_a.student, response={"option": "a"})

        updated = question_update(
            question,
            edited_by=school_a.teacher,
            stem="Which organelle does photosynthesis?",
            options=NEW_OPTIONS,
        )

        v2 = updated.current_version
        assert (v1.number, v2.number) == (1, 2) and v2.pk != v1.pk
        assert v2.created_by_id == school_a.teacher.pk
        assert Question.objects.get(pk=question.pk).current_version_id == v2.pk
        shown = AttemptQuestion.objects.select_related("version", "question").get(pk=shown.pk)
        assert shown.version_id == v1.pk
        assert shown.version.stem == "Which organelle makes most of a cell's ATP?"
        assert [o["text"] for o in shown.version.options if o["correct"]] == ["Mitochondrion"]
        # The student answered "a" (Mitochondrion), right when asked; the new key says "b".
        assert grade_attempt_question(shown) == 1.0
        assert grade(question.kind, v2, {"option": "a"}) == 0.0


def test_after_version_2_further_edits_rewrite_version_2_until_it_is_shown(school_a, bank):
    with schema_context(school_a.schema):
        question = bank("short_answer")
        show_in_attempt(question, school_a.student)
        question = question_update(question, answer={"accepted": ["ATP"]})
        question = question_update(question, explanation="Adenosine triphosphate.")
        assert list(question.versions.values_list("number", flat=True)) == [1, 2]
        assert question.current_version.explanation == "Adenosine triphosphate."
        show_in_attempt(question, school_a.students[1])
        question = question_update(question, explanation="ATP carries energy.")
        assert list(question.versions.values_list("number", flat=True)) == [1, 2, 3]


def test_tag_only_edits_never_make_a_version(school_a, bank):
    with schema_context(school_a.schema):
        question = bank("numeric")
        show_in_attempt(question, school_a.student)
        v1 = question.current_version
        question = question_update(question, topic="States of matter", difficulty="easy")
        question.refresh_from_db()
        assert (question.topic, question.difficulty) == ("States of matter", "easy")
        assert question.current_version_id == v1.pk
        assert QuestionVersion.objects.filter(question=question).count() == 1


@pytest.mark.parametrize("kind", ["single", "multiple", "true_false", "short_answer", "numeric"])
def test_an_edit_identical_to_the_current_content_makes_nothing(school_a, bank, kind):
    from .conftest import VALID

    with schema_context(school_a.schema):
        question = bank(kind)
        show_in_attempt(question, school_a.student)
        v1 = QuestionVersion.objects.get(question=question)
        question_update(question, **VALID[kind])
        question_update(question, stem=v1.stem)
        assert list(QuestionVersion.objects.filter(question=question)) == [v1]
        v1_after = QuestionVersion.objects.get(pk=v1.pk)
        assert (v1_after.stem, v1_after.options, v1_after.answer) == (
            v1.stem,
            v1.options,
            v1.answer,
        )


def test_text_with_escaped_markup_survives_being_edited_around(school_a, bank):
    # Every edit re-cleans the parts it does not change; they must not change under it.
    with schema_context(school_a.schema):
        question = bank("single", stem="<b>Which</b> tag starts a paragraph: &lt;p&gt;?")
        show_in_attempt(question, school_a.student)
        question = question_update(question, explanation="It is the paragraph element.")
        assert question.current_version.stem == "Which tag starts a paragraph: &lt;p&gt;?"
        question_update(question, stem="Which tag starts a paragraph: &lt;p&gt;?")
        assert question.versions.count() == 2


def test_an_invalid_edit_changes_nothing(school_a, bank):
    with schema_context(school_a.schema):
        question = bank("single")
        v1 = question.current_version
        with pytest.raises(ValidationError):
            question_update(question, options=[{"text": "Only one", "correct": True}])
        with pytest.raises(ValidationError):
            question_update(question, stem="New wording?", difficulty="impossible")
        with pytest.raises(ValidationError) as caught:
            question_update(question, topik="Cells")
        assert caught.value.message_dict == {"topik": ["Not a field of a question."]}
        v1.refresh_from_db()
        assert v1.stem == "Which organelle makes most of a cell's ATP?"
        assert len(v1.options) == 3
        assert Question.objects.get(pk=question.pk).difficulty == "medium"


def test_the_type_of_a_question_students_have_seen_cannot_change(school_a, bank):
    with schema_context(school_a.schema):
        question = bank("single")
        show_in_attempt(question, school_a.student, response={"option": "a"})
        question_update(question, stem="Which organelle makes ATP?")  # now version 2, unseen
        with pytest.raises(ValidationError) as caught:
            question_update(
                question,
                kind="multiple",
                options=[
                    {"text": "Mitochondrion", "correct": True},
                    {"text": "Cytoplasm", "correct": True},
                    {"text": "Nucleus"},
                ],
            )
        assert caught.value.message_dict == {
            "kind": [
                "Students have seen this question, so its type cannot change; "
                "write a new question instead."
            ]
        }
        assert Question.objects.get(pk=question.pk).kind == "single"
        assert grade_attempt_question(AttemptQuestion.objects.get(question=question)) == 1.0


def test_the_type_of_an_unseen_question_can_change(school_a, bank):
    with schema_context(school_a.schema):
        question = bank("short_answer")
        question = question_update(question, kind="numeric", answer={"value": 7})
        assert question.kind == "numeric"
        assert question.current_version.answer == {"value": 7.0, "tolerance": 0.0, "unit": ""}
        assert (
            grade(
                "numeric",
                question.current_version,
                key_response("numeric", question.current_version),
            )
            == 1.0
        )


def test_a_content_edit_forgets_the_duplicate_detection_vector(school_a, bank):
    with schema_context(school_a.schema):
        question = bank("single", embedding=None)
        Question.objects.filter(pk=question.pk).update(embedding=[0.1] * 384)
        question_update(question, topic="Cells")
        assert Question.objects.get(pk=question.pk).embedding is not None
        question_update(question, stem="Which organelle makes ATP?")
        assert Question.objects.get(pk=question.pk).embedding is None
