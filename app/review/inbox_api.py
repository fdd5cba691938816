"""REST routes of the own inbox: list, mark read, and the choices per notification kind.

Only the caller's own notifications exist here: another person's id is a 404.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask_smorest import Blueprint

from app.api.common import BEARER_SECURITY
from app.authz import Permission, requires
from app.db import request_session
from app.identity.auth import current_actor
from app.identity.models import Account
from app.review import inbox_services as services
from app.review.inbox_schemas import (
    NotificationOut,
    NotificationPage,
    NotificationQuery,
    PreferencesIn,
    PreferencesOut,
)

blp = Blueprint(
    "notifications",
    __name__,
    url_prefix="/api/v1/notifications",
    description="Benachrichtigungen: das eigene Postfach und die Einstellungen je Art",
)


@blp.route("", methods=["GET"])
@requires(Permission.INBOX_USE)
@blp.arguments(NotificationQuery(), location="query", as_kwargs=True)
@blp.response(200, NotificationPage)
@blp.doc(security=BEARER_SECURITY)
def list_notifications(page: int, page_size: int, unread: bool):
    """Eigene Benachrichtigungen, die neueste zuerst"""
    session, actor = request_session(), current_actor()
    result = services.list_notifications(
        session, actor, unread_only=unread, page=page, page_size=page_size
    )
    return {
        **result.envelope(result.items),
        "unread": services.unread_count(session, actor.account_id),
    }


@blp.route("/<uuid:notification_id>/read", methods=["POST"])
@requires(Permission.INBOX_USE)
@blp.response(200, NotificationOut)
@blp.doc(security=BEARER_SECURITY)
def mark_read(notification_id: uuid.UUID):
    """Eine eigene Benachrichtigung als gelesen markieren (mehrfach harmlos)"""
    session, actor = request_session(), current_actor()
    notification = services.mark_read(
        session, actor, services.get_notification(session, actor, notification_id)
    )
    session.commit()
    return notification


@blp.route("/preferences", methods=["GET"])
@requires(Permission.INBOX_USE)
@blp.response(200, PreferencesOut)
@blp.doc(security=BEARER_SECURITY)
def get_preferences():
    """Wie jede Art von Benachrichtigung ankommt: Postfach und E-Mail, nur Postfach oder gar nicht"""
    session = request_session()
    return _preferences_out(services.preferences(session, current_actor()))


@blp.route("/preferences", methods=["PUT"])
@requires(Permission.INBOX_USE)
@blp.arguments(PreferencesIn())
@blp.response(200, PreferencesOut)
@blp.doc(security=BEARER_SECURITY)
def put_preferences(data: dict[str, Any]):
    """Einstellungen je Art speichern (nicht genannte Arten bleiben, wie sie sind)"""
    session = request_session()
    choices = services.set_preferences(session, current_actor(), data["preferences"])
    session.commit()
    return _preferences_out(choices)


def _preferences_out(choices: dict[Any, Any]) -> dict[str, Any]:
    account = request_session().get(Account, current_actor().account_id)
    return {"preferences": choices, "email_known": bool(account and account.email)}
