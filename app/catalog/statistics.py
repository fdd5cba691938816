"""Register statistics: how many authorities, processes, models and publications, and per month.

Pure functions over the session, no Flask. Everything counted is public: numbers of rows, and
publications (revisions with a publication time — later superseded or withdrawn ones too, because
they were published then). Drafts are counted only as part of "models", whose existence every
process page shows anyway.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from app.catalog.models import Process, ProcessKind
from app.identity.models import Authority
from app.library.models import ProcessModel, Revision, RevisionStatus

SERIES = ("authorities", "processes", "models", "publications")
CHART_MONTHS = 24
MIN_MONTHS = 12  # a young register still gets a year's timeline, its first months as zero


@dataclass(frozen=True)
class MonthRow:
    month: str  # "2026-11"
    new: dict[str, int]
    totals: dict[str, int]

    @property
    def label(self) -> str:
        year, month = self.month.split("-")
        return f"{month}/{year}"

    @property
    def short_label(self) -> str:
        year, month = self.month.split("-")
        return f"{month}/{year[2:]}"


@dataclass(frozen=True)
class RegisterStatistics:
    authorities: int
    processes: int
    catalogue_entries: int
    models: int
    forks: int
    mirrored_models: int
    published_models: int
    publications: int
    months: list[MonthRow] = field(default_factory=list)

    @property
    def chart_months(self) -> list[MonthRow]:
        return self.months[-CHART_MONTHS:]

    def peak(self, series: str) -> int:
        return max((row.new[series] for row in self.chart_months), default=0)


def _month(session: Session, column: Any) -> ColumnElement[str]:
    """The UTC month of a timestamp as "YYYY-MM", in the dialect at hand."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM")
    return func.strftime("%Y-%m", column)


def _per_month(session: Session, column: Any, *where: Any) -> dict[str, int]:
    month = _month(session, column)
    statement = select(month, func.count()).where(column.is_not(None), *where).group_by(month)
    return {key: count for key, count in session.execute(statement)}


def _month_keys(first: str, last: str) -> list[str]:
    year, month = (int(part) for part in first.split("-"))
    keys = []
    while f"{year:04d}-{month:02d}" <= last:
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return keys


def _months_before(today: date, months: int) -> str:
    index = today.year * 12 + today.month - 1 - months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def monthly(counts: dict[str, dict[str, int]], today: date) -> list[MonthRow]:
    """Every month from the first event (at least a year back) to ``today``'s month, gaps as zero,
    with running totals."""
    seen = [month for series in counts.values() for month in series]
    if not seen:
        return []
    first = min(min(seen), _months_before(today, MIN_MONTHS - 1))
    totals = dict.fromkeys(SERIES, 0)
    rows = []
    for key in _month_keys(first, max(max(seen), today.strftime("%Y-%m"))):
        new = {series: counts[series].get(key, 0) for series in SERIES}
        totals = {series: totals[series] + new[series] for series in SERIES}
        rows.append(MonthRow(key, new, totals))
    return rows


def _count(session: Session, column: Any, *where: Any) -> int:
    return session.scalar(select(func.count(column)).where(*where)) or 0


def register_statistics(session: Session, today: date) -> RegisterStatistics:
    """Eight counts and four monthly series: twelve small aggregate queries."""
    published = select(Revision.model_id).where(Revision.status == RevisionStatus.PUBLISHED)
    counts = {
        "authorities": _per_month(session, Authority.created_at),
        "processes": _per_month(session, Process.created_at),
        "models": _per_month(session, ProcessModel.created_at),
        "publications": _per_month(session, Revision.published_at),
    }
    return RegisterStatistics(
        authorities=_count(session, Authority.id),
        processes=_count(session, Process.id),
        catalogue_entries=_count(session, Process.id, Process.kind == ProcessKind.CATALOGUE),
        models=_count(session, ProcessModel.id),
        forks=_count(session, ProcessModel.id, ProcessModel.upstream_model_id.is_not(None)),
        mirrored_models=_count(session, ProcessModel.id, ProcessModel.origin_instance.is_not(None)),
        published_models=_count(session, ProcessModel.id, ProcessModel.id.in_(published)),
        publications=_count(session, Revision.id, Revision.published_at.is_not(None)),
        months=monthly(counts, today),
    )
