"""The PostgreSQL search backend (app.search.pg_backend) on the server the test tooling starts.

Handcrafted documents and a real planner check matching (words, compounds, stems, umlauts, LeiKa
keys), visibility, ranking boosts, filters and facets, relaxation, writing (replace, rebuild,
digests, the advisory lock) and typo correction through pg_trgm; a larger catalogue compares the
hits with the Whoosh backend's.
"""

from __future__ import annotations

import csv
import math
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from app import migrate
from app.db import Database
from app.search.analysis import GermanAnalyzer, Vocabulary, vocabulary_counts
from app.search.backend import OWN_AUTHORITY_BOOST, RawResults, SearchRequest
from app.search.documents import FACETS, Kind, SearchDocument
from app.search.pg_backend import PostgresBackend, class_texts
from app.search.pg_search import (
    STATISTICS,
    CompiledAlternative,
    CompiledPlan,
    LexemeStatistics,
    level_query,
)
from app.search.query import Planner, Synonyms, base_synonyms
from app.search.whoosh_backend import WhooshBackend
from benchmarks.search_corpus import documents as catalogue_documents
from tests.search.documents import AUTHORITY_A, AUTHORITY_B, AUTHORITY_C, make_document
from tests.support.postgres import PostgresServer

pytestmark = pytest.mark.postgres

QUERIES = Path(__file__).parent / "queries.tsv"


def make(number: int, title: str, body: str = "", **values: object) -> SearchDocument:
    return make_document(number, title, body, **{"kind": Kind.LEISTUNG, **values})  # type: ignore[arg-type]


CORPUS = [
    make(1, "Hundesteuer Befreiung", leika_keys=("99102013010000",)),
    make(2, "Hundesteuer", "Steuer für das Halten eines Hundes. Jeder Hund zählt.",
         leika_keys=("99102013000000",), ozg_id="10234"),
    make(3, "Hundesteuerbefreiung für Blindenhunde", leika_keys=("99102013010001",)),
    make(4, "Wohnsitz anmelden", "Die Anmeldung einer Wohnung nach dem Umzug.",
         leika_keys=("99115005104000",), kind=Kind.MUSTERPROZESS, has_model=True, boost=1.6),
    make(5, "Meldebescheinigung", "Wer angemeldet ist, erhält eine Bescheinigung.",
         leika_keys=("99115003012000",)),
    make(6, "Ummeldung innerhalb der Stadt", "Ein Umzug innerhalb der Gemeinde.",
         leika_keys=("99115005011000",), state="BY"),
    make(7, "Führerschein Umtausch", "Den alten Führerschein gegen einen Kartenführerschein tauschen.",
         leika_keys=("99086006000000",), state="BY"),
    make(8, "Gewerbe anmelden", "Gewerbeanmeldung beim Gewerbeamt.", kind=Kind.BEHOERDE,
         authority_id=AUTHORITY_B, state="BY"),
    make(9, "Sondernutzung Entwurf", "Sondernutzung einer Straße, noch nicht freigegeben.",
         authority_id=AUTHORITY_B, visibility=str(AUTHORITY_B), status="draft"),
    make(10, "Sondernutzung Erlaubnis", "Sondernutzung öffentlicher Straßen.", authority_id=AUTHORITY_C,
         state=None),
]  # fmt: skip


# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pg_url(postgres_server: PostgresServer) -> str:
    url = postgres_server.create_database("search_backend_test")
    migrate.upgrade(url)
    return url


@pytest.fixture(scope="module")
def pg_database(pg_url: str) -> Iterator[Database]:
    database = Database(pg_url)
    yield database
    database.dispose()


@pytest.fixture(scope="module")
def backend(pg_database: Database) -> PostgresBackend:
    return PostgresBackend(pg_database)


@pytest.fixture(scope="module")
def analyzer() -> GermanAnalyzer:
    return GermanAnalyzer(Vocabulary(vocabulary_counts(d.texts.values() for d in CORPUS)))


