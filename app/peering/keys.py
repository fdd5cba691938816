"""The signing keys of this instance: created on first use, stored encrypted, rotatable.

The private key is encrypted at rest with Fernet; the Fernet key is derived from the instance's
``SECRET_KEY`` with HKDF-SHA256 and a fixed label, so a database dump alone signs nothing. Only the
newest active key signs; retired keys stay in the JWKS so that peers can still verify older events.

Creating a key is serialised: on PostgreSQL with a transaction-scoped advisory lock, on SQLite by
the write lock every writer takes at ``BEGIN IMMEDIATE``. A second process that raced anyway (or a
kid that exists already) makes the loser read the winner's key instead of adding its own.
"""

from __future__ import annotations

import base64
import functools
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db import utcnow
from app.errors import DomainError
from app.i18n import _
from app.peering.models import InstanceKey

HKDF_INFO = b"musterregister federation instance signing key v1"
KEYS_LOCK = 0x4D52_4B45  # pg_advisory_xact_lock id of key creation and rotation ("MRKE")

JWK = dict[str, Any]


class KeyUnavailable(DomainError):
    """The stored private key cannot be decrypted (the SECRET_KEY changed): nothing can be
    published until an operator rotates the key."""

    status, slug = 503, "signing-key-unavailable"


# --- encryption at rest ------------------------------------------------------------------------


def _fernet(secret_key: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt_private(private_jwk: JWK, secret_key: str) -> bytes:
    return _fernet(secret_key).encrypt(json.dumps(private_jwk, sort_keys=True).encode())


@functools.lru_cache(maxsize=16)
def decrypt_private(token: bytes, secret_key: str) -> JWK:
    """The private JWK (cached: signing many events decrypts once)."""
    try:
        return json.loads(_fernet(secret_key).decrypt(token))
    except InvalidToken:
        raise KeyUnavailable(
            _(
                "Der private Signierschlüssel lässt sich mit dem aktuellen SECRET_KEY nicht "
                "entschlüsseln. Wurde der SECRET_KEY geändert? Dann mit "
                "'musterregister federation rotate-key' einen neuen Schlüssel anlegen."
            )
        ) from None


# --- reading -----------------------------------------------------------------------------------


def all_keys(session: Session) -> list[InstanceKey]:
    return list(session.scalars(select(InstanceKey).order_by(InstanceKey.created_at)))


def active_key(session: Session) -> InstanceKey | None:
    """The key that signs: the newest one not retired."""
    return session.scalar(
        select(InstanceKey)
        .where(InstanceKey.retired_at.is_(None))
        .order_by(InstanceKey.created_at.desc(), InstanceKey.kid.desc())
        .limit(1)
    )


def jwks(session: Session) -> dict[str, list[JWK]]:
    """Public keys only (active and retired), oldest first."""
    return {"keys": [_public(key.public_jwk) for key in all_keys(session)]}


def _public(jwk: dict[str, Any]) -> JWK:
    return {name: value for name, value in jwk.items() if name != "d"}  # never a private part


def fingerprint(session: Session) -> str:
    from federation.keys import fingerprint as jwks_fingerprint

    return jwks_fingerprint(jwks(session))


# --- writing -----------------------------------------------------------------------------------


def signing_key(session: Session, secret_key: str) -> JWK:
    """The private JWK (with ``kid``) of the active key; created in this transaction if none."""
    key = active_key(session) or ensure_key(session, secret_key)
    return dict(decrypt_private(key.private_key_encrypted, secret_key))


def ensure_key(session: Session, secret_key: str) -> InstanceKey:
    """The active key; a new one if there is none yet (first start)."""
    _lock(session)
    return active_key(session) or _add_key(session, secret_key) or _reread(session)


def rotate_key(session: Session, secret_key: str) -> InstanceKey:
    """A new signing key; every key that signed so far is retired (and still verifies)."""
    _lock(session)
    now = utcnow()
    for key in session.scalars(select(InstanceKey).where(InstanceKey.retired_at.is_(None))):
        key.retired_at = now
    return _add_key(session, secret_key) or _reread(session)


def _add_key(session: Session, secret_key: str) -> InstanceKey | None:
    from federation.keys import generate_key

    private_jwk, public_jwk = generate_key()
    key = InstanceKey(
        kid=public_jwk["kid"],
        public_jwk=_public(public_jwk),
        private_key_encrypted=encrypt_private(private_jwk, secret_key),
    )
    try:
        with session.begin_nested():
            session.add(key)
    except IntegrityError:
        return None  # another writer got there first: use its key
    return key


def _reread(session: Session) -> InstanceKey:
    key = active_key(session)
    if key is None:  # pragma: no cover - only after a lost race that left no active key
        raise KeyUnavailable(_("Es gibt keinen aktiven Signierschlüssel."))
    return key


def _lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": KEYS_LOCK})
