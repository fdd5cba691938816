"""Register analytics: staff need, prioritisation and process-management maturity.

Pure functions over the session, no Flask. The rules (see docs/kennzahlen.md):

- Hours per year = cases per year × minutes per case / 60; staff need in full-time equivalents
  (FTE, *VZÄ*) = hours per year / annual working hours of one full-time post.
- Priority score = weight of the digitisation potential (high 3, medium 2, low 1) × hours per year;
  processes without potential or figures are not ranked.
- Maturity per sub-dimension = the lower median of the stages of the assessed processes, i.e. the
  highest stage that more than half of them reach. For documentation the register is evidence of
  its own: a process with a schema-valid model revision counts at least stage 1, one with a
  published revision at least stage 2, and a process with neither and no assessment counts as 0.
"""

from __future__ import annotations

import heapq
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import Session

from app.catalog.fields import MATURITY_DIMENSIONS
from app.catalog.models import DigitisationPotential, Process, ProcessKind
from app.identity.models import Authority
from app.library.models import ProcessModel, Revision, RevisionStatus

POTENTIAL_WEIGHTS = {
    DigitisationPotential.HIGH: 3,
    DigitisationPotential.MEDIUM: 2,
    DigitisationPotential.LOW: 1,
}
STAGES = (0, 1, 2, 3)
EVIDENCE_VALID, EVIDENCE_PUBLISHED = 1, 2
REGISTER_PRIORITY_LIMIT = 50
STREAM_BATCH = 1000


class HasFigures(Protocol):
    cases_per_year: int | None
    minutes_per_case: float | None


def hours_per_year(process: HasFigures) -> float | None:
    """Working hours a year: cases per year × minutes per case / 60 (None without both figures)."""
    if process.cases_per_year is None or process.minutes_per_case is None:
        return None
    return process.cases_per_year * process.minutes_per_case / 60


def staff_need(process: HasFigures, annual_working_hours: int) -> float | None:
    """Full-time equivalents: hours per year / annual working hours of one full-time post."""
    hours = hours_per_year(process)
    return None if hours is None else hours / annual_working_hours


# --- one row per process ------------------------------------------------------------------------


@dataclass(frozen=True)
class ProcessFigures:
    """What analytics needs of a process, read as plain columns."""

    id: uuid.UUID
    title: str
    authority_id: uuid.UUID
    authority_name: str
    authority_slug: str
    cases_per_year: int | None
    minutes_per_case: float | None
    digitisation_potential: DigitisationPotential | None
    maturity: dict[str, int | None]
    model_evidence: int = 0  # 0 none, 1 a schema-valid revision, 2 a published revision
    is_catalogue_entry: bool = False  # a Musterprozess of the register, no authority's own process

    @property
    def hours_per_year(self) -> float | None:
        return hours_per_year(self)


def _evidence_subquery() -> Any:
    """Per process and owning authority: the best documentation evidence its models give."""
    evidence = case(
        (Revision.status == RevisionStatus.PUBLISHED, EVIDENCE_PUBLISHED),
        (Revision.is_valid.is_(True), EVIDENCE_VALID),
        else_=0,
    )
    return (
        select(
            ProcessModel.process_id.label("process_id"),
            ProcessModel.authority_id.label("authority_id"),
            func.max(evidence).label("evidence"),
        )
        .join(Revision, Revision.model_id == ProcessModel.id)
        .group_by(ProcessModel.process_id, ProcessModel.authority_id)
        .subquery()
    )


def _figures_statement() -> Select[Any]:
    evidence = _evidence_subquery()
    return (
        select(
            Process.id,
            Process.title,
            Process.authority_id,
            Authority.name,
            Authority.slug,
            Process.cases_per_year,
            Process.minutes_per_case,
            Process.digitisation_potential,
            *(getattr(Process, f"maturity_{dimension}") for dimension in MATURITY_DIMENSIONS),
            func.coalesce(evidence.c.evidence, 0),
            Process.kind,
        )
        .join(Authority, Authority.id == Process.authority_id)
        .outerjoin(
            evidence,
            and_(
                evidence.c.process_id == Process.id,
                evidence.c.authority_id == Process.authority_id,
            ),
        )
        .order_by(Process.sort_title, Process.id)
    )


