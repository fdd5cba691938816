"""Running the register in production: proxy headers, request ids, readiness, metrics, logs.

See docs/betrieb.md. ``init_app`` is called early in ``create_app`` so that its hooks run before
the others (the metrics token must be set aside before the API token check looks at it).
"""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app.config import Settings


def init_app(app: Flask, settings: Settings) -> None:
    from app.ops import logging, metrics, views

    logging.init_app(app)
    metrics.init_app(app)
    views.init_app(app)
    if settings.trusted_proxies:
        app.wsgi_app = trust_proxies(app.wsgi_app, settings.trusted_proxies)  # type: ignore[method-assign]


def trust_proxies(wsgi_app: object, count: int) -> ProxyFix:
    """Client address, scheme, host and port from the ``X-Forwarded-*`` headers of ``count``
    proxies. Not ``X-Forwarded-Prefix``: the register is served from the root of its host."""
    return ProxyFix(wsgi_app, x_for=count, x_proto=count, x_host=count, x_port=count, x_prefix=0)
