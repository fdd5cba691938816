"""Reading audit trails: the events of one object (a model with its revisions) or of an authority.

Whoever asks must pass :data:`Permission.AUDIT_READ` on the trail's :class:`TrailSubject`; events
come newest first, one page at a time or as a stream for exports.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.authz import Actor, Permission, require
from app.errors import NotFound
from app.i18n import _
from app.pagination import Page, paginate

STREAM_BATCH = 500


@dataclass(frozen=True)
class TrailSubject:
    """Whose history is read: the owning authority decides who may read it."""

    kind: str  # an object type of audit events, or "authority_trail"
    object_id: uuid.UUID
    title: str
    authority_id: uuid.UUID
    sensitive: bool = False  # accounts, tokens, an authority's whole trail: for its admins
    revision: Any = None  # set for a revision: reviewers may read what they may review
    revision_ids: tuple[str, ...] = field(default=())  # a model's trail shows its revisions'


def _process(session: Session, object_id: uuid.UUID) -> TrailSubject | None:
    from app.catalog.models import Process

    process = session.get(Process, object_id)
    if process is None:
        return None
    return TrailSubject("process", object_id, process.title, process.authority_id)


def _model(session: Session, object_id: uuid.UUID) -> TrailSubject | None:
    from app.library.models import ProcessModel, Revision

    model = session.get(ProcessModel, object_id)
    if model is None:
        return None
    ids = session.scalars(select(Revision.id).where(Revision.model_id == model.id))
    return TrailSubject(
        "process_model",
        object_id,
        model.title,
        model.authority_id,
        revision_ids=tuple(str(revision_id) for revision_id in ids),
    )


def _revision(session: Session, object_id: uuid.UUID) -> TrailSubject | None:
    from app.library.models import Revision

    revision = session.get(Revision, object_id)
    if revision is None:
        return None
    title = _(
        "Revision %(number)s von „%(title)s“", number=revision.number, title=revision.model.title
    )
    return TrailSubject(
        "revision", object_id, title, revision.model.authority_id, revision=revision
    )


def _authority(session: Session, object_id: uuid.UUID) -> TrailSubject | None:
    from app.identity.models import Authority

    authority = session.get(Authority, object_id)
    if authority is None:
        return None
    return TrailSubject("authority", object_id, authority.name, authority.id, sensitive=True)


def _account(session: Session, object_id: uuid.UUID) -> TrailSubject | None:
    from app.identity.models import Account

    account = session.get(Account, object_id)
    if account is None:
        return None
    name, owner = account.display_name, account.authority_id
    return TrailSubject("account", object_id, name, owner, sensitive=True)


def _token(session: Session, object_id: uuid.UUID) -> TrailSubject | None:
    from app.identity.models import ApiToken

    token = session.get(ApiToken, object_id)
    if token is None:
        return None
    title = _("API-Token „%(name)s“", name=token.name)
    return TrailSubject("api_token", object_id, title, token.authority_id, sensitive=True)


def _import_job(session: Session, object_id: uuid.UUID) -> TrailSubject | None:
    from app.catalog.models import ImportJob

    job = session.get(ImportJob, object_id)
    if job is None:
        return None
    return TrailSubject(
        "import_job", object_id, _("Import „%(name)s“", name=job.filename), job.authority_id
    )


RESOLVERS: dict[str, Callable[[Session, uuid.UUID], TrailSubject | None]] = {
    "process": _process,
    "process_model": _model,
    "revision": _revision,
    "authority": _authority,
    "account": _account,
    "api_token": _token,
    "import_job": _import_job,
}


def object_subject(session: Session, object_type: str, object_id: uuid.UUID) -> TrailSubject:
    resolver = RESOLVERS.get(object_type)
    subject = resolver(session, object_id) if resolver else None
    if subject is None:
        raise NotFound(_("Zu diesem Objekt gibt es kein Protokoll."))
    return subject


def authority_subject(authority: Any) -> TrailSubject:
    """The whole trail of an authority: everything recorded with its id."""
    return TrailSubject(
        "authority_trail", authority.id, authority.name, authority.id, sensitive=True
    )


def trail_statement(subject: TrailSubject) -> Select[tuple[AuditEvent]]:
    if subject.kind == "authority_trail":
        condition = AuditEvent.authority_id == subject.authority_id
    else:
        condition = and_(
            AuditEvent.object_type == subject.kind, AuditEvent.object_id == str(subject.object_id)
        )
        if subject.revision_ids:
            revisions = and_(
                AuditEvent.object_type == "revision",
                AuditEvent.object_id.in_(subject.revision_ids),
            )
            condition = or_(condition, revisions)
    return (
        select(AuditEvent)
        .where(condition)
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    )


def readable_subject(
    session: Session, actor: Actor, object_type: str, object_id: uuid.UUID
) -> TrailSubject:
    subject = object_subject(session, object_type, object_id)
    require_readable(actor, subject)
    return subject


def require_readable(actor: Actor, subject: TrailSubject) -> None:
    require(actor, Permission.AUDIT_READ, subject)


def events_page(
    session: Session, actor: Actor, subject: TrailSubject, page: int, page_size: int = 50
) -> Page[AuditEvent]:
    require_readable(actor, subject)
    return paginate(session, trail_statement(subject), page, page_size)


def stream_events(session: Session, subject: TrailSubject) -> Iterator[AuditEvent]:
    """All events of the trail, fetched in batches (the caller checked the permission)."""
    statement = trail_statement(subject).execution_options(yield_per=STREAM_BATCH)
    yield from session.scalars(statement)
