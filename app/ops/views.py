"""``/readyz`` and ``/metrics``.

Who may read ``/metrics``: callers from ``metrics_networks`` (default: this machine only) or with
``Authorization: Bearer <metrics_token>``. The metrics name endpoints, peers and load, which is
nobody else's business, and a scrape costs a database query. Behind a reverse proxy the caller's
address is the proxy's unless ``trusted_proxies`` is set, so the nginx site of deploy/ does not
pass ``/metrics`` on at all; Prometheus scrapes the server directly.
"""

from __future__ import annotations

import hmac
import ipaddress

from flask import Blueprint, Flask, Response, g, jsonify, request

from app.authz import ANONYMOUS, public
from app.config import Settings, current_settings
from app.db import get_database
from app.ops import health, metrics
from app.search import search_runtime

bp = Blueprint("ops", __name__)
NO_STORE = {"Cache-Control": "no-store"}
METRICS_ENDPOINT = "ops.metrics"


@bp.route("/readyz")
@public
def readyz() -> Response:
    ready, body = health.readiness(get_database(), search_runtime())
    response = jsonify(body)
    response.status_code = 200 if ready else 503
    response.headers.update(NO_STORE)
    return response


@bp.route("/metrics", endpoint="metrics")
@public
def metrics_view() -> Response:
    """Open to the monitoring networks or the metrics token only (see the module docstring)."""
    if not may_read_metrics(current_settings()):
        return Response(
            "Metriken nur aus den freigegebenen Netzen oder mit dem Metrik-Token.\n",
            status=403,
            headers={**NO_STORE, "Content-Type": "text/plain; charset=utf-8"},
        )
    body, content_type = metrics.exposition(get_database())
    return Response(body, headers={**NO_STORE, "Content-Type": content_type})


def may_read_metrics(settings: Settings) -> bool:
    offered = _bearer_token()
    if settings.metrics_token and offered is not None:
        # as bytes: compare_digest refuses str with non-ASCII characters (a 500, not a 403)
        return hmac.compare_digest(offered.encode(), settings.metrics_token.encode())
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in network for network in settings.metrics_networks)


def _bearer_token() -> str | None:
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" and credentials.strip() else None


def _metrics_token_is_no_api_token() -> None:
    """The metrics token is no API token: keep the early token check (app.identity.auth) off it.

    Registered before that check; it finds an actor already decided and looks no further.
    """
    if request.endpoint == METRICS_ENDPOINT:
        g.actor = ANONYMOUS


def init_app(app: Flask) -> None:
    app.before_request(_metrics_token_is_no_api_token)
    app.register_blueprint(bp)
