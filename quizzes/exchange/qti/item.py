"""One question as a QTI 2.1 ``assessmentItem``: its response and outcome declarations, its body
(the interaction) and its response processing, scoring 0..1 the way SmartEdu grades."""

from lxml import etree

from quizzes.content import BLANK
from quizzes.models import Question

from ..items import ExportItem, format_number
from .markup import (
    BLANK_TOKEN,
    QTI_NS,
    QTI_XSD,
    XSI_NS,
    append_text,
    markdown_into,
    qti_tag,
    sub_element,
)


def _response_declaration(
    item_el: etree._Element, cardinality: str, base_type: str
) -> etree._Element:
    return sub_element(
        item_el,
        "responseDeclaration",
        identifier="RESPONSE",
        cardinality=cardinality,
        baseType=base_type,
    )


def _declarations(item_el: etree._Element, item: ExportItem) -> None:
    kind = item.kind
    if kind in (Question.Kind.SINGLE, Question.Kind.TRUE_FALSE, Question.Kind.MULTIPLE):
        multiple = kind == Question.Kind.MULTIPLE
        response = _response_declaration(
            item_el, "multiple" if multiple else "single", "identifier"
        )
        correct = sub_element(response, "correctResponse")
        for option in item.options:
            if option.get("correct"):
                sub_element(correct, "value").text = option["id"]
        if multiple:
            # Whole numbers, divided by the number of correct options in responseProcessing, so
            # full marks are exactly 1 (thirds summed in floats are not).
            n_correct = sum(1 for o in item.options if o.get("correct")) or 1
            mapping = sub_element(
                response, "mapping", lowerBound="0", upperBound=str(n_correct), defaultValue="0"
            )
            for option in item.options:
                value = "1" if option.get("correct") else "-1"
                sub_element(mapping, "mapEntry", mapKey=option["id"], mappedValue=value)
    elif kind in (Question.Kind.SHORT_ANSWER, Question.Kind.FILL_BLANK):
        response = _response_declaration(item_el, "single", "string")
        accepted = item.answer.get("accepted", [])
        correct = sub_element(response, "correctResponse")
        sub_element(correct, "value").text = accepted[0] if accepted else ""
        mapping = sub_element(response, "mapping", lowerBound="0", upperBound="1", defaultValue="0")
        case = "true" if item.answer.get("case_sensitive") else "false"
        for text in accepted:
            sub_element(mapping, "mapEntry", mapKey=text, mappedValue="1", caseSensitive=case)
    else:
        response = _response_declaration(item_el, "single", "float")
        correct = sub_element(response, "correctResponse")
        sub_element(correct, "value").text = format_number(item.answer["value"])
    for identifier, cardinality, base, default in (
        ("SCORE", "single", "float", "0"),
        ("MAXSCORE", "single", "float", "1"),
        ("FEEDBACK", "multiple", "identifier", None),
    ):
        outcome = sub_element(
            item_el,
            "outcomeDeclaration",
            identifier=identifier,
            cardinality=cardinality,
            baseType=base,
        )
        if default is not None:
            sub_element(sub_element(outcome, "defaultValue"), "value").text = default


def _text_entry(parent: etree._Element, item: ExportItem) -> etree._Element:
    longest = max((len(a) for a in item.answer.get("accepted", [])), default=10)
    attrs = {"responseIdentifier": "RESPONSE"}
    if item.kind == Question.Kind.NUMERIC:
        attrs["expectedLength"] = "12"
    else:
        attrs["expectedLength"] = str(max(8, min(longest + 4, 60)))
    return sub_element(parent, "textEntryInteraction", **attrs)


