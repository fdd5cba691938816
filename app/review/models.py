"""Reviewers' decisions on submitted revisions."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, CreatedAt, UUIDPrimaryKey, enum_column
from app.identity.models import Authority
from app.library.models import Revision
from app.review.workflow import Decision


class ReviewDecision(Base):
    """One reviewer's decision in one review round; a reviewer decides once per round."""

    __tablename__ = "review_decisions"
    __table_args__ = (UniqueConstraint("revision_id", "round", "reviewer_account_id"),)

    id: Mapped[UUIDPrimaryKey]
    revision_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("revisions.id"), index=True)
    round: Mapped[int]
    reviewer_account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    reviewer_name: Mapped[str] = mapped_column(String(200))
    reviewer_authority_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("authorities.id"))
    decision: Mapped[Decision] = mapped_column(enum_column(Decision, "review_decision"))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[CreatedAt]

    revision: Mapped[Revision] = relationship()
    reviewer_authority: Mapped[Authority] = relationship()
