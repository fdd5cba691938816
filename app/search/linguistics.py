"""The vocabulary and synonyms every process plans queries with, loaded from the database.

Both change while the register runs (new words come with new documents, admins add synonyms);
``search_state`` counts the changes, so a process reloads only when something changed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy import select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.db import utcnow
from app.search.analysis import GermanAnalyzer, Vocabulary
from app.search.models import SearchState, SynonymEntry, VocabularyWord
from app.search.query import Planner, Synonyms, base_synonyms

VOCABULARY, SYNONYMS = "vocabulary", "synonyms"
# A search process picks up new words within this time; synonym changes count at once.
VOCABULARY_RELOAD_SECONDS = 30.0


def state_values(session: Session) -> dict[str, int]:
    return {
        name: value for name, value in session.execute(select(SearchState.name, SearchState.value))
    }


def bump(session: Session, name: str) -> None:
    """Count a change of ``name`` (creating the counter on first use)."""
    updated = session.execute(
        update(SearchState)
        .where(SearchState.name == name)
        .values(value=SearchState.value + 1, changed_at=utcnow())
    )
    if not updated.rowcount:  # type: ignore[attr-defined]
        session.add(SearchState(name=name, value=1, changed_at=utcnow()))
        session.flush()


def load_vocabulary(session: Session) -> Vocabulary:
    rows = session.execute(select(VocabularyWord.word, VocabularyWord.documents))
    return Vocabulary({word: documents for word, documents in rows})


def synonym_entries(session: Session) -> dict[str, list[str]]:
    """The shipped list with the admins' additions; an empty replacement switches an entry off."""
    entries = dict(base_synonyms())
    for term, replacements in session.execute(select(SynonymEntry.term, SynonymEntry.replacements)):
        parts = [part.strip() for part in replacements.split(";") if part.strip()]
        if parts:
            entries[term] = parts
        else:
            entries.pop(term, None)
    return entries


def add_words(session: Session, counts: Mapping[str, int]) -> int:
    """Add words the vocabulary does not know yet; returns how many were new.

    Inserted where missing, without looking them up first: on PostgreSQL the planner took the
    trigram index for that lookup, and under load one lookup of a few hundred words took seconds.
    Counts of known words are left alone here (a document indexed again would count twice);
    ``search rebuild`` counts everything afresh.
    """
    rows = [{"word": word, "documents": counts[word]} for word in sorted(counts)]
    if not rows:
        return 0
    new = _insert_missing(session, rows)
    if new:
        bump(session, VOCABULARY)
    return new


def replace_vocabulary(session: Session, counts: Mapping[str, int]) -> None:
    session.execute(VocabularyWord.__table__.delete())
    rows = [{"word": word, "documents": count} for word, count in counts.items()]
    for start in range(0, len(rows), 5000):
        session.execute(VocabularyWord.__table__.insert(), rows[start : start + 5000])
    if session.get_bind().dialect.name == "postgresql":
        # the spelling corrections' trigram search plans with them; see Database.refresh_statistics
        session.execute(text("ANALYZE search_vocabulary"))
    bump(session, VOCABULARY)


def _insert_missing(session: Session, rows: list[dict[str, object]]) -> int:
    """Insert the words not stored yet (another host may have added some a moment ago, which is
    no error); returns how many were inserted."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(VocabularyWord).on_conflict_do_nothing().returning(VocabularyWord.word)
    return len(session.scalars(statement, rows).all())


@dataclass(frozen=True)
class Linguistics:
    analyzer: GermanAnalyzer
    planner: Planner
    versions: tuple[int, int]
    loaded_at: float


class LinguisticsCache:
    """One analyzer and planner per process, reloaded when the database says they changed."""

    def __init__(self, corrector: Callable[[str, int], list[str]] | None = None) -> None:
        self._corrector = corrector
        self._current: Linguistics | None = None
        self._lock = threading.Lock()

    def get(self, session: Session, *, fresh: bool = False) -> Linguistics:
        """``fresh``: new words count at once (the indexer, tests), not only after a while.

        While one thread reloads for new words, the others go on with the words they have (new
        words may take a while anyway) instead of waiting for the whole vocabulary to load.
        Synonym changes count at once: for those, and before the first load, everybody waits."""
        values = state_values(session)
        versions = (values.get(VOCABULARY, 0), values.get(SYNONYMS, 0))
        current = self._current
        if current is not None and not self._outdated(current, versions, fresh=fresh):
            return current
        if current is not None and not fresh and current.versions[1] == versions[1]:
            if not self._lock.acquire(blocking=False):
                return current  # another thread is loading the new words
        else:
            self._lock.acquire()
        try:
            current = self._current
            if current is None or self._outdated(current, versions, fresh=fresh):
                current = self._load(session, versions, current)
                self._current = current
            return current
        finally:
            self._lock.release()

    def clear(self) -> None:
        self._current = None

    @staticmethod
    def _outdated(current: Linguistics, versions: tuple[int, int], *, fresh: bool) -> bool:
        if current.versions[1] != versions[1]:
            return True
        if current.versions[0] == versions[0]:
            return False
        return fresh or time.monotonic() - current.loaded_at > VOCABULARY_RELOAD_SECONDS

    def _load(
        self, session: Session, versions: tuple[int, int], previous: Linguistics | None
    ) -> Linguistics:
        if previous is not None and previous.versions[0] == versions[0]:
            analyzer = previous.analyzer  # only the synonyms changed
        else:
            analyzer = GermanAnalyzer(load_vocabulary(session))
        synonyms = Synonyms(synonym_entries(session), analyzer)
        planner = Planner(analyzer, synonyms, self._corrector)
        return Linguistics(analyzer, planner, versions, time.monotonic())
