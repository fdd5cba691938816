"""/metrics: requests per endpoint (never per raw URL), search latency, peer lag, and who may read."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app import close_app, create_app
from app.db import utcnow
from app.peering.models import Peer, PeerState
from tests.conftest import app_overrides
from tests.ops.scrape import samples, value

METRICS_TOKEN = "metrik-token-" + "7" * 32
OUTSIDE = {"REMOTE_ADDR": "203.0.113.9"}


def scrape(client, **kwargs) -> str:
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.text
    assert response.mimetype == "text/plain" and response.headers["Cache-Control"] == "no-store"
    return response.text


def test_requests_are_counted_per_endpoint_and_timed(client):
    before = scrape(client)
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    assert client.get("/gibt-es-nicht/12345").status_code == 404
    after = scrape(client)
    healthz = {"endpoint": "web.healthz", "method": "GET"}
    counted = "musterregister_http_requests_total"
    assert value(after, counted, status="200", **healthz) - value(
        before, counted, status="200", **healthz
    ) == pytest.approx(3)
    timed = "musterregister_http_request_duration_seconds_count"
    assert value(after, timed, **healthz) - value(before, timed, **healthz) == pytest.approx(3)
    unmatched = {"endpoint": "(keiner)", "status": "404"}
    assert value(after, counted, **unmatched) - value(before, counted, **unmatched) == 1
    assert "/gibt-es-nicht/12345" not in after  # endpoints, not URLs: the series stay bounded


def test_search_latency_is_measured(client):
    before = scrape(client)
    assert client.get("/api/v1/search?q=Hundesteuer").status_code == 200
    after = scrape(client)
    name = "musterregister_search_duration_seconds_count"
    assert value(after, name) - value(before, name) == 1
    backends = {labels["backend"] for n, labels, _v in samples(after) if n == name}
    assert backends <= {"whoosh", "postgresql"} and backends


def test_sync_lag_per_peer_comes_from_the_peers_table(client, session):
    synced, failed = utcnow() - timedelta(minutes=5), utcnow()
    session.add_all(
        [
            _peer("sachsen", PeerState.ACTIVE, lag_events=12, cursor=340, last_success_at=synced),
            _peer(
                "bayern",
                PeerState.PAUSED,
                cursor=0,
                last_attempt_at=failed,
                last_error="Zeitüberschreitung",
                last_error_at=failed,
            ),
        ]
    )
    session.commit()
    text = scrape(client)
    assert value(text, "musterregister_peer_lag_events", peer="sachsen") == 12
    assert value(text, "musterregister_peer_cursor", peer="sachsen") == 340
    success = value(text, "musterregister_peer_last_success_timestamp_seconds", peer="sachsen")
    assert success == pytest.approx(synced.timestamp())
    assert value(text, "musterregister_peer_failing", peer="sachsen") == 0
    assert value(text, "musterregister_peer_failing", peer="bayern") == 1
    assert value(text, "musterregister_peer_state", peer="bayern", state="paused") == 1
    assert value(text, "musterregister_peer_state", peer="bayern", state="active") == 0
    assert not [
        s
        for s in samples(text)
        if s[0] == "musterregister_peer_lag_events" and s[1]["peer"] == "bayern"
    ]  # never synced: no lag is known, none is made up
    assert value(text, "musterregister_peers_readable") == 1


def _peer(name: str, state: PeerState, **values: object) -> Peer:
    return Peer(
        name=name,
        base_url=f"https://{name}.example.org",
        instance_name=f"Register {name}",
        protocol_version="1",
        jwks={"keys": []},
        fingerprint=f"fp-{name}",
        state=state,
        **values,
    )


def test_metrics_are_refused_outside_the_monitoring_networks(client):
    response = client.get("/metrics", environ_base=OUTSIDE)
    assert response.status_code == 403 and "musterregister_" not in response.text


@pytest.fixture()
def token_app(database_url, tmp_path):
    app = create_app(
        app_overrides(
            tmp_path,
            database_url,
            metrics_token=METRICS_TOKEN,
            metrics_networks="10.20.0.0/16, 2001:db8::/32",
        )
    )
    yield app
    close_app(app)


def test_a_metrics_token_or_a_configured_network_opens_metrics(token_app):
    client = token_app.test_client()
    bearer = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    # the metrics token is no API token: the API's early token check must not refuse it (401)
    assert "musterregister_http_requests_total" in scrape(
        client, headers=bearer, environ_base=OUTSIDE
    )
    wrong = client.get("/metrics", headers={"Authorization": "Bearer falsch"}, environ_base=OUTSIDE)
    assert wrong.status_code == 403
    odd = client.get("/metrics", headers={"Authorization": "Bearer größer"}, environ_base=OUTSIDE)
    assert odd.status_code == 403
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.20.3.4"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "2001:db8::5"}).status_code == 200
    # the loopback default no longer applies once networks are configured
    assert client.get("/metrics").status_code == 403


def test_forwarded_addresses_count_only_behind_a_trusted_proxy(app, database_url, tmp_path):
    forged = {"X-Forwarded-For": "203.0.113.9"}
    # default: no proxy is trusted, so a client cannot make itself look like someone else
    assert app.test_client().get("/metrics", headers=forged).status_code == 200
    behind_nginx = create_app(app_overrides(tmp_path, database_url, trusted_proxies="1"))
    try:
        client = behind_nginx.test_client()
        # nginx on this machine passes the caller's address on: outside, so no metrics
        assert client.get("/metrics", headers=forged).status_code == 403
        assert client.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 200
    finally:
        close_app(behind_nginx)
