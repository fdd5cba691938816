"""Faults under load: a gunicorn worker killed with SIGKILL and, on PostgreSQL, the database server
crashed and started again while agents search and contributors upload.

What must hold: every upload the register acknowledged (201) is there afterwards, byte for byte
(same SHA-256); a request that failed, failed cleanly – its connection dropped (the killed worker)
or it got a 503 problem with ``Retry-After`` (the database away), never a 500; nothing is
half-written (every stored revision's bytes hash to its SHA-256); and the register serves again,
search index included, without a restart.

The run's database decides the scenario: with TEST_DATABASE=postgresql the register runs on a
PostgreSQL server of its own (the session's server serves other tests and must not go down), with
the commit durability of production (``synchronous_commit=on``; the test server switches it off
for speed). SQLite, the embedded default, has no server to restart: there only the worker dies.
The 503 answers themselves (API and page) are checked in-process too, in both runs, against a
PostgreSQL address where nothing listens.
"""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from flask import Flask, g
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from app import close_app, create_app, migrate
from app.db import Database, release_request_session
from app.errors import handle_database_error
from app.identity.models import Role
from app.library.models import Blob, Revision
from app.search.models import SearchQueueEntry
from tests.conftest import app_overrides
from tests.factories import MINIMAL_BPMN, make_authority, make_member, make_model, make_process
from tests.support.postgres import PostgresServer, free_port
from tests.support.server import RegisterProcess

ON_POSTGRES = os.environ.get("TEST_DATABASE") == "postgresql"
UPLOADERS = 3
SEARCHERS = 3
OUTAGE_SECONDS = 2.0
STEP_TIMEOUT = 20.0


@dataclass
class Register:
    database_url: str
    server: RegisterProcess
    headers: dict[str, str]
    model_ids: list[str]
    postgres: PostgresServer | None = None


@dataclass
class Outcome:
    """What the clients saw: acknowledged uploads and every failed request, clean or not."""

    acknowledged: list[tuple[str, int, str]] = field(default_factory=list)  # model, number, sha
    clean_failures: list[str] = field(default_factory=list)
    unclean_failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self) -> int:
        with self.lock:
            return len(self.acknowledged)


@pytest.fixture()
def fault_database(tmp_path: Path) -> Iterator[tuple[str, PostgresServer | None]]:
    if not ON_POSTGRES:
        url = f"sqlite:///{tmp_path / 'faults.sqlite3'}"
        migrate.upgrade(url)
        yield url, None
        return
    postgres = PostgresServer()
    try:
        postgres.start()
        url = postgres.create_database("faults")
        database = Database(postgres.url())
        with database.engine.connect() as connection:
            connection.execute(text('ALTER DATABASE "faults" SET synchronous_commit = on'))
            connection.commit()
        database.dispose()
        migrate.upgrade(url)
        yield url, postgres
    finally:
        postgres.stop()


@pytest.fixture()
def register(fault_database, tmp_path: Path) -> Iterator[Register]:
    url, postgres = fault_database
    database = Database(url)
    with database.transaction() as session:
        authority = make_authority(session)
        member = make_member(session, authority, Role.CONTRIBUTOR)
        process = make_process(session, authority)
        model_ids = [str(make_model(session, process, f"Modell {n}").id) for n in range(UPLOADERS)]
    database.dispose()
    backend = "postgresql" if ON_POSTGRES else "whoosh"
    server = RegisterProcess(
        url,
        tmp_path,
        workers=2,
        threads=4,
        # the clients here run without pauses; tests/security proves the limits
        environ={"MUSTERREGISTER_SEARCH_BACKEND": backend, "MUSTERREGISTER_RATELIMITS": "false"},
    )
    try:
        server.start()
        yield Register(url, server, member.headers, model_ids, postgres)
    finally:
        server.kill()  # everything is checked by now: no need to wait for a graceful stop


