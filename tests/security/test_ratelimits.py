"""Rate limits: logins and searches per client address, API writes per token; 429 in German.

The hardened app allows 3 logins, 4 searches and 2 API writes a minute. Each test speaks from an
address of its own, because the counters outlive a test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from app import close_app, create_app
from app.config import ConfigError, load_settings
from app.db import get_database
from app.identity.models import Role
from tests.conftest import app_overrides, rolled_back
from tests.factories import make_authority, make_member
from tests.security.conftest import HTTPS_BASE


@pytest.fixture()
def hardened_session(hardened_app) -> Iterator:
    with (
        rolled_back(get_database(hardened_app), hardened_app) as database,
        database.session() as session,
    ):
        yield session


def client_from(app, address: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base.update(REMOTE_ADDR=address)
    return client


def assert_too_many_as_problem(response) -> None:
    assert response.status_code == 429
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["title"] == "Zu viele Anfragen"
    assert body["type"] == "urn:musterregister:problem:too-many-requests"
    assert 1 <= int(response.headers["Retry-After"]) <= 61  # the minute, rounded up


def test_searches_share_one_limit_per_address_across_pages_and_api(hardened_app):
    agent = client_from(hardened_app, "192.0.2.10")
    for path in ("/suche?q=hund", "/115?q=hund", "/api/v1/search?q=hund&typing=true"):
        assert agent.get(path, base_url=HTTPS_BASE).status_code == 200
    assert agent.get("/api/v1/search?q=katze", base_url=HTTPS_BASE).status_code == 200
    refused = agent.get("/api/v1/search?q=maus", base_url=HTTPS_BASE)
    assert_too_many_as_problem(refused)
    assert "Suchanfragen" in refused.get_json()["detail"]
    page = agent.get("/suche?q=maus", base_url=HTTPS_BASE)
    assert page.status_code == 429 and page.mimetype == "text/html"
    assert "Zu viele Suchanfragen" in page.get_data(as_text=True)
    assert page.headers["Retry-After"].isdigit()
    neighbour = client_from(hardened_app, "192.0.2.11")
    assert neighbour.get("/suche?q=maus", base_url=HTTPS_BASE).status_code == 200


def test_login_attempts_are_limited_per_address(hardened_app):
    guesser = client_from(hardened_app, "192.0.2.20")
    for _ in range(3):  # an authority that does not exist: refused, but counted
        assert guesser.get("/anmelden/gibt-es-nicht", base_url=HTTPS_BASE).status_code == 404
    refused = guesser.get("/anmelden/rueckkehr?code=x&state=y", base_url=HTTPS_BASE)
    assert refused.status_code == 429
    assert "Zu viele Anmeldeversuche" in refused.get_data(as_text=True)
    assert guesser.get("/anmelden", base_url=HTTPS_BASE).status_code == 200  # the list stays open


def test_api_writes_are_limited_per_token_not_reads(hardened_app, hardened_session):
    authority = make_authority(hardened_session)
    first, second = (make_member(hardened_session, authority, Role.CONTRIBUTOR) for _ in "ab")
    hardened_session.commit()
    office = client_from(hardened_app, "192.0.2.30")  # both tokens behind one address
    for title in ("Eins", "Zwei"):
        created = office.post("/api/v1/processes", json={"title": title}, headers=first.headers)
        assert created.status_code == 201
    refused = office.post("/api/v1/processes", json={"title": "Drei"}, headers=first.headers)
    assert_too_many_as_problem(refused)
    assert "Token" in refused.get_json()["detail"]
    assert office.get("/api/v1/processes", headers=first.headers).status_code == 200
    other = office.post("/api/v1/processes", json={"title": "Drei"}, headers=second.headers)
    assert other.status_code == 201


def test_rate_settings_are_checked_at_start(tmp_path):
    with pytest.raises(ConfigError, match="RATELIMIT_SEARCH"):
        load_settings({"demo": True, "instance_path": tmp_path, "ratelimit_search": "oft"}, {})
    settings = load_settings(
        {"demo": True, "instance_path": tmp_path},
        {"MUSTERREGISTER_RATELIMIT_LOGIN": "10/minute;100/hour", "MUSTERREGISTER_RATELIMITS": "0"},
    )
    assert (settings.ratelimit_login, settings.ratelimits) == ("10/minute;100/hour", False)
    assert settings.ratelimit_storage_uri == "memory://"


def test_a_dead_counter_store_lets_requests_through(database_url, tmp_path, caplog):
    """Redis down must not take the register down: the request is served, the failure logged."""
    app = create_app(
        app_overrides(
            tmp_path, database_url, ratelimits=True, ratelimit_storage_uri="redis://127.0.0.1:1/0"
        )
    )
    try:
        response = app.test_client().get("/api/v1/search?q=hund")
    finally:
        close_app(app)
    assert response.status_code == 200
    failures = [record for record in caplog.records if record.name == "flask-limiter"]
    assert failures and "Connection refused" in str(failures[0].exc_info[1])


def test_an_unknown_counter_store_stops_the_start(database_url, tmp_path):
    with pytest.raises(ConfigError, match="RATELIMIT_STORAGE_URI"):
        create_app(
            app_overrides(
                tmp_path, database_url, ratelimits=True, ratelimit_storage_uri="zettel://kasten"
            )
        )