@pytest.fixture(scope="module")
def planner(analyzer: GermanAnalyzer) -> Planner:
    return Planner(analyzer, Synonyms({}, analyzer))


@pytest.fixture()
def session(pg_database: Database) -> Iterator[Session]:
    """A session whose writes are rolled back after the test."""
    with pg_database.session() as session:
        yield session
        session.rollback()


@pytest.fixture()
def indexed(session: Session, backend: PostgresBackend, analyzer: GermanAnalyzer) -> Session:
    backend.rebuild(session, iter([CORPUS[:5], CORPUS[5:]]), analyzer)
    return session


@pytest.fixture()
def committed(pg_database: Database) -> Iterator[Database]:
    """For tests that commit: the index is emptied again afterwards."""
    yield pg_database
    with pg_database.transaction() as session:
        session.execute(text("DELETE FROM search_documents"))


def search(
    backend: PostgresBackend, session: Session, planner: Planner, query: str, **options: object
) -> RawResults:
    return backend.search(session, SearchRequest(plan=planner.plan(query), **options))  # type: ignore[arg-type]


def numbers(results: RawResults) -> list[int]:
    """The documents' numbers (``make``'s first argument), best first."""
    return [uuid.UUID(hit.id.partition(":")[2]).int for hit in results.hits]


# --- the text search configuration -------------------------------------------------------------


def test_configuration_folds_and_stems_with_german_snowball(session: Session) -> None:
    vector = session.execute(
        text("SELECT to_tsvector('musterregister_german', 'Anmeldungen kein Canapé 12345')::text")
    ).scalar_one()
    assert vector == "'12345':4 'anmeld':1 'canap':3 'kein':2"  # unaccent; no stop word list


def test_documents_carry_the_analyzers_compound_parts_and_stems(analyzer: GermanAnalyzer) -> None:
    texts = class_texts(CORPUS[2], analyzer)  # "Hundesteuerbefreiung für Blindenhunde"
    assert texts["A"].split()[:1] == ["hundesteuerbefreiung"]
    assert {"hundesteuer", "befreiung", "hund", "steuer"} <= set(texts["B"].split())


# --- matching ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Hundesteuer", {1, 2, 3}),
        ("Hundesteuerbefreiung", {1, 3}),  # the compound finds its parts written apart
        ("Hundesteuer Befreiung", {1, 3}),  # and the parts find the compound
        ("Hunde", {1, 2, 3}),  # "Hundes", and the part "hund" of the compounds
        ("anmelden", {4, 5, 8}),  # "anmelden", "Anmeldung", "angemeldet"
        ("Anmeldung", {4, 5, 8}),
        ("angemeldet", {4, 5, 8}),
        ("Ummeldung", {6}),
        ("umzug", {4, 6}),
        ("Führerschein", {7}),
        ("FUEHRERSCHEIN", {7}),
        ("fuehrerscheins", {7}),
    ],
)
def test_words_match_through_stems_compounds_and_folding(
    backend: PostgresBackend, indexed: Session, planner: Planner, query: str, expected: set[int]
) -> None:
    results = search(backend, indexed, planner, query)
    assert set(numbers(results)) == expected
    assert results.total == len(expected) and not results.relaxed


def test_an_exact_leika_key_comes_first_then_the_more_general(
    backend: PostgresBackend, indexed: Session, planner: Planner
) -> None:
    assert numbers(search(backend, indexed, planner, "99102013010000")) == [1]
    prefix = search(backend, indexed, planner, "9910 2013")  # spaces are allowed
    assert numbers(prefix) == [2, 1, 3]  # the object key, then the more specific ones
    assert prefix.hits[0].score == pytest.approx(1.0)
    assert prefix.hits[1].score == pytest.approx(1 / 3)


def test_five_digits_match_an_ozg_id_too(
    backend: PostgresBackend, indexed: Session, planner: Planner
) -> None:
    assert numbers(search(backend, indexed, planner, "10234")) == [2]
    assert numbers(search(backend, indexed, planner, "99115")) == [4, 5, 6]  # a tie: by id


