"""Cross-cutting API contract: one problem shape, the OpenAPI document, tokens, docs page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from openapi_spec_validator import validate
from sqlalchemy import select

from app.db import utcnow
from app.identity.models import ApiToken, Role
from app.identity.services import revoke_token
from tests.conftest import TEST_UPLOAD_LIMIT
from tests.factories import SYSTEM, make_authority, make_member, make_model, make_process


def test_openapi_document_is_valid_and_documents_every_api_route(client, app):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    validate(spec)
    documented = {
        (path, method.upper())
        for path, operations in spec["paths"].items()
        for method in operations
    }
    for rule in app.url_map.iter_rules():
        if (
            not rule.rule.startswith("/api/v1/")
            or rule.endpoint.startswith("api-docs")
            or rule.endpoint == "web.api_docs"
        ):
            continue
        path = (
            rule.rule.replace("<uuid:", "{")
            .replace("<int:", "{")
            .replace("<string:", "{")
            .replace(">", "}")
        )
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method) in documented, (path, method)


def test_openapi_documents_problem_json_and_bearer_auth(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    create = spec["paths"]["/api/v1/processes"]["post"]
    assert create["security"] == [{"bearerAuth": []}]
    default = spec["components"]["responses"]["DEFAULT_ERROR"]
    assert "application/problem+json" in default["content"]


def test_docs_page_uses_local_assets(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower() and "unpkg" not in page.lower()


def test_unknown_route_is_a_problem(client):
    response = client.get("/api/v1/nichts")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.get_json() == {
        "type": "about:blank",
        "title": "Nicht gefunden",
        "status": 404,
        "detail": "Diese Adresse gibt es nicht.",
        "instance": "/api/v1/nichts",
    }


def test_wrong_method_is_a_405_with_allow(client):
    response = client.delete("/api/v1/processes")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]


def test_body_over_the_server_limit_is_a_413(client, session):
    authority = make_authority(session)
    member = make_member(session, authority, Role.CONTRIBUTOR)
    model = make_model(session, make_process(session, authority))
    session.commit()
    response = client.post(
        f"/api/v1/models/{model.id}/revisions",
        data=b" " * (TEST_UPLOAD_LIMIT + 70 * 1024),
        headers={**member.headers, "Content-Type": "application/xml"},
    )
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"
    assert f"{TEST_UPLOAD_LIMIT // 1024} KiB" in response.get_json()["detail"]


def test_malformed_json_body_is_a_problem(client, session):
    member = make_member(session, make_authority(session), Role.CONTRIBUTOR)
    session.commit()
    response = client.post(
        "/api/v1/processes",
        data="{kaputt",
        headers={**member.headers, "Content-Type": "application/json"},
    )
    assert response.status_code in {400, 422}
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("header", ["Basic dXNlcjpwdw==", "Bearer", "Bearer mr_falsch"])
def test_bad_credentials_are_a_401_even_for_reads(client, header):
    response = client.get("/api/v1/processes", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


def test_expired_and_revoked_tokens_are_refused(client, session):
    authority = make_authority(session)
    expired = make_member(session, authority, Role.CONTRIBUTOR)
    revoked = make_member(session, authority, Role.CONTRIBUTOR)
    tokens = session.scalars(select(ApiToken).order_by(ApiToken.created_at)).all()[-2:]
    tokens[0].expires_at = utcnow() - timedelta(seconds=1)
    revoke_token(session, SYSTEM, tokens[1])
    session.commit()
    for member in (expired, revoked):
        response = client.post("/api/v1/processes", json={"title": "x"}, headers=member.headers)
        assert response.status_code == 401


def test_token_use_is_recorded(client, session):
    member = make_member(session, make_authority(session), Role.CONTRIBUTOR)
    session.commit()
    client.get("/api/v1/processes", headers=member.headers)
    token = session.scalar(select(ApiToken).where(ApiToken.account_id == member.account.id))
    session.refresh(token)
    assert token.last_used_at is not None


def test_html_error_page_for_browsers(client):
    response = client.get(
        "/prozesse/00000000-0000-0000-0000-000000000000", headers={"Accept": "text/html"}
    )
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "Nicht gefunden" in response.get_data(as_text=True)
