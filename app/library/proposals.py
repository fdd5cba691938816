"""Change proposals: a fork's revision offered back to its upstream model.

The upstream owner (contributors of the upstream model's authority) accepts or declines; accepting
adds a draft revision to the upstream model with the proposed bytes, credited to the proposer, which
then goes through the ordinary review. Every status change is written with the proposal's optimistic
version: of two owners deciding at once, exactly one succeeds and the other gets a 409.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.exc import StaleDataError

from app.audit.services import record
from app.authz import Actor, Permission, require
from app.db import utcnow
from app.errors import Conflict, NotFound, ValidationFailed
from app.i18n import SOURCE_LOCALE, _, _l
from app.library import analysis
from app.library import services as library
from app.library.forks import latest_published, source
from app.library.models import ChangeProposal, ProcessModel, ProposalStatus, Revision
from app.review.models import NotificationKind
from app.review.notifications import accounts_by_id, contributors_of, notify

MAX_TEXT_LENGTH = 10_000
LIST_LIMIT = 200

STATUS_LABELS = {
    ProposalStatus.OPEN: _l("offen"),
    ProposalStatus.ACCEPTED: _l("angenommen"),
    ProposalStatus.DECLINED: _l("abgelehnt"),
    ProposalStatus.WITHDRAWN: _l("zurückgezogen"),
}


class Direction(StrEnum):
    RECEIVED = "received"
    SENT = "sent"


class ProposalConflict(Conflict):
    slug = "proposal-conflict"


@dataclass(frozen=True)
class Comparison:
    """What a proposal changes: the source revision against upstream's current state."""

    against: Revision | None
    diff: dict[str, Any] | None


# --- proposing ---------------------------------------------------------------------------------


def propose(
    session: Session, actor: Actor, source_revision: Revision, *, message: str = ""
) -> ChangeProposal:
    """Offer a revision of a fork to its upstream model (one open proposal per revision)."""
    require(actor, Permission.PROPOSAL_CREATE, source_revision)
    fork = source_revision.model
    _ensure_proposable(session, fork, source_revision)
    proposal = ChangeProposal(
        source_revision_id=source_revision.id,
        target_model_id=fork.upstream_model_id,
        base_revision_id=fork.upstream_revision_id,
        proposer_account_id=actor.account_id,
        proposer_name=actor.name,
        proposer_authority_id=fork.authority_id,
        message=message.strip(),
        status=ProposalStatus.OPEN,
    )
    session.add(proposal)
    _flush(session)
    _audit(session, actor, "proposal.created", proposal, None, authority_id=fork.authority_id)
    _tell_upstream(session, actor, proposal)
    return proposal


def _ensure_proposable(session: Session, fork: ProcessModel, revision: Revision) -> None:
    if not fork.is_fork:
        raise ProposalConflict(
            _("Änderungen vorschlagen lassen sich nur aus einem übernommenen Modell (Fork).")
        )
    if fork.upstream_model is not None and fork.upstream_model.origin_instance is not None:
        raise ProposalConflict(
            _(
                "Das Ursprungsmodell stammt aus einem anderen Register. Vorschläge dorthin sind "
                "noch nicht möglich; bitte wenden Sie sich an die Behörde, der es gehört."
            )
        )
    if not revision.is_valid:
        raise ValidationFailed(
            _("Nur eine Revision ohne Schema- und Importfehler kann vorgeschlagen werden."),
            errors={"validation": [issue.get("message", "") for issue in revision.validation]},
        )
    open_already = session.scalar(
        select(ChangeProposal.id).where(
            ChangeProposal.source_revision_id == revision.id,
            ChangeProposal.status == ProposalStatus.OPEN,
        )
    )
    if open_already is not None:
        raise ProposalConflict(
            _(
                "Für Revision %(number)s gibt es schon einen offenen Vorschlag.",
                number=revision.number,
            ),
            errors={"proposal_id": [str(open_already)]},
        )


def _tell_upstream(session: Session, actor: Actor, proposal: ChangeProposal) -> None:
    target = proposal.target_model
    notify(
        session,
        actor,
        NotificationKind.PROPOSAL_RECEIVED,
        contributors_of(session, [target.authority_id]),
        title=f"Änderungsvorschlag zu {target.title}",
        body=f"Von {_credit(proposal)}",
        link=f"/vorschlaege/{proposal.id}",
    )


# --- reading -----------------------------------------------------------------------------------


def get_proposal(session: Session, actor: Actor, proposal_id: uuid.UUID) -> ChangeProposal:
    """A proposal, for members of the proposing or the upstream authority (404 for others)."""
    proposal = session.get(ChangeProposal, proposal_id)
    if proposal is None:
        raise NotFound(_("Diesen Änderungsvorschlag gibt es nicht."))
    require(actor, Permission.PROPOSAL_READ, proposal)
    return proposal


def list_proposals(
    session: Session,
    actor: Actor,
    direction: Direction = Direction.RECEIVED,
    status: ProposalStatus | None = None,
) -> list[ChangeProposal]:
    """Proposals the actor's authority received (for its models) or sent, newest first."""
    require(actor, Permission.PROPOSAL_LIST)
    statement = (
        select(ChangeProposal)
        .join(ChangeProposal.target_model)
        .options(joinedload(ChangeProposal.target_model).joinedload(ProcessModel.authority))
        .options(joinedload(ChangeProposal.proposer_authority))
        .options(joinedload(ChangeProposal.source_revision))
        .order_by(ChangeProposal.created_at.desc(), ChangeProposal.id)
        .limit(LIST_LIMIT)
    )
    if direction is Direction.RECEIVED:
        statement = statement.where(ProcessModel.authority_id == actor.authority_id)
    else:
        statement = statement.where(ChangeProposal.proposer_authority_id == actor.authority_id)
    if status is not None:
        statement = statement.where(ChangeProposal.status == status)
    return list(session.scalars(statement).unique())


