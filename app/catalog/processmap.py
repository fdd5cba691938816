"""The process map (*Prozesslandkarte*): Themenfelder → Lebenslagen → processes, with model status.

Pure functions over the session, no Flask. Three statements whatever the size of the map: the
counts per Lebenslage and status, the processes shown as chips, and nothing per process.

What a reader learns is what they may read anyway (see ``can_read_revision``): a model counts for
a process only through a revision the reader may see. For visitors that is a published one, so
"Modell vorhanden" (a model without publication) appears only to members of the owning authority
(their drafts) and to reviewers (submissions); drafts of others never show.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, literal, or_, select
from sqlalchemy.orm import Session

from app.authz import Actor, ActorKind, is_reviewer
from app.catalog.models import OzgService, Process, ProcessKind
from app.identity.models import Authority
from app.library.models import ProcessModel, Revision, RevisionStatus

PUBLISHED, MODELLED, WITHOUT, FORK = "veroeffentlicht", "modell", "ohne", "fork"
STATUSES = (PUBLISHED, MODELLED, WITHOUT)
FILTERS = (*STATUSES, FORK)
NO_THEMENFELD, NO_LEBENSLAGE = "Ohne Themenfeld", "Ohne Lebenslage"
MAX_CHIPS = 1500
CSV_BATCH = 1000


@dataclass(frozen=True)
class MapScope:
    """Which part of the register the map shows and which chips it lists."""

    authority_id: uuid.UUID | None = None
    themenfeld: str | None = None
    status: str | None = None  # one of FILTERS

    @property
    def lists_every_process(self) -> bool:
        """The whole register is too large to list unmodelled processes one by one."""
        return self.authority_id is not None or self.themenfeld is not None


@dataclass(frozen=True)
class MapProcess:
    id: uuid.UUID
    title: str
    is_catalogue_entry: bool
    authority_name: str
    status: str
    fork: bool
    mirrored: bool


@dataclass
class Counts:
    by_status: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    forks: int = 0

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    def add(self, status: str, count: int, forks: int) -> None:
        self.by_status[status] += count
        self.forks += forks

    def get(self, key: str) -> int:
        return self.forks if key == FORK else self.by_status[key]


@dataclass
class Lebenslage:
    name: str
    counts: Counts = field(default_factory=Counts)
    processes: list[MapProcess] = field(default_factory=list)


@dataclass
class Themenfeld:
    name: str
    lebenslagen: dict[str, Lebenslage] = field(default_factory=dict)
    counts: Counts = field(default_factory=Counts)

    def lebenslage(self, name: str) -> Lebenslage:
        return self.lebenslagen.setdefault(name, Lebenslage(name))

    @property
    def shown(self) -> int:
        return sum(len(lage.processes) for lage in self.lebenslagen.values())


@dataclass
class ProcessMap:
    scope: MapScope
    themenfelder: list[Themenfeld]
    counts: Counts
    all_themenfelder: list[str]
    truncated: bool = False

    @property
    def shown(self) -> int:
        return sum(tile.shown for tile in self.themenfelder)


# --- SQL ----------------------------------------------------------------------------------------


def _visible(actor: Actor) -> ColumnElement[bool]:
    """The revisions the actor may read, as SQL (the rule of ``can_read_revision``)."""
    clauses: list[ColumnElement[bool]] = [Revision.status == RevisionStatus.PUBLISHED]
    if is_reviewer(actor):
        clauses.append(Revision.status == RevisionStatus.SUBMITTED)
    if actor.kind is ActorKind.ACCOUNT and actor.authority_id is not None:
        clauses.append(ProcessModel.authority_id == actor.authority_id)
    return or_(*clauses)


def _model_flags(actor: Actor) -> Any:
    """Per process with a model the actor may see: published?, a fork?, a mirror?"""
    flag = lambda condition: func.max(case((condition, 1), else_=0))  # noqa: E731
    return (
        select(
            ProcessModel.process_id.label("process_id"),
            flag(Revision.status == RevisionStatus.PUBLISHED).label("published"),
            flag(ProcessModel.upstream_model_id.is_not(None)).label("fork"),
            flag(ProcessModel.origin_instance.is_not(None)).label("mirrored"),
        )
        .join(Revision, Revision.model_id == ProcessModel.id)
        .where(_visible(actor))
        .group_by(ProcessModel.process_id)
        .subquery("model_flags")
    )


def _columns(flags: Any) -> dict[str, ColumnElement[Any]]:
    return {
        "themenfeld": func.coalesce(OzgService.themenfeld, literal(NO_THEMENFELD)),
        "lebenslage": func.coalesce(OzgService.lebenslage, literal(NO_LEBENSLAGE)),
        "status": case(
            (flags.c.published == 1, literal(PUBLISHED)),
            (flags.c.process_id.is_not(None), literal(MODELLED)),
            else_=literal(WITHOUT),
        ),
        "fork": func.coalesce(flags.c.fork, 0),
        "mirrored": func.coalesce(flags.c.mirrored, 0),
    }


def _scoped(statement: Select[Any], flags: Any, scope: MapScope) -> Select[Any]:
    statement = statement.outerjoin(OzgService, OzgService.ozg_id == Process.ozg_id).outerjoin(
        flags, flags.c.process_id == Process.id
    )
    if scope.authority_id is not None:
        statement = statement.where(Process.authority_id == scope.authority_id)
    if scope.themenfeld == NO_THEMENFELD:
        statement = statement.where(OzgService.themenfeld.is_(None))
    elif scope.themenfeld is not None:
        statement = statement.where(OzgService.themenfeld == scope.themenfeld)
    return statement


def _status_filter(statement: Select[Any], flags: Any, columns: dict[str, Any], status: str | None):
    if status == FORK:
        return statement.where(flags.c.fork == 1)
    if status is not None:
        return statement.where(columns["status"] == status)
    return statement


def _process_rows(actor: Actor, scope: MapScope, *, every: bool) -> Select[Any]:
    flags = _model_flags(actor)
    columns = _columns(flags)
    statement = _scoped(
        select(
            Process.id,
            Process.title,
            Process.kind,
            Authority.name,
            *columns.values(),
        ).join(Authority, Authority.id == Process.authority_id),
        flags,
        scope,
    )
    statement = _status_filter(statement, flags, columns, scope.status)
    if not every:
        statement = statement.where(flags.c.process_id.is_not(None))
    return statement.order_by(
        columns["themenfeld"], columns["lebenslage"], Process.sort_title, Process.id
    )


def _map_process(row: Any) -> MapProcess:
    pid, title, kind, authority_name, _themenfeld, _lebenslage, status, fork, mirrored = row
    return MapProcess(
        id=pid,
        title=title,
        is_catalogue_entry=kind == ProcessKind.CATALOGUE,
        authority_name=authority_name,
        status=status,
        fork=bool(fork),
        mirrored=bool(mirrored),
    )


# --- the map ------------------------------------------------------------------------------------


def _sort_key(name: str) -> tuple[bool, str]:
    return (name in (NO_THEMENFELD, NO_LEBENSLAGE), name)


def _counted(session: Session, actor: Actor, scope: MapScope) -> dict[str, Themenfeld]:
    flags = _model_flags(actor)
    columns = _columns(flags)
    keys = (columns["themenfeld"], columns["lebenslage"], columns["status"])
    statement = _scoped(
        select(*keys, func.count(Process.id), func.sum(columns["fork"])).select_from(Process),
        flags,
        scope,
    ).group_by(*keys)
    themenfelder: dict[str, Themenfeld] = {}
    for themenfeld, lebenslage, status, count, forks in session.execute(statement):
        tile = themenfelder.setdefault(themenfeld, Themenfeld(themenfeld))
        tile.counts.add(status, count, int(forks or 0))
        tile.lebenslage(lebenslage).counts.add(status, count, int(forks or 0))
    return themenfelder


def process_map(session: Session, actor: Actor, scope: MapScope) -> ProcessMap:
    """Counts for the whole scope; chips for the processes the scope lists (at most MAX_CHIPS)."""
    unfiltered = MapScope(authority_id=scope.authority_id)
    tiles = _counted(session, actor, unfiltered)
    all_names = sorted(tiles, key=_sort_key)
    if scope.themenfeld is not None:
        tiles = {name: tile for name, tile in tiles.items() if name == scope.themenfeld}
    statement = _process_rows(actor, scope, every=scope.lists_every_process)
    rows = session.execute(statement.limit(MAX_CHIPS + 1)).all()
    for row in rows[:MAX_CHIPS]:
        tiles[row[4]].lebenslage(row[5]).processes.append(_map_process(row))
    total = Counts()
    for tile in tiles.values():
        for status, count in tile.counts.by_status.items():
            total.by_status[status] += count
        total.forks += tile.counts.forks
        tile.lebenslagen = dict(sorted(tile.lebenslagen.items(), key=lambda i: _sort_key(i[0])))
    return ProcessMap(
        scope=scope,
        themenfelder=[tiles[name] for name in sorted(tiles, key=_sort_key)],
        counts=total,
        all_themenfelder=all_names,
        truncated=len(rows) > MAX_CHIPS,
    )


def map_rows(session: Session, actor: Actor, scope: MapScope) -> Iterator[tuple[Any, ...]]:
    """Every process of the scope for the CSV download, read in batches."""
    statement = _process_rows(actor, scope, every=True).add_columns(Process.ozg_id)
    for row in session.execute(statement.execution_options(yield_per=CSV_BATCH)):
        yield tuple(row)
