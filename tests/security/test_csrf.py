"""Every form of the pages refuses a logged-in browser's request that lacks the CSRF token."""

from __future__ import annotations

import re

from app.identity.models import Role
from tests.factories import csrf_token, login_as, make_account, make_authority

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
MACHINE_PREFIXES = ("/api/", "/federation/")  # bearer tokens or signatures, never cookies
PLACEHOLDERS = {"uuid": "00000000-0000-4000-8000-000000000000", "int": "1"}


def fill(rule: str) -> str:
    return re.sub(
        r"<(?:(\w+)(?:\([^)]*\))?:)?\w+>", lambda m: PLACEHOLDERS.get(m.group(1), "x"), rule
    )


def web_write_routes(app) -> list[tuple[str, str]]:
    return [
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if not rule.rule.startswith(MACHINE_PREFIXES)
        for method in sorted((rule.methods or set()) & WRITE_METHODS)
    ]


def logged_in_as_everyone(client, session) -> None:
    login_as(client, make_account(session, make_authority(session), *Role))
    session.commit()


def test_every_page_write_without_csrf_token_is_refused(app, client, session):
    logged_in_as_everyone(client, session)
    routes = web_write_routes(app)
    assert len(routes) >= 25
    for method, rule in routes:
        response = client.open(fill(rule), method=method, data={"name": "x"})
        assert response.status_code == 400, (method, rule, response.status_code)
        assert "CSRF-Schutz" in response.get_data(as_text=True), (method, rule)


def test_the_same_browser_with_the_token_gets_through(client, session):
    logged_in_as_everyone(client, session)
    token = csrf_token(client, "/konto/tokens")
    data = {"csrf_token": token, "name": "Skript", "scopes": ["catalog:write"], "days": "3"}
    assert client.post("/konto/tokens", data=data).status_code == 200


def test_the_api_takes_no_cookie_as_login(client, session):
    """The API is exempt from CSRF checks because a browser's cookie never authenticates it."""
    logged_in_as_everyone(client, session)
    response = client.post("/api/v1/processes", json={"title": "Per Cookie"})
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
