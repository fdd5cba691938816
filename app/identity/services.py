"""Authorities, accounts and API tokens."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.audit.services import record
from app.authz import Actor, ActorKind, Permission, TokenScope, require
from app.db import utcnow
from app.errors import Conflict, NotFound, Unauthorized, ValidationFailed
from app.i18n import _
from app.identity.models import Account, ApiToken, Authority, AuthorityKind, AuthorityLogin, Role
from app.pagination import Page, paginate
from app.peering import outbox

LOCAL_ISSUER = "urn:musterregister:local"
TOKEN_PREFIX = "mr_"
MAX_TOKEN_DAYS = 366
TOKEN_TOUCH_INTERVAL = timedelta(minutes=15)


# --- authorities -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuthorityData:
    slug: str
    name: str
    kind: AuthorityKind
    state: str | None
    ars: str | None = None
    website: str | None = None
    is_register: bool = False


def get_authority(session: Session, key: str | uuid.UUID) -> Authority:
    """An authority by its id or its slug."""
    authority = session.get(Authority, key) if isinstance(key, uuid.UUID) else None
    if authority is None and isinstance(key, str):
        parsed = _parse_uuid(key)
        authority = session.get(Authority, parsed) if parsed else None
        if authority is None:
            authority = session.scalar(select(Authority).where(Authority.slug == key))
    if authority is None:
        raise NotFound(_("Die Behörde '%(key)s' gibt es nicht.", key=key))
    return authority


def _parse_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def list_authorities(
    session: Session,
    *,
    text: str | None = None,
    kind: AuthorityKind | None = None,
    state: str | None = None,
    page: int = 1,
    page_size: int = 20,
) -> Page[Authority]:
    statement = select(Authority).order_by(Authority.name, Authority.id)
    if text:
        pattern = f"%{text.strip()}%"
        statement = statement.where(
            or_(Authority.name.ilike(pattern), Authority.slug.ilike(pattern))
        )
    if kind:
        statement = statement.where(Authority.kind == kind)
    if state:
        statement = statement.where(Authority.state == state.upper())
    return paginate(session, statement, page, page_size)


def authority_snapshot(authority: Authority) -> dict[str, object]:
    return {
        "slug": authority.slug,
        "name": authority.name,
        "kind": authority.kind.value,
        "state": authority.state,
        "ars": authority.ars,
        "website": authority.website,
        "is_register": authority.is_register,
    }


def create_authority(session: Session, actor: Actor, data: AuthorityData) -> Authority:
    require(actor, Permission.AUTHORITY_MANAGE)
    authority = Authority(
        slug=data.slug,
        name=data.name,
        kind=data.kind,
        state=data.state,
        ars=data.ars,
        website=data.website,
        is_register=data.is_register,
    )
    _flush_unique(
        session,
        _("Eine Behörde mit dem Kürzel '%(slug)s' oder diesem ARS gibt es schon.", slug=data.slug),
        authority,
    )
    record(
        session,
        actor,
        "authority.created",
        object_type="authority",
        object_id=authority.id,
        authority_id=authority.id,
        after=authority_snapshot(authority),
    )
    return authority


def update_authority(
    session: Session, actor: Actor, authority: Authority, data: AuthorityData
) -> bool:
    """Bring an authority in line with ``data``; returns whether anything changed."""
    require(actor, Permission.AUTHORITY_MANAGE, authority)
    before, public_before = authority_snapshot(authority), outbox.public_part(authority)
    for name in ("name", "kind", "state", "ars", "website", "is_register"):
        setattr(authority, name, getattr(data, name))
    after = authority_snapshot(authority)
    if after == before:
        return False
    _flush_unique(session, _("Diesen ARS trägt schon eine andere Behörde."))
    record(
        session,
        actor,
        "authority.updated",
        object_type="authority",
        object_id=authority.id,
        authority_id=authority.id,
        before=before,
        after=after,
    )
    outbox.authority_updated(session, authority, public_before)
    return True


def register_authority(session: Session) -> Authority:
    """The register's own editorial authority, owner of the catalogue (Musterprozesse)."""
    authority = session.scalar(select(Authority).where(Authority.is_register.is_(True)).limit(1))
    if authority is None:
        raise NotFound(
            _("Dieses Register hat noch keine Redaktion: bitte 'musterregister seed' ausführen.")
        )
    return authority


def _flush_unique(session: Session, message: str, new: object | None = None) -> None:
    """Flush in a savepoint, so a unique violation becomes a 409 and leaves the session usable.

    ``new`` is added inside the savepoint: on a violation it is dropped again with it.
    """
    try:
        with session.begin_nested():
            if new is not None:
                session.add(new)
            session.flush()
    except IntegrityError:
        raise Conflict(message) from None


# --- accounts ----------------------------------------------------------------------------------


