"""Authorities (tenants), the accounts of their people, and personal API tokens."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import (
    Base,
    CreatedAt,
    JSONDocument,
    OriginId,
    OriginInstance,
    UpdatedAt,
    UUIDPrimaryKey,
    enum_column,
    origin_index,
    utcnow,
)


class AuthorityKind(StrEnum):
    GEMEINDE = "gemeinde"
    KREIS = "kreis"
    LAND = "land"
    BUND = "bund"
    SONSTIGE = "sonstige"


GERMAN_STATES = {
    "BW": "Baden-Württemberg",
    "BY": "Bayern",
    "BE": "Berlin",
    "BB": "Brandenburg",
    "HB": "Bremen",
    "HH": "Hamburg",
    "HE": "Hessen",
    "MV": "Mecklenburg-Vorpommern",
    "NI": "Niedersachsen",
    "NW": "Nordrhein-Westfalen",
    "RP": "Rheinland-Pfalz",
    "SL": "Saarland",
    "SN": "Sachsen",
    "ST": "Sachsen-Anhalt",
    "SH": "Schleswig-Holstein",
    "TH": "Thüringen",
}


class Role(StrEnum):
    CONTRIBUTOR = "contributor"
    REVIEWER = "reviewer"
    AUTHORITY_ADMIN = "authority-admin"
    REGISTER_ADMIN = "register-admin"


class Authority(Base):
    __tablename__ = "authorities"
    __table_args__ = (
        CheckConstraint("length(ars) = 12", name="ars_length"),
        origin_index("authorities"),
    )

    id: Mapped[UUIDPrimaryKey]
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[AuthorityKind] = mapped_column(enum_column(AuthorityKind, "authority_kind"))
    ars: Mapped[str | None] = mapped_column(String(12), unique=True)
    state: Mapped[str | None] = mapped_column(String(2), doc="ISO 3166-2:DE code, e.g. NW")
    website: Mapped[str | None] = mapped_column(String(300))
    is_register: Mapped[bool] = mapped_column(
        default=False, doc="the register's own editorial team"
    )
    origin_instance: Mapped[OriginInstance]
    origin_id: Mapped[OriginId]
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]

    accounts: Mapped[list[Account]] = relationship(back_populates="authority")


class Account(Base):
    """A person, identified by the (issuer, subject) pair of their identity provider."""

    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    id: Mapped[UUIDPrimaryKey]
    authority_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("authorities.id"), index=True)
    issuer: Mapped[str] = mapped_column(String(300))
    subject: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    roles: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    created_at: Mapped[CreatedAt]
    last_login_at: Mapped[datetime | None]

    authority: Mapped[Authority] = relationship(back_populates="accounts")
    tokens: Mapped[list[ApiToken]] = relationship(back_populates="account")

    @property
    def role_set(self) -> frozenset[Role]:
        return frozenset(Role(value) for value in self.roles)


class ApiToken(Base):
    """A personal access token; only the SHA-256 of the secret is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[UUIDPrimaryKey]
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    authority_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("authorities.id"))
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_prefix: Mapped[str] = mapped_column(String(16))
    scopes: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    created_at: Mapped[CreatedAt]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(Text)

    account: Mapped[Account] = relationship(back_populates="tokens")

    def is_active(self, now: datetime | None = None) -> bool:
        now = now or utcnow()
        return self.revoked_at is None and self.expires_at > now


class AuthorityLogin(Base):
    """How the people of one authority log in: its OpenID Connect provider and the claim mapping.

    The client secret itself is never stored: ``client_secret_ref`` names where to read it
    (``env:VARIABLE`` or ``file:/path``); without one the client is public and relies on PKCE.
    Several authorities may share one issuer when ``tenant_claim`` tells them apart.
    """

    __tablename__ = "authority_logins"

    authority_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("authorities.id"), primary_key=True)
    issuer: Mapped[str] = mapped_column(String(300), index=True)
    client_id: Mapped[str] = mapped_column(String(200))
    client_secret_ref: Mapped[str | None] = mapped_column(String(300))
    scopes: Mapped[str] = mapped_column(String(300), default="openid profile email")
    roles_claim: Mapped[str | None] = mapped_column(String(100))
    role_mapping: Mapped[dict[str, str]] = mapped_column(JSONDocument, default=dict)
    tenant_claim: Mapped[str | None] = mapped_column(String(100))
    tenant_value: Mapped[str | None] = mapped_column(String(200))
    is_demo: Mapped[bool] = mapped_column(default=False, doc="wired to the demo provider")
    enabled: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[UpdatedAt]

    authority: Mapped[Authority] = relationship()


class WebSession(Base):
    """A browser session, kept on the server; the cookie carries only a random id (stored hashed)."""

    __tablename__ = "web_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    data: Mapped[dict[str, object]] = mapped_column(JSONDocument, default=dict)
    created_at: Mapped[CreatedAt]
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    authenticated_at: Mapped[datetime | None]
