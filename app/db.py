"""Database foundation: declarative base, column types, engines and the session per request.

Services receive a ``Session`` and never commit on their own; page views, API endpoints and CLI
commands commit once per request or work item.

On SQLite, writers take the database lock when their transaction begins (``BEGIN IMMEDIATE``).
A deferred transaction that reads first and writes later would otherwise fail at once with
"database is locked" whenever another writer got in between, no matter how long the busy timeout.
Reading requests use plain ``BEGIN`` and, thanks to WAL, never wait for a writer.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache
from itertools import groupby
from typing import Annotated, Any

from flask import Flask, current_app, g, request
from sqlalchemy import (
    JSON,
    DateTime,
    Engine,
    Enum,
    Index,
    Insert,
    MetaData,
    String,
    Table,
    Uuid,
    create_engine,
    event,
    inspect,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import MANYTOONE, DeclarativeBase, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
log = logging.getLogger(__name__)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SQLITE_BUSY_TIMEOUT_MS = 30_000
POOL_SIZE = 10
POOL_OVERFLOW = 20


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on every backend (SQLite stores naive UTC text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: use timezone-aware UTC values")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONDocument = JSON().with_variant(JSONB(), "postgresql")

UUIDPrimaryKey = Annotated[uuid.UUID, mapped_column(primary_key=True, default=uuid.uuid4)]
CreatedAt = Annotated[datetime, mapped_column(default=utcnow)]
# Mirrored content (federation): the origin instance's base URL and the object's id there.
OriginInstance = Annotated[str | None, mapped_column(String(300))]
OriginId = Annotated[str | None, mapped_column(String(64))]


def origin_index(table: str) -> Index:
    """One local row per origin object: what makes importing a mirror idempotent."""
    return Index(f"uq_{table}_origin", "origin_instance", "origin_id", unique=True)


UpdatedAt = Annotated[datetime, mapped_column(default=utcnow, onupdate=utcnow)]


def enum_column(enum_class: type[StrEnum], name: str) -> Enum:
    """Enums stored as their values in a VARCHAR with a CHECK constraint (portable, migratable)."""
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), uuid.UUID: Uuid()}  # noqa: RUF012 (SQLAlchemy API)


def insert_built(connection: Connection, objects: Iterable[Any]) -> None:
    """INSERT new, never added ORM objects in the order given, without the unit of work: no
    flush, no flush events, no identity map (callers queue what the flush listeners would).

    Consecutive objects of one table with the same columns go out in one statement. What an
    object leaves unset gets the column's default, as in a flush; foreign keys are taken from
    the many-to-one relationships set on it."""
    rows = [(obj.__table__, _column_values(obj)) for obj in objects]
    for (table, _columns), group in groupby(rows, key=lambda row: (row[0], row[1].keys())):
        connection.execute(_insert(table), [values for _table, values in group])


@cache
def _insert(table: Table) -> Insert:
    return table.insert()  # one statement object per table: its cache key is computed once


def _column_values(obj: Any) -> dict[str, Any]:
    state = inspect(obj)
    values = {
        prop.columns[0].key: state.dict[prop.key]
        for prop in state.mapper.column_attrs
        if prop.key in state.dict
    }
    for relationship in state.mapper.relationships:
        target = state.dict.get(relationship.key)
        if relationship.direction is MANYTOONE and target is not None:
            target_mapper = inspect(target).mapper
            for local, remote in relationship.local_remote_pairs:
                values[local.key] = getattr(
                    target, target_mapper.get_property_by_column(remote).key
                )
    return values


def import_all_models() -> None:
    """Register every table on ``Base.metadata`` (for Alembic and tooling)."""
    from app import cache as _cache  # noqa: F401
    from app.audit import models as _audit  # noqa: F401
    from app.catalog import models as _catalog  # noqa: F401
    from app.identity import models as _identity  # noqa: F401
    from app.library import models as _library  # noqa: F401
    from app.peering import models as _peering  # noqa: F401
    from app.review import models as _review  # noqa: F401
    from app.search import models as _search  # noqa: F401


def _configure_sqlite(engine: Engine, *, immediate: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str, *, immediate: bool = False) -> Engine:
    # Keep as many connections as a worker has threads (8 by default), so that connections are
    # reused instead of being opened and closed again under load.
    pool = {"pool_size": POOL_SIZE, "max_overflow": POOL_OVERFLOW}
    if url.startswith("sqlite"):
        timeout = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        engine = create_engine(url, connect_args=timeout, **(pool if ":memory:" not in url else {}))
        _configure_sqlite(engine, immediate=immediate)
        return engine
    return create_engine(url, pool_pre_ping=True, **pool)


class Database:
    """Engines and session factories of one register instance."""

    def __init__(self, url: str, *, session_info: dict[str, Any] | None = None) -> None:
        self.url = url
        # handed to every session (``Session.info``): what services need to know about the
        # instance besides the rows, e.g. who signs its federation feed (app.peering.outbox)
        self.session_info = dict(session_info or {})
        self.engine = make_engine(url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._write_engine = make_engine(url, immediate=True) if self.is_sqlite else self.engine
        self._bound_connection: Connection | None = None
        self.unbind()

    def _sessions(self, **options: Any) -> sessionmaker[Session]:
        return sessionmaker(expire_on_commit=False, info=self.session_info, **options)

    def session(self, *, write: bool = True) -> Session:
        return (self._write_sessions if write else self._read_sessions)()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A write session that commits on success and rolls back on any error."""
        with self.session(write=True) as session, session.begin():
            yield session

    def bind_to_connection(self, connection: Connection) -> None:
        """Tests: run every session inside ``connection``'s outer transaction (savepoints)."""
        factory = self._sessions(bind=connection, join_transaction_mode="create_savepoint")
        self._read_sessions = self._write_sessions = factory
        self._bound_connection = connection

    def unbind(self) -> None:
        """Sessions of their own on the engines: the start, and the end of :meth:`bind_to_connection`."""
        self._read_sessions = self._sessions(bind=self.engine)
        self._write_sessions = self._sessions(bind=self._write_engine)
        self._bound_connection = None

    def refresh_statistics(self) -> None:
        """After a bulk load: PostgreSQL's planner gets the statistics of the new rows now, not
        when autovacuum comes round a minute or more later, and until then plans as for the empty
        tables it last saw. About 0.2 s for the seed register. (SQLite plans without them.)"""
        if not self.is_sqlite:
            with self.transaction() as session:
                session.execute(text("ANALYZE"))

    def read_scalar(self, sql: str) -> Any:
        """One value from a fixed query on a bare pooled DBAPI connection, without ORM overhead."""
        if self._bound_connection is not None:
            return self._bound_connection.exec_driver_sql(sql).scalar()
        connection = self.engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute(sql)
            row = cursor.fetchone()
            cursor.close()
            return row[0] if row else None
        finally:
            connection.close()

    def dispose(self) -> None:
        self.engine.dispose()
        self._write_engine.dispose()