def _figures(row: Any) -> ProcessFigures:
    (pid, title, authority_id, name, slug, cases, minutes, potential, *rest) = row
    *stages, evidence, kind = rest
    return ProcessFigures(
        id=pid,
        title=title,
        authority_id=authority_id,
        authority_name=name,
        authority_slug=slug,
        cases_per_year=cases,
        minutes_per_case=minutes,
        digitisation_potential=DigitisationPotential(potential) if potential else None,
        maturity=dict(zip(MATURITY_DIMENSIONS, stages, strict=True)),
        model_evidence=int(evidence or 0),
        is_catalogue_entry=kind == ProcessKind.CATALOGUE,
    )


def authority_figures(session: Session, authority_id: uuid.UUID) -> list[ProcessFigures]:
    statement = _figures_statement().where(Process.authority_id == authority_id)
    return [_figures(row) for row in session.execute(statement)]


def register_figures(session: Session) -> Iterator[ProcessFigures]:
    """Every process of the register, read in batches."""
    statement = _figures_statement().execution_options(yield_per=STREAM_BATCH)
    for row in session.execute(statement):
        yield _figures(row)


# --- staff need ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffRow:
    process: ProcessFigures
    hours_per_year: float
    fte: float


@dataclass(frozen=True)
class StaffTable:
    rows: list[StaffRow]
    without_figures: int
    annual_working_hours: int
    total_cases: int
    total_hours: float
    total_fte: float


def staff_table(processes: Iterable[ProcessFigures], annual_working_hours: int) -> StaffTable:
    """Staff need per process with figures, and the sum over them."""
    rows, without = [], 0
    for process in processes:
        hours = process.hours_per_year
        if hours is None:
            without += 1
            continue
        rows.append(StaffRow(process, hours, hours / annual_working_hours))
    total_hours = sum(row.hours_per_year for row in rows)
    return StaffTable(
        rows=rows,
        without_figures=without,
        annual_working_hours=annual_working_hours,
        total_cases=sum(row.process.cases_per_year or 0 for row in rows),
        total_hours=total_hours,
        total_fte=total_hours / annual_working_hours,
    )


# --- prioritisation -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PriorityRow:
    rank: int
    process: ProcessFigures
    weight: int
    hours_per_year: float
    score: float


def priority_score(process: ProcessFigures) -> float | None:
    """Weight of the digitisation potential × hours per year (None when either is missing)."""
    hours = process.hours_per_year
    if process.digitisation_potential is None or hours is None:
        return None
    return POTENTIAL_WEIGHTS[process.digitisation_potential] * hours


def _sort_key(process: ProcessFigures) -> tuple[float, float, str, str]:
    """Highest score first; ties by more hours, then by title and id (stable)."""
    return (
        -(priority_score(process) or 0),
        -(process.hours_per_year or 0),
        process.title,
        str(process.id),
    )


def prioritise(processes: Iterable[ProcessFigures], limit: int | None = None) -> list[PriorityRow]:
    """The ranked processes (all, or the ``limit`` best), rank 1 = digitise first."""
    scored = (process for process in processes if priority_score(process) is not None)
    ordered = (
        heapq.nsmallest(limit, scored, key=_sort_key)
        if limit is not None
        else sorted(scored, key=_sort_key)
    )
    return [
        PriorityRow(
            rank=rank,
            process=process,
            weight=POTENTIAL_WEIGHTS[process.digitisation_potential],  # type: ignore[index]
            hours_per_year=process.hours_per_year or 0.0,
            score=priority_score(process) or 0.0,
        )
        for rank, process in enumerate(ordered, start=1)
    ]


# --- maturity -----------------------------------------------------------------------------------


def documentation_stage(process: ProcessFigures) -> int:
    """The recorded stage, raised by what the register holds: a valid model 1, a published one 2."""
    return max(process.maturity.get("documentation") or 0, process.model_evidence)


def process_stage(process: ProcessFigures, dimension: str) -> int | None:
    if dimension == "documentation":
        return documentation_stage(process)
    return process.maturity.get(dimension)


