"""GIFT: a quiz exported and imported into another course comes back the same (less what GIFT
cannot say, which the export reports); hand-written files import; escapes are honoured both
ways; a malformed file names its line and imports nothing."""

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context

from quizzes.exchange import questions_import, quiz_export
from quizzes.exchange.gift.writer import escape
from quizzes.models import Question

from .conftest import imported_contents, quiz_contents


def _import(school, course, text: str):
    return questions_import(course, "gift", text.encode(), imported_by=school.teacher)


def test_export_then_import_gives_the_same_questions(school_a, quiz_a, other_course_a):
    with schema_context(school_a.schema):
        exported = quiz_export(quiz_a, "gift")
        report = questions_import(
            other_course_a, "gift", exported.data, imported_by=school_a.teacher
        )
        expected = quiz_contents(quiz_a)
        # What GIFT cannot say (and the export warns about): case-sensitivity and units.
        expected[3]["answer"]["case_sensitive"] = False
        expected[4]["answer"]["unit"] = ""

        assert exported.filename == "cells-energy-unit-12-gift.txt"
        assert exported.content_type == "text/plain; charset=utf-8"
        assert report.imported == 8 and report.skipped == 0
        assert [q.warnings for q in report.questions] == [[]] * 8
        assert imported_contents(report) == expected


def test_export_escapes_specials_and_writes_each_kind(school_a, quiz_a):
    with schema_context(school_a.schema):
        text = quiz_export(quiz_a, "gift").data.decode()
    blocks = [b.strip() for b in text.split("\n\n") if "::" in b]

    assert text.startswith("// SmartEdu quiz: Cells & energy: unit 1/2 (8 questions)\n")
    assert "$CATEGORY: $course$/top/Cells & energy: unit 1//2\n" in text
    assert blocks[0].splitlines()[1] == (
        "// [tag:topic:Cell biology] [tag:objective:Explain where ATP is made] "
        "[tag:difficulty:easy]"
    )
    assert (
        "::1. Cell biology::[markdown]Which organelle makes most of a cell's **ATP**?\\n"
        "Mind the specials\\: ratio 2\\:1, \\{braces\\}, \\#hash, \\~tilde, a \\= b, "
        "back\\\\slash.{\n"
        "\t=Mitochondrion \\= powerhouse#Yes\\: respiration \\#1.\n"
        "\t~Ribosome \\~ protein factory#No\\: that makes proteins.\n"
        "\t~Nucleus \\{DNA\\}\n"
        "\t####Cellular respiration happens in mitochondria.\\nSee chapter 3.\n"
        "}" in blocks[0]
    )
    assert (
        "{\n\t~%50%Neon\n\t~%50%Argon\n\t~%-50%Oxygen#Oxygen is reactive.\n\t~%-50%Nitrogen\n"
        in blocks[1]
    )
    assert blocks[2].endswith("Water boils at 100 °C at sea level.{TRUE}")
    assert blocks[3].endswith(
        "Give the chemical symbol for sodium.{=Na####From the Latin natrium.}"
    )
    assert blocks[4].endswith("{#100:0.5}")
    assert blocks[5].endswith("The powerhouse of the cell is the {=mitochondrion =mitochondria}.")
    # A blank at the very end keeps text after the braces, so readers see a missing word.
    assert blocks[6].endswith("Cells store energy as\\: {=ATP}\\n")
    assert blocks[7].endswith("{#-40.5:0.25####Adding zero changes nothing.}")


def test_escape_covers_every_special_character():
    assert escape("a~b=c#d{e}f:g\\h\ni\r") == "a\\~b\\=c\\#d\\{e\\}f\\:g\\\\h\\ni"


def test_export_warns_about_what_gift_cannot_carry(school_a, quiz_a):
    with schema_context(school_a.schema):
        warnings = quiz_export(quiz_a, "gift").warnings

    assert warnings == [
        "Source citations (material, page, quoted passage) are not carried: GIFT has no field "
        "for them (question 1).",
        "GIFT has no points; Moodle gives each imported question a mark of 1 (questions 1, 2).",
        "Topic, objective and difficulty are written as tag comments (// [tag:…]), which Moodle "
        "3.6 and later reads and other GIFT readers ignore (questions 1, 2, 3, 4, 5, 6, 7, 8).",
        "Typed answers: SmartEdu ignores surrounding punctuation, a leading article and extra "
        "spaces when it compares them; GIFT readers compare the accepted answers as written, so "
        "add any variants you want to accept (questions 4, 6, 7).",
        "GIFT cannot mark a short answer case-sensitive; Moodle will accept any case (question 4).",
        "GIFT has no units; the unit is lost (add it to the question text): “°C” (question 5).",
        "GIFT carries questions only; these quiz settings are not exported: time limit (30 min), "
        "shuffling, the quiz description, when feedback is shown (after each answer).",
    ]


