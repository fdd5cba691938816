"""The scale-out search backend: PostgreSQL full-text search in the register's own database.

Every host reads and writes the table ``search_documents`` (migration 0006), so several hosts share
one index, written in the same transaction as the search queue it drains.

PostgreSQL's ``german`` Snowball stemmer (configuration ``musterregister_german``: ``unaccent``, then
the stemmer) does the stemming on both sides: documents and the texts of a query's alternatives
both go through ``to_tsvector``. What PostgreSQL cannot do comes from the register's analyzer:
folding the way queries are folded ("Führerschein" → "fuehrerschein", where ``unaccent`` alone
would give "fuhrerschein"), compound parts from the register's vocabulary, participles and verb
forms. A document carries those as extra words one weight class lower; a query asks for each
alternative's words and, where the analyzer read more into them, for its terms as well.

Searching is in :mod:`app.search.pg_search`; this module writes the index, holds the writer lock and
corrects typos with pg_trgm.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from rapidfuzz.distance import OSA
from sqlalchemy import TextClause, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from app.db import Database
from app.search.analysis import GermanAnalyzer, max_typos
from app.search.backend import RawResults, SearchRequest, relax_levels, required_matches
from app.search.documents import FACETS, TEXT_FIELDS, SearchDocument
from app.search.pg_search import (
    CONFIGURATION,
    LEIKA_SEARCH,
    LEXEMES,
    STATISTICS,
    LexemeStatistics,
    common_parameters,
    compile_plan,
    empty_results,
    leika_parameters,
    level_query,
    plan_texts,
    read_results,
    text_parameters,
    text_search,
)
from app.search.query import MIN_LEIKA_DIGITS
from app.search.whoosh_backend import DERIVED_WEIGHT

# Weight class by field weight (× DERIVED_WEIGHT for derived words): title A, keywords B,
# OZG name, unit and body C, legal bases, model text and context D.
WEIGHT_CLASSES = (("A", 4.0), ("B", 2.0), ("C", 0.9), ("D", 0.0))
INSERT_CHUNK = 500
LOCK_TIMEOUT_SECONDS = 120.0
WRITE_LOCK_KEY = int.from_bytes(b"MRSEARCH", "big")  # pg_advisory_lock key of the index writer
CORRECTION_CANDIDATES = 200
STATISTICS_SECONDS = 60.0  # how long a process ranks with the lexeme statistics it read
LEXEME_CACHE_SIZE = 100_000  # alternative texts and their lexemes, per process

# --- documents ---------------------------------------------------------------------------------


def weight_class(weight: float) -> str:
    return next(letter for letter, lowest in WEIGHT_CLASSES if weight >= lowest)


def derived_words(word: str, analyzer: GermanAnalyzer) -> list[str]:
    """What else a word is found by: the analyzer's own terms (its stem, verb form and the stems
    of its parts, for what PostgreSQL's stemmer does not undo) and its compound parts as words."""
    derived = (*analyzer.word_terms(word), *analyzer.vocabulary.split(word))
    return [term for term in dict.fromkeys(derived) if term != word]


def class_texts(document: SearchDocument, analyzer: GermanAnalyzer) -> dict[str, str]:
    """The document's text as analyzed words per weight class, for ``to_tsvector``."""
    classes: dict[str, list[str]] = {letter: [] for letter, _lowest in WEIGHT_CLASSES}
    for name, field_weight in TEXT_FIELDS.items():
        own = classes[weight_class(field_weight)]
        derived = classes[weight_class(field_weight * DERIVED_WEIGHT)]
        for word in analyzer.words(document.texts.get(name)):
            own.append(word)
            derived.extend(derived_words(word, analyzer))
    return {letter: " ".join(words) for letter, words in classes.items()}


def leika_prefixes(keys: Sequence[str]) -> list[str]:
    """Every prefix a LeiKa query may use, so that a prefix search is an index lookup."""
    return sorted({key[:end] for key in keys for end in range(MIN_LEIKA_DIGITS, len(key) + 1)})


def document_row(document: SearchDocument, analyzer: GermanAnalyzer) -> dict[str, Any]:
    return {
        "id": document.id,
        "ref": document.ref,
        **document.facet_values(),
        "visibility": document.visibility,
        "boost": document.boost,
        "leika_keys": " ".join(document.leika_keys),
        "leika_prefixes": " ".join(leika_prefixes(document.leika_keys)),
        "ozg_id": document.ozg_id,
        "digest": document.digest,
        **{f"class_{letter}": words for letter, words in class_texts(document, analyzer).items()},
    }


