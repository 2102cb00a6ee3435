"""QTI 2.1: the package is a zip whose manifest lists every item; each item is a QTI 2.1
assessmentItem whose correct response is the question's key (numeric with its tolerance); the
assessmentTest carries order, points, time limit, shuffling and feedback timing."""

import io
import zipfile

from django_tenants.utils import schema_context
from lxml import etree

from quizzes.exchange import quiz_export
from quizzes.exchange.qti.markup import CP_NS, LOM_NS, QTI_NS

from .conftest import QUESTIONS

NS = {"qti": QTI_NS, "cp": CP_NS, "lom": LOM_NS}


def _package(school, quiz):
    with schema_context(school.schema):
        result = quiz_export(quiz, "qti")
    archive = zipfile.ZipFile(io.BytesIO(result.data))
    return result, archive, {name: archive.read(name) for name in archive.namelist()}


def test_the_manifest_lists_every_item_and_the_test(school_a, quiz_a):
    result, archive, files = _package(school_a, quiz_a)
    manifest = etree.fromstring(files["imsmanifest.xml"])

    assert result.filename == "cells-energy-unit-12-qti21.zip"
    assert result.content_type == "application/zip"
    assert archive.testzip() is None
    assert manifest.tag == f"{{{CP_NS}}}manifest"
    assert manifest.findtext("cp:metadata/cp:schema", namespaces=NS) == "QTIv2.1 Package"
    resources = manifest.findall("cp:resources/cp:resource", NS)
    items = [r for r in resources if r.get("type") == "imsqti_item_xmlv2p1"]
    tests = [r for r in resources if r.get("type") == "imsqti_test_xmlv2p1"]
    item_files = sorted(name for name in files if name.startswith("items/"))
    assert [r.get("href") for r in items] == item_files
    assert len(item_files) == len(QUESTIONS) == 8
    assert [r.get("href") for r in tests] == ["assessment.xml"]
    # Every file the manifest names is in the package, and every dependency resolves.
    named = {f.get("href") for f in manifest.iterfind(".//cp:file", NS)}
    assert named == set(files) - {"imsmanifest.xml"}
    identifiers = {r.get("identifier") for r in resources}
    dependencies = {d.get("identifierref") for d in tests[0].findall("cp:dependency", NS)}
    assert dependencies == {r.get("identifier") for r in items} <= identifiers
    # Tags travel as LOM metadata on each item's resource.
    first = items[0]
    assert first.findtext(".//lom:general/lom:keyword/lom:string", namespaces=NS) == (
        "Cell biology"
    )
    assert first.findtext(".//lom:educational/lom:difficulty/lom:value", namespaces=NS) == "easy"
    assert first.findtext(".//lom:classification/lom:description/lom:string", namespaces=NS) == (
        "Explain where ATP is made"
    )


def _items(files):
    return [etree.fromstring(files[name]) for name in sorted(files) if name.startswith("items/")]


def _correct(item):
    path = "qti:responseDeclaration/qti:correctResponse/qti:value"
    return [value.text for value in item.iterfind(path, NS)]


def test_each_item_parses_and_its_correct_response_is_the_key(school_a, quiz_a):
    _, _, files = _package(school_a, quiz_a)
    items = _items(files)

    assert {item.tag for item in items} == {f"{{{QTI_NS}}}assessmentItem"}
    assert all(item.get("adaptive") == "false" for item in items)
    single, multiple, true_false, short, numeric, blank, blank_end, negative = items
    assert _correct(single) == ["a"]
    assert _correct(multiple) == ["a", "b"]
    assert _correct(true_false) == ["true"]
    assert _correct(short) == ["Na"]
    assert _correct(numeric) == ["100"]
    assert _correct(blank) == ["mitochondrion"]
    assert _correct(negative) == ["-40.5"]

    choice = single.find(".//qti:choiceInteraction", NS)
    assert (choice.get("maxChoices"), choice.get("shuffle")) == ("1", "true")
    assert [c.get("identifier") for c in choice.findall("qti:simpleChoice", NS)] == ["a", "b", "c"]
    feedback = choice.find("qti:simpleChoice/qti:feedbackInline", NS)
    assert "".join(feedback.itertext()) == "Yes: respiration #1."
    # Markdown arrives as QTI's XHTML.
    assert single.find("qti:itemBody/qti:p/qti:strong", NS).text == "ATP"
    modal = single.find("qti:modalFeedback", NS)
    assert modal.get("identifier") == "EXPLANATION"
    assert "Cellular respiration happens in mitochondria." in "".join(modal.itertext())

    assert multiple.find(".//qti:choiceInteraction", NS).get("maxChoices") == "0"
    mapping = multiple.find("qti:responseDeclaration/qti:mapping", NS)
    assert [(e.get("mapKey"), e.get("mappedValue")) for e in mapping] == [
        ("a", "1"), ("b", "1"), ("c", "-1"), ("d", "-1"),
    ]  # fmt: skip
    assert (mapping.get("lowerBound"), mapping.get("upperBound")) == ("0", "2")
    # (right − wrong) / correct options, as SmartEdu grades it.
    divide = multiple.find(".//qti:responseElse/qti:setOutcomeValue/qti:divide", NS)
    assert [c.tag.split("}")[1] for c in divide] == ["mapResponse", "baseValue"]
    assert divide[1].text == "2"
    tf_choice = true_false.find(".//qti:choiceInteraction", NS)
    assert [c.get("identifier") for c in tf_choice] == ["true", "false"]

    entries = short.find("qti:responseDeclaration/qti:mapping", NS)
    assert [(e.get("mapKey"), e.get("caseSensitive")) for e in entries] == [("Na", "true")]
    assert [e.get("mapKey") for e in blank.find("qti:responseDeclaration/qti:mapping", NS)] == [
        "mitochondrion", "mitochondria",
    ]  # fmt: skip


