"""Moodle XML: a quiz exported and imported into another course comes back the same; files
written by hand (and by Moodle) import with what the bank cannot keep reported; malformed or
hostile files import nothing."""

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context
from lxml import etree

from quizzes.exchange import questions_import, quiz_export
from quizzes.models import Question

from .conftest import imported_contents, quiz_contents


def _import(school, course, data: bytes):
    return questions_import(course, "moodle", data, imported_by=school.teacher)


def test_export_then_import_gives_the_same_questions(school_a, quiz_a, other_course_a):
    with schema_context(school_a.schema):
        exported = quiz_export(quiz_a, "moodle")
        report = _import(school_a, other_course_a, exported.data)

        assert exported.filename == "cells-energy-unit-12-moodle.xml"
        assert exported.content_type == "application/xml"
        assert report.imported == 8 and report.skipped == 0
        # The bank keeps no points (a quiz does): the two questions worth more than 1 say so.
        assert [q.warnings for q in report.questions] == [
            ["Its mark (2) is not kept: the bank has no points; set them when you add the "
             "question to a quiz."],
            ["Its mark (1.5) is not kept: the bank has no points; set them when you add the "
             "question to a quiz."],
        ] + [[]] * 6  # fmt: skip
        assert imported_contents(report) == quiz_contents(quiz_a)
        imported = Question.objects.filter(course=other_course_a)
        assert {(q.origin, q.status, q.created_by_id) for q in imported} == {
            ("imported", "draft", school_a.teacher.pk)
        }


def test_export_carries_points_tags_fractions_units_and_explanation(school_a, quiz_a):
    with schema_context(school_a.schema):
        root = etree.fromstring(quiz_export(quiz_a, "moodle").data)

    questions = root.findall("question")
    assert [q.get("type") for q in questions] == [
        "category", "multichoice", "multichoice", "truefalse", "shortanswer", "numerical",
        "shortanswer", "shortanswer", "numerical",
    ]  # fmt: skip
    assert questions[0].findtext("category/text") == "$course$/top/Cells & energy: unit 1//2"
    single, multiple, true_false, short, numeric = questions[1:6]
    assert single.findtext("single") == "true"
    assert single.findtext("defaultgrade") == "2"
    assert [a.get("fraction") for a in single.findall("answer")] == ["100", "0", "0"]
    assert single.find("answer/feedback/text").text == "Yes: respiration #1."
    assert single.findtext("generalfeedback/text") == (
        "Cellular respiration happens in mitochondria.\nSee chapter 3."
    )
    assert single.find("questiontext").get("format") == "markdown"
    assert [t.text for t in single.findall("tags/tag/text")] == [
        "topic:Cell biology", "objective:Explain where ATP is made", "difficulty:easy",
    ]  # fmt: skip
    assert multiple.findtext("single") == "false"
    assert multiple.findtext("defaultgrade") == "1.5"
    assert [a.get("fraction") for a in multiple.findall("answer")] == ["50", "50", "-50", "-50"]
    assert [a.findtext("text") for a in true_false.findall("answer")] == ["true", "false"]
    assert [a.get("fraction") for a in true_false.findall("answer")] == ["100", "0"]
    assert short.findtext("usecase") == "1"
    assert numeric.findtext("answer/text") == "100"
    assert numeric.findtext("answer/tolerance") == "0.5"
    assert numeric.findtext("units/unit/unit_name") == "°C"


def test_export_warns_about_what_moodle_xml_cannot_carry(school_a, quiz_a):
    with schema_context(school_a.schema):
        warnings = quiz_export(quiz_a, "moodle").warnings

    assert (
        "Source citations (material, page, quoted passage) are not carried: Moodle XML has no "
        "field for them (question 1)." in warnings
    )
    settings_line = next(w for w in warnings if w.startswith("Quiz settings"))
    assert "time limit (30 min)" in settings_line
    assert "shuffled question order" in settings_line
    assert "when feedback is shown (after each answer)" in settings_line
    typed = next(w for w in warnings if w.startswith("Typed answers"))
    assert typed.endswith("(questions 4, 6, 7).")


