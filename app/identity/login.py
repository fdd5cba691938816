"""Logging in through an authority's identity provider: configuration, claims, accounts."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.services import record
from app.authz import Actor, Permission, require, system_actor
from app.db import utcnow
from app.errors import NotFound, ValidationFailed
from app.i18n import _
from app.identity.models import Account, Authority, AuthorityLogin, Role
from app.identity.oidc import N_, ClientConfig, LoginRefused, VerifiedLogin

AUTHORITY_ROLES = frozenset({Role.CONTRIBUTOR, Role.REVIEWER, Role.AUTHORITY_ADMIN})
SECRET_REF_PREFIXES = ("env:", "file:")
LOGIN_ACTOR_NAME = "Anmeldung"


@dataclass(frozen=True)
class LoginSettings:
    """What a register admin configures for an authority's login (the secret only by reference)."""

    issuer: str
    client_id: str
    client_secret_ref: str | None = None
    scopes: str = "openid profile email"
    roles_claim: str | None = None
    role_mapping: Mapping[str, str] = field(default_factory=dict)
    tenant_claim: str | None = None
    tenant_value: str | None = None
    enabled: bool = True
    is_demo: bool = False


# --- configuration -----------------------------------------------------------------------------


def validate_login_settings(settings: LoginSettings, authority: Authority) -> None:
    errors: dict[str, list[str]] = {}
    if not settings.issuer.startswith(("https://", "http://")):
        errors["issuer"] = [_("Die Aussteller-Adresse muss mit https:// beginnen.")]
    if "openid" not in settings.scopes.split():
        errors["scopes"] = [_("Der Scope „openid“ ist nötig.")]
    if settings.client_secret_ref and not settings.client_secret_ref.startswith(
        SECRET_REF_PREFIXES
    ):
        errors["client_secret_ref"] = [
            _("Erwartet wird env:VARIABLE oder file:/pfad (nie das Geheimnis selbst).")
        ]
    allowed = {
        role.value
        for role in AUTHORITY_ROLES | ({Role.REGISTER_ADMIN} if authority.is_register else set())
    }
    wrong = sorted(set(settings.role_mapping.values()) - allowed)
    if wrong:
        errors["role_mapping"] = [
            _("Unbekannte oder hier nicht erlaubte Rolle: %(roles)s.", roles=", ".join(wrong))
        ]
    if bool(settings.tenant_claim) != bool(settings.tenant_value):
        errors["tenant_value"] = [
            _("Claim und Wert zur Unterscheidung der Behörde gehören zusammen.")
        ]
    if errors:
        raise ValidationFailed(_("Die Anmeldeeinstellungen enthalten Fehler."), errors=errors)


def login_snapshot(login: AuthorityLogin) -> dict[str, Any]:
    return {
        "issuer": login.issuer,
        "client_id": login.client_id,
        "client_secret_ref": login.client_secret_ref,
        "scopes": login.scopes,
        "roles_claim": login.roles_claim,
        "role_mapping": dict(login.role_mapping),
        "tenant_claim": login.tenant_claim,
        "tenant_value": login.tenant_value,
        "enabled": login.enabled,
        "is_demo": login.is_demo,
    }


def set_authority_login(
    session: Session, actor: Actor, authority: Authority, settings: LoginSettings
) -> AuthorityLogin:
    """Create or change an authority's login; audited with before and after (never a secret)."""
    require(actor, Permission.AUTHORITY_MANAGE, authority)
    validate_login_settings(settings, authority)
    login = session.get(AuthorityLogin, authority.id)
    before = login_snapshot(login) if login else None
    if login is None:
        login = AuthorityLogin(authority_id=authority.id)
        session.add(login)
    for name in LoginSettings.__dataclass_fields__:
        value = getattr(settings, name)
        setattr(login, name, dict(value) if name == "role_mapping" else value)
    after = login_snapshot(login)
    if after != before:
        session.flush()
        record(
            session,
            actor,
            "authority.login_changed",
            object_type="authority",
            object_id=authority.id,
            authority_id=authority.id,
            before=before,
            after=after,
        )
    return login


def get_login(session: Session, authority: Authority, *, demo_mode: bool) -> AuthorityLogin:
    login = session.get(AuthorityLogin, authority.id)
    if login is None or not login.enabled:
        raise NotFound(_("Für %(name)s ist keine Anmeldung eingerichtet.", name=authority.name))
    if login.is_demo and not demo_mode:
        raise NotFound(_("Die Demo-Anmeldung ist nur im Demo-Modus verfügbar."))
    return login


def authorities_with_login(
    session: Session, *, demo_mode: bool, text: str | None = None
) -> list[Authority]:
    statement = (
        select(Authority)
        .join(AuthorityLogin, AuthorityLogin.authority_id == Authority.id)
        .where(AuthorityLogin.enabled.is_(True))
        .order_by(Authority.name)
    )
    if not demo_mode:
        statement = statement.where(AuthorityLogin.is_demo.is_(False))
    if text:
        statement = statement.where(Authority.name.ilike(f"%{text.strip()}%"))
    return list(session.scalars(statement))


