"""Keeps the index in step with the database: the indexer drains the queue, a rebuild starts over,
a check reports drift.

One writer at a time (the backend's write lock, across processes and hosts). The indexer deletes
exactly the queue rows it has indexed, and only after the index holds their documents; a worker
that dies in between leaves the rows for the next one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.background import FailureStreak
from app.cache import mark_content_changed
from app.db import Database
from app.search.analysis import GermanAnalyzer, Vocabulary, vocabulary_counts
from app.search.backend import SearchBackend
from app.search.documents import (
    SearchDocument,
    all_refs,
    build_documents,
    is_unpublished_document,
)
from app.search.linguistics import Linguistics, LinguisticsCache, add_words, replace_vocabulary
from app.search.models import SearchQueueEntry
from app.search.tracking import on_commit_with_changes

log = logging.getLogger(__name__)

DRAIN_BATCH = 200  # refs per index commit
REBUILD_BATCH = 500  # refs per database read during a rebuild
POLL_SECONDS = 2.0  # changes committed by other processes are picked up this often
# More refs than this waiting (after a bulk import): rebuild, so compounds split against the new words.
REBUILD_THRESHOLD = 2000

Progress = Callable[[str, int, int], None]  # (stage, done, total)


def no_progress(_stage: str, _done: int, _total: int) -> None:
    return None


@dataclass
class Drift:
    missing: list[str] = field(default_factory=list)  # in the database, not in the index
    stale: list[str] = field(default_factory=list)  # indexed with other content
    orphaned: list[str] = field(default_factory=list)  # in the index, gone from the database
    queued: int = 0  # refs waiting for the indexer (their drift is expected)

    @property
    def clean(self) -> bool:
        return not (self.missing or self.stale or self.orphaned)


class SearchRuntime:
    """What one application needs to search: database, backend, linguistics and the indexer."""

    def __init__(self, database: Database, backend: SearchBackend, *, background: bool) -> None:
        self.database, self.backend = database, backend
        corrections = getattr(backend, "corrections", None)
        self.linguistics = LinguisticsCache(
            self._database_corrector(corrections) if corrections else None
        )
        self.background = background
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._unsubscribe: Callable[[], None] | None = None

    def _database_corrector(
        self, corrections: Callable[..., list[str]]
    ) -> Callable[..., list[str]]:
        def corrector(word: str, limit: int) -> list[str]:
            with self.database.session(write=False) as session:
                return corrections(session, word, limit)

        return corrector

    def current(self, session: Session, *, fresh: bool = False) -> Linguistics:
        return self.linguistics.get(session, fresh=fresh)

    # --- the indexer ---------------------------------------------------------------------------

    def pending(self, session: Session) -> int:
        return session.scalar(select(func.count()).select_from(SearchQueueEntry)) or 0

    def drain(self, *, progress: Progress = no_progress) -> int:
        """Index everything queued; returns the number of refs indexed."""
        if self._queue_is_large() or self._index_is_new():
            return self.rebuild(progress=progress)
        done = 0
        while True:
            indexed = self._drain_batch()
            if not indexed:
                return done
            done += indexed
            progress("index", done, done)

    def _queue_is_large(self) -> bool:
        with self.database.session(write=False) as session:
            return self.pending(session) > REBUILD_THRESHOLD

    def _index_is_new(self) -> bool:
        """A fresh index folder (first start, or deleted by the operator) holds nothing yet."""
        is_new = getattr(self.backend, "is_new", None)
        return bool(is_new and is_new())

    def _drain_batch(self) -> int:
        with self.backend.write_lock():
            with self.database.session(write=False) as read:
                rows = read.execute(
                    select(SearchQueueEntry.id, SearchQueueEntry.ref)
                    .order_by(SearchQueueEntry.id)
                    .limit(DRAIN_BATCH)
                ).all()
                if not rows:
                    return 0
                documents = build_documents(read, {ref for _id, ref in rows})
                indexed = self.backend.digests_of(read, documents)
            with self.database.transaction() as session:
                analyzer, new_words = self._analyzer_with_words_of(session, documents)
                self.backend.replace(session, documents, analyzer)
                ids = [row_id for row_id, _ref in rows]
                session.execute(delete(SearchQueueEntry).where(SearchQueueEntry.id.in_(ids)))
                if new_words or _public_part(indexed) != _public_part(_digests(documents)):
                    # cached public search answers must not outlive the index; a draft's
                    # document alone changes none of them
                    mark_content_changed(session)
            return len(rows)

    def _analyzer_with_words_of(
        self, session: Session, documents: dict[str, list[SearchDocument]]
    ) -> tuple[GermanAnalyzer, bool]:
        """The analyzer for these documents, and whether they brought words new to it (which
        may change the spelling corrections of any search)."""
        counts = vocabulary_counts(
            document.texts.values() for docs in documents.values() for document in docs
        )
        if add_words(session, counts):
            return self.current(session, fresh=True).analyzer, True
        return self.current(session).analyzer, False

    # --- rebuild and check ---------------------------------------------------------------------

    def rebuild(self, *, processes: int = 1, progress: Progress = no_progress) -> int:
        """Build the whole index afresh (and the vocabulary); returns the number of documents."""
        with self.backend.write_lock():
            with self.database.session(write=False) as read:
                last_queued = read.scalar(select(func.max(SearchQueueEntry.id))) or 0
                documents = list(_all_documents(read, progress))
            counts = vocabulary_counts(document.texts.values() for document in documents)
            analyzer = GermanAnalyzer(Vocabulary(counts))
            with self.database.transaction() as session:
                replace_vocabulary(session, counts)
                progress("index", 0, len(documents))
                self.backend.rebuild(
                    session,
                    _batches(documents, progress),
                    analyzer,
                    processes=processes,
                )
                session.execute(delete(SearchQueueEntry).where(SearchQueueEntry.id <= last_queued))
                mark_content_changed(session)
            self.linguistics.clear()
            return len(documents)

    def check(self, *, progress: Progress = no_progress) -> Drift:
        """Compare every indexed document with the one the database gives now."""
        with self.database.session(write=False) as read:
            queued = self.pending(read)
            expected = {document.id: document.digest for document in _all_documents(read, progress)}
            indexed = self.backend.digests(read)
        drift = Drift(queued=queued)
        for document_id, digest in sorted(expected.items()):
            if document_id not in indexed:
                drift.missing.append(document_id)
            elif indexed[document_id] != digest:
                drift.stale.append(document_id)
        drift.orphaned = sorted(set(indexed) - set(expected))
        return drift

    # --- the background thread -----------------------------------------------------------------

    def start(self) -> None:
        """Index in a thread of this process: at once after a commit, else every few seconds."""
        with self._start_lock:
            if self._thread is not None:
                return
            self._unsubscribe = on_commit_with_changes(self._wake.set)
            self._thread = threading.Thread(target=self._loop, name="suchindex", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        if self._unsubscribe:
            self._unsubscribe()
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def _loop(self) -> None:
        streak = FailureStreak(log, "Suchindex: Aktualisierung")
        while not self._stop.is_set():
            try:
                self.drain()
            except TimeoutError:
                continue  # another process holds the writer lock; it drains the queue too
            except Exception as error:
                streak.failed(error)
            else:
                streak.succeeded()
            self._wake.wait(POLL_SECONDS)
            self._wake.clear()

    def catch_up(self) -> None:
        """Without a background thread (tests, commands): index what is queued, now."""
        if not self.background:
            self.drain()

    def close(self) -> None:
        self.stop()
        self.backend.close()


def _digests(documents: dict[str, list[SearchDocument]]) -> dict[str, str]:
    return {document.id: document.digest for docs in documents.values() for document in docs}


def _public_part(digests: dict[str, str]) -> dict[str, str]:
    return {
        document_id: digest
        for document_id, digest in digests.items()
        if not is_unpublished_document(document_id)
    }


def _all_documents(session: Session, progress: Progress) -> Iterator[SearchDocument]:
    refs = list(all_refs(session))
    progress("read", 0, len(refs))
    done: set[str] = set()  # a process ref brings its models along, and the other way round
    for start in range(0, len(refs), REBUILD_BATCH):
        chunk = [ref for ref in refs[start : start + REBUILD_BATCH] if ref not in done]
        for ref, docs in build_documents(session, chunk).items():
            if ref not in done:
                done.add(ref)
                yield from docs
        progress("read", min(start + REBUILD_BATCH, len(refs)), len(refs))


def _batches(
    documents: Sequence[SearchDocument], progress: Progress
) -> Iterator[Sequence[SearchDocument]]:
    for start in range(0, len(documents), REBUILD_BATCH):
        yield documents[start : start + REBUILD_BATCH]
        progress("index", min(start + REBUILD_BATCH, len(documents)), len(documents))
