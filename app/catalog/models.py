"""Processes (Steckbriefe), their LeiKa keys and version history, and the OZG reference data."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.catalog.fields import MATURITY_DIMENSIONS
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
from app.identity.models import Account, Authority


class ProcessKind(StrEnum):
    CATALOGUE = "catalogue"  # a Musterprozess: catalogue entry of the register itself
    AUTHORITY = "authority"  # the process as one authority runs it


class DigitisationPotential(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class OzgService(Base):
    """An OZG-Leistung with the Lebenslage and Themenfeld it belongs to."""

    __tablename__ = "ozg_services"

    ozg_id: Mapped[str] = mapped_column(String(10), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    lebenslage: Mapped[str] = mapped_column(String(200), index=True)
    themenfeld: Mapped[str] = mapped_column(String(200), index=True)
    description: Mapped[str | None] = mapped_column(Text)


def _maturity_check(dimension: str) -> CheckConstraint:
    column = f"maturity_{dimension}"
    return CheckConstraint(f"{column} BETWEEN 0 AND 3", name=f"{column}_stage")


class Process(Base):
    __tablename__ = "processes"
    __table_args__ = (
        UniqueConstraint("authority_id", "external_ref"),
        CheckConstraint("version >= 1", name="version_positive"),
        origin_index("processes"),
        # (sort key, id) covers the stable sort, so a page is found in the index alone
        Index(None, "sort_title", "id"),
        Index(None, "updated_at", "id"),
        *(_maturity_check(dimension) for dimension in MATURITY_DIMENSIONS),
    )

    id: Mapped[UUIDPrimaryKey]
    authority_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("authorities.id"), index=True)
    kind: Mapped[ProcessKind] = mapped_column(enum_column(ProcessKind, "process_kind"), index=True)
    external_ref: Mapped[str | None] = mapped_column(String(100), doc="stable key of seed/import")
    title: Mapped[str] = mapped_column(String(300))
    sort_title: Mapped[str] = mapped_column(String(300), doc="folded title, for sorting")
    description: Mapped[str | None] = mapped_column(Text)
    ozg_id: Mapped[str | None] = mapped_column(ForeignKey("ozg_services.ozg_id"), index=True)
    legal_bases: Mapped[list[dict[str, str]]] = mapped_column(JSONDocument, default=list)
    responsible_unit: Mapped[str | None] = mapped_column(String(300))
    trigger: Mapped[str | None] = mapped_column(Text)
    result: Mapped[str | None] = mapped_column(Text)
    required_documents: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    fees: Mapped[str | None] = mapped_column(Text)
    cases_per_year: Mapped[int | None] = mapped_column(Integer)
    minutes_per_case: Mapped[float | None]
    cycle_time_days: Mapped[float | None]
    digitisation_potential: Mapped[DigitisationPotential | None] = mapped_column(
        enum_column(DigitisationPotential, "digitisation_potential")
    )
    maturity_documentation: Mapped[int | None] = mapped_column(SmallInteger)
    maturity_it_support: Mapped[int | None] = mapped_column(SmallInteger)
    maturity_cross_unit: Mapped[int | None] = mapped_column(SmallInteger)
    maturity_evaluation: Mapped[int | None] = mapped_column(SmallInteger)
    keywords: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    synonyms: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    search_text: Mapped[str] = mapped_column(Text, default="", doc="folded text for filtering")
    version: Mapped[int] = mapped_column(default=1)
    origin_instance: Mapped[OriginInstance]
    origin_id: Mapped[OriginId]
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]

    # optimistic concurrency: every UPDATE checks and counts up the version it read
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy API)

    authority: Mapped[Authority] = relationship()
    ozg_service: Mapped[OzgService | None] = relationship()
    leika_key_rows: Mapped[list[ProcessLeikaKey]] = relationship(
        back_populates="process",
        order_by="ProcessLeikaKey.position",
        cascade="all, delete-orphan",
    )
    versions: Mapped[list[ProcessVersion]] = relationship(
        back_populates="process", order_by="ProcessVersion.version", cascade="all, delete-orphan"
    )

    @property
    def leika_keys(self) -> list[str]:
        return [row.key for row in self.leika_key_rows]

    @property
    def maturity(self) -> dict[str, int | None]:
        return {
            dimension: getattr(self, f"maturity_{dimension}") for dimension in MATURITY_DIMENSIONS
        }


class ProcessLeikaKey(Base):
    __tablename__ = "process_leika_keys"

    process_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("processes.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(14), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(SmallInteger)

    process: Mapped[Process] = relationship(back_populates="leika_key_rows")


class ProcessVersion(Base):
    """A full snapshot of a Steckbrief as it was after one change."""

    __tablename__ = "process_versions"
    __table_args__ = (UniqueConstraint("process_id", "version"),)

    id: Mapped[UUIDPrimaryKey]
    process_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("processes.id"), index=True)
    version: Mapped[int]
    data: Mapped[dict[str, object]] = mapped_column(JSONDocument)
    author_account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    author_name: Mapped[str] = mapped_column(String(200))
    message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[CreatedAt]

    process: Mapped[Process] = relationship(back_populates="versions")


class ImportStatus(StrEnum):
    CHECKED = "checked"  # read and checked (dry run), waiting for the go-ahead
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ImportJob(Base):
    """One process-register file on its way into the catalogue: checked first, then imported."""

    __tablename__ = "import_jobs"

    id: Mapped[UUIDPrimaryKey]
    authority_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("authorities.id"), index=True)
    account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    filename: Mapped[str] = mapped_column(String(255))
    blob_sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))
    status: Mapped[ImportStatus] = mapped_column(
        enum_column(ImportStatus, "import_status"), index=True
    )
    total_rows: Mapped[int] = mapped_column(default=0)
    valid_rows: Mapped[int] = mapped_column(default=0)
    processed_rows: Mapped[int] = mapped_column(default=0)
    created_count: Mapped[int] = mapped_column(default=0)
    updated_count: Mapped[int] = mapped_column(default=0)
    unchanged_count: Mapped[int] = mapped_column(default=0)
    report: Mapped[dict[str, object]] = mapped_column(JSONDocument, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[CreatedAt]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]

    authority: Mapped[Authority] = relationship()
    account: Mapped[Account | None] = relationship()