SAMPLE = """<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="category">
    <category><text>$course$/top/Default for BIO</text></category>
  </question>
  <question type="multichoice">
    <name><text>Organelles</text></name>
    <questiontext format="html">
      <text><![CDATA[<p>Which organelle makes <strong>ATP</strong>?</p>
<script>alert('stem')</script><p><img src="@@PLUGINFILE@@/cell.png" alt="a cell"></p>]]></text>
      <file name="cell.png" path="/" encoding="base64">iVBORw0KGgo=</file>
    </questiontext>
    <generalfeedback format="html"><text><![CDATA[<p>Respiration.</p>]]></text></generalfeedback>
    <defaultgrade>2.0000000</defaultgrade>
    <penalty>0.3333333</penalty>
    <hidden>0</hidden>
    <single>true</single>
    <shuffleanswers>true</shuffleanswers>
    <correctfeedback format="html"><text>Your answer is correct.</text></correctfeedback>
    <answer fraction="100" format="html">
      <text><![CDATA[<p>Mitochondrion</p>]]></text>
      <feedback format="html">
        <text><![CDATA[<p>Right<script>steal()</script></p>]]></text>
      </feedback>
    </answer>
    <answer fraction="50" format="html"><text>Chloroplast</text></answer>
    <answer fraction="0" format="html"><text>Ribosome</text></answer>
    <tags><tag><text>topic:Cell biology</text></tag><tag><text>hard</text></tag>
      <tag><text>chapter-1</text></tag></tags>
  </question>
  <question type="multichoice">
    <name><text>Gases</text></name>
    <questiontext format="plain_text"><text>Which are noble gases?</text></questiontext>
    <single>false</single>
    <answer fraction="60"><text>Neon</text></answer>
    <answer fraction="40"><text>Argon</text></answer>
    <answer fraction="-100"><text>Oxygen</text></answer>
  </question>
  <question type="truefalse">
    <name><text>Boiling</text></name>
    <questiontext format="moodle_auto_format"><text>Water boils at 100 C.</text></questiontext>
    <answer fraction="0">
      <text>true</text><feedback><text>Only at sea level!</text></feedback>
    </answer>
    <answer fraction="100"><text>false</text><feedback><text></text></feedback></answer>
  </question>
  <question type="shortanswer">
    <name><text>Symbol</text></name>
    <questiontext format="html"><text>&lt;p&gt;Symbol for sodium?&lt;/p&gt;</text></questiontext>
    <usecase>1</usecase>
    <answer fraction="100"><text>Na</text></answer>
    <answer fraction="50"><text>Sodium</text></answer>
  </question>
  <question type="shortanswer">
    <name><text>Blank</text></name>
    <questiontext format="html"><text>The powerhouse of the cell is the _____.</text></questiontext>
    <answer fraction="100"><text>mitochondrion</text></answer>
  </question>
  <question type="numerical">
    <name><text>Pi</text></name>
    <questiontext format="html"><text>Pi to two&amp;nbsp;places?</text></questiontext>
    <answer fraction="100"><text>3.14</text><tolerance>0.005</tolerance></answer>
    <answer fraction="50"><text>3</text><tolerance>0.2</tolerance></answer>
    <units><unit><multiplier>1</multiplier><unit_name>rad</unit_name></unit></units>
  </question>
  <question type="essay">
    <name><text>Essay</text></name>
    <questiontext format="html"><text>Discuss.</text></questiontext>
  </question>
  <question type="match">
    <name><text>Match</text></name>
    <questiontext format="html"><text>Match them.</text></questiontext>
  </question>
  <question type="multianswer">
    <name><text>Cloze</text></name>
    <questiontext format="html"><text>{1:SHORTANSWER:=Paris} is the capital.</text></questiontext>
  </question>
  <question type="description">
    <name><text>Intro</text></name>
    <questiontext format="html"><text>Read this first.</text></questiontext>
  </question>
  <question type="multichoice">
    <name><text>No key</text></name>
    <questiontext format="html"><text>Pick one.</text></questiontext>
    <single>true</single>
    <answer fraction="0"><text>A</text></answer>
    <answer fraction="0"><text>B</text></answer>
  </question>
  <question type="multichoice">
    <name><text>Two keys</text></name>
    <questiontext format="html"><text>Pick the one.</text></questiontext>
    <single>true</single>
    <answer fraction="100"><text>A</text></answer>
    <answer fraction="100"><text>B</text></answer>
  </question>
</quiz>
"""


