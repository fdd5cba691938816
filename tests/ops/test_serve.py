"""``musterregister serve`` for real: gunicorn with two workers, metrics added up over both, and
JSON log lines that carry the request id and never a secret."""

from __future__ import annotations

import gc
import json
import time

import pytest
import requests

from app.server import GC_THRESHOLDS, settle_garbage_collector
from tests.ops.scrape import value
from tests.support.server import RegisterProcess

REQUESTS = 12
SECRETS = ("tok-geheim-4711", "cookie-geheim-4711", "code-geheim-4711")


@pytest.fixture(scope="module")
def server(database_url, tmp_path_factory):
    instance = tmp_path_factory.mktemp("serve")
    process = RegisterProcess(
        database_url,
        instance,
        workers=2,
        threads=2,
        environ={
            "PROMETHEUS_MULTIPROC_DIR": str(instance / "metriken"),
            "MUSTERREGISTER_BACKGROUND_JOBS": "false",  # no threads to wind down: a quick stop
        },
    )
    process.start()
    yield process
    process.stop()


def test_metrics_count_the_requests_of_every_worker(server):
    for _ in range(REQUESTS):  # a new connection each time: both workers take some
        assert requests.get(f"{server.url}/healthz", timeout=10).status_code == 200
    files = {path.name for path in (server.log_path.parent / "metriken").glob("*.db")}
    healthz = {"endpoint": "web.healthz", "method": "GET", "status": "200"}
    for _ in range(4):  # whichever worker answers the scrape, it reports all workers' counts
        text = requests.get(f"{server.url}/metrics", timeout=10).text
        assert value(text, "musterregister_http_requests_total", **healthz) == REQUESTS
    assert any(name.startswith("counter_") for name in files)
    assert requests.get(f"{server.url}/readyz", timeout=10).json()["status"] == "bereit"


def test_log_lines_are_json_with_the_request_id_and_without_secrets(server):
    response = requests.get(
        f"{server.url}/healthz?code={SECRETS[2]}&q=ok",
        headers={"Authorization": f"Bearer {SECRETS[0]}", "Cookie": f"session={SECRETS[1]}"},
        timeout=10,
        allow_redirects=False,  # the unknown token sends a browser to the login page
    )
    request_id = response.headers["X-Request-ID"]
    mine = _lines_of_request(server, request_id)
    assert [(line["logger"], line["path"]) for line in mine] == [("gunicorn.access", "/healthz")]
    assert mine[0]["status"] == response.status_code
    assert mine[0]["query"] == "code=[entfernt]&q=ok"
    log_text = server.log_path.read_text(encoding="utf-8")
    assert not [secret for secret in SECRETS if secret in log_text]


def _lines_of_request(server, request_id: str, timeout: float = 10) -> list[dict]:
    """gunicorn writes the access line after the response has gone out: wait for it."""
    deadline = time.monotonic() + timeout
    while True:
        mine = [line for line in _log_lines(server) if line.get("request_id") == request_id]
        if mine or time.monotonic() > deadline:
            return mine
        time.sleep(0.1)


def _log_lines(server) -> list[dict]:
    text = server.log_path.read_text(encoding="utf-8")
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]  # every line is JSON
    assert {line["logger"] for line in lines} >= {"gunicorn.error", "gunicorn.access"}
    return lines


def test_a_worker_freezes_what_it_built_and_collects_rarely():
    before = gc.get_threshold()
    try:
        settle_garbage_collector()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == GC_THRESHOLDS
    finally:  # this test process keeps the usual collector
        gc.unfreeze()
        gc.set_threshold(*before)
