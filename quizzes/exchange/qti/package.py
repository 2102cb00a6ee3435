"""The QTI 2.1 content package: ``imsmanifest.xml`` (with each item's LOM metadata), the
``assessmentTest`` and the items, zipped with fixed dates so the same quiz gives the same bytes."""

import io
import zipfile

from lxml import etree

from quizzes.models import Question, Quiz

from ..items import ExportItem, Losses, common_losses, format_number
from .item import item_xml
from .markup import (
    CP_NS,
    CP_XSD,
    LOM_NS,
    LOM_XSD,
    QTI_NS,
    QTI_XSD,
    QTIMD_NS,
    QTIMD_XSD,
    XSI_NS,
    markdown_into,
    qti_tag,
    sub_element,
)

FORMAT_NAME = "QTI 2.1"
ITEM_TYPE = "imsqti_item_xmlv2p1"
TEST_TYPE = "imsqti_test_xmlv2p1"
TEST_FILE = "assessment.xml"
# LOM's difficulty vocabulary: very easy, easy, medium, difficult, very difficult.
LOM_DIFFICULTY = {"easy": "easy", "medium": "medium", "hard": "difficult"}
_ZIP_DATE = (2000, 1, 1, 0, 0, 0)  # fixed, so the same quiz gives the same bytes


def _test_xml(quiz: Quiz, refs: list[tuple[str, str, ExportItem]]) -> bytes:
    test = etree.Element(
        qti_tag("assessmentTest"),
        nsmap={None: QTI_NS, "xsi": XSI_NS},
        attrib={
            f"{{{XSI_NS}}}schemaLocation": f"{QTI_NS} {QTI_XSD}",
            "identifier": f"quiz-{quiz.pk}",
            "title": quiz.title,
            "toolName": "SmartEdu",
        },
    )
    for identifier in ("SCORE", "MAXSCORE"):
        sub_element(
            test,
            "outcomeDeclaration",
            identifier=identifier,
            cardinality="single",
            baseType="float",
        )
    if quiz.time_limit_minutes:
        sub_element(
            test,
            "timeLimits",
            maxTime=str(quiz.time_limit_minutes * 60),
            allowLateSubmission="false",
        )
    immediately = quiz.show_feedback == Quiz.Feedback.IMMEDIATELY
    part = sub_element(
        test,
        "testPart",
        identifier="part-1",
        navigationMode="nonlinear",
        submissionMode="individual" if immediately else "simultaneous",
    )
    shows = quiz.show_feedback in (Quiz.Feedback.IMMEDIATELY, Quiz.Feedback.AFTER_SUBMIT)
    sub_element(
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
    section = sub_element(
        part, "assessmentSection", identifier="section-1", title=quiz.title, visible="true"
    )
    if quiz.shuffle_questions:
        sub_element(section, "ordering", shuffle="true")
    if quiz.description:
        rubric = sub_element(section, "rubricBlock", view="candidate")
        markdown_into(rubric, quiz.description)
    for identifier, href, item in refs:
        ref = sub_element(section, "assessmentItemRef", identifier=identifier, href=href)
        sub_element(ref, "weight", identifier="WEIGHT", value=format_number(item.points))
    processing = sub_element(test, "outcomeProcessing")
    score = sub_element(processing, "setOutcomeValue", identifier="SCORE")
    sub_element(
        sub_element(score, "sum"),
        "testVariables",
        variableIdentifier="SCORE",
        weightIdentifier="WEIGHT",
    )
    maximum = sub_element(processing, "setOutcomeValue", identifier="MAXSCORE")
    sub_element(
        sub_element(maximum, "sum"),
        "testVariables",
        variableIdentifier="MAXSCORE",
        weightIdentifier="WEIGHT",
    )
    document: bytes = etree.tostring(
        test, xml_declaration=True, encoding="UTF-8", pretty_print=True
    )
    return document


def _lom(parent: etree._Element, item: ExportItem) -> None:
    def lom(tag: str) -> str:
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
    def cp(tag: str) -> str:
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
    document: bytes = etree.tostring(
        manifest, xml_declaration=True, encoding="UTF-8", pretty_print=True
    )
    return document


def export(quiz: Quiz, items: list[ExportItem]) -> tuple[bytes, list[str]]:
    """The quiz as a QTI 2.1 content package (zip bytes) and what it could not carry."""
    losses = Losses()
    refs: list[tuple[str, str, ExportItem]] = []
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
    unkept: list[str] = []
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
