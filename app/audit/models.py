"""Append-only audit events: who did what to which object, with before and after."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, JSONDocument, utcnow

# SQLite only auto-increments an INTEGER PRIMARY KEY (the rowid alias), never a BIGINT.
AutoIncrementId = BigInteger().with_variant(Integer(), "sqlite")


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index(None, "object_type", "object_id"),
        Index(None, "authority_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(AutoIncrementId, primary_key=True, autoincrement=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    actor_name: Mapped[str] = mapped_column(String(200))
    authority_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("authorities.id"))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, object] | None] = mapped_column(JSONDocument)
    after: Mapped[dict[str, object] | None] = mapped_column(JSONDocument)
    details: Mapped[dict[str, object] | None] = mapped_column(JSONDocument)
