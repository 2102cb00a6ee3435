"""IMS QTI 2.1 content package (a zip): ``imsmanifest.xml`` (IMS CP 1.1), one ``assessmentItem``
per question under ``items/`` and an ``assessmentTest`` (``assessment.xml``) that orders them,
weights them by their points and carries the time limit, shuffling and feedback timing.

Items score 0..1 (``SCORE``) the way SmartEdu grades: one-answer and true/false all or nothing;
multiple answers (right − wrong) / correct options, never below 0 (a ``mapping`` of ±1, then
``divide``); typed answers any accepted answer (``mapping`` with ``caseSensitive``); numeric
``equal`` with ``toleranceMode="absolute"``. The test multiplies each item's score by its
points (``weight``). Text is Markdown rendered to the XHTML subset QTI allows; the explanation
is a modal feedback and per-option feedback is ``feedbackInline``. Topic, objective and
difficulty go into IEEE LOM metadata on each item's resource in the manifest."""

import io
import zipfile

from lxml import etree
from lxml import html as lxml_html

from ..content import BLANK
from ..models import Question, Quiz
from ..rendering import render
from .common import ExportItem, Losses, common_losses, format_number

FORMAT_NAME = "QTI 2.1"
QTI_NS = "http://www.imsglobal.org/xsd/imsqti_v2p1"
QTI_XSD = "http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_v2p1.xsd"
CP_NS = "http://www.imsglobal.org/xsd/imscp_v1p1"
CP_XSD = "http://www.imsglobal.org/xsd/qti/qtiv2p1/qtiv2p1_imscpv1p2_v1p0.xsd"
LOM_NS = "http://ltsc.ieee.org/xsd/LOM"
LOM_XSD = "http://www.imsglobal.org/xsd/imsmd_loose_v1p3p2.xsd"
QTIMD_NS = "http://www.imsglobal.org/xsd/imsqti_metadata_v2p1"
QTIMD_XSD = "http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_metadata_v2p1.xsd"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
ITEM_TYPE = "imsqti_item_xmlv2p1"
TEST_TYPE = "imsqti_test_xmlv2p1"
TEST_FILE = "assessment.xml"
# LOM's difficulty vocabulary: very easy, easy, medium, difficult, very difficult.
LOM_DIFFICULTY = {"easy": "easy", "medium": "medium", "hard": "difficult"}
# The XHTML that rendering.render can produce, all of which QTI 2.1 allows.
XHTML_TAGS = {
    "p",
    "br",
    "em",
    "strong",
    "code",
    "pre",
    "ul",
    "ol",
    "li",
    "sub",
    "sup",
    "blockquote",
    "a",
}
_BLANK_TOKEN = "\ue000blank\ue000"
_ZIP_DATE = (2000, 1, 1, 0, 0, 0)  # fixed, so the same quiz gives the same bytes


def _q(tag: str) -> str:
    return f"{{{QTI_NS}}}{tag}"


def _sub(parent, tag: str, **attrs):
    return etree.SubElement(parent, _q(tag), {k.rstrip("_"): str(v) for k, v in attrs.items()})


def _append_text(parent, text: str) -> None:
    if not text:
        return
    if len(parent):
        parent[-1].tail = (parent[-1].tail or "") + text
    else:
        parent.text = (parent.text or "") + text


def _copy_text(target, text: str, blank) -> None:
    """Text into ``target``, with the blank (if any) replaced by ``blank(target)``."""
    if not text:
        return
    pieces = text.split(_BLANK_TOKEN)
    for index, piece in enumerate(pieces):
        _append_text(target, piece)
        if index < len(pieces) - 1 and blank is not None:
            blank(target)


def _copy_node(source, target, blank) -> None:
    _copy_text(target, source.text or "", blank)
    for child in source:
        if not isinstance(child.tag, str):
            _copy_text(target, child.tail or "", blank)
            continue
        tag = child.tag.lower()
        if tag in XHTML_TAGS:
            element = _sub(target, tag)
            if tag == "a" and child.get("href"):
                element.set("href", child.get("href"))
            _copy_node(child, element, blank)
        else:
            _copy_node(child, target, blank)
        _copy_text(target, child.tail or "", blank)


