"""Every change of indexed data puts its refs into ``search_queue`` in the same transaction.

The indexer reads the queue only after the commit, so the index never shows what was rolled back,
and a change committed while the indexer works leaves a new queue row behind: nothing is lost.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import event, insert
from sqlalchemy.orm import Session

from app.catalog.models import OzgService, Process, ProcessLeikaKey
from app.db import utcnow
from app.identity.models import Authority
from app.library.models import ProcessModel, Revision
from app.search.documents import model_ref, process_ref
from app.search.models import SearchQueueEntry

QUEUED_KEY = "musterregister.search.queued"
_QUEUE = insert(SearchQueueEntry.__table__)
_listeners: list[Callable[[], None]] = []
_listeners_lock = threading.Lock()


def refs_of(instance: Any) -> tuple[str, ...]:
    """The refs whose documents show ``instance`` (empty: not indexed)."""
    if isinstance(instance, Process):
        return (process_ref(instance.id),)
    if isinstance(instance, ProcessLeikaKey):
        return (process_ref(instance.process_id),)
    if isinstance(instance, ProcessModel):
        return (model_ref(instance.id), process_ref(instance.process_id))
    if isinstance(instance, Revision):
        return (model_ref(instance.model_id),)  # the model ref brings its process along
    if isinstance(instance, Authority):
        return (f"authority:{instance.id}",)
    if isinstance(instance, OzgService):
        return (f"ozg:{instance.ozg_id}",)
    return ()


def _changed_instances(session: Session) -> Iterable[Any]:
    yield from session.new
    yield from session.deleted
    for instance in session.dirty:
        if session.is_modified(instance, include_collections=False):
            yield instance


def _queue_changes(session: Session, _flush_context: Any) -> None:
    queue(session, {ref for instance in _changed_instances(session) for ref in refs_of(instance)})


def queue(session: Session, refs: Iterable[str]) -> None:
    """Queue ``refs`` (once per transaction) for the indexer; for rows written without the ORM's
    unit of work, which the flush listener does not see."""
    queued: set[str] = session.info.setdefault(QUEUED_KEY, set())
    new_refs = sorted(ref for ref in set(refs) - queued if "None" not in ref)
    if not new_refs:
        return
    now = utcnow()
    session.connection().execute(_QUEUE, [{"ref": ref, "created_at": now} for ref in new_refs])
    queued.update(new_refs)


def _after_commit(session: Session) -> None:
    had_changes = bool(session.info.pop(QUEUED_KEY, None))
    if had_changes:
        for listener in list(_listeners):
            listener()


def _forget(session: Session, *_args: Any) -> None:
    session.info.pop(QUEUED_KEY, None)


def on_commit_with_changes(listener: Callable[[], None]) -> Callable[[], None]:
    """Call ``listener`` after each commit that queued refs; returns the function that unsubscribes."""
    with _listeners_lock:
        _listeners.append(listener)

    def unsubscribe() -> None:
        with _listeners_lock:
            if listener in _listeners:
                _listeners.remove(listener)

    return unsubscribe


def install() -> None:
    if not event.contains(Session, "after_flush", _queue_changes):
        event.listen(Session, "after_flush", _queue_changes)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _forget)
