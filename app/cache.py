"""Serialised public read responses, kept per worker and valid while the register is unchanged.

The register is read far more than it is written: 115 agents and visitors open the same processes
again and again. Every transaction that changes publicly visible content gives the one *generation*
row a new random value, as the last statement before its commit; a cached response is served only
while the generation it was built under is still the current one. So a read after a write never sees
older data, across all workers and hosts, at the price of one tiny query per cached read. Random
values (not a counter) stay unique even if a backup brings an older state back.

Only public reads are cached (:func:`cached_read`, and :func:`cached_read_for_anonymous` for the
anonymous caller), so work nobody outside its authority can see leaves the generation alone: a
draft, a submission, a rejection, or the revision counter a new draft moves on its model. Contributors
upload drafts all day; were each of them to end the generation, every cached search answer of the
hotline would be thrown away about once a second.

The generation is read *before* the response is built: if a writer commits in between, the entry
holds data at least as new as its generation says, never older.
"""

from __future__ import annotations

import functools
import secrets
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from threading import Lock
from typing import Any

from flask import Flask, Response, current_app, request
from sqlalchemy import BigInteger, bindparam, event, inspect, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.db import Base, Database, get_database
from app.i18n import current_language

GENERATION_ROW = 1
MAX_ENTRIES = 4096
MAX_BYTES = 64 * 1024 * 1024


class RegisterGeneration(Base):
    """One row whose value changes with every committed change of register content."""

    __tablename__ = "register_generation"

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


# Rows that never change what a cached response shows (and change often, like token use or a
# notification marked as read or e-mailed). Not listed, a table counts: a new table that a public
# read shows can make the cache too eager to forget, never stale.
_IGNORED_TABLES = frozenset(
    {
        "accounts",
        "api_tokens",
        "audit_events",
        "authority_logins",
        "blobs",
        "change_proposals",
        "comments",
        "federation_refusals",
        "import_jobs",
        "instance_keys",
        "notification_preferences",
        "notifications",
        "outbox_events",
        "peers",
        "register_generation",
        "review_decisions",
        "web_sessions",
    }
)
PUBLIC_REVISION_STATUS = "published"  # app.authz.can_read_revision: the only one everybody reads
# What a new draft changes on its model, and no public read shows.
_MODEL_BOOKKEEPING = frozenset({"revision_count", "updated_at"})
_READ_GENERATION_SQL = f"SELECT value FROM register_generation WHERE id = {GENERATION_ROW}"
_BUMP_GENERATION = (
    update(RegisterGeneration.__table__)
    .where(RegisterGeneration.__table__.c.id == GENERATION_ROW)
    .values(value=bindparam("generation"))
)


def _note_content_change(session: Session, _context: Any) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(is_public_change(session, obj) for obj in changed):
        session.info["content_changed"] = True


def is_public_change(session: Session, obj: Any) -> bool:
    """Whether flushing ``obj`` (new, changed or deleted) changes what a public read shows."""
    table = getattr(obj, "__tablename__", None)
    if table in _IGNORED_TABLES:
        return False
    if table == "revisions":
        return _was_or_is_published(obj)
    if table == "process_models":
        # a new model shows nowhere public before its first publication (a revision of its own)
        return obj in session.deleted or (
            obj not in session.new and bool(_changed_columns(obj) - _MODEL_BOOKKEEPING)
        )
    return True


def _was_or_is_published(revision: Any) -> bool:
    history = inspect(revision).attrs.status.history
    if history.added and not history.deleted and inspect(revision).has_identity:
        return True  # changed, but from what was never loaded: count it
    statuses = (*history.added, *history.deleted, *history.unchanged)
    return any(getattr(status, "value", status) == PUBLIC_REVISION_STATUS for status in statuses)


def _changed_columns(obj: Any) -> set[str]:
    state = inspect(obj)
    return {
        column.key
        for column in state.mapper.column_attrs
        if state.attrs[column.key].history.has_changes()
    }


def mark_content_changed(session: Session) -> None:
    """For changes the ORM does not see (bulk statements, a search index written beside the
    database) that still change what a cached response shows."""
    session.info["content_changed"] = True


def _bump_before_commit(session: Session) -> None:
    """Taken last in the transaction, the row lock never inverts the order of other locks."""
    session.flush()  # commit flushes only after this event: pending changes must be seen now
    if session.info.pop("content_changed", False):
        session.connection().execute(_BUMP_GENERATION, {"generation": secrets.randbits(62)})


def _forget_change(session: Session, *_args: Any) -> None:
    session.info.pop("content_changed", None)


def install_generation_events() -> None:
    """Once per process; all sessions of all apps report content changes."""
    if not event.contains(Session, "after_flush", _note_content_change):
        event.listen(Session, "after_flush", _note_content_change)
        event.listen(Session, "before_commit", _bump_before_commit)
        event.listen(Session, "after_rollback", _forget_change)


def current_generation(database: Database) -> int:
    """Read without an ORM session: a tenth of its cost, on every cached read."""
    return int(database.read_scalar(_READ_GENERATION_SQL))


@dataclass(frozen=True)
class _Entry:
    generation: int
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


class ResponseCache:
    """A bounded LRU of serialised responses (per worker process, thread-safe)."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES) -> None:
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._bytes = 0
        self._lock = Lock()
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self.hits = self.misses = 0

    def get(self, key: str, generation: int) -> _Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.generation != generation:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def put(self, key: str, entry: _Entry) -> None:
        with self._lock:
            old = self._entries.pop(key, None)
            self._bytes -= len(old.body) if old else 0
            self._entries[key] = entry
            self._bytes += len(entry.body)
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= len(evicted.body)


def cached_read(view: Callable[..., Any]) -> Callable[..., Any]:
    """Serve a public GET view from the cache while the register's generation is unchanged.

    Only for views whose response is the same for every caller.
    """

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return _served_from_cache(view, args, kwargs)

    return wrapper


def cached_read_for_anonymous(view: Callable[..., Any]) -> Callable[..., Any]:
    """Like :func:`cached_read` for views whose response depends on the caller only when the
    caller is logged in (the search ranks and shows the own authority's drafts)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from app.identity.auth import current_actor

        if current_actor().is_authenticated:
            return view(*args, **kwargs)
        return _served_from_cache(view, args, kwargs)

    return wrapper


def _served_from_cache(view: Callable[..., Any], args: Any, kwargs: Any) -> Any:
    cache = response_cache(current_app)
    if cache is None or request.method != "GET":
        return view(*args, **kwargs)
    key = f"{current_language()} {request.full_path}"  # texts differ between languages
    generation = current_generation(get_database())
    entry = cache.get(key, generation)
    if entry is None:
        response = current_app.make_response(view(*args, **kwargs))
        if response.status_code != 200 or response.direct_passthrough:
            return response
        entry = _Entry(
            generation,
            response.status_code,
            tuple(response.headers.items()),
            response.get_data(),
        )
        cache.put(key, entry)
    return Response(entry.body, status=entry.status, headers=list(entry.headers))


def response_cache(app: Flask) -> ResponseCache | None:
    return app.extensions.get("musterregister.response_cache")


def init_app(app: Flask, *, enabled: bool) -> None:
    install_generation_events()
    if enabled:
        app.extensions["musterregister.response_cache"] = ResponseCache()
