"""Who is making the current request. Today: anonymous or an API token; the OIDC login joins here."""

from __future__ import annotations

from flask import Flask, g, request

from app.authz import ANONYMOUS, Actor
from app.db import get_database
from app.errors import Unauthorized
from app.identity import services


def current_actor() -> Actor:
    if "actor" not in g:
        g.actor = _actor_from_request()
    return g.actor


def _actor_from_request() -> Actor:
    header = request.headers.get("Authorization")
    if header is None:
        return ANONYMOUS
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise Unauthorized("Erwartet wird der Header 'Authorization: Bearer <API-Token>'.")
    return _authenticate(credentials.strip())


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
