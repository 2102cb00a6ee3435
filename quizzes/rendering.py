"""Question text is Markdown that can never run script in a browser.

Everything a question shows (stem, options, explanation, feedback) passes ``clean_text`` before
it is stored, whoever wrote it: a teacher, a language model, an imported file. ``render`` turns
stored text into HTML for pages: markdown-it with raw HTML disabled (so ``<script>`` is shown as
text), then nh3 (the Ammonia sanitiser) keeps only formatting tags and safe link schemes."""

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
_SPACES_RE = re.compile(r"[ \t]+")
# Script and style elements lose their content too; comments and CDATA go whole.
_DROP_BLOCK_RE = re.compile(
    r"<(script|style|iframe|object|template)\b[^>]*>.*?(</\1\s*>|$)|<!--.*?(-->|$)|<!\[CDATA\[.*?\]\]>",
    re.IGNORECASE | re.DOTALL,
)
_TAG_RE = re.compile(r"</?[a-zA-Z][a-zA-Z0-9:-]*(\s[^<>]*)?/?>")


def clean_text(text: str | None, *, max_length: int | None = None) -> str:
    """Stored form of a question's text: tags removed (their text kept, except the contents of
    script, style and the like, which go), entities decoded, control characters dropped, runs of
    spaces folded, trimmed.

    What is left is plain text with Markdown punctuation; ``render`` escapes anything that
    still looks like HTML."""
    text = _CONTROL_RE.sub("", str(text or ""))
    if "<" in text:
        # Only what really looks like markup goes ("x < y" and "a<b" are text, not tags).
        text = _DROP_BLOCK_RE.sub("", text)
        text = _TAG_RE.sub("", text)
        text = html.unescape(text) if "&" in text else text
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
    source = str(text or "")
    markdown = _markdown_renderer()
    html = markdown.renderInline(source) if inline else markdown.render(source)
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(cleaned)  # noqa: S308 - nh3 output is sanitised HTML