def test_a_draft_is_seen_by_its_own_authority_only(
    backend: PostgresBackend, indexed: Session, planner: Planner
) -> None:
    assert numbers(search(backend, indexed, planner, "Sondernutzung")) == [10]
    own = search(backend, indexed, planner, "Sondernutzung", viewer_authority=AUTHORITY_B)
    assert set(numbers(own)) == {9, 10}
    other = search(backend, indexed, planner, "Sondernutzung", viewer_authority=AUTHORITY_C)
    assert numbers(other) == [10]


def test_own_authority_and_static_boost_rank_up(
    backend: PostgresBackend, session: Session, analyzer: GermanAnalyzer, planner: Planner
) -> None:
    twins = [
        make(21, "Baumfällung", authority_id=AUTHORITY_A),
        make(22, "Baumfällung", authority_id=AUTHORITY_B),
        make(23, "Baumfällung", authority_id=AUTHORITY_C, boost=1.6),
    ]
    backend.rebuild(session, iter([twins]), analyzer)
    plain = search(backend, session, planner, "Baumfällung")
    assert numbers(plain) == [23, 21, 22]  # the boost, then ties by id
    own = search(backend, session, planner, "Baumfällung", viewer_authority=AUTHORITY_B)
    assert numbers(own) == [23, 22, 21]
    scores = {number: hit.score for number, hit in zip(numbers(own), own.hits, strict=True)}
    assert scores[22] == pytest.approx(scores[21] * OWN_AUTHORITY_BOOST, rel=1e-5)
    assert scores[23] == pytest.approx(scores[21] * 1.6, rel=1e-5)


def test_filters_and_facets(backend: PostgresBackend, indexed: Session, planner: Planner) -> None:
    everything = search(backend, indexed, planner, "anmelden", limit=1)
    assert everything.total == 3 and len(everything.hits) == 1  # documents 4, 5 and 8
    assert everything.facets["state"] == {"NW": 2, "BY": 1}
    assert everything.facets["kind"] == {"musterprozess": 1, "leistung": 1, "behoerde": 1}
    assert everything.facets["authority"] == {str(AUTHORITY_A): 2, str(AUTHORITY_B): 1}
    assert set(everything.facets) == set(FACETS)

    by_state = search(backend, indexed, planner, "anmelden", filters={"state": "NW"})
    assert set(numbers(by_state)) == {4, 5} and by_state.total == 2
    assert by_state.facets["state"] == {"NW": 2, "BY": 1}  # a facet ignores its own filter
    assert by_state.facets["kind"] == {"musterprozess": 1, "leistung": 1}  # not the others'

    both = search(
        backend, indexed, planner, "anmelden", filters={"state": "NW", "kind": "leistung"}
    )
    assert numbers(both) == [5]
    assert both.facets["kind"] == {"musterprozess": 1, "leistung": 1}
    assert both.facets["state"] == {"NW": 1}

    nothing = search(backend, indexed, planner, "anmelden", filters={"state": "HB"})
    assert nothing.total == 0 and nothing.hits == [] and not nothing.relaxed
    assert nothing.facets["state"] == {"NW": 2, "BY": 1}


def test_facets_leave_out_empty_values_and_can_be_skipped(
    backend: PostgresBackend, indexed: Session, planner: Planner
) -> None:
    results = search(backend, indexed, planner, "Sondernutzung")
    assert numbers(results) == [10]
    assert results.facets["state"] == {}  # document 10 has no state
    assert search(backend, indexed, planner, "Sondernutzung", with_facets=False).facets == {}


def test_relaxing_when_not_all_words_match(
    backend: PostgresBackend, indexed: Session, planner: Planner
) -> None:
    two = search(backend, indexed, planner, "Hundesteuer Giraffe")
    assert two.relaxed and set(numbers(two)) == {1, 2, 3}
    four = search(backend, indexed, planner, "Giraffe Zebra Okapi Umtausch")
    assert four.relaxed and numbers(four) == [7]  # one word of four is enough at last
    none = search(backend, indexed, planner, "Giraffe Zebra Okapi")
    assert none.relaxed and none.total == 0 and none.hits == []