SAMPLE = r"""// A sample in the style of Moodle's GIFT documentation.
$CATEGORY: $course$/top/Grant

// [tag:topic:History] [tag:difficulty:easy] [tag:presidents]
::Tomb::Who's buried in Grant's tomb?{~Grant#No, he is only resting there. ~Jefferson =no one}

::Missing word::Grant is {~buried =entombed ~living} in Grant's tomb.

::TF::Grant is buried in Grant's tomb.{FALSE#He is entombed.#Right.}

::Short::Who's buried in Grant's tomb?{=no one =nobody =%50%Grant}

::Numeric::When was Ulysses S. Grant born?{#1822:5####He was born in 1822.}

::Range::What is the value of pi to 3 decimal places? {#3.141..3.142}.

::Multi::What two people are entombed in Grant's tomb? {
  ~%-100%No one
  ~%50%Grant
  ~%50%Grant's wife
  ~%-100%Grant's father
}

::Blank::Two plus two equals {=four =4}.

::Escapes::In C\: x \= y \{ z \} assigns\; \~ and \# and \\ are plain here.{=assignment}

::Html::[html]<p>Which is <b>bold</b>?<script>x()</script></p>{=<b>this</b> ~that}

::Match::Match the capitals. {=Canada -> Ottawa =Italy -> Rome}

::Essay::Write about Grant. {}

Just a description, no question.

::No key::Pick one.{~a ~b}
"""


def test_a_hand_written_file_imports_every_supported_type(school_a, other_course_a):
    with schema_context(school_a.schema):
        report = _import(school_a, other_course_a, SAMPLE)
        by_title = {q.title: q for q in report.questions}
        stored = {
            q.title: Question.objects.get(pk=q.question_id)
            for q in report.questions
            if q.question_id
        }

        assert [(q.title, q.status, q.kind, q.line) for q in report.questions] == [
            ("Tomb", "imported", "single", 5),
            ("Missing word", "imported", "single", 7),
            ("TF", "imported", "true_false", 9),
            ("Short", "imported", "short_answer", 11),
            ("Numeric", "imported", "numeric", 13),
            ("Range", "imported", "numeric", 15),
            ("Multi", "imported", "multiple", 17),
            ("Blank", "imported", "fill_blank", 24),
            ("Escapes", "imported", "short_answer", 26),
            ("Html", "imported", "single", 28),
            ("Match", "skipped", "", 30),
            ("Essay", "skipped", "", 32),
            ("", "skipped", "", 34),
            ("No key", "skipped", "multiple", 36),
        ]
        tomb = stored["Tomb"]
        assert tomb.current_version.stem == "Who's buried in Grant's tomb?"
        assert [(o["text"], o["correct"], o["feedback"]) for o in tomb.current_version.options] == [
            ("Grant", False, "No, he is only resting there."),
            ("Jefferson", False, ""),
            ("no one", True, ""),
        ]
        assert (tomb.topic, tomb.difficulty) == ("History", "easy")
        assert stored["Missing word"].current_version.stem == "Grant is ____ in Grant's tomb."
        assert stored["TF"].current_version.options[1]["correct"] is True
        assert stored["Short"].current_version.answer["accepted"] == ["no one", "nobody"]
        assert stored["Numeric"].current_version.answer == {
            "value": 1822.0,
            "tolerance": 5.0,
            "unit": "",
        }
        assert stored["Numeric"].current_version.explanation == "He was born in 1822."
        assert stored["Range"].current_version.answer["value"] == pytest.approx(3.1415)
        assert stored["Range"].current_version.answer["tolerance"] == pytest.approx(0.0005)
        assert stored["Range"].current_version.stem.endswith("decimal places? ____.")
        assert stored["Range"].kind == "numeric"
        assert [o["correct"] for o in stored["Multi"].current_version.options] == [
            False, True, True, False,
        ]  # fmt: skip
        assert stored["Blank"].current_version.stem == "Two plus two equals ____."
        assert stored["Blank"].current_version.answer["accepted"] == ["four", "4"]
        assert stored["Escapes"].current_version.stem == (
            "In C: x = y { z } assigns\\; ~ and # and \\ are plain here."
        )
        html = stored["Html"].current_version
        assert html.stem == "Which is **bold**?"
        assert [o["text"] for o in html.options] == ["**this**", "that"]
        assert "matching" in by_title["Match"].reason
        assert "essay" in by_title["Essay"].reason
        assert "description" in report.questions[12].reason
        assert by_title["No key"].reason == "No correct answer: no option gives credit (%…%)."
        assert report.warnings == [
            "GIFT categories are not kept; every question goes into this course's bank (the "
            "file had: $course$/top/Grant)."
        ]


