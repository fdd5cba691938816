"""Browser sessions kept on the server.

The cookie holds only a random token (HttpOnly, SameSite=Lax, Secure behind HTTPS); the database
keeps its SHA-256 with the session data. A login gets a brand-new token (no session fixation), logout
deletes the row, and a session ends after an idle and after an absolute timeout. Visitors who never
store anything in their session (everyone who just reads) get no cookie and no row.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin
from sqlalchemy import delete
from werkzeug.datastructures import CallbackDict

from app.config import Settings
from app.db import get_database, utcnow
from app.identity.models import WebSession

COOKIE_NAME = "musterregister_session"
TOUCH_INTERVAL = timedelta(minutes=1)
AUTHENTICATED_AT = "authenticated_at"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class ServerSession(CallbackDict[str, Any], SessionMixin):
    def __init__(
        self,
        data: dict[str, Any] | None = None,
        token: str | None = None,
        last_seen: datetime | None = None,
    ):
        def on_update(session: ServerSession) -> None:
            session.modified = True

        super().__init__(data or {}, on_update)
        self.token = token
        self.last_seen = last_seen
        self.modified = False
        self.stale_token: str | None = None

    def regenerate(self) -> None:
        """A new token for the same data (at login); the old one stops working."""
        if self.token:
            self.stale_token = self.token
        self.token = None
        self.modified = True


class DatabaseSessionInterface(SessionInterface):
    def __init__(self, settings: Settings) -> None:
        self.idle = timedelta(minutes=settings.session_idle_minutes)
        self.absolute = timedelta(hours=settings.session_absolute_hours)

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        token = request.cookies.get(COOKIE_NAME)
        if not token:
            return ServerSession()
        with get_database(app).session(write=False) as db:
            row = db.get(WebSession, _hash(token))
            if row is None or self._expired(row):
                return ServerSession()
            return ServerSession(dict(row.data), token=token, last_seen=row.last_seen_at)

    def _expired(self, row: WebSession) -> bool:
        now = utcnow()
        logged_in_at = row.authenticated_at or row.created_at
        return now - row.last_seen_at > self.idle or now - logged_in_at > self.absolute

    def save_session(self, app: Flask, session: ServerSession, response: Response) -> None:  # type: ignore[override]
        if session.stale_token:
            self._delete(app, session.stale_token)
        if not session:
            if session.token:
                self._delete(app, session.token)
                response.delete_cookie(COOKIE_NAME, path="/")
            return
        if session.token and not session.modified and not self._needs_touch(session):
            return
        token = session.token or secrets.token_urlsafe(32)
        self._store(app, token, session)
        if token != session.token:
            response.set_cookie(
                COOKIE_NAME,
                token,
                httponly=True,
                secure=app.config["SESSION_COOKIE_SECURE"],
                samesite="Lax",
                path="/",
            )

    def _needs_touch(self, session: ServerSession) -> bool:
        return session.last_seen is None or utcnow() - session.last_seen > TOUCH_INTERVAL

    def _store(self, app: Flask, token: str, session: ServerSession) -> None:
        data = dict(session)
        with get_database(app).transaction() as db:
            row = db.get(WebSession, _hash(token))
            if row is None:
                row = WebSession(id_hash=_hash(token))
                db.add(row)
            row.data = data
            row.account_id = uuid.UUID(data["account_id"]) if data.get("account_id") else None
            row.authenticated_at = (
                datetime.fromisoformat(data[AUTHENTICATED_AT]) if AUTHENTICATED_AT in data else None
            )
            row.last_seen_at = utcnow()

    def _delete(self, app: Flask, token: str) -> None:
        with get_database(app).transaction() as db:
            db.execute(delete(WebSession).where(WebSession.id_hash == _hash(token)))


def init_app(app: Flask, settings: Settings) -> None:
    app.session_interface = DatabaseSessionInterface(settings)
    app.config.update(
        SESSION_COOKIE_NAME=COOKIE_NAME,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.base_url.startswith("https://"),
    )
