"""/healthz says the process lives; /readyz says whether database and search index answer."""

from __future__ import annotations

import logging
import os

from sqlalchemy import text

from app import close_app, create_app
from tests.conftest import app_overrides
from tests.ops.scrape import value
from tests.support.postgres import free_port


def test_ready_when_database_and_index_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["status"] == "bereit"
    assert body["checks"]["database"]["ok"] and body["checks"]["search"]["ok"]
    backend = "postgresql" if os.environ.get("TEST_DATABASE") == "postgresql" else "whoosh"
    assert body["checks"]["search"]["detail"].startswith(f"{backend}: ")


def test_an_unreachable_database_makes_the_process_unready_but_alive(tmp_path, caplog):
    # nothing listens on this port: a real connection attempt, refused by the kernel
    url = f"postgresql+psycopg://musterregister@127.0.0.1:{free_port()}/musterregister"
    app = create_app(app_overrides(tmp_path, url, search_backend="whoosh"))
    try:
        client = app.test_client()
        with caplog.at_level(logging.WARNING, logger="app.ops.health"):
            response = client.get("/readyz", headers={"X-Request-ID": "lb-probe-000042"})
        assert client.get("/healthz").status_code == 200
        scrape = client.get("/metrics")  # metrics still answer, and say what they cannot read
    finally:
        close_app(app)
    assert response.status_code == 503
    checks = response.get_json()["checks"]
    assert checks["database"] == {
        "ok": False,
        "ms": checks["database"]["ms"],
        "detail": "Datenbank nicht erreichbar (OperationalError)",
    }
    assert checks["search"]["ok"]  # the Whoosh index lives in the instance folder
    assert response.headers["X-Request-ID"] == "lb-probe-000042"
    [record] = [r for r in caplog.records if r.name == "app.ops.health"]
    assert "database" in record.getMessage()
    assert scrape.status_code == 200 and value(scrape.text, "musterregister_peers_readable") == 0


def test_a_broken_index_makes_the_process_unready(database_url, tmp_path, session, client):
    if os.environ.get("TEST_DATABASE") == "postgresql":
        # inside the test's transaction, rolled back afterwards
        session.execute(text("ALTER TABLE search_documents RENAME TO search_documents_weg"))
        session.commit()
        response = client.get("/readyz")
    else:
        response = _readyz_with_a_broken_whoosh_index(database_url, tmp_path)
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "nicht bereit"
    assert body["checks"]["database"]["ok"]
    assert not body["checks"]["search"]["ok"]
    assert body["checks"]["search"]["detail"].startswith("Suchindex nicht lesbar (")


def _readyz_with_a_broken_whoosh_index(database_url, tmp_path):
    index = tmp_path / "suchindex"
    app = create_app(app_overrides(tmp_path, database_url, search_backend="whoosh"))
    try:
        (index / "CURRENT").write_text("index-das-es-nicht-gibt", encoding="utf-8")
        return app.test_client().get("/readyz")
    finally:
        close_app(app)