ROW_COLUMNS = ("id", "ref", *FACETS, "visibility", "digest", "ozg_id")
ROW_TYPES = {"boost": "real", "leika_keys": "text", "leika_prefixes": "text"}
CLASS_COLUMNS = tuple(f"class_{letter}" for letter, _lowest in WEIGHT_CLASSES)
ALL_ROW_COLUMNS = (*ROW_COLUMNS, *ROW_TYPES, *CLASS_COLUMNS)


def _insert_sql() -> str:
    arrays = ", ".join(
        f"CAST(:{name} AS {ROW_TYPES.get(name, 'text')}[])" for name in ALL_ROW_COLUMNS
    )
    vector = " || ".join(
        f"setweight(to_tsvector('{CONFIGURATION}', r.class_{letter}), '{letter}')"
        for letter, _lowest in WEIGHT_CLASSES
    )
    return f"""
        INSERT INTO search_documents
            ({", ".join(ROW_COLUMNS)}, boost, leika_keys, leika_prefixes, vector)
        SELECT {", ".join(f"r.{name}" for name in ROW_COLUMNS)}, r.boost,
            string_to_array(r.leika_keys, ' '), string_to_array(r.leika_prefixes, ' '), {vector}
        FROM unnest({arrays}) AS r({", ".join(ALL_ROW_COLUMNS)})
    """


INSERT_DOCUMENTS = text(_insert_sql())


def insert_documents(
    session: Session, documents: Sequence[SearchDocument], analyzer: GermanAnalyzer
) -> None:
    """One statement per chunk: the rows travel as one array per column."""
    for start in range(0, len(documents), INSERT_CHUNK):
        rows = [document_row(d, analyzer) for d in documents[start : start + INSERT_CHUNK]]
        session.execute(INSERT_DOCUMENTS, {name: [row[name] for row in rows] for name in rows[0]})


# --- typo correction ---------------------------------------------------------------------------

SIMILAR_WORDS = text("""
    SELECT word, documents FROM search_vocabulary
    WHERE word % :word AND length(word) BETWEEN :shortest AND :longest
    ORDER BY similarity(word, :word) DESC, documents DESC, word
    LIMIT :limit
""")


def trigram_threshold(word: str, edits: int) -> float:
    """Low enough that a word ``edits`` away still shares enough trigrams (a swap changes four of
    the ``len + 1`` trigrams pg_trgm makes of a word)."""
    trigrams, changed = len(word) + 1, 4 * edits
    return max(0.05, (trigrams - changed) / (trigrams + changed))


NEVER_BUILT = text(
    "SELECT EXISTS (SELECT 1 FROM processes) AND NOT EXISTS (SELECT 1 FROM search_documents)"
)

# --- the backend -------------------------------------------------------------------------------


