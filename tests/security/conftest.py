"""A register reached over HTTPS with small rate limits, for the tests of headers and limits."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from app import close_app, create_app
from tests.conftest import app_overrides

HTTPS_BASE = "https://register.example"
SMALL_LIMITS = {
    "ratelimit_login": "3 per minute",
    "ratelimit_search": "4 per minute",
    "ratelimit_write": "2 per minute",
}


@pytest.fixture(scope="session")
def hardened_app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = create_app(
        app_overrides(
            tmp_path_factory.mktemp("hardened-instance"),
            database_url,
            base_url=HTTPS_BASE,
            ratelimits=True,
            **SMALL_LIMITS,
        )
    )
    yield app
    close_app(app)


# The real OpenID providers of the login tests, for the test that no secret leaks.
from tests.identity.conftest import providers, world  # noqa: E402, F401
