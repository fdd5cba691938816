"""Search fixtures: the seeded register with its index built once per test run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.db import get_database
from app.search import search_runtime
from app.search.indexing import SearchRuntime
from tests.conftest import rolled_back


@pytest.fixture(scope="session")
def search_app(seeded_app: Flask) -> Flask:
    """The seeded app whose index holds the whole seed register (built outside any test's
    transaction, so the rollbacks of the tests leave it alone)."""
    search_runtime(seeded_app).drain()
    return seeded_app


@pytest.fixture()
def search_client(search_app: Flask) -> Iterator[FlaskClient]:
    with rolled_back(get_database(search_app), search_app):
        yield search_app.test_client()


@pytest.fixture()
def runtime(search_app: Flask) -> SearchRuntime:
    return search_runtime(search_app)
