"""Rate limits (flask-limiter) on logging in, searching and writing through the API.

Limits are counted per client address for logins and searches and per API token for writes. A
request over the limit gets a 429 with a German message and ``Retry-After``: a problem+json body
for the API, the error page for the browser. The counters live in ``ratelimit_storage_uri``:
``memory://`` counts per process, so several gunicorn workers or hosts need a shared ``redis://``.
If that storage fails, requests pass (and the failure is logged): a rate limit must never take the
register down.

Behind a reverse proxy the client address is the proxy's unless ``MUSTERREGISTER_TRUSTED_PROXIES``
lets the register trust ``X-Forwarded-For``; a 115 service centre behind one NAT shares one address,
which is why the search limit is generous.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flask import Flask, Response, current_app, request
from flask_limiter import Limiter, RateLimitExceeded
from limits.errors import ConfigurationError as LimitsConfigurationError

from app.config import ConfigError, Settings
from app.errors import DomainError, handle_domain_error

WRITE_METHODS = ["POST", "PUT", "PATCH", "DELETE"]
LOGIN_ENDPOINTS = ("identity.login_start", "identity.login_return")
SEARCH_ENDPOINTS = ("search_pages.search_page", "search_pages.hotline", "search.search_register")
KEY_PREFIX = "musterregister"


class TooManyRequests(DomainError):
    status, slug = 429, "too-many-requests"


@dataclass(frozen=True)
class Category:
    """Endpoints that share one counter per client."""

    scope: str
    limit: str
    message: str
    key: Callable[[], str]
    methods: list[str] | None = None


def client_address() -> str:
    return request.remote_addr or "unbekannt"


def api_writer() -> str:
    """The API token (hashed, so no secret lands in the counter storage), else the address."""
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return "token:" + hashlib.sha256(credentials.strip().encode()).hexdigest()[:32]
    return "adresse:" + client_address()


def categories(settings: Settings) -> list[Category]:
    return [
        Category(
            "anmeldung",
            settings.ratelimit_login,
            "Zu viele Anmeldeversuche von dieser Adresse. Bitte später erneut versuchen.",
            client_address,
        ),
        Category(
            "suche",
            settings.ratelimit_search,
            "Zu viele Suchanfragen von dieser Adresse. Bitte kurz warten.",
            client_address,
        ),
        Category(
            "schreiben",
            settings.ratelimit_write,
            "Zu viele schreibende API-Aufrufe mit diesem Token. Bitte später erneut versuchen.",
            api_writer,
            WRITE_METHODS,
        ),
    ]


def write_api_endpoints(app: Flask) -> list[str]:
    return sorted(
        {
            rule.endpoint
            for rule in app.url_map.iter_rules()
            if rule.rule.startswith("/api/") and set(WRITE_METHODS) & (rule.methods or set())
        }
    )


def endpoints_of(app: Flask, category: Category) -> Iterable[str]:
    if category.scope == "anmeldung":
        return LOGIN_ENDPOINTS
    if category.scope == "suche":
        return SEARCH_ENDPOINTS
    return write_api_endpoints(app)


def new_limiter(app: Flask, settings: Settings) -> Limiter:
    try:
        return Limiter(
            key_func=client_address,
            app=app,
            storage_uri=settings.ratelimit_storage_uri,
            strategy="moving-window",  # exact: no burst at the edge of a fixed window
            key_prefix=KEY_PREFIX,
            swallow_errors=True,
        )
    except LimitsConfigurationError as exc:
        raise ConfigError(
            f"MUSTERREGISTER_RATELIMIT_STORAGE_URI: '{settings.ratelimit_storage_uri}' ist "
            f"nicht nutzbar ({exc})."
        ) from None


def init_app(app: Flask, settings: Settings) -> Limiter | None:
    """Limit the endpoints of every category; call after all blueprints are registered."""
    if not settings.ratelimits:
        return None
    limiter = new_limiter(app, settings)
    for category in categories(settings):
        limit = limiter.shared_limit(
            category.limit,
            scope=category.scope,
            key_func=category.key,
            methods=category.methods,
            error_message=category.message,
        )
        for endpoint in endpoints_of(app, category):
            app.view_functions[endpoint] = limit(app.view_functions[endpoint])
    app.register_error_handler(RateLimitExceeded, too_many_requests)
    return limiter


def too_many_requests(error: RateLimitExceeded) -> Response:
    headers = {"Retry-After": str(seconds_until_reset())}
    return handle_domain_error(TooManyRequests(str(error.description), headers=headers))


def seconds_until_reset() -> int:
    limiter = next(iter(current_app.extensions["limiter"]))
    current = limiter.current_limit
    if current is None:
        return 60
    return max(1, math.ceil(current.reset_at - time.time()))