def test_hits_with_more_of_the_words_come_first(
    backend: PostgresBackend, indexed: Session, planner: Planner
) -> None:
    results = search(backend, indexed, planner, "Hundesteuer Befreiung Giraffe Zebra")
    assert results.relaxed and set(numbers(results)) == {1, 2, 3}
    assert numbers(results)[-1] == 2  # one word of four, the others two


def test_paging_is_stable(backend: PostgresBackend, indexed: Session, planner: Planner) -> None:
    whole = search(backend, indexed, planner, "Hundesteuer", limit=10)
    pages = [search(backend, indexed, planner, "Hundesteuer", offset=n, limit=1) for n in (0, 1, 2)]
    assert [page.hits[0] for page in pages] == whole.hits
    assert all(page.total == 3 for page in pages)
    assert search(backend, indexed, planner, "Hundesteuer", offset=5).hits == []


@pytest.mark.parametrize(
    "query",
    [
        "'; DROP TABLE search_documents; --",
        "hund' OR '1'='1",
        "a & b | !c :* <-> (",
        "\\' \\\\ ''",
        "Hund:*A & !Steuer",
    ],
)
def test_query_text_never_reaches_sql_or_tsquery_syntax(
    backend: PostgresBackend, indexed: Session, planner: Planner, query: str
) -> None:
    search(backend, indexed, planner, query)
    search(backend, indexed, planner, query, filters={"state": query}, viewer_authority=AUTHORITY_B)
    assert backend.document_count(indexed) == len(CORPUS)


def test_rarer_lexemes_weigh_more(
    backend: PostgresBackend, indexed: Session, planner: Planner
) -> None:
    statistics = LexemeStatistics.from_row(indexed.execute(STATISTICS).one())
    assert statistics.documents == len(CORPUS)  # ANALYZE after the rebuild
    assert statistics.idf("hundesteu") < statistics.idf("fuehrerschein") < statistics.idf("xyz")
    assert LexemeStatistics().idf("xyz") == pytest.approx(math.log(2 / 0.5))  # never analyzed


def test_a_word_without_lexemes_matches_nothing(backend: PostgresBackend, indexed: Session) -> None:
    from app.search.query import Alternative, PlanWord, QueryPlan

    empty = PlanWord("-", (Alternative((), ()),))
    hund = PlanWord("hund", (Alternative(("hund",), ("hund",)),))
    alone = backend.search(indexed, SearchRequest(QueryPlan("-", (empty,))))
    assert alone.total == 0 and not alone.relaxed
    both = backend.search(indexed, SearchRequest(QueryPlan("- hund", (empty, hund))))
    assert both.relaxed and {hit.id for hit in both.hits} == {d.id for d in CORPUS[:3]}


def test_lexemes_are_quoted_whatever_they_contain(indexed: Session) -> None:
    odd = CompiledAlternative(("it's", "back\\slash", "a & b", ":*"), factor=1.0)
    compiled = CompiledPlan(((odd,), (), (odd,)))
    query = level_query(compiled, 1)
    assert query is not None and level_query(compiled, 3) is None  # the empty word never matches
    parsed = indexed.execute(
        text("SELECT CAST(:query AS tsquery)::text"), {"query": query}
    ).scalar_one()
    assert "'it''s'" in parsed and "'a & b'" in parsed and "':*'" in parsed


# --- writing -----------------------------------------------------------------------------------


def test_replace_swaps_the_documents_of_a_ref(
    backend: PostgresBackend, indexed: Session, analyzer: GermanAnalyzer, planner: Planner
) -> None:
    renamed = make(7, "Fahrerlaubnis Umtausch", leika_keys=("99086006000000",))
    backend.replace(indexed, {renamed.ref: [renamed], CORPUS[0].ref: []}, analyzer)
    assert numbers(search(backend, indexed, planner, "Führerschein")) == []
    assert numbers(search(backend, indexed, planner, "Fahrerlaubnis")) == [7]
    assert numbers(search(backend, indexed, planner, "Befreiung")) == [3]
    digests = backend.digests(indexed)
    assert digests[renamed.id] == renamed.digest and CORPUS[0].id not in digests
    assert backend.document_count(indexed) == len(CORPUS) - 1
    backend.replace(indexed, {}, analyzer)  # nothing to do


