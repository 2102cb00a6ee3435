"""HTML and Markdown: readable text split at headings; scripts, styles, navigation and hidden
elements (the hidden attribute, aria-hidden, display:none, visibility:hidden, zero size or
opacity, white text without a background) left out."""

import re
from collections.abc import Iterator

from courses.sniffing.text import read_text, text_encoding

from .common import SPACES, ExtractionReport, HeadingPath, Paragraphs, Section, clean_inline

HTML_SKIP = frozenset(
    "script style noscript template iframe frame frameset object embed applet svg math canvas "
    "nav footer form button select textarea input head title meta link base audio video "
    "source track map area".split()
)
HTML_SKIP_ROLES = frozenset({"navigation", "banner", "contentinfo", "search", "menu", "menubar"})
HTML_BLOCK = frozenset(
    "address article aside blockquote body caption dd details dialog div dl dt fieldset "
    "figcaption figure header hr legend li main ol p pre section summary table tbody thead "
    "tfoot ul".split()
)
HTML_HEADINGS = {f"h{n}": n for n in range(1, 7)}
# Class or id of a table of contents, a breadcrumb trail or previous/next links (DocBook's
# "toc", "navheader", "navfooter"; "breadcrumb", "pagination" elsewhere).
BOILERPLATE_CLASS = re.compile(
    r"(?:^|[\s_-])(?:toc|navheader|navfooter|navbar|breadcrumbs?|pagination|skip-?link)"
    r"(?:$|[\s_-])",
    re.IGNORECASE,
)
# Inline styles that hide text from a reader but not from a parser: the way to plant instructions
# for an AI in a page a teacher sees nothing odd in.
HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|(?:^|[;\s])(?:font-size\s*:\s*0(?![.\d])"
    r"|opacity\s*:\s*0(?:\.0+)?(?![.\d]))",
    re.IGNORECASE,
)
# White text, unless the same style gives it a background to be read on.
WHITE_TEXT = re.compile(
    r"(?:^|[;\s])color\s*:\s*(?:white\b|#fff(?:fff)?\b|rgba?\(\s*255\s*,\s*255\s*,\s*255\b)",
    re.IGNORECASE,
)
XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.IGNORECASE)


def extract_html(path: str, report: ExtractionReport) -> Iterator[Section]:
    yield from html_sections(_readextract_html(path))


def _readextract_html(path: str) -> str:
    encoding = text_encoding(path)
    if encoding == "cp1252":
        # Not UTF-8: the page's own <meta charset> knows better than a guess.
        with open(path, "rb") as handle:
            declared = META_CHARSET.search(handle.read(4096))
        if declared:
            try:
                return read_text(path, declared.group(1).decode("ascii"))
            except (LookupError, UnicodeDecodeError):
                pass
    return read_text(path, encoding)


def html_sections(markup: str, page: int | None = None) -> Iterator[Section]:
    """The readable text of an HTML document, split at its h1-h6 headings. Scripts, styles,
    templates, frames, forms, navigation, footers and hidden elements are left out; attributes
    (event handlers, javascript: URLs) never become text."""
    import lxml.html
    from lxml import etree

    markup = XML_DECLARATION.sub("", markup, count=1)
    if not markup.strip():
        return
    parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, no_network=True)
    try:
        root = lxml.html.document_fromstring(markup, parser=parser)
    except etree.ParserError:
        return  # "Document is empty": markup without any element
    main = root.find(".//main")
    if main is None:
        main = root.find(".//body")
    if main is None:
        main = root

    headings = HeadingPath()
    buffer = Paragraphs()
    line: list[str] = []
    paragraph: list[str] = []
    heading_level: int | None = None
    heading_text: list[str] = []

    def end_line() -> None:
        text = SPACES.sub(" ", "".join(line)).strip()
        line.clear()
        if text:
            paragraph.append(text)

    def end_paragraph() -> None:
        end_line()
        if paragraph:
            buffer.add("\n".join(paragraph))
            paragraph.clear()

    def add(text: str | None) -> None:
        if not text:
            return
        text = text.replace("\n", " ")
        if heading_level is not None:
            heading_text.append(text)
        else:
            line.append(text)

    walker = etree.iterwalk(main, events=("start", "end"))
    for event, element in walker:
        tag = element.tag.lower() if isinstance(element.tag, str) else ""
        if event == "start":
            if not tag or _html_skipped(element, tag):
                walker.skip_subtree()
                continue
            if tag in HTML_HEADINGS and heading_level is None:
                end_paragraph()
                yield from buffer.take(page, headings.path)
                heading_level, heading_text = HTML_HEADINGS[tag], []
            elif tag in ("br", "tr"):
                end_line()
            elif tag in ("td", "th") and "".join(line).strip():
                add(" | ")
            elif tag in HTML_BLOCK:
                end_paragraph()
            elif tag == "img" and element.get("alt"):
                add(f" {element.get('alt')} ")
            add(element.text)
        else:
            if tag in HTML_HEADINGS and heading_level == HTML_HEADINGS[tag]:
                title = clean_inline("".join(heading_text))
                if title:
                    headings.enter(heading_level, title)
                heading_level = None
            elif tag in HTML_BLOCK and heading_level is None:
                end_paragraph()
            elif tag == "tr":
                end_line()
            if element is not main:
                add(element.tail)
            if buffer.full:
                yield from buffer.take(page, headings.path)
    end_paragraph()
    yield from buffer.take(page, headings.path)


