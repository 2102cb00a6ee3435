"""The QTI 2.1 XML the package's documents share: namespaces, elements in the QTI namespace,
and stored Markdown rendered into the XHTML subset QTI allows."""

from collections.abc import Callable

from lxml import etree
from lxml import html as lxml_html

from quizzes.rendering import render

QTI_NS = "http://www.imsglobal.org/xsd/imsqti_v2p1"
QTI_XSD = "http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_v2p1.xsd"
CP_NS = "http://www.imsglobal.org/xsd/imscp_v1p1"
CP_XSD = "http://www.imsglobal.org/xsd/qti/qtiv2p1/qtiv2p1_imscpv1p2_v1p0.xsd"
LOM_NS = "http://ltsc.ieee.org/xsd/LOM"
LOM_XSD = "http://www.imsglobal.org/xsd/imsmd_loose_v1p3p2.xsd"
QTIMD_NS = "http://www.imsglobal.org/xsd/imsqti_metadata_v2p1"
QTIMD_XSD = "http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_metadata_v2p1.xsd"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
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
BLANK_TOKEN = "\ue000blank\ue000"
# Puts the text entry where a fill-in-the-blank stem has its blank.
Blank = Callable[[etree._Element], object]


def qti_tag(tag: str) -> str:
    return f"{{{QTI_NS}}}{tag}"


def sub_element(parent: etree._Element, tag: str, **attrs: object) -> etree._Element:
    return etree.SubElement(parent, qti_tag(tag), {k.rstrip("_"): str(v) for k, v in attrs.items()})


def append_text(parent: etree._Element, text: str) -> None:
    if not text:
        return
    if len(parent):
        parent[-1].tail = (parent[-1].tail or "") + text
    else:
        parent.text = (parent.text or "") + text


def _copy_text(target: etree._Element, text: str, blank: Blank | None) -> None:
    """Text into ``target``, with the blank (if any) replaced by ``blank(target)``."""
    if not text:
        return
    pieces = text.split(BLANK_TOKEN)
    for index, piece in enumerate(pieces):
        append_text(target, piece)
        if index < len(pieces) - 1 and blank is not None:
            blank(target)


def _copy_node(source: etree._Element, target: etree._Element, blank: Blank | None) -> None:
    _copy_text(target, source.text or "", blank)
    for child in source:
        if not isinstance(child.tag, str):
            _copy_text(target, child.tail or "", blank)
            continue
        tag = child.tag.lower()
        if tag in XHTML_TAGS:
            element = sub_element(target, tag)
            if tag == "a" and child.get("href"):
                element.set("href", child.get("href"))
            _copy_node(child, element, blank)
        else:
            _copy_node(child, target, blank)
        _copy_text(target, child.tail or "", blank)


def markdown_into(
    parent: etree._Element, text: str, *, inline: bool = False, blank: Blank | None = None
) -> None:
    """Stored Markdown rendered (rendering.render, sanitised) into QTI XHTML under ``parent``."""
    if not text:
        return
    html = str(render(text, inline=inline))
    if not html.strip():
        return
    fragment = lxml_html.fragment_fromstring(html, create_parent="div")
    _copy_node(fragment, parent, blank)
