"""Tables of the federation: signing keys, the outbox feed, peers and what was refused from them.

Mirrored content lives in the ordinary tables (authorities, processes, process models, revisions),
marked by ``origin_instance`` and ``origin_id``; see :class:`app.db.OriginMixin`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, CreatedAt, JSONDocument, UpdatedAt, UUIDPrimaryKey, enum_column

# SQLite only auto-increments an INTEGER PRIMARY KEY (the rowid alias), never a BIGINT.
Sequence = BigInteger().with_variant(Integer(), "sqlite")


class InstanceKey(Base):
    """A signing key pair of this instance. The private key is stored encrypted with the instance's
    secret key; a retired key stays in the JWKS so that peers can still verify older events."""

    __tablename__ = "instance_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    public_jwk: Mapped[dict[str, object]] = mapped_column(JSONDocument)
    private_key_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[CreatedAt]
    retired_at: Mapped[datetime | None] = mapped_column(doc="no longer signs; still verifies")


class EventKind(StrEnum):
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"
    SUPERSEDED = "superseded"
    PROCESS_UPDATED = "process-updated"
    AUTHORITY_UPDATED = "authority-updated"


class OutboxEvent(Base):
    """One entry of this instance's feed, written in the transaction of the change it records.

    ``seq`` is strictly increasing in commit order (writers serialise on the outbox). Relayed
    events keep their origin's ``event_id``, ``origin`` and signature (``jws``)."""

    __tablename__ = "outbox_events"

    seq: Mapped[int] = mapped_column(Sequence, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True, doc="assigned by the origin")
    kind: Mapped[EventKind] = mapped_column(enum_column(EventKind, "federation_event_kind"))
    origin: Mapped[str] = mapped_column(String(300), doc="base URL of the origin instance")
    jws: Mapped[str] = mapped_column(Text, doc="the event, signed by the origin (compact JWS)")
    sha256: Mapped[str | None] = mapped_column(
        String(64), index=True, doc="content the event refers to (blobs are served by it)"
    )
    created_at: Mapped[CreatedAt]


class PeerState(StrEnum):
    PENDING = "pending"  # added, fingerprint not yet confirmed by an operator
    ACTIVE = "active"
    PAUSED = "paused"


class Peer(Base):
    """Another instance this one pulls from, with its pinned keys and its sync cursor."""

    __tablename__ = "peers"

    id: Mapped[UUIDPrimaryKey]
    name: Mapped[str] = mapped_column(String(100), unique=True)
    base_url: Mapped[str] = mapped_column(String(300), unique=True)
    instance_name: Mapped[str] = mapped_column(String(200))
    protocol_version: Mapped[str] = mapped_column(String(20))
    jwks: Mapped[dict[str, object]] = mapped_column(JSONDocument, doc="pinned public keys")
    fingerprint: Mapped[str] = mapped_column(String(100))
    state: Mapped[PeerState] = mapped_column(
        enum_column(PeerState, "peer_state"), default=PeerState.PENDING
    )
    accept_vouched: Mapped[bool] = mapped_column(
        default=False, doc="accept content of instances this peer vouches for"
    )
    vouched: Mapped[list[dict[str, object]]] = mapped_column(
        JSONDocument, default=list, doc="instances (base URL, name, JWKS) the peer vouches for"
    )
    cursor: Mapped[int] = mapped_column(BigInteger, default=0)
    lag_events: Mapped[int | None]
    last_attempt_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]
    confirmed_at: Mapped[datetime | None]
    confirmed_by_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]


class Refusal(Base):
    """An item of a peer's feed that was refused (bad signature, hash mismatch, garbage)."""

    __tablename__ = "federation_refusals"
    __table_args__ = (Index(None, "peer_id", "created_at"),)

    id: Mapped[UUIDPrimaryKey]
    peer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("peers.id"))
    seq: Mapped[int | None] = mapped_column(BigInteger)
    event_id: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[CreatedAt]

    peer: Mapped[Peer] = relationship()