def _markdown_into(parent, text: str, *, inline: bool = False, blank=None) -> None:
    """Stored Markdown rendered (rendering.render, sanitised) into QTI XHTML under ``parent``."""
    if not text:
        return
    html = str(render(text, inline=inline))
    if not html.strip():
        return
    fragment = lxml_html.fragment_fromstring(html, create_parent="div")
    _copy_node(fragment, parent, blank)


def _response_declaration(item_el, cardinality: str, base_type: str):
    return _sub(
        item_el,
        "responseDeclaration",
        identifier="RESPONSE",
        cardinality=cardinality,
        baseType=base_type,
    )


def _declarations(item_el, item: ExportItem) -> None:
    kind = item.kind
    if kind in (Question.Kind.SINGLE, Question.Kind.TRUE_FALSE, Question.Kind.MULTIPLE):
        multiple = kind == Question.Kind.MULTIPLE
        response = _response_declaration(
            item_el, "multiple" if multiple else "single", "identifier"
        )
        correct = _sub(response, "correctResponse")
        for option in item.options:
            if option.get("correct"):
                _sub(correct, "value").text = option["id"]
        if multiple:
            # Whole numbers, divided by the number of correct options in responseProcessing, so
            # full marks are exactly 1 (thirds summed in floats are not).
            n_correct = sum(1 for o in item.options if o.get("correct")) or 1
            mapping = _sub(
                response, "mapping", lowerBound="0", upperBound=str(n_correct), defaultValue="0"
            )
            for option in item.options:
                value = "1" if option.get("correct") else "-1"
                _sub(mapping, "mapEntry", mapKey=option["id"], mappedValue=value)
    elif kind in (Question.Kind.SHORT_ANSWER, Question.Kind.FILL_BLANK):
        response = _response_declaration(item_el, "single", "string")
        accepted = item.answer.get("accepted", [])
        correct = _sub(response, "correctResponse")
        _sub(correct, "value").text = accepted[0] if accepted else ""
        mapping = _sub(response, "mapping", lowerBound="0", upperBound="1", defaultValue="0")
        case = "true" if item.answer.get("case_sensitive") else "false"
        for text in accepted:
            _sub(mapping, "mapEntry", mapKey=text, mappedValue="1", caseSensitive=case)
    else:
        response = _response_declaration(item_el, "single", "float")
        correct = _sub(response, "correctResponse")
        _sub(correct, "value").text = format_number(item.answer["value"])
    for identifier, cardinality, base, default in (
        ("SCORE", "single", "float", "0"),
        ("MAXSCORE", "single", "float", "1"),
        ("FEEDBACK", "multiple", "identifier", None),
    ):
        outcome = _sub(
            item_el,
            "outcomeDeclaration",
            identifier=identifier,
            cardinality=cardinality,
            baseType=base,
        )
        if default is not None:
            _sub(_sub(outcome, "defaultValue"), "value").text = default


def _text_entry(parent, item: ExportItem):
    longest = max((len(a) for a in item.answer.get("accepted", [])), default=10)
    attrs = {"responseIdentifier": "RESPONSE"}
    if item.kind == Question.Kind.NUMERIC:
        attrs["expectedLength"] = "12"
    else:
        attrs["expectedLength"] = str(max(8, min(longest + 4, 60)))
    return _sub(parent, "textEntryInteraction", **attrs)


def _item_body(item_el, item: ExportItem, shuffle: bool) -> None:
    body = _sub(item_el, "itemBody")
    if item.kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE, Question.Kind.TRUE_FALSE):
        _markdown_into(body, item.stem)
        single = item.kind != Question.Kind.MULTIPLE
        interaction = _sub(
            body,
            "choiceInteraction",
            responseIdentifier="RESPONSE",
            shuffle="true" if shuffle and item.kind != Question.Kind.TRUE_FALSE else "false",
            maxChoices="1" if single else "0",
        )
        for option in item.options:
            choice = _sub(interaction, "simpleChoice", identifier=option["id"])
            _markdown_into(choice, option["text"], inline=True)
            if option.get("feedback"):
                feedback = _sub(
                    choice,
                    "feedbackInline",
                    outcomeIdentifier="FEEDBACK",
                    identifier=option["id"],
                    showHide="show",
                )
                _markdown_into(feedback, option["feedback"], inline=True)
    elif item.kind == Question.Kind.FILL_BLANK and BLANK in item.stem:
        stem = item.stem.replace(BLANK, _BLANK_TOKEN, 1)
        _markdown_into(body, stem, blank=lambda parent: _text_entry(parent, item))
    else:
        _markdown_into(body, item.stem)
        paragraph = _sub(body, "p")
        _text_entry(paragraph, item)
        unit = item.answer.get("unit") if item.kind == Question.Kind.NUMERIC else ""
        if unit:
            _append_text(paragraph, " " + unit)


