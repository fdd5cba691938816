"""Submitting revisions for publication, reviewers' decisions, withdrawal and the review queue.

Every status change goes through :func:`app.review.workflow.target` and is written with the
revision's optimistic version (``Revision.version``): of two reviewers deciding at the same moment,
exactly one succeeds and the other gets a 409 with nothing changed. Each change is an audit event
with the status before and after.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.exc import StaleDataError

from app.audit.services import record
from app.authz import Actor, Permission, require
from app.catalog.models import OzgService, Process
from app.db import utcnow
from app.errors import Conflict, ValidationFailed
from app.i18n import _
from app.identity.models import Authority
from app.library import analysis
from app.library import services as library
from app.library.models import ProcessModel, Revision, RevisionStatus
from app.peering import outbox
from app.peering.models import EventKind
from app.review import notifications
from app.review.models import ReviewDecision
from app.review.workflow import STATUS_LABELS, Action, Decision, target

MAX_COMMENT_LENGTH = 10_000
QUEUE_LIMIT = 200


class ReviewConflict(Conflict):
    slug = "review-conflict"


@dataclass(frozen=True)
class Outcome:
    decision: ReviewDecision
    revision: Revision
    published: bool
    approvals_required: int


def submit(session: Session, actor: Actor, revision: Revision, *, comment: str = "") -> Revision:
    """Ask for publication: only a revision without schema or import errors (lint findings may
    remain; reviewers see them)."""
    require(actor, Permission.REVISION_SUBMIT, revision)
    status = target(revision.status, Action.SUBMIT)
    if not revision.is_valid:
        raise ValidationFailed(
            _("Nur eine Revision ohne Schema- und Importfehler kann eingereicht werden."),
            errors={"validation": [issue.get("message", "") for issue in revision.validation]},
        )
    before = _state(revision)
    revision.status = status
    revision.review_round += 1
    revision.approvals = 0
    revision.submitted_at = utcnow()
    revision.submitted_by_id = actor.account_id
    revision.submitted_by_name = actor.name
    _flush(session)
    _audit(session, actor, "revision.submitted", revision, before, comment=comment)
    notifications.submission_waiting(session, actor, revision)
    return revision


def decide(
    session: Session,
    actor: Actor,
    revision: Revision,
    decision: Decision,
    *,
    comment: str = "",
    approvals_required: int = 1,
) -> Outcome:
    """A reviewer of another authority decides; the last approval needed publishes."""
    require(actor, Permission.REVIEW_DECIDE, revision)
    if decision is not Decision.APPROVE and not comment.strip():
        raise ValidationFailed(
            _("Bitte begründen Sie die Entscheidung."),
            errors={"comment": [_("Pflichtfeld, wenn Änderungen erbeten oder abgelehnt werden.")]},
        )
    status = target(revision.status, decision.action)  # 409 unless submitted
    before = _state(revision)
    publishes = False
    if decision is Decision.APPROVE:
        revision.approvals += 1
        publishes = revision.approvals >= approvals_required
        if not publishes:
            status = revision.status
    entry = ReviewDecision(
        revision_id=revision.id,
        round=revision.review_round,
        reviewer_account_id=actor.account_id,
        reviewer_name=actor.name,
        reviewer_authority_id=actor.authority_id,
        decision=decision,
        comment=comment.strip(),
    )
    session.add(entry)
    revision.status = status
    if publishes:
        revision.published_at = utcnow()
    _flush(session)
    if publishes:
        outbox.revision_changed(session, EventKind.PUBLISHED, revision)
        _supersede_older(session, actor, revision)
        notifications.upstream_published(session, actor, revision)
    _audit(session, actor, f"review.{decision.value}", revision, before, comment=comment)
    if status is not RevisionStatus.SUBMITTED:  # a decision, not one approval of several
        notifications.decision_made(
            session, actor, revision, STATUS_LABELS[status], comment.strip()
        )
    return Outcome(entry, revision, publishes, approvals_required)


def withdraw(session: Session, actor: Actor, revision: Revision, *, comment: str = "") -> Revision:
    """The owning authority takes a draft, a submission or a publication back."""
    require(actor, Permission.REVISION_WITHDRAW, revision)
    status = target(revision.status, Action.WITHDRAW)
    before = _state(revision)
    revision.status = status
    _flush(session)
    if before["status"] == RevisionStatus.PUBLISHED:  # mirrors must let it go too
        outbox.revision_changed(session, EventKind.WITHDRAWN, revision)
    _audit(session, actor, "revision.withdrawn", revision, before, comment=comment)
    return revision


def decisions(session: Session, revision: Revision) -> list[ReviewDecision]:
    return list(
        session.scalars(
            select(ReviewDecision)
            .where(ReviewDecision.revision_id == revision.id)
            .order_by(ReviewDecision.created_at, ReviewDecision.id)
        )
    )


def last_published(session: Session, revision: Revision) -> Revision | None:
    """The model's newest published revision before this one (what a reviewer diffs against)."""
    return session.scalar(
        select(Revision)
        .where(
            Revision.model_id == revision.model_id,
            Revision.number < revision.number,
            Revision.status.in_([RevisionStatus.PUBLISHED, RevisionStatus.SUPERSEDED]),
        )
        .order_by(Revision.number.desc())
        .limit(1)
    )


