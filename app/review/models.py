"""Reviewers' decisions, comments on revisions and notifications with their preferences."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, CreatedAt, UUIDPrimaryKey, enum_column
from app.identity.models import Account, Authority
from app.library.models import ProcessModel, Revision
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


class Comment(Base):
    """A comment on a revision (a submission or a published one), optionally a reply and optionally
    pinned to a BPMN element. The body is Markdown, stored as typed and sanitised when rendered."""

    __tablename__ = "comments"
    __table_args__ = (Index(None, "revision_id", "created_at"),)

    id: Mapped[UUIDPrimaryKey]
    model_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("process_models.id"), index=True)
    revision_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("revisions.id"))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("comments.id"), index=True)
    element_id: Mapped[str | None] = mapped_column(String(255), doc="BPMN element id it points at")
    author_account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    author_name: Mapped[str] = mapped_column(String(200))
    author_authority_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("authorities.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[CreatedAt]

    model: Mapped[ProcessModel] = relationship()
    revision: Mapped[Revision] = relationship()
    parent: Mapped[Comment | None] = relationship(remote_side="Comment.id")
    author_authority: Mapped[Authority | None] = relationship()


class NotificationKind(StrEnum):
    SUBMISSION_WAITING = "submission_waiting"
    DECISION_MADE = "decision_made"
    COMMENT = "comment"
    UPSTREAM_PUBLISHED = "upstream_published"
    PROPOSAL_RECEIVED = "proposal_received"


class Delivery(StrEnum):
    """How a person wants one kind of notification: inbox and e-mail, inbox only, or not at all."""

    INBOX_AND_EMAIL = "inbox_and_email"
    INBOX = "inbox"
    OFF = "off"


class EmailStatus(StrEnum):
    NOT_WANTED = "not_wanted"
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class Notification(Base):
    """One message in one person's inbox; its e-mail is sent after the commit that created it."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index(None, "account_id", "created_at"),
        Index(None, "email_status"),
    )

    id: Mapped[UUIDPrimaryKey]
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    kind: Mapped[NotificationKind] = mapped_column(
        enum_column(NotificationKind, "notification_kind")
    )
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(String(500), doc="path in this register, e.g. /modelle/…")
    created_at: Mapped[CreatedAt]
    read_at: Mapped[datetime | None]
    email_status: Mapped[EmailStatus] = mapped_column(
        enum_column(EmailStatus, "email_status"), default=EmailStatus.NOT_WANTED
    )
    email_attempts: Mapped[int] = mapped_column(default=0)
    emailed_at: Mapped[datetime | None]
    email_error: Mapped[str | None] = mapped_column(Text)

    account: Mapped[Account] = relationship()


class NotificationPreference(Base):
    """A person's choice for one kind; without a row, a kind arrives in the inbox and by e-mail."""

    __tablename__ = "notification_preferences"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    kind: Mapped[NotificationKind] = mapped_column(
        enum_column(NotificationKind, "notification_kind"), primary_key=True
    )
    delivery: Mapped[Delivery] = mapped_column(enum_column(Delivery, "notification_delivery"))
