"""The one place that answers "may this actor do this to that".

Services call :func:`require` with an actor, a permission and the object concerned. Page views and
API endpoints only *declare* what they need (:func:`public` or :func:`requires`), so that a test can
walk the URL map and find any endpoint that declares nothing.

Two refusals, used consistently: an object the actor may not even see is reported as missing (404),
so that ids of another authority's unpublished work do not leak; an object the actor can see but may
not change is a 403.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from app.errors import Forbidden, NotFound, Unauthorized
from app.i18n import _
from app.identity.models import Role

ACCESS_ATTRIBUTE = "musterregister_access"
PUBLIC = "public"


class Permission(StrEnum):
    AUTHORITY_MANAGE = "identity:authority:manage"
    SEARCH_SYNONYMS_MANAGE = "search:synonyms:manage"
    ACCOUNT_MANAGE = "identity:account:manage"
    ACCOUNT_VIEW = "identity:account:view"
    TOKEN_MANAGE = "identity:token:manage"
    PROCESS_CREATE = "catalog:process:create"
    PROCESS_UPDATE = "catalog:process:update"
    MODEL_CREATE = "library:model:create"
    REVISION_CREATE = "library:revision:create"
    REVISION_READ = "library:revision:read"
    REVISION_SUBMIT = "review:revision:submit"
    REVISION_WITHDRAW = "review:revision:withdraw"
    REVIEW_DECIDE = "review:decide"
    REVIEW_QUEUE = "review:queue"
    AUDIT_READ = "audit:trail:read"
    MODEL_FORK = "library:model:fork"
    PROPOSAL_CREATE = "library:proposal:create"
    PROPOSAL_READ = "library:proposal:read"
    PROPOSAL_LIST = "library:proposal:list"
    PROPOSAL_DECIDE = "library:proposal:decide"
    PROPOSAL_WITHDRAW = "library:proposal:withdraw"
    COMMENT_CREATE = "review:comment:create"
    INBOX_USE = "review:inbox:use"
    PEERS_MANAGE = "federation:peers:manage"


class TokenScope(StrEnum):
    CATALOG_WRITE = "catalog:write"
    LIBRARY_WRITE = "library:write"
    REVIEW_WRITE = "review:write"


SCOPE_FOR_PERMISSION = {
    Permission.PROCESS_CREATE: TokenScope.CATALOG_WRITE,
    Permission.PROCESS_UPDATE: TokenScope.CATALOG_WRITE,
    Permission.MODEL_CREATE: TokenScope.LIBRARY_WRITE,
    Permission.REVISION_CREATE: TokenScope.LIBRARY_WRITE,
    Permission.REVISION_SUBMIT: TokenScope.LIBRARY_WRITE,
    Permission.REVISION_WITHDRAW: TokenScope.LIBRARY_WRITE,
    Permission.REVIEW_DECIDE: TokenScope.REVIEW_WRITE,
    Permission.MODEL_FORK: TokenScope.LIBRARY_WRITE,
    Permission.PROPOSAL_CREATE: TokenScope.LIBRARY_WRITE,
    Permission.PROPOSAL_DECIDE: TokenScope.LIBRARY_WRITE,
    Permission.PROPOSAL_WITHDRAW: TokenScope.LIBRARY_WRITE,
    Permission.COMMENT_CREATE: TokenScope.REVIEW_WRITE,
}


class ActorKind(StrEnum):
    ANONYMOUS = "anonymous"
    ACCOUNT = "account"
    SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    """Who acts: a visitor, a person (through a token or, later, a login) or the system itself."""

    kind: ActorKind
    name: str
    account_id: uuid.UUID | None = None
    authority_id: uuid.UUID | None = None
    roles: frozenset[Role] = frozenset()
    scopes: frozenset[str] | None = None  # None: not limited by a token (e.g. a browser login)

    @property
    def is_authenticated(self) -> bool:
        return self.kind is not ActorKind.ANONYMOUS

    def has_role(self, role: Role) -> bool:
        return role in self.roles

    def has_scope_for(self, permission: Permission) -> bool:
        scope = SCOPE_FOR_PERMISSION.get(permission)
        return self.scopes is None or scope is None or scope in self.scopes


ANONYMOUS = Actor(kind=ActorKind.ANONYMOUS, name="Gast")


def system_actor(name: str = "System") -> Actor:
    """The explicit actor of CLI commands, the seed loader and background work."""
    return Actor(kind=ActorKind.SYSTEM, name=name)


class OwnedObject(Protocol):
    authority_id: uuid.UUID


@dataclass(frozen=True)
class _Owned:
    authority_id: uuid.UUID


def owned_by(authority_id: uuid.UUID) -> OwnedObject:
    """Something that would belong to ``authority_id``: what a create permission is checked on."""
    return _Owned(authority_id)


# --- predicates per feature -------------------------------------------------------------------


def is_member(actor: Actor, authority_id: uuid.UUID) -> bool:
    return actor.kind is ActorKind.ACCOUNT and actor.authority_id == authority_id


def can_contribute(actor: Actor, authority_id: uuid.UUID) -> bool:
    return is_member(actor, authority_id) and actor.has_role(Role.CONTRIBUTOR)


def can_manage_register(actor: Actor, _obj: object = None) -> bool:
    return actor.has_role(Role.REGISTER_ADMIN)


def can_write_owned(actor: Actor, obj: OwnedObject) -> bool:
    return can_contribute(actor, obj.authority_id)


def can_read_revision(actor: Actor, revision: Any) -> bool:
    from app.library.models import RevisionStatus

    if revision.status is RevisionStatus.PUBLISHED:
        return True
    if revision.status is RevisionStatus.SUBMITTED and is_reviewer(actor):
        return True
    return is_member(actor, revision.model.authority_id)


def is_reviewer(actor: Actor, _obj: object = None) -> bool:
    return actor.kind is ActorKind.ACCOUNT and actor.has_role(Role.REVIEWER)


def can_decide_review(actor: Actor, revision: Any) -> bool:
    """Four eyes: reviewers decide on submissions of other authorities only."""
    return is_reviewer(actor) and actor.authority_id != revision.model.authority_id


def can_comment(actor: Actor, revision: Any) -> bool:
    """Every logged-in person may comment on what they may read (published or under review)."""
    return actor.kind is ActorKind.ACCOUNT and can_read_revision(actor, revision)


def can_change_revision_of(actor: Actor, revision: Any) -> bool:
    return can_contribute(actor, revision.model.authority_id)


def has_authority(actor: Actor, _obj: object = None) -> bool:
    return actor.kind is ActorKind.ACCOUNT and actor.authority_id is not None


def can_read_proposal(actor: Actor, proposal: Any) -> bool:
    """A change proposal concerns two authorities: the proposing one and the upstream owner."""
    return is_member(actor, proposal.proposer_authority_id) or is_member(
        actor, proposal.target_model.authority_id
    )


def can_decide_proposal(actor: Actor, proposal: Any) -> bool:
    return can_contribute(actor, proposal.target_model.authority_id)


def can_withdraw_proposal(actor: Actor, proposal: Any) -> bool:
    return can_contribute(actor, proposal.proposer_authority_id)


def is_own_notification(actor: Actor, notification: Any) -> bool:
    return notification is None or notification.account_id == actor.account_id


def can_use_inbox(actor: Actor, notification: Any = None) -> bool:
    """Each person reads and manages only their own notifications and preferences."""
    return actor.kind is ActorKind.ACCOUNT and is_own_notification(actor, notification)


def is_interactive(actor: Actor) -> bool:
    """Logged in through the browser, not acting with an API token."""
    return actor.kind is ActorKind.ACCOUNT and actor.scopes is None


def can_read_audit(actor: Actor, subject: Any) -> bool:
    """Whose history an actor may read (``subject``: an ``app.audit.trail.TrailSubject``).

    Register admins read every trail. Accounts, tokens and an authority's whole trail (logins,
    roles, tokens) are for the authority's admins; the history of content is for every member of
    the owning authority, and for reviewers on a revision they may read.
    """
    if can_manage_register(actor):
        return True
    if subject.sensitive:
        return is_member(actor, subject.authority_id) and actor.has_role(Role.AUTHORITY_ADMIN)
    if is_member(actor, subject.authority_id):
        return True
    revision = subject.revision
    return revision is not None and is_reviewer(actor) and can_read_revision(actor, revision)


def can_see_audit_subject(actor: Actor, subject: Any) -> bool:
    """A revision the actor may not read is reported as missing, like the revision itself."""
    return subject.revision is None or can_read_revision(actor, subject.revision)


def can_view_account(actor: Actor, _obj: object = None) -> bool:
    return is_interactive(actor)


def owns_token(actor: Actor, token: Any) -> bool:
    return token is None or token.account_id == actor.account_id


def can_manage_token(actor: Actor, token: Any) -> bool:
    """Only the owner, and only in person: a token must never mint or revoke tokens."""
    return is_interactive(actor) and owns_token(actor, token)


_POLICY: dict[Permission, Callable[[Actor, Any], bool]] = {
    Permission.AUTHORITY_MANAGE: can_manage_register,
    Permission.SEARCH_SYNONYMS_MANAGE: can_manage_register,
    Permission.ACCOUNT_MANAGE: can_manage_register,
    Permission.ACCOUNT_VIEW: can_view_account,
    Permission.TOKEN_MANAGE: can_manage_token,
    Permission.PROCESS_CREATE: can_write_owned,
    Permission.PROCESS_UPDATE: can_write_owned,
    Permission.MODEL_CREATE: can_write_owned,
    Permission.REVISION_CREATE: can_write_owned,
    Permission.REVISION_READ: can_read_revision,
    Permission.REVISION_SUBMIT: can_change_revision_of,
    Permission.REVISION_WITHDRAW: can_change_revision_of,
    Permission.REVIEW_DECIDE: can_decide_review,
    Permission.REVIEW_QUEUE: is_reviewer,
    Permission.MODEL_FORK: can_write_owned,
    Permission.PROPOSAL_CREATE: can_change_revision_of,
    Permission.PROPOSAL_READ: can_read_proposal,
    Permission.PROPOSAL_LIST: has_authority,
    Permission.PROPOSAL_DECIDE: can_decide_proposal,
    Permission.PROPOSAL_WITHDRAW: can_withdraw_proposal,
    Permission.COMMENT_CREATE: can_comment,
    Permission.INBOX_USE: can_use_inbox,
    Permission.AUDIT_READ: can_read_audit,
    Permission.PEERS_MANAGE: can_manage_register,
}

_VISIBILITY: dict[Permission, Callable[[Actor, Any], bool]] = {
    Permission.REVISION_READ: can_read_revision,
    Permission.REVISION_SUBMIT: can_read_revision,
    Permission.REVISION_WITHDRAW: can_read_revision,
    Permission.REVIEW_DECIDE: can_read_revision,
    Permission.PROPOSAL_CREATE: can_read_revision,
    Permission.PROPOSAL_READ: can_read_proposal,
    Permission.PROPOSAL_DECIDE: can_read_proposal,
    Permission.PROPOSAL_WITHDRAW: can_read_proposal,
    Permission.COMMENT_CREATE: can_read_revision,
    Permission.TOKEN_MANAGE: owns_token,
    Permission.INBOX_USE: is_own_notification,
    Permission.AUDIT_READ: can_see_audit_subject,
}


def is_allowed(actor: Actor, permission: Permission, obj: Any = None) -> bool:
    if actor.kind is ActorKind.SYSTEM:
        return True
    if not actor.has_scope_for(permission):
        return False
    return _POLICY[permission](actor, obj)


def require(actor: Actor, permission: Permission, obj: Any = None) -> None:
    """Raise the right refusal unless ``actor`` may do ``permission`` to ``obj``."""
    if is_allowed(actor, permission, obj):
        return
    visible = _VISIBILITY.get(permission)
    if visible is not None and not visible(actor, obj):
        raise NotFound(_("Dieses Objekt gibt es nicht oder es ist nicht öffentlich."))
    if not actor.is_authenticated:
        raise Unauthorized()
    if not actor.has_scope_for(permission):
        raise Forbidden(
            _(
                "Dem API-Token fehlt der Geltungsbereich '%(scope)s'.",
                scope=SCOPE_FOR_PERMISSION[permission],
            )
        )
    raise Forbidden(_refusal_message(permission))


def _refusal_message(permission: Permission) -> str:
    if permission in {Permission.TOKEN_MANAGE, Permission.ACCOUNT_VIEW}:
        return _("Das geht nur nach der Anmeldung im Browser, nicht mit einem API-Token.")
    if permission in {
        Permission.AUTHORITY_MANAGE,
        Permission.ACCOUNT_MANAGE,
        Permission.SEARCH_SYNONYMS_MANAGE,
        Permission.PEERS_MANAGE,
    }:
        return _("Nur Registeradministratorinnen und -administratoren dürfen das.")
    if permission is Permission.REVIEW_DECIDE:
        return _(
            "Vier-Augen-Prinzip: Über Einreichungen entscheiden Prüferinnen und Prüfer anderer "
            "Behörden, nie die eigene Behörde."
        )
    if permission is Permission.REVIEW_QUEUE:
        return _("Nur Prüferinnen und Prüfer sehen die Prüfliste.")
    if permission is Permission.AUDIT_READ:
        return _(
            "Dieses Protokoll sehen nur Mitglieder der besitzenden Behörde (Konten und "
            "Berechtigungen: ihre Administration) und die Registeradministration."
        )
    if permission is Permission.MODEL_FORK:
        return _("Übernehmen (Fork) können nur Beitragende, und nur in die eigene Behörde.")
    if permission is Permission.PROPOSAL_DECIDE:
        return _(
            "Über Änderungsvorschläge entscheiden nur Beitragende der Behörde, der das "
            "Ursprungsmodell gehört."
        )
    if permission is Permission.PROPOSAL_WITHDRAW:
        return _("Nur die vorschlagende Behörde kann ihren Vorschlag zurückziehen.")
    if permission is Permission.PROPOSAL_LIST:
        return _("Änderungsvorschläge sehen nur Mitglieder einer Behörde.")
    return _("Nur Beitragende der besitzenden Behörde dürfen das ändern.")


# --- declarations on endpoints ----------------------------------------------------------------

View = TypeVar("View", bound=Callable[..., Any])


def public(view: View) -> View:
    """Declare that an endpoint is open to everyone, logged in or not."""
    setattr(view, ACCESS_ATTRIBUTE, PUBLIC)
    return view


def requires(*permissions: Permission) -> Callable[[View], View]:
    """Declare an endpoint's permissions and refuse anonymous callers before any work is done.

    The object-level decision stays in the service's ``require`` call.
    """

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            from app.identity.auth import current_actor

            if not current_actor().is_authenticated:
                raise Unauthorized()
            return view(*args, **kwargs)

        setattr(guarded, ACCESS_ATTRIBUTE, tuple(permissions))
        return guarded  # type: ignore[return-value]

    return decorate


def declared_access(view: Callable[..., Any]) -> object:
    return getattr(view, ACCESS_ATTRIBUTE, None)


def declare_public_endpoint(app: Any, endpoint: str) -> None:
    """Mark a view that a library registered (static files, the OpenAPI document) as public."""
    view = app.view_functions[endpoint]

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return view(*args, **kwargs)

    app.view_functions[endpoint] = public(wrapper)