def test_numeric_items_compare_with_their_tolerance(school_a, quiz_a):
    _, _, files = _package(school_a, quiz_a)
    numeric = _items(files)[4]

    declaration = numeric.find("qti:responseDeclaration", NS)
    assert (declaration.get("baseType"), declaration.get("cardinality")) == ("float", "single")
    equal = numeric.find(".//qti:responseProcessing//qti:equal", NS)
    assert equal.get("toleranceMode") == "absolute"
    assert equal.get("tolerance") == "0.5 0.5"
    assert [child.tag.split("}")[1] for child in equal] == ["variable", "correct"]
    paragraph = numeric.find(".//qti:textEntryInteraction/..", NS)
    assert "".join(paragraph.itertext()).strip() == "°C"


def test_a_blank_is_a_text_entry_inside_the_sentence(school_a, quiz_a):
    _, _, files = _package(school_a, quiz_a)
    blank, blank_at_end = _items(files)[5:7]

    paragraph = blank.find("qti:itemBody/qti:p", NS)
    entry = paragraph.find("qti:textEntryInteraction", NS)
    assert paragraph.text == "The powerhouse of the cell is the "
    assert entry.get("responseIdentifier") == "RESPONSE" and entry.tail == "."
    assert "____" not in files["items/item-006.xml"].decode()
    assert blank_at_end.find("qti:itemBody/qti:p/qti:textEntryInteraction", NS) is not None


def test_the_test_carries_order_points_time_limit_and_shuffling(school_a, quiz_a):
    _, _, files = _package(school_a, quiz_a)
    test = etree.fromstring(files["assessment.xml"])

    assert test.tag == f"{{{QTI_NS}}}assessmentTest"
    assert test.find("qti:timeLimits", NS).get("maxTime") == "1800"
    part = test.find("qti:testPart", NS)
    assert part.get("submissionMode") == "individual"  # feedback after each answer
    assert part.find("qti:itemSessionControl", NS).get("showFeedback") == "true"
    section = part.find("qti:assessmentSection", NS)
    assert section.find("qti:ordering", NS).get("shuffle") == "true"
    refs = section.findall("qti:assessmentItemRef", NS)
    assert [r.get("href") for r in refs] == [f"items/item-{n:03d}.xml" for n in range(1, 9)]
    assert [r.find("qti:weight", NS).get("value") for r in refs] == [
        "2", "1.5", "1", "1", "1", "1", "1", "1",
    ]  # fmt: skip
    assert test.find(".//qti:testVariables", NS).get("weightIdentifier") == "WEIGHT"


def test_export_warns_about_what_qti_cannot_carry(school_a, quiz_a):
    with schema_context(school_a.schema):
        quiz_a.attempts_allowed = 3
        quiz_a.save()
        warnings = quiz_export(quiz_a, "qti").warnings

    assert warnings == [
        "Source citations (material, page, quoted passage) are not carried: QTI 2.1 has no "
        "field for them (question 1).",
        "Topic, objective and difficulty are written as LOM metadata in the manifest, which many "
        "QTI players ignore (questions 1, 2, 3, 4, 5, 6, 7, 8).",
        "Typed answers: SmartEdu ignores surrounding punctuation, a leading article and extra "
        "spaces when it compares them; QTI 2.1 readers compare the accepted answers as written, "
        "so add any variants you want to accept (questions 4, 6, 7).",
        "QTI leaves these delivery settings to the player; not exported: attempts allowed (3).",
    ]


def test_the_same_quiz_gives_the_same_bytes(school_a, quiz_a):
    first, _, _ = _package(school_a, quiz_a)
    second, _, _ = _package(school_a, quiz_a)
    assert first.data == second.data
