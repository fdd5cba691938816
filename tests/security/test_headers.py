"""Security headers on every kind of response, and pages that need no inline script."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.security.conftest import HTTPS_BASE

TEMPLATES = Path(__file__).resolve().parents[2] / "app" / "web" / "templates"
PATHS = ("/", "/api/v1/docs", "/api/v1/processes", "/static/css/app.css", "/gibt-es-nicht")
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)(?![^>]*type=\"application/json\")[^>]*>")
EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)


def policy(header: str) -> dict[str, list[str]]:
    directives = (part.split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in directives}


@pytest.mark.parametrize("path", PATHS)
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    response.close()  # a static file is streamed
    csp = policy(response.headers["Content-Security-Policy"])
    assert csp["default-src"] == csp["script-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"] and csp["object-src"] == ["'none'"]
    assert csp["img-src"] == ["'self'", "data:"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in response.headers  # this instance runs on http


def test_hsts_only_where_the_instance_is_served_over_https(hardened_app):
    client = hardened_app.test_client()
    secure = client.get("/", base_url=HTTPS_BASE)
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"
    plain = client.get("/", base_url="http://register.example")
    assert "Strict-Transport-Security" not in plain.headers


def test_templates_hold_no_inline_script_or_event_handler():
    templates = sorted(TEMPLATES.rglob("*.html"))
    assert len(templates) > 20
    for template in templates:
        text = template.read_text(encoding="utf-8")
        assert not INLINE_SCRIPT.search(text), template.name
        assert not EVENT_HANDLER.search(text), template.name
        assert "javascript:" not in text, template.name