def _item_body(item_el: etree._Element, item: ExportItem, shuffle: bool) -> None:
    body = sub_element(item_el, "itemBody")
    if item.kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE, Question.Kind.TRUE_FALSE):
        markdown_into(body, item.stem)
        single = item.kind != Question.Kind.MULTIPLE
        interaction = sub_element(
            body,
            "choiceInteraction",
            responseIdentifier="RESPONSE",
            shuffle="true" if shuffle and item.kind != Question.Kind.TRUE_FALSE else "false",
            maxChoices="1" if single else "0",
        )
        for option in item.options:
            choice = sub_element(interaction, "simpleChoice", identifier=option["id"])
            markdown_into(choice, option["text"], inline=True)
            if option.get("feedback"):
                feedback = sub_element(
                    choice,
                    "feedbackInline",
                    outcomeIdentifier="FEEDBACK",
                    identifier=option["id"],
                    showHide="show",
                )
                markdown_into(feedback, option["feedback"], inline=True)
    elif item.kind == Question.Kind.FILL_BLANK and BLANK in item.stem:
        stem = item.stem.replace(BLANK, BLANK_TOKEN, 1)
        markdown_into(body, stem, blank=lambda parent: _text_entry(parent, item))
    else:
        markdown_into(body, item.stem)
        paragraph = sub_element(body, "p")
        _text_entry(paragraph, item)
        unit = item.answer.get("unit") if item.kind == Question.Kind.NUMERIC else ""
        if unit:
            append_text(paragraph, " " + unit)


def _set_score(parent: etree._Element, value: str) -> None:
    sub_element(
        sub_element(parent, "setOutcomeValue", identifier="SCORE"), "baseValue", baseType="float"
    ).text = value


def _response_processing(item_el: etree._Element, item: ExportItem) -> None:
    """SCORE 0..1: no response scores 0; otherwise match / tolerance / mapping by kind."""
    processing = sub_element(item_el, "responseProcessing")
    condition = sub_element(processing, "responseCondition")
    when_empty = sub_element(condition, "responseIf")
    sub_element(sub_element(when_empty, "isNull"), "variable", identifier="RESPONSE")
    _set_score(when_empty, "0")
    if item.kind == Question.Kind.MULTIPLE:
        n_correct = sum(1 for o in item.options if o.get("correct")) or 1
        otherwise = sub_element(condition, "responseElse")
        divide = sub_element(
            sub_element(otherwise, "setOutcomeValue", identifier="SCORE"), "divide"
        )
        sub_element(divide, "mapResponse", identifier="RESPONSE")
        sub_element(divide, "baseValue", baseType="float").text = str(n_correct)
    elif item.kind in (Question.Kind.SHORT_ANSWER, Question.Kind.FILL_BLANK):
        otherwise = sub_element(condition, "responseElse")
        score = sub_element(otherwise, "setOutcomeValue", identifier="SCORE")
        sub_element(score, "mapResponse", identifier="RESPONSE")
    else:
        right = sub_element(condition, "responseElseIf")
        if item.kind == Question.Kind.NUMERIC:
            tolerance = format_number(item.answer.get("tolerance") or 0)
            test = sub_element(
                right,
                "equal",
                toleranceMode="absolute",
                tolerance=f"{tolerance} {tolerance}",
                includeLowerBound="true",
                includeUpperBound="true",
            )
        else:
            test = sub_element(right, "match")
        sub_element(test, "variable", identifier="RESPONSE")
        sub_element(test, "correct", identifier="RESPONSE")
        _set_score(right, "1")
        _set_score(sub_element(condition, "responseElse"), "0")
    # Feedback to show: the explanation, plus the chosen options' own feedback.
    feedback = sub_element(processing, "setOutcomeValue", identifier="FEEDBACK")
    multiple = sub_element(feedback, "multiple")
    if item.kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE, Question.Kind.TRUE_FALSE):
        sub_element(multiple, "variable", identifier="RESPONSE")
    sub_element(multiple, "baseValue", baseType="identifier").text = "EXPLANATION"


def item_xml(item: ExportItem, *, identifier: str, shuffle: bool) -> bytes:
    """One question as a QTI 2.1 assessmentItem document."""
    item_el = etree.Element(
        qti_tag("assessmentItem"),
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
        modal = sub_element(
            item_el,
            "modalFeedback",
            outcomeIdentifier="FEEDBACK",
            identifier="EXPLANATION",
            showHide="show",
        )
        markdown_into(modal, item.explanation)
    document: bytes = etree.tostring(
        item_el, xml_declaration=True, encoding="UTF-8", pretty_print=True
    )
    return document