def test_a_hand_written_file_imports_every_supported_type(school_a, other_course_a):
    with schema_context(school_a.schema):
        report = _import(school_a, other_course_a, SAMPLE.encode())
        by_title = {q.title: q for q in report.questions}
        stored = {
            q.title: Question.objects.get(pk=q.question_id)
            for q in report.questions
            if q.question_id
        }

        assert [(q.title, q.status, q.kind) for q in report.questions] == [
            ("Organelles", "imported", "single"),
            ("Gases", "imported", "multiple"),
            ("Boiling", "imported", "true_false"),
            ("Symbol", "imported", "short_answer"),
            ("Blank", "imported", "fill_blank"),
            ("Pi", "imported", "numeric"),
            ("Essay", "skipped", ""),
            ("Match", "skipped", ""),
            ("Cloze", "skipped", ""),
            ("Intro", "skipped", ""),
            ("No key", "skipped", "single"),
            ("Two keys", "skipped", "single"),
        ]
        organelles = stored["Organelles"].current_version
        assert organelles.stem == "Which organelle makes **ATP**?"
        assert [(o["text"], o["correct"]) for o in organelles.options] == [
            ("Mitochondrion", True), ("Chloroplast", False), ("Ribosome", False),
        ]  # fmt: skip
        assert organelles.options[0]["feedback"] == "Right"
        assert organelles.explanation == "Respiration."
        assert stored["Organelles"].topic == "Cell biology"
        assert stored["Organelles"].difficulty == "hard"
        assert stored["Boiling"].current_version.options[1]["correct"] is True
        assert stored["Symbol"].current_version.stem == "Symbol for sodium?"
        assert stored["Symbol"].current_version.answer == {
            "accepted": ["Na"],
            "case_sensitive": True,
        }
        assert stored["Blank"].current_version.stem == "The powerhouse of the cell is the ____."
        assert stored["Pi"].current_version.stem == "Pi to two places?"
        assert stored["Pi"].current_version.answer == {
            "value": 3.14,
            "tolerance": 0.005,
            "unit": "rad",
        }
        assert by_title["Essay"].reason.startswith("Not supported: an essay (graded by hand)")
        assert "a matching question" in by_title["Match"].reason
        assert "embedded-answers (Cloze)" in by_title["Cloze"].reason
        assert "description" in by_title["Intro"].reason
        assert by_title["No key"].reason == (
            "No correct answer: no option gives full credit (fraction 100)."
        )
        assert by_title["Two keys"].reason == (
            "A one-answer question needs exactly one correct option (2 marked)."
        )
        assert report.warnings == [
            "Moodle categories are not kept; every question goes into this course's bank "
            "(the file had: $course$/top/Default for BIO)."
        ]


def test_what_the_bank_cannot_keep_is_reported_per_question(school_a, other_course_a):
    with schema_context(school_a.schema):
        report = _import(school_a, other_course_a, SAMPLE.encode())
    warnings = {q.title: q.warnings for q in report.questions}

    assert warnings["Organelles"] == [
        "Files the text refers to (@@PLUGINFILE@@) were dropped.",
        "An image in the text was dropped: the bank keeps text only.",
        "Tags not kept (the bank has one topic, objective and difficulty): “chapter-1”.",
        "Its mark (2) is not kept: the bank has no points; set them when you add the question "
        "to a quiz.",
        "The penalty for each retry (33.33333%) is not kept: SmartEdu gives one try per "
        "question in an attempt.",
        "1 embedded file(s) (images, audio) were dropped: the bank keeps text only.",
        "Partial credit is not kept (these options now count as wrong): “Chloroplast” 50%.",
    ]
    assert warnings["Gases"] == [
        "Unequal partial credit is not kept: each correct option now counts 50% (the file had "
        "60%, 40%).",
        "Penalties for wrong options are not kept as written: in SmartEdu each wrong pick takes "
        "back 50% (the file had -100%).",
    ]
    assert warnings["Boiling"] == ["The feedback on True and False is not kept."]
    assert warnings["Symbol"] == [
        "Answers that gave partial or no credit are not kept: “Sodium” 50%."
    ]
    assert warnings["Pi"] == [
        "Only one accepted value is kept (3.14 ± 0.005); dropped: 3 ± 0.2 (50%)."
    ]