class PostgresBackend:
    name = "postgresql"

    def __init__(self, database: Database) -> None:
        self.database = database
        self._lexemes: dict[str, tuple[str, ...]] = {}
        self._statistics: tuple[float, LexemeStatistics] | None = None

    # --- reading -------------------------------------------------------------------------------

    def search(self, session: Session, request: SearchRequest) -> RawResults:
        plan, common = request.plan, common_parameters(request)
        if plan.leika:
            parameters = {**common, **leika_parameters(plan.leika)}
            return self._results(session, LEIKA_SEARCH, parameters, request, relaxed=False)
        if not plan.words:
            return empty_results(request, relaxed=False)
        lexemes = self._lexemes_of(session, plan_texts(plan))
        compiled = compile_plan(plan, lexemes, self._statistics_of(session))
        statement, words = text_search(compiled.shape), text_parameters(compiled)
        results = empty_results(request, relaxed=False)
        for level in relax_levels(len(plan.words)):
            query = level_query(compiled, required_matches(len(plan.words), level))
            if query is None:  # a word without lexemes: nothing can match at this level
                results = empty_results(request, relaxed=level > 0)
                continue
            parameters = {**common, **words, "level_query": query}
            parameters["needed"] = required_matches(len(plan.words), level)
            results = self._results(session, statement, parameters, request, relaxed=level > 0)
            if results.total:
                break
        return results

    def _lexemes_of(self, session: Session, texts: set[str]) -> dict[str, tuple[str, ...]]:
        """What PostgreSQL's configuration makes of each text (cached: it never changes)."""
        found = {words: self._lexemes[words] for words in texts if words in self._lexemes}
        missing = sorted(texts - set(found))
        if missing:
            rows = session.execute(LEXEMES, {"texts": missing})
            found.update({row.words: tuple(row.lexemes) for row in rows})
            if len(self._lexemes) > LEXEME_CACHE_SIZE:
                self._lexemes = {}
            self._lexemes.update(found)
        return found

    def _statistics_of(self, session: Session) -> LexemeStatistics:
        cached, now = self._statistics, time.monotonic()
        if cached is None or now - cached[0] > STATISTICS_SECONDS:
            cached = (now, LexemeStatistics.from_row(session.execute(STATISTICS).one()))
            self._statistics = cached
        return cached[1]

    def _results(
        self,
        session: Session,
        statement: TextClause,
        parameters: dict[str, Any],
        request: SearchRequest,
        *,
        relaxed: bool,
    ) -> RawResults:
        results = read_results(session.execute(statement, parameters).all(), relaxed=relaxed)
        if not request.with_facets:
            results.facets = {}
        return results

    def corrections(self, session: Session, word: str, limit: int) -> list[str]:
        """Vocabulary words within the allowed edits (a swap counts once), closest and commonest
        first, like :meth:`app.search.analysis.Vocabulary.corrections`; pg_trgm finds candidates."""
        allowed = max_typos(word)
        if not allowed or limit <= 0:
            return []
        ranked = sorted(
            (OSA.distance(word, candidate), -documents, candidate)
            for candidate, documents in self._similar_words(session, word, allowed)
        )
        return [candidate for distance, _n, candidate in ranked if distance <= allowed][:limit]

    def _similar_words(self, session: Session, word: str, edits: int) -> list[tuple[str, int]]:
        # The threshold of "%" is a setting; set inside a savepoint rolled back afterwards, it does
        # not outlive this lookup in the caller's transaction.
        savepoint = session.begin_nested()
        try:
            session.execute(
                text("SELECT set_config('pg_trgm.similarity_threshold', :value, true)"),
                {"value": str(trigram_threshold(word, edits))},
            )
            parameters = {
                "word": word,
                "shortest": len(word) - edits,
                "longest": len(word) + edits,
                "limit": CORRECTION_CANDIDATES,
            }
            rows = session.execute(SIMILAR_WORDS, parameters)
            return [(row.word, row.documents) for row in rows]
        finally:
            savepoint.rollback()

    def digests(self, session: Session) -> dict[str, str]:
        return {
            document_id: digest
            for document_id, digest in session.execute(
                text("SELECT id, digest FROM search_documents")
            )
        }

    def digests_of(self, session: Session, refs: Iterable[str]) -> dict[str, str]:
        rows = session.execute(
            text("SELECT id, digest FROM search_documents WHERE ref = ANY(CAST(:refs AS text[]))"),
            {"refs": list(refs)},
        )
        return {document_id: digest for document_id, digest in rows}

    def document_count(self, session: Session) -> int:
        return session.execute(text("SELECT count(*) FROM search_documents")).scalar_one()

    def is_new(self) -> bool:
        """Never built: no documents although the register has processes (the backend was just
        switched to PostgreSQL, or the table was emptied), so the indexer rebuilds."""
        with self.database.session(write=False) as session:
            return bool(session.execute(NEVER_BUILT).scalar_one())

    # --- writing -------------------------------------------------------------------------------

    @contextmanager
    def write_lock(self, timeout: float = LOCK_TIMEOUT_SECONDS) -> Iterator[None]:
        """A session-level advisory lock, on a connection of its own: one writer across all hosts
        on the database, released when the holder is done or its connection ends."""
        with self.database.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT")
            _acquire_advisory_lock(connection, timeout)
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": WRITE_LOCK_KEY})

    def replace(
        self,
        session: Session,
        documents: Mapping[str, Sequence[SearchDocument]],
        analyzer: GermanAnalyzer,
    ) -> None:
        """Writes in ``session``; the caller commits together with the queue entries."""
        if not documents:
            return
        session.execute(
            text("DELETE FROM search_documents WHERE ref = ANY(CAST(:refs AS text[]))"),
            {"refs": list(documents)},
        )
        insert_documents(session, [d for docs in documents.values() for d in docs], analyzer)

    def rebuild(
        self,
        session: Session,
        batches: Iterator[Sequence[SearchDocument]],
        analyzer: GermanAnalyzer,
        *,
        processes: int = 1,
    ) -> int:
        """Writes in ``session``; until the caller commits, other sessions see the old index.

        DELETE rather than TRUNCATE: TRUNCATE would lock readers out until the commit.
        ``processes`` is ignored: PostgreSQL builds the text vectors.
        """
        session.execute(text("DELETE FROM search_documents"))
        count = 0
        for batch in batches:
            insert_documents(session, batch, analyzer)
            count += len(batch)
        session.execute(text("ANALYZE search_documents"))  # the statistics the ranking uses
        self._statistics = None
        return count

    def close(self) -> None:
        """Nothing to close: the database belongs to the application."""


def _acquire_advisory_lock(connection: Connection, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    statement = text("SELECT pg_try_advisory_lock(:key)")
    while not connection.execute(statement, {"key": WRITE_LOCK_KEY}).scalar_one():
        if time.monotonic() > deadline:
            raise TimeoutError("Der Suchindex wird gerade geschrieben.")
        time.sleep(0.05)