def revision_diff(
    session: Session, old: Revision, new: Revision, *, max_bytes: int
) -> dict[str, object]:
    """The semantic diff of two revisions (what a reviewer checks)."""
    return analysis.diff(
        library.read_blob(session, old.blob_sha256),
        library.read_blob(session, new.blob_sha256),
        old_name=old.filename,
        new_name=new.filename,
        max_bytes=max_bytes,
    )


@dataclass(frozen=True)
class QueueFilter:
    authority: str | None = None  # slug
    themenfeld: str | None = None
    min_age_days: int | None = None


NO_FILTER = QueueFilter()


def queue(
    session: Session, actor: Actor, filters: QueueFilter = NO_FILTER, *, now: datetime | None = None
) -> list[Revision]:
    """Submissions a reviewer may decide on (other authorities'), oldest first."""
    require(actor, Permission.REVIEW_QUEUE)
    statement = (
        select(Revision)
        .join(Revision.model)
        .join(ProcessModel.authority)
        .join(ProcessModel.process)
        .outerjoin(Process.ozg_service)
        .where(Revision.status == RevisionStatus.SUBMITTED)
        .where(ProcessModel.authority_id != actor.authority_id)
        .options(joinedload(Revision.model).joinedload(ProcessModel.authority))
        .options(joinedload(Revision.model).joinedload(ProcessModel.process))
        .order_by(Revision.submitted_at, Revision.id)
        .limit(QUEUE_LIMIT)
    )
    if filters.authority:
        statement = statement.where(Authority.slug == filters.authority)
    if filters.themenfeld:
        statement = statement.where(OzgService.themenfeld == filters.themenfeld)
    if filters.min_age_days:
        cutoff = (now or utcnow()) - timedelta(days=filters.min_age_days)
        statement = statement.where(Revision.submitted_at <= cutoff)
    return list(session.scalars(statement).unique())


def revision_of(session: Session, actor: Actor, model_id: uuid.UUID, number: int) -> Revision:
    """Revision ``number`` of a model, if ``actor`` may see it (404 otherwise)."""
    return library.get_revision(session, actor, library.get_model(session, model_id), number)


def authorities_in_queue(session: Session, actor: Actor) -> list[Authority]:
    """The authorities whose submissions ``actor`` may decide on (for the queue's filter)."""
    return list(
        session.scalars(
            select(Authority)
            .where(Authority.id != actor.authority_id)
            .where(
                Authority.id.in_(
                    select(ProcessModel.authority_id)
                    .join(Revision, Revision.model_id == ProcessModel.id)
                    .where(Revision.status == RevisionStatus.SUBMITTED)
                )
            )
            .order_by(Authority.name)
        )
    )


def themenfelder_in_queue(session: Session) -> list[str]:
    rows = session.scalars(
        select(func.distinct(OzgService.themenfeld))
        .join(Process, Process.ozg_id == OzgService.ozg_id)
        .join(ProcessModel, ProcessModel.process_id == Process.id)
        .join(Revision, Revision.model_id == ProcessModel.id)
        .where(Revision.status == RevisionStatus.SUBMITTED)
    )
    return sorted(value for value in rows if value)


# --- helpers -----------------------------------------------------------------------------------


def _supersede_older(session: Session, actor: Actor, published: Revision) -> None:
    older = session.scalars(
        select(Revision).where(
            Revision.model_id == published.model_id,
            Revision.id != published.id,
            Revision.status == RevisionStatus.PUBLISHED,
        )
    )
    for revision in older:
        before = _state(revision)
        revision.status = target(revision.status, Action.SUPERSEDE)
        _flush(session)
        outbox.revision_changed(session, EventKind.SUPERSEDED, revision)
        _audit(
            session, actor, "revision.superseded", revision, before, comment="", by=published.number
        )


def _flush(session: Session) -> None:
    """Write now, so that a competing decision is refused here and not at commit."""
    try:
        session.flush()
    except StaleDataError:
        raise ReviewConflict(
            _("Über diese Revision wurde gerade anders entschieden. Bitte laden Sie die Seite neu.")
        ) from None
    except IntegrityError:
        raise ReviewConflict(_("Sie haben in dieser Prüfrunde bereits entschieden.")) from None


def _state(revision: Revision) -> dict[str, object]:
    return {
        "status": revision.status.value,
        "review_round": revision.review_round,
        "approvals": revision.approvals,
    }


def _audit(
    session: Session,
    actor: Actor,
    action: str,
    revision: Revision,
    before: dict[str, object],
    *,
    comment: str,
    by: int | None = None,
) -> None:
    details: dict[str, object] = {"model_id": str(revision.model_id), "number": revision.number}
    if comment.strip():
        details["comment"] = comment.strip()
    if by is not None:
        details["superseded_by"] = by
    record(
        session,
        actor,
        action,
        object_type="revision",
        object_id=revision.id,
        authority_id=revision.model.authority_id,
        before=before,
        after=_state(revision),
        details=details,
    )