@dataclass
class DimensionMaturity:
    dimension: str
    counts: list[int] = field(default_factory=lambda: [0, 0, 0, 0])  # processes per stage 0–3

    @property
    def assessed(self) -> int:
        return sum(self.counts)

    @property
    def stage(self) -> int | None:
        """The lower median: the highest stage more than half of the assessed processes reach."""
        if not self.assessed:
            return None
        position, seen = (self.assessed - 1) // 2, 0
        for stage, count in enumerate(self.counts):
            seen += count
            if seen > position:
                return stage
        raise AssertionError("unreachable")  # pragma: no cover


def maturity(processes: Iterable[ProcessFigures]) -> list[DimensionMaturity]:
    """The stage reached on each sub-dimension, with how many processes stand at each stage."""
    levels = {dimension: DimensionMaturity(dimension) for dimension in MATURITY_DIMENSIONS}
    for process in processes:
        _count_stages(levels, process)
    return list(levels.values())


def _count_stages(levels: dict[str, DimensionMaturity], process: ProcessFigures) -> None:
    """Only an authority's own processes tell how it manages them; catalogue entries do not."""
    if process.is_catalogue_entry:
        return
    for dimension, level in levels.items():
        stage = process_stage(process, dimension)
        if stage is not None:
            level.counts[stage] += 1


# --- per authority and register-wide ------------------------------------------------------------


@dataclass(frozen=True)
class AuthorityAnalytics:
    authority: Authority
    processes: int
    staff: StaffTable
    priorities: list[PriorityRow]
    maturity: list[DimensionMaturity]


def authority_analytics(
    session: Session, authority: Authority, annual_working_hours: int
) -> AuthorityAnalytics:
    figures = authority_figures(session, authority.id)
    return AuthorityAnalytics(
        authority=authority,
        processes=len(figures),
        staff=staff_table(figures, annual_working_hours),
        priorities=prioritise(figures),
        maturity=maturity(figures),
    )


@dataclass
class AuthoritySummary:
    authority_id: uuid.UUID
    name: str
    slug: str
    processes: int = 0
    with_figures: int = 0
    cases: int = 0
    hours: float = 0.0

    def fte(self, annual_working_hours: int) -> float:
        return self.hours / annual_working_hours


@dataclass(frozen=True)
class RegisterAnalytics:
    annual_working_hours: int
    processes: int
    authorities: list[AuthoritySummary]
    priorities: list[PriorityRow]
    maturity: list[DimensionMaturity]

    @property
    def total_hours(self) -> float:
        return sum(summary.hours for summary in self.authorities)

    @property
    def total_fte(self) -> float:
        return self.total_hours / self.annual_working_hours


def _summarise(summaries: dict[uuid.UUID, AuthoritySummary], process: ProcessFigures) -> None:
    summary = summaries.get(process.authority_id)
    if summary is None:
        summary = AuthoritySummary(
            process.authority_id, process.authority_name, process.authority_slug
        )
        summaries[process.authority_id] = summary
    summary.processes += 1
    hours = process.hours_per_year
    if hours is not None:
        summary.with_figures += 1
        summary.cases += process.cases_per_year or 0
        summary.hours += hours


def register_analytics(
    session: Session,
    annual_working_hours: int,
    priority_limit: int | None = REGISTER_PRIORITY_LIMIT,
) -> RegisterAnalytics:
    """The whole register in one pass: sums per authority, the best ranked, the maturity."""
    summaries: dict[uuid.UUID, AuthoritySummary] = {}
    levels = {dimension: DimensionMaturity(dimension) for dimension in MATURITY_DIMENSIONS}
    ranked: list[ProcessFigures] = []
    count = 0
    for process in register_figures(session):
        count += 1
        _summarise(summaries, process)
        _count_stages(levels, process)
        if priority_score(process) is not None:
            ranked.append(process)
            if priority_limit is not None and len(ranked) > 4 * priority_limit:
                ranked = [row.process for row in prioritise(ranked, priority_limit)]
    authorities = sorted(summaries.values(), key=lambda summary: (-summary.hours, summary.name))
    return RegisterAnalytics(
        annual_working_hours=annual_working_hours,
        processes=count,
        authorities=authorities,
        priorities=prioritise(ranked, priority_limit),
        maturity=list(levels.values()),
    )
