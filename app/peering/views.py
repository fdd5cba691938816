"""The federation endpoints other instances pull from: identity, feed and content by hash.

Public and read-only; not part of the ``/api/v1`` API (their format is the federation protocol's,
see docs/federation.md). Responses are compact JSON.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Blueprint, Flask, Response, request

from app.authz import public
from app.config import current_settings
from app.db import get_database, request_session
from app.errors import DomainError, NotFound
from app.i18n import _
from app.peering import feed, keys

MAX_PAGE = 500
DEFAULT_PAGE = 100
SHA256_PATTERN = re.compile(r"[0-9a-f]{64}")
IMMUTABLE = "public, max-age=31536000, immutable"

bp = Blueprint("federation", __name__, url_prefix="/federation/v1")


class BadFeedRequest(DomainError):
    status, slug = 400, "bad-request"


@bp.get("/instance")
@public
def instance() -> Response:
    settings, jwks = current_settings(), _jwks()
    return _json(
        {
            "name": settings.name,
            "base_url": settings.base_url.rstrip("/"),
            "protocol_version": feed.PROTOCOL_VERSION,
            "jwks": jwks,
            "vouches": feed.vouches(request_session()),
        }
    )


def _jwks() -> dict[str, Any]:
    """The public keys; on the very first call, the instance's first key is created."""
    database = get_database()
    with database.session(write=False) as session:
        key_set = keys.jwks(session)
    if key_set["keys"]:
        return key_set
    with database.transaction() as session:  # a write of its own: requests that read do not
        keys.ensure_key(session, current_settings().secret_key or "")
        return keys.jwks(session)


@bp.get("/changes")
@public
def changes() -> Response:
    after = _int_argument("after", 0, 0, None)
    limit = _int_argument("limit", DEFAULT_PAGE, 1, MAX_PAGE)
    return _json(feed.changes(request_session(), after, limit))


@bp.get("/blobs/<sha256>")
@public
def blob(sha256: str) -> Response:
    if not SHA256_PATTERN.fullmatch(sha256):
        raise BadFeedRequest(
            _("Ein Inhalt wird mit seinem SHA-256 abgerufen: 64 Hexziffern (0-9, a-f).")
        )
    data = feed.blob(request_session(), sha256)
    if data is None:
        raise NotFound(_("Diesen Inhalt gibt es in diesem Feed nicht."))
    response = Response(data, mimetype="application/octet-stream")
    response.headers["Cache-Control"] = IMMUTABLE
    response.set_etag(sha256)
    return response.make_conditional(request)


def _int_argument(name: str, default: int, minimum: int, maximum: int | None) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    value = int(raw) if re.fullmatch(r"[0-9]{1,18}", raw) else None
    if value is None or value < minimum or (maximum is not None and value > maximum):
        raise BadFeedRequest(
            _bounds_message(name, minimum, maximum),
            errors={name: [_("'%(value)s' ist ungültig.", value=raw)]},
        )
    return value


def _bounds_message(name: str, minimum: int, maximum: int | None) -> str:
    if maximum:
        return _(
            "Der Parameter '%(name)s' muss eine ganze Zahl zwischen %(minimum)s und %(maximum)s "
            "sein.",
            name=name,
            minimum=minimum,
            maximum=maximum,
        )
    return _(
        "Der Parameter '%(name)s' muss eine ganze Zahl ab %(minimum)s sein.",
        name=name,
        minimum=minimum,
    )


def _json(body: dict[str, Any]) -> Response:
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    return Response(text, mimetype="application/json")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