def test_digests_and_count(backend: PostgresBackend, indexed: Session) -> None:
    assert backend.digests(indexed) == {d.id: d.digest for d in CORPUS}
    assert backend.document_count(indexed) == len(CORPUS)


def test_an_index_never_built_is_new(
    backend: PostgresBackend, committed: Database, analyzer: GermanAnalyzer
) -> None:
    assert not backend.is_new()  # an empty register needs no rebuild
    with committed.transaction() as session:
        session.execute(
            text(
                "INSERT INTO authorities (id, slug, name, kind, is_register, created_at, updated_at)"
                " VALUES (:id, 'a', 'A', 'gemeinde', false, now(), now())"
            ),
            {"id": AUTHORITY_A},
        )
        session.execute(
            text(
                "INSERT INTO processes (id, authority_id, kind, title, sort_title, legal_bases,"
                " required_documents, keywords, synonyms, search_text, version, created_at,"
                " updated_at) VALUES (:id, :authority, 'authority', 'P', 'p', '[]', '[]', '[]',"
                " '[]', '', 1, now(), now())"
            ),
            {"id": uuid.UUID(int=1), "authority": AUTHORITY_A},
        )
    try:
        assert backend.is_new()
        with committed.transaction() as session:
            backend.rebuild(session, iter([CORPUS[:1]]), analyzer)
        assert not backend.is_new()
    finally:
        with committed.transaction() as session:
            session.execute(text("DELETE FROM processes"))
            session.execute(text("DELETE FROM authorities"))


def test_rebuild_replaces_everything_and_others_read_the_old_index_until_commit(
    backend: PostgresBackend, committed: Database, analyzer: GermanAnalyzer, planner: Planner
) -> None:
    with committed.transaction() as session:
        assert backend.rebuild(session, iter([CORPUS]), analyzer) == len(CORPUS)
    replacement = [make(30, "Fischereischein"), make(31, "Angelschein")]
    with committed.session() as writer, committed.session() as reader:
        assert backend.rebuild(writer, iter([replacement]), analyzer) == 2
        assert backend.document_count(writer) == 2
        assert backend.document_count(reader) == len(CORPUS)
        assert numbers(search(backend, reader, planner, "Hundesteuer")) != []
        writer.commit()
        reader.rollback()  # a new snapshot
        assert backend.document_count(reader) == 2
        assert numbers(search(backend, reader, planner, "Hundesteuer")) == []


def test_the_write_lock_excludes_a_second_writer(pg_url: str) -> None:
    hosts = [Database(pg_url), Database(pg_url)]  # two hosts: each its own connection pool
    first, second = (PostgresBackend(database) for database in hosts)
    try:
        with (
            first.write_lock(),
            pytest.raises(TimeoutError, match="gerade geschrieben"),
            second.write_lock(timeout=0.2),
        ):
            pass  # pragma: no cover
        with pytest.raises(RuntimeError), first.write_lock():
            raise RuntimeError("ein Fehler beim Schreiben")
        with second.write_lock(timeout=1.0):
            pass
    finally:
        for database in hosts:
            database.dispose()


def test_the_write_lock_waits_for_the_holder(backend: PostgresBackend, pg_url: str) -> None:
    held, released = threading.Event(), threading.Event()

    def hold() -> None:
        with backend.write_lock():
            held.set()
            time.sleep(0.3)
        released.set()

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(5)
    other = Database(pg_url)
    try:
        with PostgresBackend(other).write_lock(timeout=10):
            assert released.is_set()
    finally:
        holder.join()
        other.dispose()


# --- typo correction ---------------------------------------------------------------------------