def test_what_the_bank_cannot_keep_is_reported_per_question(school_a, other_course_a):
    with schema_context(school_a.schema):
        report = _import(school_a, other_course_a, SAMPLE)
    warnings = {q.title: q.warnings for q in report.questions}

    assert warnings["Tomb"] == [
        "Tags not kept (the bank has one topic, objective and difficulty): “presidents”."
    ]
    assert warnings["TF"] == ["The feedback on True and False is not kept."]
    assert warnings["Short"] == [
        "Answers that gave partial or no credit are not kept: “Grant” 50%."
    ]
    assert warnings["Multi"] == [
        "Penalties for wrong options are not kept as written: in SmartEdu each wrong pick takes "
        "back 50% (the file had -100%, -100%)."
    ]
    assert warnings["Missing word"] == []


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "::A::Fine.{=a}\n\n::B::Broken\nover lines {=b\n~c\n\n::C::Fine.{=c}\n",
            "line 4: unclosed {",
        ),  # fmt: skip
        ("::A::Fine.{=a}\n\n::B::Stray } here.{=b}\n", "line 3: } without an opening {"),
        ("::A::Two {=a} blocks {=b}\n", "line 1: a second answer block"),
        ("::A::Nested {=a {b}}\n", "line 1: { inside an answer block"),
        (
            "// c\n::A Unclosed title{=a}\n",
            "line 2: the question title opened with :: is not closed",
        ),  # fmt: skip
        (
            "::A::How many?\n{#ten:1}\n",
            "line 2: “ten:1” is not a number (write {#value:tolerance})",
        ),
        ("// only a comment\n\n$CATEGORY: x\n", "The file holds no questions."),
    ],
)
def test_a_malformed_file_names_its_line_and_imports_nothing(
    school_a, other_course_a, text, message
):
    with schema_context(school_a.schema):
        with pytest.raises(ValidationError) as error:
            _import(school_a, other_course_a, text)
        assert Question.objects.filter(course=other_course_a).count() == 0
    assert error.value.messages[0].startswith(message)


def test_a_file_that_is_not_utf8_is_refused(school_a, other_course_a):
    with schema_context(school_a.schema):
        with pytest.raises(ValidationError) as error:
            questions_import(
                other_course_a, "gift", "Ça va?{=oui}".encode("latin-1"), imported_by=None
            )
    assert error.value.messages == ["The file is not UTF-8 text; save it as UTF-8 and retry."]


def test_a_file_over_the_size_limit_is_refused(school_a, other_course_a, settings):
    settings.QUIZ_IMPORT_MAX_BYTES = 100
    with schema_context(school_a.schema):
        with pytest.raises(ValidationError):
            _import(school_a, other_course_a, SAMPLE)
        assert Question.objects.filter(course=other_course_a).count() == 0


def test_unknown_formats_are_refused(school_a, quiz_a, other_course_a):
    with schema_context(school_a.schema):
        with pytest.raises(ValidationError) as export_error:
            quiz_export(quiz_a, "csv")
        with pytest.raises(ValidationError) as import_error:
            questions_import(other_course_a, "qti", b"x", imported_by=None)
    assert export_error.value.message_dict == {
        "format": ["Unknown export format 'csv'; use one of qti, moodle, gift."]
    }
    assert import_error.value.message_dict == {
        "format": ["Unknown import format 'qti'; use one of moodle, gift."]
    }


def test_windows_line_endings_and_a_byte_order_mark_are_read(school_a, other_course_a):
    data = "\ufeff// exported on Windows\r\n::A::One?{=yes ~no}\r\n\r\n::B::Two?{T}\r\n"
    with schema_context(school_a.schema):
        report = questions_import(
            other_course_a, "gift", data.encode("utf-8"), imported_by=school_a.teacher
        )
        stems = [Question.objects.get(pk=pk).current_version.stem for pk in report.question_ids]
    assert [(q.title, q.line, q.status) for q in report.questions] == [
        ("A", 2, "imported"),
        ("B", 4, "imported"),
    ]
    assert stems == ["One?", "Two?"]


def test_a_file_with_more_questions_than_allowed_is_refused(school_a, other_course_a, settings):
    settings.QUIZ_IMPORT_MAX_QUESTIONS = 2
    text = "\n\n".join(f"::Q{n}::Question {n}?{{T}}" for n in range(3))
    with schema_context(school_a.schema):
        with pytest.raises(ValidationError) as error:
            _import(school_a, other_course_a, text)
        assert Question.objects.filter(course=other_course_a).count() == 0
    assert error.value.messages == [
        "The file holds more than 2 questions; at most 2 can be imported at once. Split it into "
        "smaller files."
    ]


def test_the_report_serialises_for_the_api(school_a, other_course_a):
    with schema_context(school_a.schema):
        report = _import(school_a, other_course_a, "::A::One?{=yes ~no}\n\n::B::Essay?{}\n")
    data = report.as_dict()

    assert (data["format"], data["imported"], data["skipped"], data["warnings"]) == (
        "gift", 1, 1, [],
    )  # fmt: skip
    assert data["questions"][1] == {
        "number": 2,
        "line": 3,
        "title": "B",
        "source_type": "essay",
        "status": "skipped",
        "kind": "",
        "question_id": None,
        "reason": "Not supported: an essay question (empty {}), graded by hand.",
        "warnings": [],
    }
    assert data["questions"][0]["question_id"] == report.question_ids[0]