def create_account(
    session: Session,
    actor: Actor,
    authority: Authority,
    *,
    display_name: str,
    roles: Iterable[Role],
    subject: str | None = None,
    issuer: str = LOCAL_ISSUER,
    email: str | None = None,
) -> Account:
    require(actor, Permission.ACCOUNT_MANAGE, authority)
    account = Account(
        authority_id=authority.id,
        issuer=issuer,
        subject=subject or str(uuid.uuid4()),
        display_name=display_name,
        email=email,
        roles=sorted(role.value for role in set(roles)),
    )
    _flush_unique(
        session,
        _(
            "Ein Konto für '%(subject)s' bei %(issuer)s gibt es schon.",
            subject=account.subject,
            issuer=issuer,
        ),
        account,
    )
    record(
        session,
        actor,
        "account.created",
        object_type="account",
        object_id=account.id,
        authority_id=authority.id,
        after={
            "display_name": display_name,
            "issuer": issuer,
            "subject": account.subject,
            "roles": account.roles,
        },
    )
    return account


def find_account(session: Session, key: str) -> Account:
    """An account by id or by the subject of a local account."""
    parsed = _parse_uuid(key)
    account = session.get(Account, parsed) if parsed else None
    if account is None:
        account = session.scalar(
            select(Account).where(Account.issuer == LOCAL_ISSUER, Account.subject == key)
        )
    if account is None:
        raise NotFound(_("Das Konto '%(key)s' gibt es nicht.", key=key))
    return account


def actor_for(account: Account, scopes: Iterable[str] | None = None) -> Actor:
    return Actor(
        kind=ActorKind.ACCOUNT,
        name=account.display_name,
        account_id=account.id,
        authority_id=account.authority_id,
        roles=account.role_set,
        scopes=frozenset(scopes) if scopes is not None else None,
    )


# --- API tokens --------------------------------------------------------------------------------


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def create_token(
    session: Session,
    actor: Actor,
    account: Account,
    *,
    name: str,
    scopes: Iterable[TokenScope],
    days: int = 90,
) -> tuple[ApiToken, str]:
    """A new token for ``account``; the secret is returned once and stored only as a hash."""
    if actor.kind is not ActorKind.SYSTEM:
        require(actor, Permission.TOKEN_MANAGE)
        if actor.account_id != account.id:
            raise NotFound(_("Das Konto gibt es nicht."))
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise ValidationFailed(
            _("Ungültige Laufzeit."),
            errors={"days": [_("1 bis %(max)s Tage erlaubt.", max=MAX_TOKEN_DAYS)]},
        )
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        account_id=account.id,
        authority_id=account.authority_id,
        name=name,
        token_hash=hash_token(raw),
        token_prefix=raw[:10],
        scopes=sorted(scope.value for scope in set(scopes)),
        expires_at=utcnow() + timedelta(days=days),
    )
    session.add(token)
    session.flush()
    record(
        session,
        actor,
        "token.created",
        object_type="api_token",
        object_id=token.id,
        authority_id=account.authority_id,
        after={
            "name": name,
            "account": str(account.id),
            "scopes": token.scopes,
            "expires_at": token.expires_at.isoformat(),
        },
    )
    return token, raw


def revoke_token(session: Session, actor: Actor, token: ApiToken) -> None:
    require(actor, Permission.TOKEN_MANAGE, token)
    if token.revoked_at is not None:
        return
    token.revoked_at = utcnow()
    record(
        session,
        actor,
        "token.revoked",
        object_type="api_token",
        object_id=token.id,
        authority_id=token.authority_id,
        before={"revoked_at": None},
        after={"revoked_at": token.revoked_at.isoformat()},
    )


def list_tokens(session: Session, actor: Actor, account: Account) -> list[ApiToken]:
    """The account's tokens, for its owner in person (or the system)."""
    if actor.kind is not ActorKind.SYSTEM:
        require(actor, Permission.TOKEN_MANAGE)
        if actor.account_id != account.id:
            raise NotFound(_("Das Konto gibt es nicht."))
    return list(
        session.scalars(
            select(ApiToken).where(ApiToken.account_id == account.id).order_by(ApiToken.created_at)
        )
    )


def authenticate_token(session: Session, raw: str) -> tuple[Actor, ApiToken]:
    """The actor behind a bearer token, or ``Unauthorized`` for any token that is not valid now."""
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(raw)))
    if token is None or not token.is_active():
        raise Unauthorized(_("Das API-Token ist unbekannt, abgelaufen oder widerrufen."))
    account = token.account
    if account.authority_id != token.authority_id:
        raise Unauthorized(_("Das API-Token gehört zu einer anderen Behörde als sein Konto."))
    return actor_for(account, token.scopes), token


def token_needs_touch(token: ApiToken) -> bool:
    return token.last_used_at is None or utcnow() - token.last_used_at > TOKEN_TOUCH_INTERVAL


def touch_token(session: Session, token_id: uuid.UUID) -> None:
    token = session.get(ApiToken, token_id)
    if token is not None:
        token.last_used_at = utcnow()


def list_accounts(session: Session, authority: Authority) -> list[Account]:
    return list(
        session.scalars(
            select(Account)
            .where(Account.authority_id == authority.id)
            .order_by(Account.display_name, Account.id)
        )
    )


def require_register_admin(actor: Actor) -> None:
    """For pages that only show administration forms: the same rule as for the change itself."""
    require(actor, Permission.AUTHORITY_MANAGE)


def logins_of(session: Session, authority_ids: list[uuid.UUID]) -> dict[uuid.UUID, AuthorityLogin]:
    if not authority_ids:
        return {}
    rows = session.scalars(
        select(AuthorityLogin).where(AuthorityLogin.authority_id.in_(authority_ids))
    )
    return {login.authority_id: login for login in rows}
