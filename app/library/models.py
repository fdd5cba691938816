"""Process models, their immutable revisions and the content-addressed bytes behind them."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.catalog.models import Process
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
)
from app.identity.models import Authority


class RevisionStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    PUBLISHED = "published"
    CHANGES_REQUESTED = "changes_requested"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    SUPERSEDED = "superseded"


class Blob(Base):
    """Bytes stored once per SHA-256, whatever number of revisions share them."""

    __tablename__ = "blobs"
    __table_args__ = (CheckConstraint("length(sha256) = 64", name="sha256_length"),)

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[CreatedAt]


class ProcessModel(Base):
    __tablename__ = "process_models"
    __table_args__ = (
        UniqueConstraint("authority_id", "external_ref"),
        CheckConstraint("revision_count >= 0", name="revision_count_not_negative"),
        origin_index("process_models"),
    )

    id: Mapped[UUIDPrimaryKey]
    process_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("processes.id"), index=True)
    authority_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("authorities.id"), index=True)
    external_ref: Mapped[str | None] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    revision_count: Mapped[int] = mapped_column(default=0)
    origin_instance: Mapped[OriginInstance]
    origin_id: Mapped[OriginId]
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]
    # a fork: the model it came from and the upstream revision its content is based on now
    # ("Upstream übernehmen" moves it forward)
    upstream_model_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("process_models.id"), index=True
    )
    upstream_revision_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("revisions.id", use_alter=True)
    )

    process: Mapped[Process] = relationship()
    authority: Mapped[Authority] = relationship()
    upstream_model: Mapped[ProcessModel | None] = relationship(
        remote_side="ProcessModel.id", foreign_keys=[upstream_model_id]
    )
    upstream_revision: Mapped[Revision | None] = relationship(foreign_keys=[upstream_revision_id])
    revisions: Mapped[list[Revision]] = relationship(
        back_populates="model", order_by="Revision.number", foreign_keys="Revision.model_id"
    )

    @property
    def is_fork(self) -> bool:
        return self.upstream_model_id is not None


class Revision(Base):
    """One immutable upload: the exact bytes, who sent them, and what was extracted."""

    __tablename__ = "revisions"
    __table_args__ = (
        UniqueConstraint("model_id", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
        origin_index("revisions"),
    )

    id: Mapped[UUIDPrimaryKey]
    model_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("process_models.id"), index=True)
    number: Mapped[int]
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("revisions.id"))
    blob_sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"), index=True)
    size: Mapped[int]
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    message: Mapped[str] = mapped_column(Text)
    author_account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    author_name: Mapped[str] = mapped_column(String(200))
    status: Mapped[RevisionStatus] = mapped_column(
        enum_column(RevisionStatus, "revision_status"), default=RevisionStatus.DRAFT, index=True
    )
    extraction: Mapped[dict[str, object]] = mapped_column(JSONDocument, deferred=True)
    main_document: Mapped[str | None] = mapped_column(String(255), doc="main file of a ZIP upload")
    is_valid: Mapped[bool] = mapped_column(default=False, doc="no schema or import issues")
    validation: Mapped[list[dict[str, object]]] = mapped_column(
        JSONDocument, default=list, deferred=True
    )
    lint: Mapped[list[dict[str, object]]] = mapped_column(JSONDocument, default=list, deferred=True)
    created_at: Mapped[CreatedAt]
    published_at: Mapped[datetime | None]
    # review (app/review): each submission opens a round; decisions of a round count its approvals
    review_round: Mapped[int] = mapped_column(default=0)
    approvals: Mapped[int] = mapped_column(default=0)
    submitted_at: Mapped[datetime | None]
    submitted_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    submitted_by_name: Mapped[str | None] = mapped_column(String(200))
    # optimistic concurrency: two reviewers deciding at once cannot both succeed
    version: Mapped[int] = mapped_column(default=1)
    origin_instance: Mapped[OriginInstance]
    origin_id: Mapped[OriginId]

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy API)

    model: Mapped[ProcessModel] = relationship(back_populates="revisions", foreign_keys=[model_id])
    parent: Mapped[Revision | None] = relationship(remote_side="Revision.id")


class ProposalStatus(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class ChangeProposal(Base):
    """A fork's revision offered back to its upstream model; the upstream owner accepts or
    declines it. Accepting creates a new upstream revision credited to the proposer."""

    __tablename__ = "change_proposals"

    id: Mapped[UUIDPrimaryKey]
    source_revision_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("revisions.id"), index=True)
    target_model_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("process_models.id"), index=True)
    base_revision_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("revisions.id"), doc="the upstream revision the fork was based on when proposing"
    )
    proposer_account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    proposer_name: Mapped[str] = mapped_column(String(200))
    proposer_authority_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("authorities.id"))
    message: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ProposalStatus] = mapped_column(
        enum_column(ProposalStatus, "proposal_status"), default=ProposalStatus.OPEN, index=True
    )
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    decided_by_name: Mapped[str | None] = mapped_column(String(200))
    decision_comment: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None]
    created_revision_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("revisions.id"), doc="the upstream revision created on acceptance"
    )
    created_at: Mapped[CreatedAt]
    # optimistic concurrency: two owners deciding at once cannot both succeed
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy API)

    source_revision: Mapped[Revision] = relationship(foreign_keys=[source_revision_id])
    target_model: Mapped[ProcessModel] = relationship(foreign_keys=[target_model_id])
    base_revision: Mapped[Revision | None] = relationship(foreign_keys=[base_revision_id])
    created_revision: Mapped[Revision | None] = relationship(foreign_keys=[created_revision_id])
    proposer_authority: Mapped[Authority] = relationship()
