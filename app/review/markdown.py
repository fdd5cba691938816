"""Comments are Markdown; this renders them as HTML that is safe to put into a page.

Two locks, so that one failing is not enough: markdown-it (CommonMark, raw HTML switched off, so
typed tags come out as text) and then nh3, which keeps only a small list of tags and attributes and
links to http, https and mailto. No images, no classes, no styles, no relative links. Headings are
moved down three levels (``#`` becomes ``<h4>``), so a comment never competes with the page's own
headings.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "em",
        "strong",
        "code",
        "pre",
        "ul",
        "ol",
        "li",
        "blockquote",
        "a",
        "hr",
        "h4",
        "h5",
        "h6",
    }
)
ALLOWED_ATTRIBUTES = {"a": {"href"}, "ol": {"start"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"
HEADING_SHIFT = 3

_parser = MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image")


def render(body: str) -> Markup:
    """The sanitised HTML of a Markdown text."""
    tokens = _parser.parse(body)
    for token in tokens:
        _shift_heading(token)
    html = _parser.renderer.render(tokens, _parser.options, {})
    return Markup(_clean(html))


def _shift_heading(token: Token) -> None:
    if token.type in {"heading_open", "heading_close"}:
        level = min(6, int(token.tag[1]) + HEADING_SHIFT)
        token.tag = f"h{level}"


def _clean(html: str) -> str:
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        url_relative="deny",
        link_rel=LINK_REL,
        strip_comments=True,
    )


def markdown_filter(body: str | None) -> Markup:
    """Jinja filter ``markdown``."""
    return render(body or "")
