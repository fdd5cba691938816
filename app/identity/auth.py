"""Who is making the current request: a bearer token, a browser session, or nobody.

The API takes writes only with a bearer token. A browser session (cookie) counts for pages and for
reading the API (so the diagram viewer sees the own authority's drafts), never for API writes: those
would need CSRF protection, which tokens do not.
"""

from __future__ import annotations

import uuid

from flask import Flask, g, request, session

from app.authz import ANONYMOUS, Actor
from app.db import SAFE_METHODS, get_database
from app.errors import MACHINE_PATH_PREFIXES, Unauthorized
from app.i18n import _
from app.identity import services
from app.identity.models import Account


def current_actor() -> Actor:
    if "actor" not in g:
        g.actor = _actor_from_request()
    return g.actor


def _actor_from_request() -> Actor:
    header = request.headers.get("Authorization")
    if header is None:
        if request.path.startswith(MACHINE_PATH_PREFIXES) and request.method not in SAFE_METHODS:
            return ANONYMOUS
        return _actor_from_session()
    scheme, _separator, credentials = header.partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise Unauthorized(_("Erwartet wird der Header 'Authorization: Bearer <API-Token>'."))
    return _authenticate(credentials.strip())


def _actor_from_session() -> Actor:
    account_id = session.get("account_id")
    if not account_id:
        return ANONYMOUS
    with get_database().session(write=False) as db:
        account = db.get(Account, uuid.UUID(account_id))
        if account is None:
            session.clear()
            return ANONYMOUS
        return services.actor_for(account)


def _authenticate(raw_token: str) -> Actor:
    """Check the token in short sessions of its own, before the request's session begins.

    That keeps read-only requests read-only and never makes a request wait for its own lock when it
    records the token's last use.
    """
    database = get_database()
    with database.session(write=False) as session:
        actor, token = services.authenticate_token(session, raw_token)
        needs_touch = services.token_needs_touch(token)
        token_id = token.id
    if needs_touch:
        with database.transaction() as session:
            services.touch_token(session, token_id)
    return actor


def _authenticate_early() -> None:
    """A request that brings credentials has them checked, even where reading is public."""
    if "Authorization" in request.headers:
        current_actor()


def init_app(app: Flask) -> None:
    app.before_request(_authenticate_early)
