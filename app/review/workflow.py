"""The life of a revision, as one explicit state machine.

    draft ──submit──► submitted ──approve (enough approvals)──► published ──supersede──► superseded
      ▲                  │  │
      │                  │  ├──request_changes──► changes_requested ──submit──► submitted
      │                  │  └──reject──────────► rejected
      └── (new upload)   └──withdraw──► withdrawn   (also from draft, changes_requested, published)

Every status change of a revision goes through :func:`target`; anything not listed here is refused
with a 409 and changes nothing.
"""

from __future__ import annotations

from enum import StrEnum

from app.authz import Actor, Permission, is_allowed, is_interactive
from app.errors import Conflict
from app.i18n import _, _l, _lp
from app.library.models import Revision, RevisionStatus


class Action(StrEnum):
    SUBMIT = "submit"
    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"
    REJECT = "reject"
    WITHDRAW = "withdraw"
    SUPERSEDE = "supersede"


class Decision(StrEnum):
    """What a reviewer decides; each is an :class:`Action` on the submission."""

    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"
    REJECT = "reject"

    @property
    def action(self) -> Action:
        return Action(self.value)


S = RevisionStatus
TRANSITIONS: dict[tuple[RevisionStatus, Action], RevisionStatus] = {
    (S.DRAFT, Action.SUBMIT): S.SUBMITTED,
    (S.CHANGES_REQUESTED, Action.SUBMIT): S.SUBMITTED,
    (S.SUBMITTED, Action.APPROVE): S.PUBLISHED,
    (S.SUBMITTED, Action.REQUEST_CHANGES): S.CHANGES_REQUESTED,
    (S.SUBMITTED, Action.REJECT): S.REJECTED,
    (S.DRAFT, Action.WITHDRAW): S.WITHDRAWN,
    (S.SUBMITTED, Action.WITHDRAW): S.WITHDRAWN,
    (S.CHANGES_REQUESTED, Action.WITHDRAW): S.WITHDRAWN,
    (S.PUBLISHED, Action.WITHDRAW): S.WITHDRAWN,
    (S.PUBLISHED, Action.SUPERSEDE): S.SUPERSEDED,
}

STATUS_LABELS = {
    S.DRAFT: _l("Entwurf"),
    S.SUBMITTED: _l("eingereicht"),
    S.PUBLISHED: _l("veröffentlicht"),
    S.CHANGES_REQUESTED: _l("Änderungen erbeten"),
    S.REJECTED: _l("abgelehnt"),
    S.WITHDRAWN: _l("zurückgezogen"),
    S.SUPERSEDED: _l("ersetzt"),
}
ACTION_LABELS = {
    Action.SUBMIT: _lp("Aktion", "eingereicht"),
    Action.APPROVE: _lp("Aktion", "freigegeben"),
    Action.REQUEST_CHANGES: _lp("Aktion", "zur Überarbeitung zurückgegeben"),
    Action.REJECT: _lp("Aktion", "abgelehnt"),
    Action.WITHDRAW: _lp("Aktion", "zurückgezogen"),
    Action.SUPERSEDE: _lp("Aktion", "ersetzt"),
}


class IllegalTransition(Conflict):
    slug = "illegal-transition"


def target(status: RevisionStatus, action: Action) -> RevisionStatus:
    """The status ``action`` leads to from ``status``, or a refusal."""
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        raise IllegalTransition(
            _(
                "Eine Revision im Zustand „%(status)s“ kann nicht %(action)s werden.",
                status=STATUS_LABELS[status],
                action=ACTION_LABELS[action],
            ),
            errors={"status": [status.value], "action": [action.value]},
        ) from None


def allowed_actions(status: RevisionStatus) -> list[Action]:
    return [action for (source, action) in TRANSITIONS if source is status]


def may_submit(actor: Actor, revision: Revision) -> bool:
    """Whether a page should offer ``actor`` to submit ``revision``."""
    return (
        is_interactive(actor)
        and is_allowed(actor, Permission.REVISION_SUBMIT, revision)
        and Action.SUBMIT in allowed_actions(revision.status)
        and revision.is_valid
    )