def send(outcome: Outcome, what: str, method: str, url: str, **options) -> requests.Response | None:
    """One request; a failure is filed as clean or unclean, a success is returned."""
    try:
        response = requests.request(method, url, timeout=15, **options)
    except requests.ConnectionError as error:  # the killed worker's connections
        with outcome.lock:
            outcome.clean_failures.append(f"{what}: Verbindung abgebrochen ({error})")
        return None
    if response.ok:
        return response
    clean = (
        response.status_code == 503
        and response.headers.get("Content-Type") == "application/problem+json"
        and response.headers.get("Retry-After")
        and "Datenbank" in response.json()["detail"]
    )
    with outcome.lock:
        target = outcome.clean_failures if clean else outcome.unclean_failures
        target.append(f"{what}: {response.status_code} {response.text[:300]}")
    return None


def upload_loop(register: Register, model_id: str, outcome: Outcome, stop: threading.Event):
    url = f"{register.server.url}/api/v1/models/{model_id}/revisions"
    headers = {**register.headers, "Content-Type": "application/xml"}
    number = 0
    while not stop.is_set():
        number += 1
        label = f"Antrag {number} an {model_id[:8]} eingegangen"
        data = MINIMAL_BPMN.replace(b"Antrag eingegangen", label.encode())
        sha = hashlib.sha256(data).hexdigest()
        response = send(outcome, f"Upload {label}", "POST", url, data=data, headers=headers)
        if response is None:
            continue
        with outcome.lock:
            if response.status_code != 201 or response.json()["sha256"] != sha:
                outcome.unclean_failures.append(f"Upload {label}: {response.text[:300]}")
            outcome.acknowledged.append((model_id, response.json()["number"], sha))


def search_loop(register: Register, outcome: Outcome, stop: threading.Event) -> None:
    url = f"{register.server.url}/api/v1/search"
    typing = False
    while not stop.is_set():
        typing = not typing
        params = {"q": "antrag eingegangen", "typing": str(typing).lower()}
        send(outcome, "Suche", "GET", url, params=params)


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + STEP_TIMEOUT
    while not condition():
        assert time.monotonic() < deadline, f"Zeitüberschreitung: {what}"
        time.sleep(0.1)


def worker_pids(server: RegisterProcess) -> set[int]:
    master = server._process.pid  # type: ignore[union-attr]
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return {int(pid) for pid in children}


def kill_one_worker(register: Register) -> None:
    workers = worker_pids(register.server)
    os.kill(min(workers), signal.SIGKILL)
    wait_for(
        lambda: len(worker_pids(register.server) - workers) == 1
        and len(worker_pids(register.server)) == len(workers),
        "gunicorn ersetzt den getöteten Worker",
    )


def crash_database(register: Register) -> None:
    assert register.postgres is not None
    register.postgres.crash()
    time.sleep(OUTAGE_SECONDS)
    register.postgres.resume()


def uploads_continue(outcome: Outcome, at_least: int) -> None:
    before = outcome.count()
    wait_for(lambda: outcome.count() >= before + at_least, "weitere Uploads werden bestätigt")


class Load:
    """Uploaders (one model each) and searchers in threads until ``stop()``."""

    def __init__(self, register: Register) -> None:
        self.outcome, self._stop = Outcome(), threading.Event()
        self._threads = [
            threading.Thread(target=upload_loop, args=(register, model, self.outcome, self._stop))
            for model in register.model_ids
        ] + [
            threading.Thread(target=search_loop, args=(register, self.outcome, self._stop))
            for _ in range(SEARCHERS)
        ]
        for thread in self._threads:
            thread.start()

    def stop(self) -> Outcome:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)
        return self.outcome


@pytest.fixture()
def load(register: Register) -> Iterator[Load]:
    load = Load(register)
    try:
        yield load
    finally:
        load.stop()


def test_no_acknowledged_upload_is_lost_when_a_worker_and_the_database_die(
    register: Register, load: Load
) -> None:
    uploads_continue(load.outcome, 3)
    kill_one_worker(register)
    uploads_continue(load.outcome, 3)
    if register.postgres is not None:
        crash_database(register)
    uploads_continue(load.outcome, 6)  # served again without a restart
    outcome = load.stop()

    assert outcome.unclean_failures == []
    if register.postgres is not None:
        assert any(" 503 " in failure for failure in outcome.clean_failures)
    assert_every_acknowledged_upload_is_stored(register, outcome)
    assert_nothing_half_written(register.database_url)
    assert_search_index_catches_up(register.database_url)