def init_app(app: Flask, database: Database) -> None:
    app.extensions["musterregister.db"] = database
    # Registered first, so it runs after every other after_request hook: the request's own
    # transaction (and on SQLite its write lock) is over before the session cookie is saved.
    app.after_request(_release_request_session)
    app.teardown_appcontext(_close_request_session)


def _release_request_session(response: Any) -> Any:
    release_request_session()
    return response


def release_request_session() -> None:
    """End the request's transaction now (rolling back what it did not commit).

    Call it before work that commits in a transaction of its own after the request failed (an
    audit event of a refusal): the request's transaction must not outlive or undo that work.
    """
    _close_request_session(None)


def get_database(app: Flask | None = None) -> Database:
    return (app or current_app).extensions["musterregister.db"]


def request_session() -> Session:
    """The session of the current request: a writer for unsafe methods, a reader otherwise."""
    if "db_session" not in g:
        g.db_session = get_database().session(write=request.method not in SAFE_METHODS)
    return g.db_session


def _close_request_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is None:
        return
    try:
        session.close()
    except DBAPIError as error:
        if not error.connection_invalidated:
            raise
        # The database went away during the request, whose answer (a 503) is made already: the
        # rollback cannot reach it, and the transaction ended with the connection anyway.
        log.warning("request's database connection was lost before its rollback")
