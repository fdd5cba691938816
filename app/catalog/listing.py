"""Reading lists of processes and the catalogue's structure: the register's busiest queries."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Subquery, func, select
from sqlalchemy.orm import Session

from app.catalog.models import OzgService, Process, ProcessKind, ProcessLeikaKey
from app.fim.leika import covering_prefix
from app.identity.models import Authority
from app.pagination import Page
from app.text import folded_words

SORTS = {
    "title": (Process.sort_title.asc(),),
    "-title": (Process.sort_title.desc(),),
    "updated_at": (Process.updated_at.asc(),),
    "-updated_at": (Process.updated_at.desc(),),
}


@dataclass(frozen=True)
class ProcessFilter:
    text: str | None = None
    leika: str | None = None
    ozg_id: str | None = None
    authority_id: uuid.UUID | None = None
    kind: ProcessKind | None = None
    themenfeld: str | None = None
    lebenslage: str | None = None


@dataclass(frozen=True)
class AuthorityRef:
    id: uuid.UUID
    slug: str
    name: str


@dataclass(frozen=True)
class ProcessSummary:
    """One row of a process list: read straight from the columns, no ORM objects."""

    id: uuid.UUID
    kind: ProcessKind
    title: str
    leika_keys: list[str]
    ozg_id: str | None
    responsible_unit: str | None
    authority: AuthorityRef
    version: int
    updated_at: datetime

    def to_json(self) -> dict[str, Any]:
        """The shape of ``ProcessSummaryOut`` (a test holds the two together)."""
        return {
            "id": str(self.id),
            "kind": self.kind.value,
            "title": self.title,
            "leika_keys": self.leika_keys,
            "ozg_id": self.ozg_id,
            "responsible_unit": self.responsible_unit,
            "authority": {
                "id": str(self.authority.id),
                "slug": self.authority.slug,
                "name": self.authority.name,
            },
            "version": self.version,
            "updated_at": self.updated_at.isoformat(),
        }


_SUMMARY_COLUMNS = (
    Process.id,
    Process.kind,
    Process.title,
    Process.ozg_id,
    Process.responsible_unit,
    Process.version,
    Process.updated_at,
    Authority.id,
    Authority.slug,
    Authority.name,
)


def list_processes(
    session: Session,
    filters: ProcessFilter,
    *,
    page: int = 1,
    page_size: int = 20,
    sort: str = "title",
) -> Page[ProcessSummary]:
    """One page of processes, stably sorted, with the number of all matches.

    The process list is the register's busiest read, so it selects plain columns (three small
    queries whatever the page size) instead of loading ORM objects with their relationships.
    """
    total = session.scalar(_filtered(select(func.count()).select_from(Process), filters)) or 0
    order = (*SORTS[sort], Process.id)
    page_ids = (  # the page's ids first, from the index alone; only they are joined
        _filtered(select(Process.id), filters)
        .order_by(*order)
        .limit(page_size)
        .offset((page - 1) * page_size)
        .subquery()
    )
    statement = (
        select(*_SUMMARY_COLUMNS)
        .join(page_ids, page_ids.c.id == Process.id)
        .join(Authority, Authority.id == Process.authority_id)
        .order_by(*order)
    )
    rows = session.execute(statement).all()
    keys = _leika_keys_of(session, page_ids) if rows else {}
    items = [
        ProcessSummary(
            id=row[0],
            kind=row[1],
            title=row[2],
            leika_keys=keys.get(row[0], []),
            ozg_id=row[3],
            responsible_unit=row[4],
            version=row[5],
            updated_at=row[6],
            authority=AuthorityRef(id=row[7], slug=row[8], name=row[9]),
        )
        for row in rows
    ]
    return Page(items=items, total=total, page=page, page_size=page_size)


def _leika_keys_of(session: Session, page_ids: Subquery) -> dict[uuid.UUID, list[str]]:
    """The LeiKa keys of a page, joined to the page's id query (cheaper than binding the ids)."""
    keys: dict[uuid.UUID, list[str]] = {}
    rows = session.execute(
        select(ProcessLeikaKey.process_id, ProcessLeikaKey.key)
        .join(page_ids, page_ids.c.id == ProcessLeikaKey.process_id)
        .order_by(ProcessLeikaKey.process_id, ProcessLeikaKey.position)
    )
    for process_id, key in rows:
        keys.setdefault(process_id, []).append(key)
    return keys


def _filtered(statement: Select[Any], filters: ProcessFilter) -> Select[Any]:
    for word in folded_words(filters.text).split():
        statement = statement.where(Process.search_text.contains(word, autoescape=True))
    if filters.leika:
        prefix = covering_prefix(filters.leika)
        keys = select(ProcessLeikaKey.process_id).where(ProcessLeikaKey.key.startswith(prefix))
        statement = statement.where(Process.id.in_(keys))
    if filters.ozg_id:
        statement = statement.where(Process.ozg_id == filters.ozg_id)
    if filters.authority_id:
        statement = statement.where(Process.authority_id == filters.authority_id)
    if filters.kind:
        statement = statement.where(Process.kind == filters.kind)
    if filters.themenfeld or filters.lebenslage:
        statement = statement.join(Process.ozg_service)
        if filters.themenfeld:
            statement = statement.where(OzgService.themenfeld == filters.themenfeld)
        if filters.lebenslage:
            statement = statement.where(OzgService.lebenslage == filters.lebenslage)
    return statement


@dataclass(frozen=True)
class CatalogueGroup:
    themenfeld: str
    lebenslagen: list[tuple[str, int]]

    @property
    def total(self) -> int:
        return sum(count for _, count in self.lebenslagen)


def catalogue_overview(session: Session) -> list[CatalogueGroup]:
    """Themenfelder with their Lebenslagen and how many processes each holds."""
    rows = session.execute(
        select(OzgService.themenfeld, OzgService.lebenslage, func.count(Process.id))
        .join(Process, Process.ozg_id == OzgService.ozg_id)
        .group_by(OzgService.themenfeld, OzgService.lebenslage)
        .order_by(OzgService.themenfeld, OzgService.lebenslage)
    ).all()
    groups: dict[str, list[tuple[str, int]]] = {}
    for themenfeld, lebenslage, count in rows:
        groups.setdefault(themenfeld, []).append((lebenslage, count))
    return [CatalogueGroup(themenfeld, lebenslagen) for themenfeld, lebenslagen in groups.items()]


def themenfelder(session: Session) -> list[str]:
    return list(
        session.scalars(select(OzgService.themenfeld).distinct().order_by(OzgService.themenfeld))
    )


def lebenslagen(session: Session, themenfeld: str | None = None) -> list[str]:
    statement = select(OzgService.lebenslage).distinct().order_by(OzgService.lebenslage)
    if themenfeld:
        statement = statement.where(OzgService.themenfeld == themenfeld)
    return list(session.scalars(statement))