def _set_score(parent, value: str) -> None:
    _sub(
        _sub(parent, "setOutcomeValue", identifier="SCORE"), "baseValue", baseType="float"
    ).text = value


def _response_processing(item_el, item: ExportItem) -> None:
    """SCORE 0..1: no response scores 0; otherwise match / tolerance / mapping by kind."""
    processing = _sub(item_el, "responseProcessing")
    condition = _sub(processing, "responseCondition")
    when_empty = _sub(condition, "responseIf")
    _sub(_sub(when_empty, "isNull"), "variable", identifier="RESPONSE")
    _set_score(when_empty, "0")
    if item.kind == Question.Kind.MULTIPLE:
        n_correct = sum(1 for o in item.options if o.get("correct")) or 1
        otherwise = _sub(condition, "responseElse")
        divide = _sub(_sub(otherwise, "setOutcomeValue", identifier="SCORE"), "divide")
        _sub(divide, "mapResponse", identifier="RESPONSE")
        _sub(divide, "baseValue", baseType="float").text = str(n_correct)
    elif item.kind in (Question.Kind.SHORT_ANSWER, Question.Kind.FILL_BLANK):
        otherwise = _sub(condition, "responseElse")
        score = _sub(otherwise, "setOutcomeValue", identifier="SCORE")
        _sub(score, "mapResponse", identifier="RESPONSE")
    else:
        right = _sub(condition, "responseElseIf")
        if item.kind == Question.Kind.NUMERIC:
            tolerance = format_number(item.answer.get("tolerance") or 0)
            test = _sub(
                right,
                "equal",
                toleranceMode="absolute",
                tolerance=f"{tolerance} {tolerance}",
                includeLowerBound="true",
                includeUpperBound="true",
            )
        else:
            test = _sub(right, "match")
        _sub(test, "variable", identifier="RESPONSE")
        _sub(test, "correct", identifier="RESPONSE")
        _set_score(right, "1")
        _set_score(_sub(condition, "responseElse"), "0")
    # Feedback to show: the explanation, plus the chosen options' own feedback.
    feedback = _sub(processing, "setOutcomeValue", identifier="FEEDBACK")
    multiple = _sub(feedback, "multiple")
    if item.kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE, Question.Kind.TRUE_FALSE):
        _sub(multiple, "variable", identifier="RESPONSE")
    _sub(multiple, "baseValue", baseType="identifier").text = "EXPLANATION"