def demo_logins_configured(session: Session) -> bool:
    return (
        session.scalar(
            select(AuthorityLogin.authority_id).where(AuthorityLogin.is_demo.is_(True)).limit(1)
        )
        is not None
    )


def read_client_secret(reference: str | None) -> str | None:
    """The client secret from the environment or a secret file; ``None`` for a public client."""
    if not reference:
        return None
    kind, _separator, target = reference.partition(":")
    value = (
        os.environ.get(target) if kind == "env" else _read_file(target) if kind == "file" else None
    )
    if not value:
        raise LoginRefused(
            "client-secret", N_("Das Client-Geheimnis dieser Behörde ist nicht hinterlegt.")
        )
    return value.strip()


def _read_file(path: str) -> str | None:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError:
        return None


def client_config(login: AuthorityLogin, redirect_uri: str) -> ClientConfig:
    return ClientConfig(
        issuer=login.issuer,
        client_id=login.client_id,
        client_secret=read_client_secret(login.client_secret_ref),
        scopes=login.scopes,
        redirect_uri=redirect_uri,
    )


# --- from claims to an account -----------------------------------------------------------------


def claim_values(claims: Mapping[str, Any], path: str | None) -> list[str]:
    """The values of a claim (dotted paths like ``realm_access.roles``; lists or space-separated)."""
    if not path:
        return []
    value: Any = claims
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    if value is None:
        return []
    if isinstance(value, str):
        return value.replace(",", " ").split()
    if isinstance(value, Iterable):
        return [str(item) for item in value]
    return [str(value)]


def check_tenant(login: AuthorityLogin, claims: Mapping[str, Any]) -> None:
    if login.tenant_claim and login.tenant_value not in claim_values(claims, login.tenant_claim):
        raise LoginRefused(
            "tenant", N_("Ihr Konto beim Anmeldedienst gehört zu einer anderen Behörde.")
        )


def roles_from_claims(login: AuthorityLogin, claims: Mapping[str, Any]) -> set[Role]:
    mapping = login.role_mapping or {}
    return {
        Role(mapping[value])
        for value in claim_values(claims, login.roles_claim)
        if value in mapping
    }


def _display_name(claims: Mapping[str, Any]) -> str:
    name = claims.get("name") or " ".join(
        part for part in (claims.get("given_name"), claims.get("family_name")) if part
    )
    return str(name or claims.get("preferred_username") or claims.get("email") or claims["sub"])[
        :200
    ]


def account_for_login(
    session: Session, authority: Authority, login: AuthorityLogin, verified: VerifiedLogin
) -> Account:
    """Find the account by (issuer, subject) — never by e-mail — or create it; refresh its roles."""
    check_tenant(login, verified.claims)
    roles = sorted(role.value for role in roles_from_claims(login, verified.claims))
    account = session.scalar(
        select(Account).where(
            Account.issuer == verified.issuer, Account.subject == verified.subject
        )
    )
    if account is not None and account.authority_id != authority.id:
        raise LoginRefused("other-authority", N_("Dieses Konto gehört zu einer anderen Behörde."))
    actor = system_actor(LOGIN_ACTOR_NAME)
    if account is None:
        account = _create_account(session, actor, authority, verified, roles)
    elif sorted(account.roles) != roles:
        _record_roles(session, actor, account, roles)
    account.display_name = _display_name(verified.claims)
    account.email = verified.claims.get("email") or account.email
    account.last_login_at = utcnow()
    return account


def _create_account(
    session: Session, actor: Actor, authority: Authority, verified: VerifiedLogin, roles: list[str]
) -> Account:
    account = Account(
        id=uuid.uuid4(),
        authority_id=authority.id,
        issuer=verified.issuer,
        subject=verified.subject,
        display_name=_display_name(verified.claims),
        email=verified.claims.get("email"),
        roles=roles,
    )
    session.add(account)
    session.flush()
    record(
        session,
        actor,
        "account.created",
        object_type="account",
        object_id=account.id,
        authority_id=authority.id,
        after={"issuer": verified.issuer, "subject": verified.subject, "roles": roles},
    )
    return account


def _record_roles(session: Session, actor: Actor, account: Account, roles: list[str]) -> None:
    record(
        session,
        actor,
        "account.roles_changed",
        object_type="account",
        object_id=account.id,
        authority_id=account.authority_id,
        before={"roles": list(account.roles)},
        after={"roles": roles},
    )
    account.roles = roles


def record_login(session: Session, account: Account) -> None:
    record(
        session,
        system_actor(LOGIN_ACTOR_NAME),
        "login.succeeded",
        object_type="account",
        object_id=account.id,
        authority_id=account.authority_id,
        details={"issuer": account.issuer},
    )


def record_refused_login(
    session: Session, authority: Authority | None, refusal: LoginRefused
) -> None:
    record(
        session,
        system_actor(LOGIN_ACTOR_NAME),
        "login.refused",
        object_type="authority",
        object_id=authority.id if authority else "unbekannt",
        authority_id=authority.id if authority else None,
        details={"code": refusal.code, "reason": refusal.message},
    )