def test_script_in_moodle_text_never_reaches_the_stored_question(school_a, other_course_a):
    data = b"""<?xml version="1.0"?><quiz>
      <question type="shortanswer"><name><text>x</text></name>
        <questiontext format="html"><text><![CDATA[<p>Capital of France?<script>alert(1)</script>
          <img src=x onerror="alert(2)"><scr<b>ipt>alert(3)</script></p>]]></text></questiontext>
        <generalfeedback format="html">
          <text><![CDATA[<style>p{}</style><a href="javascript:alert(4)">Paris</a>]]></text>
        </generalfeedback>
        <answer fraction="100"><text><![CDATA[<script>alert(5)</script>Paris]]></text></answer>
      </question></quiz>"""
    with schema_context(school_a.schema):
        report = _import(school_a, other_course_a, data)
        version = Question.objects.get(pk=report.question_ids[0]).current_version

    stored = " ".join([version.stem, version.explanation, *version.answer["accepted"]])
    assert version.stem.startswith("Capital of France?")
    assert version.answer["accepted"] == ["Paris"]
    assert "<" not in stored and "alert" not in stored and "javascript" not in stored


def test_a_malformed_file_is_refused_and_nothing_is_imported(school_a, other_course_a):
    broken = SAMPLE.replace("<single>false</single>", "<single>false</singel>", 1)
    with schema_context(school_a.schema):
        with pytest.raises(ValidationError) as error:
            _import(school_a, other_course_a, broken.encode())
        assert Question.objects.filter(course=other_course_a).count() == 0

    line = SAMPLE[: SAMPLE.index("<single>false")].count("\n") + 1
    assert error.value.messages[0] == (
        f"line {line}: not well-formed XML: Opening and ending tag mismatch: single line {line} "
        "and singel"
    )


@pytest.mark.parametrize(
    "data, message",
    [
        (b"<notquiz/>", "line 1: not a Moodle XML file: the root element is <notquiz>"),
        (b"<quiz><foo/></quiz>", "line 1: unexpected <foo> inside <quiz>"),
        (b"<quiz><question/></quiz>", "line 1: a <question> without a type."),
        (b"<quiz></quiz>", "The file holds no questions."),
        (b"   ", "The file is empty."),
    ],
)
def test_files_that_are_not_moodle_xml_are_refused(school_a, other_course_a, data, message):
    with schema_context(school_a.schema):
        with pytest.raises(ValidationError) as error:
            _import(school_a, other_course_a, data)
        assert Question.objects.filter(course=other_course_a).count() == 0
    assert error.value.messages[0].startswith(message)


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE quiz [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<quiz><question type="shortanswer"><name><text>x</text></name>
<questiontext format="html"><text>Leak: &xxe;</text></questiontext>
<answer fraction="100"><text>a</text></answer></question></quiz>"""

BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<quiz><question type="shortanswer"><name><text>x</text></name>
<questiontext format="html"><text>&lol9;</text></questiontext>
<answer fraction="100"><text>a</text></answer></question></quiz>"""


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(XXE, id="xxe"),
        pytest.param(BOMB, id="billion-laughs"),
        # The byte check cannot see a DOCTYPE in UTF-16; the parsed document still shows it.
        pytest.param(
            XXE.decode()
            .replace('version="1.0"', 'version="1.0" encoding="UTF-16"')
            .encode("utf-16"),
            id="xxe-utf16",
        ),
    ],
)
def test_xml_with_entities_is_refused(school_a, other_course_a, data):
    with schema_context(school_a.schema):
        with pytest.raises(ValidationError) as error:
            _import(school_a, other_course_a, data)
        assert Question.objects.filter(course=other_course_a).count() == 0
    assert "DOCTYPE" in error.value.messages[0]


def test_a_file_over_the_size_limit_is_refused(school_a, other_course_a, settings):
    settings.QUIZ_IMPORT_MAX_BYTES = len(SAMPLE.encode()) - 1
    with schema_context(school_a.schema):
        with pytest.raises(ValidationError) as error:
            _import(school_a, other_course_a, SAMPLE.encode())
        assert Question.objects.filter(course=other_course_a).count() == 0
    size = len(SAMPLE.encode())
    assert error.value.messages[0] == (
        f"The file is {size / 1024:.1f} KB; the limit is {(size - 1) / 1024:.1f} KB. "
        "Split it into smaller files."
    )


def test_a_title_full_of_dashes_exports_to_moodle_xml():
    from lxml import etree

    from quizzes.exchange import moodle
    from quizzes.models import Quiz

    data, _ = moodle.export(Quiz(title="Cells --- part 1 -"), [])

    comment = etree.fromstring(data).xpath("//comment()")[0].text
    assert "--" not in comment and "Cells - part 1" in comment
