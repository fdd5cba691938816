"""Test fixtures: a migrated database (SQLite, or PostgreSQL with TEST_DATABASE=postgresql),
one application for the session, and every test inside a transaction that is rolled back."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.orm import Session

from app import close_app, create_app, migrate
from app.cache import response_cache
from app.db import Database, get_database
from app.seed import load_seed
from tests.support.postgres import PostgresServer

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
SEED_PATH = ROOT / "seed" / "musterregister"
TEST_UPLOAD_LIMIT = 200 * 1024  # below the test client's 500 KB spooling, which leaks a temp file
TEST_SECRET = "test-secret-key-that-is-long-enough-for-production-rules"


def pytest_report_header() -> str:
    return f"Musterregister test database: {os.environ.get('TEST_DATABASE', 'sqlite')}"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer()
    try:
        server.start()
        yield server
    finally:
        server.stop()


def new_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, name: str
) -> str:
    """An empty database migrated to head, on the backend the run was asked for."""
    if os.environ.get("TEST_DATABASE", "sqlite") == "postgresql":
        server: PostgresServer = request.getfixturevalue("postgres_server")
        url = server.create_database(name)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / f'{name}.sqlite3'}"
    migrate.upgrade(url)
    return url


@pytest.fixture(scope="session")
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    return new_database(request, tmp_path_factory, "musterregister_test")


@pytest.fixture(scope="session")
def seeded_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """A database holding the whole seed register (loaded once per test run)."""
    url = new_database(request, tmp_path_factory, "musterregister_seeded")
    database = Database(url)
    try:
        load_seed(database, SEED_PATH, max_bytes=TEST_UPLOAD_LIMIT, demo_accounts=True)
    finally:
        database.dispose()
    return url


def app_overrides(instance_path: Path, database_url: str, **extra: object) -> dict[str, object]:
    return {
        "instance_path": instance_path,
        "database_url": database_url,
        "secret_key": TEST_SECRET,
        "demo": False,
        # all sessions of a test share one connection, which a second thread must not use
        "background_jobs": False,
        # tests log in and search far faster than people; tests/security proves the limits
        "ratelimits": False,
        # the search tests run against the backend of the database the run was asked for
        "search_backend": "postgresql"
        if os.environ.get("TEST_DATABASE") == "postgresql"
        else "whoosh",
        **extra,
    }


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = create_app(
        app_overrides(
            tmp_path_factory.mktemp("instance"), database_url, max_upload_bytes=TEST_UPLOAD_LIMIT
        )
    )
    yield app
    close_app(app)


@pytest.fixture(scope="session")
def seeded_app(
    seeded_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    app = create_app(app_overrides(tmp_path_factory.mktemp("seeded-instance"), seeded_database_url))
    yield app
    close_app(app)


@contextmanager
def rolled_back(database: Database, app: Flask | None = None) -> Iterator[Database]:
    """All sessions inside one transaction that is rolled back at the end.

    The rollback takes the register's generation back too, so cached responses must go.
    """
    cache = response_cache(app) if app else None
    if cache:
        cache.clear()
    with database.engine.connect() as connection:
        transaction = connection.begin()
        database.bind_to_connection(connection)
        try:
            yield database
        finally:
            transaction.rollback()
            database.unbind()


@pytest.fixture()
def seeded_client(seeded_app: Flask) -> Iterator[FlaskClient]:
    with rolled_back(get_database(seeded_app), seeded_app):
        yield seeded_app.test_client()


@pytest.fixture()
def database(app: Flask) -> Iterator[Database]:
    """The app's database, with every session of this test inside one rolled-back transaction."""
    with rolled_back(get_database(app), app) as database:
        yield database


@pytest.fixture()
def session(database: Database) -> Iterator[Session]:
    with database.session() as session:
        yield session


@pytest.fixture()
def client(app: Flask, database: Database) -> FlaskClient:
    return app.test_client()


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, _conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
            self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture()
def count_queries(database: Database) -> Iterator[QueryCounter]:
    """Counts the SQL statements a test issues (against N+1 queries)."""
    counter = QueryCounter()
    event.listen(database.engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        event.remove(database.engine, "before_cursor_execute", counter)


@pytest.fixture()
def cli(tmp_path: Path):
    """The musterregister command on a fresh SQLite instance in ``tmp_path``, already migrated.

    ``cli("authorities", "list")`` returns the output and asserts success; ``ok=False`` expects a
    failure instead.
    """
    from click.testing import CliRunner

    from app.cli import main

    runner = CliRunner()
    env = {"MUSTERREGISTER_DEMO": "1", "MUSTERREGISTER_INSTANCE_PATH": str(tmp_path)}

    def run(*args: str, ok: bool = True) -> str:
        result = runner.invoke(main, list(args), env=env, catch_exceptions=False)
        assert (result.exit_code == 0) is ok, result.output
        return result.output

    run("db", "upgrade")
    return run
