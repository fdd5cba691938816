"""Comments are Markdown rendered into pages: only a small, harmless subset may come out."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from markupsafe import Markup

from app.review.markdown import ALLOWED_TAGS, render

HOSTILE = [
    "<script>alert(1)</script>",
    '<img src="x" onerror="alert(1)">',
    "<svg onload=alert(1)>",
    '<a href="javascript:alert(1)">klick</a>',
    "[klick](javascript:alert(1))",
    "[klick](JaVaScRiPt:alert(1))",
    "[klick](java&#x09;script:alert(1))",
    "[klick](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![bild](data:image/png;base64,iVBORw0KGgo=)",
    "[klick](vbscript:msgbox(1))",
    '<iframe src="https://example.org"></iframe>',
    "<style>body{display:none}</style>",
    '<div style="position:fixed">x</div>',
    "<!-- <script>alert(1)</script> -->",
    '[x](https://example.org "title" onmouseover="alert(1)")',
    "<details open ontoggle=alert(1)>",
    "```html\n<script>alert(1)</script>\n```",
    "`<b onclick=alert(1)>`",
]


class TagsIn(HTMLParser):
    """The tags and attributes that really are in a piece of HTML (not what is shown as text)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.comments: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_comment(self, data):
        self.comments.append(data)


@pytest.mark.parametrize("body", HOSTILE)
def test_hostile_input_comes_out_harmless(body):
    parsed = TagsIn(str(render(body)))
    assert not parsed.comments
    for tag, attributes in parsed.tags:
        assert tag in ALLOWED_TAGS, (body, tag)
        assert set(attributes) <= {"href", "rel", "start"}, (body, attributes)
        href = attributes.get("href")
        if href is not None:
            assert href.split(":", 1)[0].lower() in {"http", "https", "mailto"}, (body, href)


def test_raw_html_is_shown_as_text_not_passed_through():
    html = str(render("Bitte <b>fett</b> und <em>so</em>"))
    assert "&lt;b&gt;fett&lt;/b&gt;" in html
    assert "<b>" not in html


def test_the_markdown_subset_is_rendered():
    html = str(
        render(
            "# Titel\n\n*kursiv* **fett** `code`\n\n- eins\n- zwei\n\n> Zitat\n\n"
            "1. a\n2. b\n\n```\nblock\n```\n\nZeile  \numbruch"
        )
    )
    for tag in ("<h4>Titel</h4>", "<em>kursiv</em>", "<strong>fett</strong>", "<code>code</code>"):
        assert tag in html
    for tag in ("<ul>", "<li>eins</li>", "<blockquote>", "<ol>", "<pre><code>block", "<br>"):
        assert tag in html


def test_links_are_http_https_or_mailto_and_never_followed_by_robots():
    html = str(render("[a](https://example.org/x?y=1) [b](http://e.de) [c](mailto:amt@e.de)"))
    assert html.count('rel="noopener noreferrer nofollow"') == 3
    assert 'href="https://example.org/x?y=1"' in html
    assert 'href="http://e.de"' in html and 'href="mailto:amt@e.de"' in html
    relative = str(render("[intern](/verwaltung) [ftp](ftp://example.org/datei)"))
    assert "href" not in relative


def test_images_become_at_most_a_link():
    html = str(render("![Plan](https://example.org/plan.png)"))
    assert "<img" not in html
    assert 'href="https://example.org/plan.png"' in html


def test_headings_never_compete_with_the_page():
    html = str(render("# a\n\n## b\n\n###### c"))
    assert "<h1" not in html and "<h2" not in html and "<h3" not in html
    assert "<h4>a</h4>" in html and "<h5>b</h5>" in html and "<h6>c</h6>" in html


def test_the_result_is_markup_for_jinja_and_empty_stays_empty():
    assert isinstance(render("x"), Markup)
    assert str(render("")) == ""