def assert_every_acknowledged_upload_is_stored(register: Register, outcome: Outcome) -> None:
    with outcome.lock:
        acknowledged = list(outcome.acknowledged)
    lost = []
    for model_id, number, sha in acknowledged:
        url = f"{register.server.url}/api/v1/models/{model_id}/revisions/{number}/content"
        response = requests.get(url, headers=register.headers, timeout=15)
        if response.status_code != 200 or hashlib.sha256(response.content).hexdigest() != sha:
            lost.append((model_id, number, response.status_code))
    assert lost == [], f"{len(lost)} von {len(acknowledged)} bestätigten Uploads fehlen"


def assert_nothing_half_written(database_url: str) -> None:
    database = Database(database_url)
    try:
        with database.session() as session:
            stored = session.execute(
                select(Revision.blob_sha256, Blob.data).join(
                    Blob, Blob.sha256 == Revision.blob_sha256
                )
            ).all()
            revisions = session.scalar(select(func.count()).select_from(Revision))
    finally:
        database.dispose()
    assert len(stored) == revisions
    assert all(hashlib.sha256(data).hexdigest() == sha for sha, data in stored)


def assert_search_index_catches_up(database_url: str) -> None:
    database = Database(database_url)

    def queue_is_empty() -> bool:
        with database.session(write=False) as session:
            return session.scalar(select(func.count()).select_from(SearchQueueEntry)) == 0

    try:
        wait_for(queue_is_empty, "der Suchindex arbeitet alle Änderungen ab")
    finally:
        database.dispose()


@pytest.fixture(scope="module")
def app_without_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """An app whose PostgreSQL server is down: nothing listens on its port."""
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/weg"
    instance = tmp_path_factory.mktemp("ohne-datenbank")
    app = create_app(app_overrides(instance, url, search_backend="postgresql"))
    yield app
    close_app(app)


@pytest.mark.parametrize("path", ["/api/v1/processes", "/api/v1/search?q=hund"])
def test_api_answers_503_with_retry_after_while_the_database_is_away(app_without_database, path):
    response = app_without_database.test_client().get(path)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.json["type"] == "urn:musterregister:problem:database-unavailable"
    assert "Datenbank ist gerade nicht erreichbar" in response.json["detail"]


def test_pages_answer_503_in_german_while_the_database_is_away(app_without_database):
    response = app_without_database.test_client().get("/suche?q=hund")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "Dienst nicht verfügbar" in response.get_data(as_text=True)


def test_other_database_errors_stay_internal_errors(app_without_database):
    with app_without_database.test_request_context("/api/v1/processes"):
        response = handle_database_error(sqlite3.IntegrityError("UNIQUE constraint failed"))
    assert response.status_code == 500
    assert "Retry-After" not in response.headers


def test_the_log_names_the_driver_error_but_never_the_statement_or_its_parameters(
    app_without_database, caplog
):
    secret_hash = "a3f1" * 16
    error = OperationalError("SELECT * FROM api_tokens WHERE hash = %s", (secret_hash,), OSError())
    with app_without_database.test_request_context("/api/v1/processes"):
        response = handle_database_error(error)
    assert response.status_code == 503
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "database unreachable while serving GET /api/v1/processes: OSError" in logged
    assert secret_hash not in logged
    assert "api_tokens" not in logged


def test_a_request_whose_database_connection_died_ends_without_an_error(
    app_without_database, postgres_server, caplog
):
    """The database dies after the request's query failed (its 503 is made), before the rollback:
    ending the request must not turn the answer into a 500."""
    database = Database(postgres_server.url())
    try:
        with app_without_database.test_request_context("/api/v1/search?q=hund"):
            session = database.session(write=False)
            g.db_session = session
            backend = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
            with database.engine.connect() as other:
                other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
            release_request_session()
            assert "db_session" not in g
        assert "connection was lost before its rollback" in caplog.text
    finally:
        database.dispose()