def _html_skipped(element, tag: str) -> bool:
    if not tag or tag in HTML_SKIP:
        return True
    if element.get("hidden") is not None or element.get("aria-hidden", "").lower() == "true":
        return True
    if (element.get("role") or "").lower() in HTML_SKIP_ROLES:
        return True
    if BOILERPLATE_CLASS.search(f"{element.get('class') or ''} {element.get('id') or ''}"):
        return True
    if tag == "header" and not any(
        ancestor.tag in ("article", "section", "main") for ancestor in element.iterancestors()
    ):
        return True  # a page header (logo, site menu), not an article's own header
    style = element.get("style") or ""
    if WHITE_TEXT.search(style) and "background" not in style.lower():
        return True
    return bool(HIDDEN_STYLE.search(style))


# --- Markdown ---------------------------------------------------------------------------------

FRONT_MATTER = re.compile(r"\A---[ \t]*\n.*?\n(---|\.\.\.)[ \t]*\n", re.DOTALL)
RAW_HTML_OPEN = re.compile(r"^<(script|style|noscript|template|iframe|textarea)\b[^>]*>$", re.I)


def extract_markdown(path: str, report: ExtractionReport) -> Iterator[Section]:
    from markdown_it import MarkdownIt

    source = FRONT_MATTER.sub("", read_text(path), count=1)
    tokens = MarkdownIt("commonmark").enable("table").enable("strikethrough").parse(source)
    headings = HeadingPath()
    buffer = Paragraphs()
    heading_level: int | None = None
    row: list[str] | None = None
    rows: list[str] = []
    for token in tokens:
        kind = token.type
        if kind == "heading_open":
            heading_level = int(token.tag[1])
        elif kind == "heading_close":
            heading_level = None
        elif kind == "inline" and heading_level is not None:
            title = clean_inline(_markdown_inline(token.children or []))
            if title:
                yield from buffer.take(None, headings.path)
                headings.enter(heading_level, title)
        elif kind == "inline" and row is not None:
            row.append(clean_inline(_markdown_inline(token.children or [])))
        elif kind == "inline":
            buffer.add(_markdown_inline(token.children or []))
        elif kind == "tr_open":
            row = []
        elif kind == "tr_close" and row is not None:
            rows.append(" | ".join(cell for cell in row if cell))
            row = None
        elif kind == "table_close":
            buffer.add("\n".join(line for line in rows if line))
            rows = []
        elif kind in ("fence", "code_block"):
            buffer.add(token.content)
        elif kind == "html_block":
            for section in html_sections(token.content):
                buffer.add(section.text)
        if buffer.full:
            yield from buffer.take(None, headings.path)
    yield from buffer.take(None, headings.path)


def _markdown_inline(children) -> str:
    """The words of an inline token: markup and raw HTML tags dropped, and nothing between an
    inline <script> (or style, template...) and its closing tag."""
    parts: list[str] = []
    hidden_until: str | None = None
    for child in children:
        if child.type == "html_inline":
            content = child.content.strip()
            if hidden_until is not None:
                if content.lower().startswith(f"</{hidden_until}"):
                    hidden_until = None
            else:
                opened = RAW_HTML_OPEN.match(content)
                if opened:
                    hidden_until = opened.group(1).lower()
            continue
        if hidden_until is not None:
            continue
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type == "softbreak":
            parts.append(" ")
        elif child.type == "hardbreak":
            parts.append("\n")
        elif child.type == "image":
            parts.append(child.content)
    return "".join(parts)
