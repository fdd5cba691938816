"""Each person's inbox and their choice per notification kind.

Nobody sees another person's notifications: someone else's id is answered like one that does not
exist (404). Choices are stored as ``NotificationPreference`` rows; a kind without a row arrives in
the inbox and by e-mail. Every change of the choices is an audit event with before and after.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from urllib.parse import urlsplit

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.audit.services import record
from app.authz import Actor, Permission, require
from app.db import utcnow
from app.errors import Conflict, NotFound
from app.i18n import _
from app.pagination import DEFAULT_PAGE_SIZE, Page, paginate
from app.review.models import Delivery, Notification, NotificationKind, NotificationPreference

DEFAULT_DELIVERY = Delivery.INBOX_AND_EMAIL
INBOX_PATH = "/postfach"
PREFERENCES_PATH = "/konto/benachrichtigungen"


def safe_link(link: str | None) -> str:
    """A path on this site, or the inbox: a notification never sends anyone to another host."""
    if not link or not link.startswith("/") or link.startswith("//") or "\\" in link:
        return INBOX_PATH
    parts = urlsplit(link)
    if parts.scheme or parts.netloc or any(ord(char) < 32 for char in link):
        return INBOX_PATH
    return link


# --- the inbox ----------------------------------------------------------------------------------


def list_notifications(
    session: Session,
    actor: Actor,
    *,
    unread_only: bool = False,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> Page[Notification]:
    """The actor's own notifications, newest first."""
    require(actor, Permission.INBOX_USE)
    statement = (
        select(Notification)
        .where(Notification.account_id == actor.account_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
    if unread_only:
        statement = statement.where(Notification.read_at.is_(None))
    return paginate(session, statement, page, page_size)


def unread_count(session: Session, account_id: uuid.UUID | None) -> int:
    """Cheap enough for every page: one count over the (account, created) index."""
    if account_id is None:
        return 0
    statement = select(func.count(Notification.id)).where(
        Notification.account_id == account_id, Notification.read_at.is_(None)
    )
    return session.scalar(statement) or 0


def get_notification(session: Session, actor: Actor, notification_id: uuid.UUID) -> Notification:
    notification = session.get(Notification, notification_id)
    if notification is None:
        raise NotFound(_("Diese Benachrichtigung gibt es nicht."))
    require(actor, Permission.INBOX_USE, notification)
    return notification


def mark_read(session: Session, actor: Actor, notification: Notification) -> Notification:
    require(actor, Permission.INBOX_USE, notification)
    if notification.read_at is None:
        notification.read_at = utcnow()
        session.flush()
    return notification


def mark_all_read(session: Session, actor: Actor) -> int:
    """Mark every unread notification of the actor as read; returns how many there were."""
    require(actor, Permission.INBOX_USE)
    result = session.execute(
        update(Notification)
        .where(Notification.account_id == actor.account_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# --- choices per kind ---------------------------------------------------------------------------


def preferences(session: Session, actor: Actor) -> dict[NotificationKind, Delivery]:
    """The actor's choice for every kind (the default where they chose nothing)."""
    require(actor, Permission.INBOX_USE)
    stored = {row.kind: row.delivery for row in _stored(session, actor)}
    return {kind: stored.get(kind, DEFAULT_DELIVERY) for kind in NotificationKind}


def set_preferences(
    session: Session, actor: Actor, choices: Mapping[NotificationKind, Delivery]
) -> dict[NotificationKind, Delivery]:
    """Save the actor's choices (kinds left out stay as they are); returns all choices."""
    require(actor, Permission.INBOX_USE)
    if actor.account_id is None:
        raise NotFound(_("Benachrichtigungen gibt es nur für Konten."))
    rows = {row.kind: row for row in _stored(session, actor)}
    before: dict[str, str] = {}
    after: dict[str, str] = {}
    for kind, delivery in choices.items():
        current = rows[kind].delivery if kind in rows else DEFAULT_DELIVERY
        if kind in rows and current is delivery:
            continue
        if kind in rows:
            rows[kind].delivery = delivery
        else:
            session.add(
                NotificationPreference(account_id=actor.account_id, kind=kind, delivery=delivery)
            )
        if current is not delivery:
            before[kind.value], after[kind.value] = current.value, delivery.value
    _flush(session)
    if after:
        _audit(session, actor, before, after)
    return preferences(session, actor)


def _stored(session: Session, actor: Actor) -> list[NotificationPreference]:
    return list(
        session.scalars(
            select(NotificationPreference).where(
                NotificationPreference.account_id == actor.account_id
            )
        )
    )


def _flush(session: Session) -> None:
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(
            _("Die Einstellungen wurden gerade an anderer Stelle geändert. Bitte neu laden.")
        ) from None


def _audit(session: Session, actor: Actor, before: dict[str, str], after: dict[str, str]) -> None:
    record(
        session,
        actor,
        "account.notification_preferences_changed",
        object_type="account",
        object_id=actor.account_id,  # type: ignore[arg-type]
        authority_id=actor.authority_id,
        before=before,
        after=after,
    )
