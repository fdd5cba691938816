"""Who hears of what: notifications written into each person's inbox in the same transaction as the
change they report. E-mails for them are sent only after that commit (see ``app.review.mail``).

Each person chooses per kind: inbox and e-mail (the default), inbox only, or nothing. The person who
caused a change is never notified of it.

Titles and texts are stored, so they are written in German (the source language) whoever causes
them; the labels of kinds and deliveries are translated where they are shown.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.authz import Actor
from app.i18n import SOURCE_LOCALE, _, _l
from app.identity.models import Account, Role
from app.library.models import ProcessModel, Revision
from app.review.models import (
    Delivery,
    EmailStatus,
    Notification,
    NotificationKind,
    NotificationPreference,
)

KIND_LABELS = {
    NotificationKind.SUBMISSION_WAITING: _l("Einreichung wartet auf Prüfung"),
    NotificationKind.DECISION_MADE: _l("Entscheidung über Ihre Einreichung"),
    NotificationKind.COMMENT: _l("Kommentar zu Ihrem Modell"),
    NotificationKind.UPSTREAM_PUBLISHED: _l("Upstream hat eine neue Revision veröffentlicht"),
    NotificationKind.PROPOSAL_RECEIVED: _l("Änderungsvorschlag eingegangen"),
}
DELIVERY_LABELS = {
    Delivery.INBOX_AND_EMAIL: _l("Postfach und E-Mail"),
    Delivery.INBOX: _l("nur Postfach"),
    Delivery.OFF: _l("aus"),
}
TITLE_LIMIT = 300


def kind_label(kind: NotificationKind) -> str:
    """The kind in the reader's language."""
    return str(KIND_LABELS.get(kind, kind.value))


def notify(
    session: Session,
    actor: Actor,
    kind: NotificationKind,
    recipients: Iterable[Account],
    *,
    title: str,
    link: str,
    body: str = "",
) -> list[Notification]:
    """Add one notification per recipient who wants this kind (never the actor themselves)."""
    unique = {account.id: account for account in recipients if account.id != actor.account_id}
    if not unique:
        return []
    choices = deliveries(session, list(unique), kind)
    created = []
    for account_id, account in unique.items():
        delivery = choices.get(account_id, Delivery.INBOX_AND_EMAIL)
        if delivery is Delivery.OFF:
            continue
        wants_mail = delivery is Delivery.INBOX_AND_EMAIL and bool(account.email)
        notification = Notification(
            account_id=account_id,
            kind=kind,
            title=title[:TITLE_LIMIT],
            body=body,
            link=link,
            email_status=EmailStatus.PENDING if wants_mail else EmailStatus.NOT_WANTED,
        )
        session.add(notification)
        created.append(notification)
    return created


def deliveries(
    session: Session, account_ids: list[uuid.UUID], kind: NotificationKind
) -> dict[uuid.UUID, Delivery]:
    rows = session.execute(
        select(NotificationPreference.account_id, NotificationPreference.delivery).where(
            NotificationPreference.kind == kind,
            NotificationPreference.account_id.in_(account_ids),
        )
    )
    return {account_id: delivery for account_id, delivery in rows}


# --- who is told --------------------------------------------------------------------------------


def contributors_of(session: Session, authority_ids: Iterable[uuid.UUID]) -> list[Account]:
    """The people who look after an authority's models."""
    return _with_role(session, Role.CONTRIBUTOR, Account.authority_id.in_(set(authority_ids)))


def reviewers_outside(session: Session, authority_id: uuid.UUID) -> list[Account]:
    """The reviewers allowed to decide on a submission of ``authority_id`` (four eyes)."""
    return _with_role(session, Role.REVIEWER, Account.authority_id != authority_id)


def _with_role(session: Session, role: Role, condition: object) -> list[Account]:
    accounts = session.scalars(select(Account).where(condition).order_by(Account.display_name))
    return [account for account in accounts if role.value in (account.roles or [])]


def accounts_by_id(session: Session, account_ids: Iterable[uuid.UUID | None]) -> list[Account]:
    wanted = {account_id for account_id in account_ids if account_id is not None}
    if not wanted:
        return []
    return list(session.scalars(select(Account).where(Account.id.in_(wanted))))


# --- the workflow's messages --------------------------------------------------------------------


def submission_waiting(session: Session, actor: Actor, revision: Revision) -> None:
    model = revision.model
    with force_locale(SOURCE_LOCALE):
        title = _(
            "Zur Prüfung: %(title)s, Revision %(number)s",
            title=model.title,
            number=revision.number,
        )
        body = _(
            "%(authority)s hat die Revision zur Veröffentlichung eingereicht.",
            authority=model.authority.name,
        )
    notify(
        session,
        actor,
        NotificationKind.SUBMISSION_WAITING,
        reviewers_outside(session, model.authority_id),
        title=title,
        body=body,
        link=f"/pruefung/{model.id}/{revision.number}",
    )


def decision_made(
    session: Session, actor: Actor, revision: Revision, status_label: str, comment: str
) -> None:
    model = revision.model
    with force_locale(SOURCE_LOCALE):  # status_label may be lazy: German as well
        title = _(
            "%(title)s, Revision %(number)s: %(status)s",
            title=model.title,
            number=revision.number,
            status=status_label,
        )
    notify(
        session,
        actor,
        NotificationKind.DECISION_MADE,
        accounts_by_id(session, [revision.submitted_by_id, revision.author_account_id]),
        title=title,
        body=comment,
        link=f"/modelle/{model.id}",
    )


def upstream_published(session: Session, actor: Actor, revision: Revision) -> None:
    """Tell the owners of every fork of this model that upstream has something new."""
    forks = list(
        session.scalars(
            select(ProcessModel).where(ProcessModel.upstream_model_id == revision.model_id)
        )
    )
    with force_locale(SOURCE_LOCALE):
        body = _(
            "%(authority)s hat Revision %(number)s von „%(title)s“ veröffentlicht.",
            authority=revision.model.authority.name,
            number=revision.number,
            title=revision.model.title,
        )
    for fork in forks:
        with force_locale(SOURCE_LOCALE):
            title = _("Neue Upstream-Revision für %(title)s", title=fork.title)
        notify(
            session,
            actor,
            NotificationKind.UPSTREAM_PUBLISHED,
            contributors_of(session, [fork.authority_id]),
            title=title,
            body=body,
            link=f"/modelle/{fork.id}",
        )