VOCABULARY = {
    "anmeldung": 40, "abmeldung": 12, "ummeldung": 5, "anmelden": 30, "hundesteuer": 8,
    "hundehaltung": 3, "personalausweis": 25, "reisepass": 20, "meldebestaetigung": 4,
    "wohnungsgeberbestaetigung": 6, "baugenehmigung": 9, "hund": 7, "hunde": 2,
}  # fmt: skip


@pytest.fixture()
def vocabulary(session: Session) -> Session:
    session.execute(
        text("INSERT INTO search_vocabulary (word, documents) VALUES (:word, :documents)"),
        [{"word": word, "documents": count} for word, count in VOCABULARY.items()],
    )
    return session


@pytest.mark.parametrize(
    "word",
    [
        "anmeldng",  # a letter missing
        "anmledung",  # two letters swapped
        "hudnesteuer",
        "persnalausweis",
        "meldebestaetigng",
        "wohnungsgeberbestätigung",  # not folded: two edits ("ä" for "ae")
        "baugenemigung",
        "hunde",  # known words correct to themselves
        "hnud",  # four letters: no typo allowed
        "xyzxyzxyz",
    ],
)
def test_corrections_agree_with_the_vocabulary(
    backend: PostgresBackend, vocabulary: Session, word: str
) -> None:
    expected = Vocabulary(VOCABULARY).corrections(word, 3)
    assert backend.corrections(vocabulary, word, 3) == expected


def test_corrections_rank_closest_then_commonest(
    backend: PostgresBackend, vocabulary: Session
) -> None:
    assert backend.corrections(vocabulary, "ammeldung", 3) == [
        "anmeldung",
        "abmeldung",
        "ummeldung",
    ]
    assert backend.corrections(vocabulary, "ammeldung", 1) == ["anmeldung"]
    assert backend.corrections(vocabulary, "ammeldung", 0) == []


def test_corrections_leave_the_similarity_threshold_alone(
    backend: PostgresBackend, vocabulary: Session
) -> None:
    before = vocabulary.execute(text("SHOW pg_trgm.similarity_threshold")).scalar_one()
    backend.corrections(vocabulary, "baugenemigung", 3)
    after = vocabulary.execute(text("SHOW pg_trgm.similarity_threshold")).scalar_one()
    assert before == after
    assert vocabulary.execute(text("SELECT count(*) FROM search_vocabulary")).scalar_one() == len(
        VOCABULARY
    )  # the savepoint rolled back nothing of the caller's


# --- against the Whoosh backend ----------------------------------------------------------------


def relevance_queries() -> list[str]:
    with QUERIES.open(encoding="utf-8") as file:
        return [row["query"] for row in csv.DictReader(file, delimiter="\t")]


def hit_ids(results: RawResults) -> set[str]:
    return {hit.id for hit in results.hits}


def test_postgresql_finds_what_whoosh_finds(
    backend: PostgresBackend, session: Session, tmp_path: Path
) -> None:
    """Documents carry the analyzer's own terms, so every Whoosh hit is a PostgreSQL hit; where
    PostgreSQL's stemmer joins more forms, it may find more (and so need to relax less)."""
    corpus: Sequence[SearchDocument] = list(catalogue_documents(1500))
    analyzer = GermanAnalyzer(Vocabulary(vocabulary_counts(d.texts.values() for d in corpus)))
    planner = Planner(analyzer, Synonyms(base_synonyms(), analyzer))
    whoosh = WhooshBackend(tmp_path / "index")
    with whoosh.write_lock():
        whoosh.rebuild(session, iter([corpus]), analyzer)
    backend.rebuild(session, iter([corpus]), analyzer)
    same = 0
    try:
        for query in relevance_queries()[::4]:
            request = SearchRequest(plan=planner.plan(query), limit=2000, with_facets=False)
            ours, theirs = backend.search(session, request), whoosh.search(session, request)
            if ours.relaxed == theirs.relaxed:
                assert hit_ids(theirs) <= hit_ids(ours), query
            else:
                assert theirs.relaxed and not ours.relaxed, query
            same += hit_ids(ours) == hit_ids(theirs)
    finally:
        whoosh.close()
    assert same > 0
