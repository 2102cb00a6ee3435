"""Question text is Markdown that can never run script in a browser.

Everything a question shows (stem, options, explanation, feedback) passes ``clean_text`` before
it is stored, whoever wrote it: a teacher, a language model, an imported file. ``render`` turns
stored text into HTML for pages: markdown-it with raw HTML disabled (so ``<script>`` is shown as
text), then nh3 (the Ammonia sanitiser) keeps only formatting tags and safe link schemes."""

import functools
import html
import re

import nh3
from django.utils.safestring import SafeString, mark_safe

# Tags that carry formatting and nothing else.
ALLOWED_TAGS = {
    "p", "br", "em", "strong", "code", "pre", "ul", "ol", "li", "sub", "sup", "blockquote", "a",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CLEAN_ROUNDS_MAX = 10
_SPACES_RE = re.compile(r"[ \t]+")
# Script and style elements lose their content too; comments and CDATA go whole.
_DROP_BLOCK_RE = re.compile(
    r"<(script|style|iframe|object|template)\b[^>]*>.*?(</\1\s*>|$)|<!--.*?(-->|$)|<!\[CDATA\[.*?\]\]>",
    re.IGNORECASE | re.DOTALL,
)
_TAG_RE = re.compile(r"</?(?P<name>[a-zA-Z][a-zA-Z0-9:-]*)(?P<attrs>\s[^<>]*)?/?>")
# HTML, SVG and MathML element names: "<b>" is markup, "List<T>" and "vector<int>" are text.
_ELEMENTS = frozenset(
    """a abbr acronym address applet area article aside audio b base basefont bdi bdo bgsound big
    blink blockquote body br button canvas caption center cite code col colgroup data datalist dd
    del details dfn dialog dir div dl dt em embed fieldset figcaption figure font footer form
    frame frameset h1 h2 h3 h4 h5 h6 head header hgroup hr html i iframe image img input ins
    isindex kbd keygen label legend li link listing main map mark marquee math menu menuitem meta
    meter multicol nav nextid nobr noembed noframes noscript object ol optgroup option output p
    param picture plaintext portal pre progress q rb rp rt rtc ruby s samp script search section
    select slot small source spacer span strike strong style sub summary sup svg table tbody td
    template textarea tfoot th thead time title tr track tt u ul var video wbr xmp animate
    animatemotion animatetransform circle clippath defs desc ellipse feimage filter foreignobject
    g line lineargradient marker mask path pattern polygon polyline radialgradient rect set stop
    switch symbol text textpath tspan use view maction mi mn mo mrow ms mtext annotation
    semantics""".split()
)


def _strip_tag(match: re.Match) -> str:
    """Remove what a browser would take for an element; keep what only looks like one.

    Anything with an attribute value (``=``) goes, whatever its name: an unknown element runs
    its event handlers too. Without values, only known (or namespaced, as Word writes them)
    element names are markup, so "a<b and b>c" and "List<String>" stay text."""
    attrs = (match.group("attrs") or "").strip().rstrip("/").strip()
    if "=" in attrs:
        return ""
    name = match.group("name").lower()
    known = name in _ELEMENTS or ":" in name or "-" in name
    return "" if known and not attrs else match.group(0)


# Entities with their semicolon; those that stand for "<", ">" or "&" stay encoded (below).
_ENTITY_RE = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_KEPT_ENCODED = {"<", ">", "&"}


def _decode_entity(match: re.Match) -> str:
    char = html.unescape(match.group(0))
    if char in _KEPT_ENCODED:
        # Decoded, "&lt;b&gt;" would become a tag the next cleaning removes (and "&amp;lt;" an
        # entity it decodes): text cleaned twice must come out as it went in, because every
        # edit of a question cleans its stored parts again. Markdown shows these as "<b>".
        return match.group(0)
    return _CONTROL_RE.sub("", char)


def clean_text(text: str | None, *, max_length: int | None = None) -> str:
    """Stored form of a question's text: tags removed (their text kept, except the contents of
    script, style and the like, which go), entities decoded (except those for "<", ">" and
    "&", which stay encoded), control characters dropped, runs of spaces folded, trimmed.

    What is left is plain text with Markdown punctuation; ``render`` escapes anything that
    still looks like HTML. Idempotent: ``clean_text(clean_text(x)) == clean_text(x)``."""
    text = _CONTROL_RE.sub("", str(text or ""))
    # Only what really looks like markup goes ("x < y" and "a<b" are text, not tags). Removing
    # one tag can join the pieces of another ("<scr<b>ipt>"), and decoding can complete one
    # ("<scr&#105;pt>"), so repeat until nothing changes (each round that changes something
    # shortens the text, so this ends). Rounds are capped: text nested deeper than that is hostile,
    # and what is left of it is still only text that ``render`` escapes.
    for _ in range(CLEAN_ROUNDS_MAX):
        before = text
        if "<" in text:
            text = _TAG_RE.sub(_strip_tag, _DROP_BLOCK_RE.sub("", text))
        if "&" in text:
            text = _ENTITY_RE.sub(_decode_entity, text)
        if text == before:
            break
    lines = [_SPACES_RE.sub(" ", line).strip() for line in text.splitlines()]
    text = "\n".join(lines).strip()
    text = re.sub(r"\n{3,}", "\n\n", text)
    if max_length is not None and len(text) > max_length:
        text = text[: max_length - 1].rstrip() + "…"
    return text


_markdown = None


def _markdown_renderer():
    global _markdown
    if _markdown is None:
        from markdown_it import MarkdownIt

        # "js-default": CommonMark without raw HTML; tables and strikethrough off.
        _markdown = MarkdownIt("js-default", {"html": False, "linkify": False, "breaks": True})
    return _markdown


def render(text: str | None, *, inline: bool = False) -> SafeString:
    """Safe HTML for stored question text. ``inline`` renders without the wrapping paragraph
    (for option labels)."""
    return mark_safe(_render_cleaned(str(text or ""), inline))  # noqa: S308 - nh3 output


# A class opening one quiz renders the same question texts once per student: keep the recent
# ones (the output depends on the text alone; a few MiB at most).
@functools.lru_cache(maxsize=4096)
def _render_cleaned(source: str, inline: bool) -> str:
    markdown = _markdown_renderer()
    html = markdown.renderInline(source) if inline else markdown.render(source)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