def item_xml(item: ExportItem, *, identifier: str, shuffle: bool) -> bytes:
    """One question as a QTI 2.1 assessmentItem document."""
    item_el = etree.Element(
        _q("assessmentItem"),
        nsmap={None: QTI_NS, "xsi": XSI_NS},
        attrib={
            f"{{{XSI_NS}}}schemaLocation": f"{QTI_NS} {QTI_XSD}",
            "identifier": identifier,
            "title": item.title[:200],
            "adaptive": "false",
            "timeDependent": "false",
        },
    )
    _declarations(item_el, item)
    _item_body(item_el, item, shuffle)
    _response_processing(item_el, item)
    if item.explanation:
        modal = _sub(
            item_el,
            "modalFeedback",
            outcomeIdentifier="FEEDBACK",
            identifier="EXPLANATION",
            showHide="show",
        )
        _markdown_into(modal, item.explanation)
    return etree.tostring(item_el, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _test_xml(quiz: Quiz, refs: list[tuple[str, str, ExportItem]]) -> bytes:
    test = etree.Element(
        _q("assessmentTest"),
        nsmap={None: QTI_NS, "xsi": XSI_NS},
        attrib={
            f"{{{XSI_NS}}}schemaLocation": f"{QTI_NS} {QTI_XSD}",
            "identifier": f"quiz-{quiz.pk}",
            "title": quiz.title,
            "toolName": "SmartEdu",
        },
    )
    for identifier in ("SCORE", "MAXSCORE"):
        _sub(
            test,
            "outcomeDeclaration",
            identifier=identifier,
            cardinality="single",
            baseType="float",
        )
    if quiz.time_limit_minutes:
        _sub(
            test,
            "timeLimits",
            maxTime=str(quiz.time_limit_minutes * 60),
            allowLateSubmission="false",
        )
    immediately = quiz.show_feedback == Quiz.Feedback.IMMEDIATELY
    part = _sub(
        test,
        "testPart",
        identifier="part-1",
        navigationMode="nonlinear",
        submissionMode="individual" if immediately else "simultaneous",
    )
    shows = quiz.show_feedback in (Quiz.Feedback.IMMEDIATELY, Quiz.Feedback.AFTER_SUBMIT)
    _sub(
        part,
        "itemSessionControl",
        maxAttempts="1",
        showFeedback="true" if shows else "false",
        allowReview="true",
        showSolution="false",
        allowComment="false",
        allowSkipping="true",
        validateResponses="false",
    )
    section = _sub(
        part, "assessmentSection", identifier="section-1", title=quiz.title, visible="true"
    )
    if quiz.shuffle_questions:
        _sub(section, "ordering", shuffle="true")
    if quiz.description:
        rubric = _sub(section, "rubricBlock", view="candidate")
        _markdown_into(rubric, quiz.description)
    for identifier, href, item in refs:
        ref = _sub(section, "assessmentItemRef", identifier=identifier, href=href)
        _sub(ref, "weight", identifier="WEIGHT", value=format_number(item.points))
    processing = _sub(test, "outcomeProcessing")
    score = _sub(processing, "setOutcomeValue", identifier="SCORE")
    _sub(_sub(score, "sum"), "testVariables", variableIdentifier="SCORE", weightIdentifier="WEIGHT")
    maximum = _sub(processing, "setOutcomeValue", identifier="MAXSCORE")
    _sub(
        _sub(maximum, "sum"),
        "testVariables",
        variableIdentifier="MAXSCORE",
        weightIdentifier="WEIGHT",
    )
    return etree.tostring(test, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _lom(parent, item: ExportItem) -> None:
    def lom(tag):
        return f"{{{LOM_NS}}}{tag}"

    root = etree.SubElement(parent, lom("lom"))
    general = etree.SubElement(root, lom("general"))
    identifier = etree.SubElement(general, lom("identifier"))
    etree.SubElement(identifier, lom("catalog")).text = "smartedu-question"
    etree.SubElement(identifier, lom("entry")).text = str(item.question_id)
    title = etree.SubElement(general, lom("title"))
    etree.SubElement(title, lom("string")).text = item.title
    if item.topic:
        keyword = etree.SubElement(general, lom("keyword"))
        etree.SubElement(keyword, lom("string")).text = item.topic
    if item.difficulty in LOM_DIFFICULTY:
        educational = etree.SubElement(root, lom("educational"))
        difficulty = etree.SubElement(educational, lom("difficulty"))
        etree.SubElement(difficulty, lom("source")).text = "LOMv1.0"
        etree.SubElement(difficulty, lom("value")).text = LOM_DIFFICULTY[item.difficulty]
    if item.objective:
        classification = etree.SubElement(root, lom("classification"))
        purpose = etree.SubElement(classification, lom("purpose"))
        etree.SubElement(purpose, lom("source")).text = "LOMv1.0"
        etree.SubElement(purpose, lom("value")).text = "educational objective"
        description = etree.SubElement(classification, lom("description"))
        etree.SubElement(description, lom("string")).text = item.objective


def _interaction_type(item: ExportItem) -> str:
    if item.kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE, Question.Kind.TRUE_FALSE):
        return "choiceInteraction"
    return "textEntryInteraction"


def _manifest_xml(quiz: Quiz, refs: list[tuple[str, str, ExportItem]]) -> bytes:
    def cp(tag):
        return f"{{{CP_NS}}}{tag}"

    manifest = etree.Element(
        cp("manifest"),
        nsmap={None: CP_NS, "imsmd": LOM_NS, "imsqti": QTIMD_NS, "xsi": XSI_NS},
        attrib={
            "identifier": f"MANIFEST-quiz-{quiz.pk}",
            f"{{{XSI_NS}}}schemaLocation": (
                f"{CP_NS} {CP_XSD} {LOM_NS} {LOM_XSD} {QTIMD_NS} {QTIMD_XSD}"
            ),
        },
    )
    metadata = etree.SubElement(manifest, cp("metadata"))
    etree.SubElement(metadata, cp("schema")).text = "QTIv2.1 Package"
    etree.SubElement(metadata, cp("schemaversion")).text = "1.0.0"
    etree.SubElement(manifest, cp("organizations"))
    resources = etree.SubElement(manifest, cp("resources"))
    test = etree.SubElement(
        resources, cp("resource"), identifier=f"RES-quiz-{quiz.pk}", type=TEST_TYPE, href=TEST_FILE
    )
    etree.SubElement(test, cp("file"), href=TEST_FILE)
    for identifier, _, _ in refs:
        etree.SubElement(test, cp("dependency"), identifierref=f"RES-{identifier}")
    for identifier, href, item in refs:
        resource = etree.SubElement(
            resources, cp("resource"), identifier=f"RES-{identifier}", type=ITEM_TYPE, href=href
        )
        resource_metadata = etree.SubElement(resource, cp("metadata"))
        _lom(resource_metadata, item)
        qti_metadata = etree.SubElement(resource_metadata, f"{{{QTIMD_NS}}}qtiMetadata")
        etree.SubElement(qti_metadata, f"{{{QTIMD_NS}}}timeDependent").text = "false"
        etree.SubElement(qti_metadata, f"{{{QTIMD_NS}}}interactionType").text = _interaction_type(
            item
        )
        etree.SubElement(qti_metadata, f"{{{QTIMD_NS}}}feedbackType").text = (
            "nonadaptive"
            if item.explanation or any(o.get("feedback") for o in item.options)
            else "none"
        )
        etree.SubElement(qti_metadata, f"{{{QTIMD_NS}}}solutionAvailable").text = "true"
        etree.SubElement(resource, cp("file"), href=href)
    return etree.tostring(manifest, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def export(quiz: Quiz, items: list[ExportItem]) -> tuple[bytes, list[str]]:
    """The quiz as a QTI 2.1 content package (zip bytes) and what it could not carry."""
    losses = Losses()
    refs = []
    files: list[tuple[str, bytes]] = []
    for item in items:
        common_losses(losses, item, FORMAT_NAME)
        identifier = f"item-{item.position:03d}"
        href = f"items/{identifier}.xml"
        refs.append((identifier, href, item))
        files.append((href, item_xml(item, identifier=identifier, shuffle=quiz.shuffle_options)))
        if item.tags:
            losses.add(
                "Topic, objective and difficulty are written as LOM metadata in the manifest, "
                "which many QTI players ignore",
                item.position,
            )
    unkept = []
    if quiz.attempts_allowed != 1:
        unkept.append(f"attempts allowed ({quiz.attempts_allowed or 'unlimited'})")
    if quiz.opens_at or quiz.closes_at:
        unkept.append("opening and closing dates")
    if quiz.show_feedback == Quiz.Feedback.AFTER_CLOSE:
        unkept.append("feedback when the quiz closes (exported as no feedback)")
    if unkept:
        losses.add(
            "QTI leaves these delivery settings to the player; not exported: " + ", ".join(unkept)
        )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        entries = [
            ("imsmanifest.xml", _manifest_xml(quiz, refs)),
            (TEST_FILE, _test_xml(quiz, refs)),
        ]
        for name, data in entries + files:
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            package.writestr(info, data)
    return buffer.getvalue(), losses.lines()