def comparison(session: Session, proposal: ChangeProposal, *, max_bytes: int) -> Comparison:
    """The source revision against upstream's newest publication (or the fork's base)."""
    against = latest_published(session, proposal.target_model) or proposal.base_revision
    if against is None:
        return Comparison(None, None)
    new = proposal.source_revision
    diff = analysis.diff(
        library.read_blob(session, against.blob_sha256),
        library.read_blob(session, new.blob_sha256),
        old_name=against.filename,
        new_name=new.filename,
        max_bytes=max_bytes,
    )
    return Comparison(against, diff)


# --- deciding ----------------------------------------------------------------------------------


def decide_proposal(
    session: Session,
    actor: Actor,
    proposal: ChangeProposal,
    *,
    accept: bool,
    comment: str = "",
    max_bytes: int,
) -> ChangeProposal:
    """The upstream owner accepts (a new upstream draft, credited to the proposer) or declines
    (with a reason)."""
    require(actor, Permission.PROPOSAL_DECIDE, proposal)
    if not accept and not comment.strip():
        raise ValidationFailed(
            _("Bitte begründen Sie die Ablehnung."),
            errors={"comment": [_("Pflichtfeld, wenn der Vorschlag abgelehnt wird.")]},
        )
    before = _close(proposal, ProposalStatus.ACCEPTED if accept else ProposalStatus.DECLINED)
    proposal.decided_by_id, proposal.decided_by_name = actor.account_id, actor.name
    proposal.decided_at, proposal.decision_comment = utcnow(), comment.strip() or None
    _flush(session)  # the competing decision is refused here, before anything else is written
    if accept:
        proposal.created_revision_id = _accept(session, actor, proposal, max_bytes).id
        _flush(session)
    authority_id = proposal.target_model.authority_id
    _audit(session, actor, f"proposal.{proposal.status.value}", proposal, before, authority_id)
    _tell_proposer(session, actor, proposal)
    return proposal


def _accept(session: Session, actor: Actor, proposal: ChangeProposal, max_bytes: int) -> Revision:
    revision = proposal.source_revision
    created = library.add_revision(
        session,
        actor,
        proposal.target_model,
        library.Upload(
            data=library.read_blob(session, revision.blob_sha256), filename=revision.filename
        ),
        message=f"Änderungsvorschlag von {_credit(proposal)}",
        max_bytes=max_bytes,
    )
    created.author_account_id, created.author_name = (
        proposal.proposer_account_id,
        proposal.proposer_name,
    )
    return created


def _credit(proposal: ChangeProposal) -> str:
    """„<Name> (<Behörde>): <Nachricht>“ – who proposed what."""
    text = f"{proposal.proposer_name} ({proposal.proposer_authority.name})"
    return f"{text}: {proposal.message}" if proposal.message else text


def _tell_proposer(session: Session, actor: Actor, proposal: ChangeProposal) -> None:
    with force_locale(SOURCE_LOCALE):  # notifications are stored, in the source language
        status = str(STATUS_LABELS[proposal.status])
    notify(
        session,
        actor,
        NotificationKind.DECISION_MADE,
        accounts_by_id(session, [proposal.proposer_account_id]),
        title=(f"Ihr Änderungsvorschlag zu {proposal.target_model.title}: {status}"),
        body=proposal.decision_comment or "",
        link=f"/vorschlaege/{proposal.id}",
    )


def withdraw_proposal(session: Session, actor: Actor, proposal: ChangeProposal) -> ChangeProposal:
    """The proposing authority takes its open proposal back."""
    require(actor, Permission.PROPOSAL_WITHDRAW, proposal)
    before = _close(proposal, ProposalStatus.WITHDRAWN)
    _flush(session)
    _audit(
        session,
        actor,
        "proposal.withdrawn",
        proposal,
        before,
        authority_id=proposal.proposer_authority_id,
    )
    return proposal


# --- helpers -----------------------------------------------------------------------------------


def _close(proposal: ChangeProposal, status: ProposalStatus) -> dict[str, object]:
    """Move an open proposal to ``status``; anything but an open one is a 409."""
    if proposal.status is not ProposalStatus.OPEN:
        raise ProposalConflict(
            _("Dieser Vorschlag ist bereits %(status)s.", status=STATUS_LABELS[proposal.status]),
            errors={"status": [proposal.status.value]},
        )
    before = _state(proposal)
    proposal.status = status
    return before


def _flush(session: Session) -> None:
    try:
        session.flush()
    except StaleDataError:
        raise ProposalConflict(
            _(
                "Über diesen Vorschlag wurde gerade anders entschieden. "
                "Bitte laden Sie die Seite neu."
            )
        ) from None


def _state(proposal: ChangeProposal) -> dict[str, object]:
    return {
        "status": proposal.status.value,
        "created_revision": str(proposal.created_revision_id)
        if proposal.created_revision_id
        else None,
    }


def _audit(
    session: Session,
    actor: Actor,
    action: str,
    proposal: ChangeProposal,
    before: dict[str, object] | None,
    authority_id: uuid.UUID,
) -> None:
    details: dict[str, object] = {
        "source": source(proposal.source_revision),
        "target_model": str(proposal.target_model_id),
    }
    if proposal.decision_comment:
        details["comment"] = proposal.decision_comment
    record(
        session,
        actor,
        action,
        object_type="change_proposal",
        object_id=proposal.id,
        authority_id=authority_id,
        before=before,
        after=_state(proposal),
        details=details,
    )
