"""The NumPy engine over Whoosh postings (app.search.postings) against Whoosh's public API.

``read_postings`` decodes posting blocks itself (whoosh3 layout); these tests hold it and
``IndexView.postings`` to what ``searcher.postings(...)`` yields one posting at a time, on an index
as a rebuild writes it (big uncompressed blocks) and on one in Whoosh's own layout (small
compressed blocks, as older indexes have it) with terms spanning many blocks, several segments and
deleted documents. A rebuild's segments are compared with what Whoosh's writer writes. Scoring,
facets, visibility, paging, refreshing after a change and switching after a rebuild are checked
against straightforward Python.
"""

from __future__ import annotations

import dataclasses
import math
import os
import random
import re
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from whoosh import index
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching import Matcher
from whoosh.reading import IndexReader

from app.search import whoosh_backend
from app.search.analysis import GermanAnalyzer, Vocabulary, stem, vocabulary_counts
from app.search.backend import RawResults, SearchRequest
from app.search.documents import FACETS, PUBLIC, Kind, SearchDocument
from app.search.postings import (
    K1,
    LEIKA_FIELD,
    OZG_FIELD,
    TEXT_FIELD,
    B,
    IndexView,
    PostingCache,
    SegmentRegistry,
    read_postings,
)
from app.search.query import Alternative, Planner, PlanWord, QueryPlan, Synonyms, base_synonyms
from app.search.whoosh_backend import (
    CURRENT,
    POSTINGS_PER_BLOCK,
    WhooshBackend,
    codec,
    index_fields,
)
from benchmarks import search_speed
from benchmarks.search_corpus import documents
from tests.search.documents import AUTHORITY_A, AUTHORITY_B, AUTHORITY_C, make_document

BLOCK = 128  # postings per block in Whoosh's own layout
BULK, EXTRA = 1200, 150
TOPICS = ["Hundesteuer", "Wohngeld", "Gewerbe", "Fischereischein", "Parkausweis", "Baugenehmigung"]
STEPS = ["prüfen", "erfassen", "Bescheid erstellen", "Gebühr festsetzen", "Akte archivieren"]
FIELDS = (TEXT_FIELD, LEIKA_FIELD, OZG_FIELD)
ROW = re.compile(
    r"^  (?P<name>\S.*?) +(?P<count>[\d.]+)(?: +[\d,]+ ms){3}"
    r"  \(Ziel p95 ≤ (?P<target>\d+) ms\): (erreicht|VERFEHLT)$",
    re.M,
)


make = make_document


def bulk_documents(start: int, count: int, seed: int) -> list[SearchDocument]:
    """Short documents, all with "Antrag", of varying length; every tenth private to B."""
    rng = random.Random(seed)
    found = []
    for number in range(start, start + count):
        steps = " ".join(rng.choice(STEPS) for _ in range(rng.randint(1, 12)))
        private = number % 10 == 0
        found.append(
            make(
                number,
                f"Antrag {rng.choice(TOPICS)}",
                f"Antrag {steps}",
                authority_id=rng.choice([AUTHORITY_A, AUTHORITY_B, AUTHORITY_C]),
                visibility=str(AUTHORITY_B) if private else PUBLIC,
                boost=rng.choice([0.8, 1.0, 1.6]),
                leika_keys=(f"991150{number % 7:02}104000",),
            )
        )
    return found


def analyzer_for(docs: Sequence[SearchDocument]) -> GermanAnalyzer:
    return GermanAnalyzer(Vocabulary(vocabulary_counts(d.texts.values() for d in docs)))


def planner_for(analyzer: GermanAnalyzer) -> Planner:
    return Planner(analyzer, Synonyms(base_synonyms(), analyzer))


def built(root: Path, docs: Sequence[SearchDocument], analyzer: GermanAnalyzer) -> WhooshBackend:
    backend = WhooshBackend(root)
    with backend.write_lock():
        backend.rebuild(None, iter([docs]), analyzer)  # type: ignore[arg-type]
    return backend


def replace(
    backend: WhooshBackend, changes: dict[str, list[SearchDocument]], analyzer: GermanAnalyzer
) -> None:
    with backend.write_lock():
        backend.replace(None, changes, analyzer)  # type: ignore[arg-type]


def search(backend: WhooshBackend, plan: QueryPlan, **options: object) -> RawResults:
    return backend.search(None, SearchRequest(plan, **options))  # type: ignore[arg-type]


def one_word(term: str) -> QueryPlan:
    return QueryPlan(term, (PlanWord(term, (Alternative((stem(term),), (term,)),)),))


def public_postings(matcher: Matcher) -> tuple[np.ndarray, np.ndarray]:
    """Ids and weights through the matcher API, one posting at a time."""
    ids, weights = [], []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return np.array(ids, dtype=np.int64), np.array(weights, dtype=np.float32)


def current_index(root: Path) -> index.Index:
    return index.open_dir(str(root / (root / CURRENT).read_text(encoding="utf-8")))


def deleted_in(leaf: IndexReader) -> list[int]:
    return [docnum for docnum in range(leaf.doc_count_all()) if leaf.is_deleted(docnum)]


def terms_of(reader: IndexReader, field: str) -> list[str]:
    return [t.decode() if isinstance(t, bytes) else t for t in reader.lexicon(field)]


# --- indexes -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus() -> list[SearchDocument]:
    return [dataclasses.replace(d, ref=d.id) for d in documents(300)]


@pytest.fixture(scope="module")
def bulk() -> list[SearchDocument]:
    return bulk_documents(10_000, BULK, seed=1)


@pytest.fixture(scope="module")
def analyzer(corpus: list[SearchDocument], bulk: list[SearchDocument]) -> GermanAnalyzer:
    return analyzer_for(corpus + bulk)


@pytest.fixture(scope="module")
def fresh(
    tmp_path_factory: pytest.TempPathFactory,
    corpus: list[SearchDocument],
    bulk: list[SearchDocument],
    analyzer: GermanAnalyzer,
) -> Iterator[WhooshBackend]:
    """One segment, nothing deleted."""
    backend = built(tmp_path_factory.mktemp("fresh"), corpus + bulk, analyzer)
    yield backend
    backend.close()


@contextmanager
def whoosh_layout() -> Iterator[None]:
    """Indexes written meanwhile lay out postings as Whoosh does by default (and older indexes)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(whoosh_backend, "POSTINGS_PER_BLOCK", BLOCK)
        patch.setattr(whoosh_backend, "COMPRESSION", 3)
        yield


@pytest.fixture(scope="module")
def changed(
    tmp_path_factory: pytest.TempPathFactory,
    corpus: list[SearchDocument],
    bulk: list[SearchDocument],
    analyzer: GermanAnalyzer,
) -> Iterator[WhooshBackend]:
    """Whoosh's layout; three segments, the first two with deletions (the first 200 bulk
    documents: whole blocks)."""
    with whoosh_layout():
        backend = built(tmp_path_factory.mktemp("changed"), corpus + bulk, analyzer)
        change(backend, corpus, bulk, analyzer)
    yield backend
    backend.close()


def change(
    backend: WhooshBackend,
    corpus: list[SearchDocument],
    bulk: list[SearchDocument],
    analyzer: GermanAnalyzer,
) -> None:
    renewed = {
        d.ref: [dataclasses.replace(d, texts={**d.texts, "body": "Neu gefasst: Antrag prüfen"})]
        for d in corpus[:20]
    }
    gone: dict[str, list[SearchDocument]] = {d.ref: [] for d in [*corpus[20:30], *bulk[:200]]}
    backend.view()  # open before each change, as a running process has it
    replace(backend, renewed | gone, analyzer)
    backend.view()
    extra = bulk_documents(50_000, EXTRA, seed=2)
    replace(backend, {d.ref: [d] for d in extra} | {d.ref: [] for d in corpus[:5]}, analyzer)


@pytest.fixture(params=["fresh", "changed"])
def backend(request: pytest.FixtureRequest) -> WhooshBackend:
    return request.getfixturevalue(request.param)


def blocks(leaf: IndexReader, term: str) -> list[int]:
    """The compression level of each block of a term's posting list."""
    matcher = leaf.postings(TEXT_FIELD, term)
    matcher = getattr(matcher, "child", matcher)  # a segment with deletions filters its postings
    matcher.reset()
    levels = []
    while matcher.is_active():
        levels.append(matcher._compression)
        matcher.skip_to(matcher.block_max_id() + 1)
    return levels


def test_the_indexes_have_what_the_comparisons_need(
    fresh: WhooshBackend, changed: WhooshBackend
) -> None:
    [(leaf, _offset)] = fresh.view().reader.leaf_readers()
    assert leaf.doc_frequency(TEXT_FIELD, "antrag") > POSTINGS_PER_BLOCK
    assert isinstance(leaf.postings(TEXT_FIELD, "antrag"), W3LeafMatcher)
    assert blocks(leaf, "antrag") == [0, 0]
    leaves = changed.view().reader.leaf_readers()
    assert len(leaves) == 3
    assert [leaf.has_deletions() for leaf, _offset in leaves] == [True, True, False]
    assert leaves[0][0].doc_frequency(TEXT_FIELD, "antrag") > 8 * BLOCK
    assert 3 in blocks(leaves[0][0], "antrag")  # compressed


# --- postings ----------------------------------------------------------------------------------


def test_read_postings_equals_the_matcher_api_in_every_segment(backend: WhooshBackend) -> None:
    compared = 0
    for leaf, _offset in backend.view().reader.leaf_readers():
        deleted = np.array(deleted_in(leaf), dtype=np.int64)
        for field in FIELDS:
            for term in terms_of(leaf, field):
                ids, weights = read_postings(leaf, field, term)
                expected_ids, expected_weights = public_postings(leaf.postings(field, term))
                assert ids.dtype == np.int64 and weights.dtype == np.float32
                assert np.all(np.diff(ids) > 0) and (not len(ids) or ids[-1] < leaf.doc_count_all())
                live = ~np.isin(ids, deleted)
                assert np.array_equal(ids[live], expected_ids), (field, term)
                assert np.array_equal(weights[live], expected_weights), (field, term)
                compared += 1
    assert compared > 1000


def test_index_view_postings_equal_searcher_postings(backend: WhooshBackend) -> None:
    """Global document numbers over all segments, deleted documents left out."""
    view = backend.view()
    with current_index(backend.root).searcher() as searcher:
        offsets = [offset for _leaf, offset in searcher.reader().leaf_readers()]
        assert offsets == [offset for _leaf, offset, _segment in view.leaves]
        for field in FIELDS:
            for term in terms_of(searcher.reader(), field):
                ids, weights = view.postings(field, term)
                expected_ids, expected_weights = public_postings(searcher.postings(field, term))
                assert np.array_equal(ids, expected_ids), (field, term)
                assert np.array_equal(weights, expected_weights), (field, term)
                assert ids.tolist() == list(searcher.postings(field, term).all_ids())
        assert view.live_count == searcher.doc_count()
        assert np.flatnonzero(~view.live).tolist() == [
            docnum for docnum in range(view.size) if searcher.reader().is_deleted(docnum)
        ]


def test_deleted_documents_are_read_with_their_block_and_masked_by_the_view(
    changed: WhooshBackend,
) -> None:
    """A segment with deletions is still read a block at a time, not through a FilterMatcher."""
    view = changed.view()
    leaf, offset, _segment = view.leaves[0]
    ids, _weights = read_postings(leaf, TEXT_FIELD, "antrag")
    deleted = set(deleted_in(leaf))
    assert deleted & set(ids.tolist())  # the whole first blocks are deleted, and still read
    global_ids, _ = view.postings(TEXT_FIELD, "antrag")
    assert not {offset + d for d in deleted} & set(global_ids.tolist())


def test_missing_terms_read_as_empty(changed: WhooshBackend) -> None:
    view = changed.view()
    for field in FIELDS:
        ids, weights = view.postings(field, "gibtesnicht")
        assert len(ids) == len(weights) == 0
    assert not search(changed, one_word("gibtesnicht")).hits


# --- scoring -----------------------------------------------------------------------------------


def python_scores(
    backend: WhooshBackend, plan: QueryPlan, docs: dict[str, SearchDocument]
) -> dict[str, float]:
    """BM25 as written in a textbook: per word the best alternative, all words required."""
    reader = backend.view().reader
    live = [d for d in range(reader.doc_count_all()) if not reader.is_deleted(d)]
    length = {d: reader.doc_field_length(d, TEXT_FIELD, 0) for d in live}
    average = sum(length.values()) / len(live)
    ids = {d: reader.stored_fields(d)["stored"][0] for d in live}

    def bm25(term: str) -> dict[int, float]:
        postings = dict(zip(*public_postings(reader.postings(TEXT_FIELD, term)), strict=True))
        idf = math.log(1 + (len(live) - len(postings) + 0.5) / (len(postings) + 0.5))
        return {
            int(d): idf * w * (K1 + 1) / (w + K1 * (1 - B + B * length[d] / average))
            for d, w in postings.items()
        }

    words = []
    for word in plan.words:
        best: dict[int, float] = {}
        for option in word.alternatives:
            per_term = [bm25(term) for term in option.terms]
            for d in set.intersection(*(set(scores) for scores in per_term)):
                score = option.weight * sum(scores[d] for scores in per_term)
                best[d] = max(best.get(d, 0.0), score)
        words.append(best)
    matched = set.intersection(*(set(w) for w in words))
    visible = {d for d in matched if docs[ids[d]].visibility == PUBLIC}
    return {ids[d]: sum(w[d] for w in words) * docs[ids[d]].boost for d in visible}


def test_bm25_scores_equal_a_python_reimplementation(
    changed: WhooshBackend,
    corpus: list[SearchDocument],
    bulk: list[SearchDocument],
    analyzer: GermanAnalyzer,
) -> None:
    plan = planner_for(analyzer).plan("Antrag Gebühr prüfen")
    assert any(len(word.alternatives) > 1 for word in plan.words)
    docs = {d.id: d for d in [*corpus, *bulk, *bulk_documents(50_000, EXTRA, seed=2)]}
    expected = python_scores(changed, plan, docs)
    results = search(changed, plan, limit=10_000, with_facets=False)
    assert not results.relaxed
    assert results.total == len(expected) > 100
    assert {hit.id for hit in results.hits} == set(expected)
    for hit in results.hits:
        assert hit.score == pytest.approx(expected[hit.id], rel=1e-5)
    scores = [hit.score for hit in results.hits]
    assert scores == sorted(scores, reverse=True)


# --- facets, visibility, paging (small handmade indexes) ---------------------------------------


SMALL = [
    make(1, "Hundesteuer Anmeldung", kind=Kind.BEHOERDE, authority_id=AUTHORITY_A, state="NW"),
    make(2, "Hundesteuer Anmeldung", kind=Kind.BEHOERDE, authority_id=AUTHORITY_A, state="BY"),
    make(3, "Anmeldung Hund", kind=Kind.MODELL, authority_id=AUTHORITY_A, state="NW"),
    make(4, "Anmeldung eines Hundes", kind=Kind.BEHOERDE, authority_id=AUTHORITY_B, state="NW"),
    make(5, "Anmeldung", kind=Kind.MODELL, authority_id=AUTHORITY_B, state=None),
    make(6, "Anmeldung", kind=Kind.LEISTUNG, authority_id=AUTHORITY_C, state="BY"),
    make(7, "Anmeldung Entwurf", authority_id=AUTHORITY_A, visibility=str(AUTHORITY_A)),
    make(8, "Anmeldung Entwurf", authority_id=AUTHORITY_B, visibility=str(AUTHORITY_B)),
    make(9, "Fischereischein verlängern", authority_id=AUTHORITY_A),
    make(10, "Fischereischein", kind=Kind.LEISTUNG, authority_id=AUTHORITY_B),
    make(11, "Geheimprozess Anmeldung", authority_id=AUTHORITY_C, visibility=str(AUTHORITY_C)),
]


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WhooshBackend]:
    backend = built(tmp_path_factory.mktemp("small"), SMALL, analyzer_for(SMALL))
    yield backend
    backend.close()


def expected_facets(
    matching: Sequence[SearchDocument], filters: dict[str, str], viewer: uuid.UUID | None
) -> dict[str, dict[str, int]]:
    visible = [d for d in matching if d.visibility in {PUBLIC, str(viewer)}]
    facets = {}
    for name in FACETS:
        counts = Counter(
            d.facet_values()[name]
            for d in visible
            if all(
                d.facet_values()[other] == value
                for other, value in filters.items()
                if other != name
            )
        )
        facets[name] = {value: count for value, count in counts.items() if value}
    return facets


@pytest.mark.parametrize(
    ("filters", "viewer"),
    [
        ({}, None),
        ({"kind": "behoerde"}, None),
        ({"kind": "behoerde", "authority": str(AUTHORITY_A)}, None),
        ({"kind": "behoerde", "authority": str(AUTHORITY_A)}, AUTHORITY_A),
        ({"state": "NW", "kind": "modell", "authority": str(AUTHORITY_B)}, AUTHORITY_B),
        ({"state": "HH"}, AUTHORITY_C),
    ],
)
def test_each_facet_is_counted_under_every_filter_but_its_own(
    small: WhooshBackend, filters: dict[str, str], viewer: uuid.UUID | None
) -> None:
    matching = [d for d in SMALL if "Anmeldung" in d.texts["title"]]
    results = search(small, one_word("anmeldung"), filters=filters, viewer_authority=viewer)
    assert results.facets == expected_facets(matching, filters, viewer)
    selected = [
        d
        for d in matching
        if d.visibility in {PUBLIC, str(viewer)}
        and all(d.facet_values()[name] == value for name, value in filters.items())
    ]
    assert results.total == len(selected)
    assert {hit.id for hit in results.hits} == {d.id for d in selected}


def test_private_documents_are_visible_only_to_their_authority(small: WhooshBackend) -> None:
    secret = SMALL[10]
    for viewer in (None, AUTHORITY_A, AUTHORITY_B):
        assert search(small, one_word("geheimprozess"), viewer_authority=viewer).total == 0
    found = search(small, one_word("geheimprozess"), viewer_authority=AUTHORITY_C)
    assert [hit.id for hit in found.hits] == [secret.id]
    drafts = search(small, one_word("entwurf"), viewer_authority=AUTHORITY_A)
    assert [hit.id for hit in drafts.hits] == [SMALL[6].id]
    assert drafts.facets["authority"] == {str(AUTHORITY_A): 1}


TIED = [
    make(
        100 + n,
        "Wohngeld beantragen",
        "Einkommen nachweisen",
        boost=[1.6, 1.0, 0.8][n % 3],
        leika_keys=(["99115001104000", "99115001000000"][n % 2],),
    )
    for n in range(31)
] + [make(200, "Wohngeld", leika_keys=("99115001000000",))]


@pytest.fixture(scope="module")
def tied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WhooshBackend]:
    """Equal scores in three groups, across two segments, with a deletion in the first."""
    analyzer = analyzer_for(TIED)
    backend = built(tmp_path_factory.mktemp("tied"), TIED[:25], analyzer)
    replace(backend, {TIED[3].ref: []} | {d.ref: [d] for d in TIED[25:]}, analyzer)
    yield backend
    backend.close()


@pytest.mark.parametrize("page_size", [1, 3, 4, 7])
@pytest.mark.parametrize("query", ["wohngeld", "leika"])
def test_pages_of_equal_scores_concatenate_to_the_full_ordering(
    tied: WhooshBackend, page_size: int, query: str
) -> None:
    plan = QueryPlan("99115001", leika="99115001") if query == "leika" else one_word(query)
    full = search(tied, plan, limit=100, with_facets=False)
    if query == "wohngeld":  # score groups by boost, within a group by document number
        present = [d for d in TIED[:31] if d is not TIED[3]]
        expected = sorted(present, key=lambda d: -d.boost)
        assert [hit.id for hit in full.hits if hit.id != TIED[-1].id] == [d.id for d in expected]
    paged = []
    for offset in range(0, full.total + page_size, page_size):
        page = search(tied, plan, offset=offset, limit=page_size, with_facets=False)
        assert page.total == full.total
        paged.extend(page.hits)
    assert paged == full.hits


# --- changes -----------------------------------------------------------------------------------


def test_view_and_segments_follow_a_replace(tmp_path: Path) -> None:
    old, kept = make(1, "Altwort Antrag"), make(2, "Bleibt Antrag")
    new = dataclasses.replace(old, texts={"title": "Neuwort Antrag"})
    analyzer = analyzer_for([old, kept, new])
    backend = built(tmp_path, [old, kept], analyzer)
    before = backend.view()
    assert [hit.id for hit in search(backend, one_word("altwort")).hits] == [old.id]
    assert backend.view() is before  # nothing changed: the same view

    replace(backend, {old.ref: [new]}, analyzer)
    after = backend.view()
    assert after is not before
    assert [hit.id for hit in search(backend, one_word("neuwort")).hits] == [new.id]
    assert search(backend, one_word("altwort")).total == 0
    assert search(backend, one_word("antrag")).total == backend.document_count() == 2
    assert after.leaves[0][2] is before.leaves[0][2]  # the unchanged segment is not read again

    with backend.write_lock():
        current_index(tmp_path).optimize()  # a merge: one segment instead of two
    merged = backend.view()
    assert len(merged.leaves) == 1
    assert search(backend, one_word("antrag")).total == backend.document_count() == 2
    backend.close()


def test_visibility_and_facet_counts_follow_a_replace(tmp_path: Path) -> None:
    """A view keeps which documents are public; the view after a change knows the new state."""
    public, other = make(1, "Antrag Hundesteuer"), make(2, "Antrag Wohngeld", kind=Kind.MODELL)
    private = dataclasses.replace(public, visibility=str(AUTHORITY_A))
    analyzer = analyzer_for([public, other])
    backend = built(tmp_path, [public, other], analyzer)
    before = search(backend, one_word("antrag"))
    assert before.total == 2 and before.facets["kind"] == {"behoerde": 1, "modell": 1}

    replace(backend, {public.ref: [private]}, analyzer)
    after = search(backend, one_word("antrag"))
    assert [hit.id for hit in after.hits] == [other.id]
    assert after.facets["kind"] == {"modell": 1}
    own = search(backend, one_word("antrag"), viewer_authority=AUTHORITY_A)
    assert own.total == 2 and own.facets["kind"] == {"behoerde": 1, "modell": 1}
    backend.close()


def test_segment_registry_keeps_only_segments_still_in_use(tmp_path: Path) -> None:
    docs = [make(n, f"Antrag {n}") for n in range(1, 6)]
    analyzer = analyzer_for(docs)
    backend = built(tmp_path, docs[:3], analyzer)
    replace(backend, {d.ref: [d] for d in docs[3:]}, analyzer)
    registry, cache = SegmentRegistry(), PostingCache()
    with current_index(tmp_path).searcher() as searcher:
        first = IndexView(searcher.reader(), registry, cache)
        assert len(first.leaves) == 2 and len(registry._segments) == 2
    with backend.write_lock():
        current_index(tmp_path).optimize()  # one merged segment replaces both
    with current_index(tmp_path).searcher() as searcher:
        merged = IndexView(searcher.reader(), registry, cache)
        assert [segment.id for _l, _o, segment in merged.leaves] == list(registry._segments)
        assert len(registry._segments) == 1
        assert merged.postings(TEXT_FIELD, "antrag")[0].tolist() == [0, 1, 2, 3, 4]
    backend.close()


def test_rebuild_switches_current_and_removes_the_old_index(tmp_path: Path) -> None:
    old_docs, new_docs = [make(1, "Altwort")], [make(2, "Neuwort"), make(3, "Neuwort Antrag")]
    analyzer = analyzer_for(old_docs + new_docs)
    backend = built(tmp_path, old_docs, analyzer)
    old_name = (tmp_path / CURRENT).read_text(encoding="utf-8")
    assert search(backend, one_word("altwort")).total == 1  # the old index is open

    with backend.write_lock():
        assert backend.rebuild(None, iter([new_docs]), analyzer) == 2  # type: ignore[arg-type]
    new_name = (tmp_path / CURRENT).read_text(encoding="utf-8")
    assert new_name != old_name
    assert sorted(path.name for path in tmp_path.glob("index-*")) == [new_name]
    assert search(backend, one_word("altwort")).total == 0
    assert search(backend, one_word("neuwort")).total == backend.document_count() == 2

    def failing() -> Iterator[list[SearchDocument]]:
        yield old_docs
        raise RuntimeError("Datenbank weg")

    with backend.write_lock(), pytest.raises(RuntimeError):
        backend.rebuild(None, failing(), analyzer)  # type: ignore[arg-type]
    assert (tmp_path / CURRENT).read_text(encoding="utf-8") == new_name
    assert sorted(path.name for path in tmp_path.glob("index-*")) == [new_name]
    assert search(backend, one_word("neuwort")).total == 2
    backend.close()


# --- how a rebuild writes ------------------------------------------------------------------------


def whoosh_written(root: Path, docs: Sequence[SearchDocument], analyzer: GermanAnalyzer) -> Any:
    """The same documents through Whoosh's own writer, in one segment."""
    root.mkdir()
    ix = index.create_in(str(root), whoosh_backend.build_schema())
    writer = ix.writer(codec=codec())
    for document in docs:
        writer.add_document(**index_fields(document, analyzer))
    writer.commit()
    return ix


def term_statistics(reader: IndexReader, field: str, term: str) -> tuple[object, ...]:
    info = reader.term_info(field, term)
    return (
        info.doc_frequency(),
        info.weight(),
        info.min_length(),
        info.max_length(),
        info.max_weight(),
        info.min_id(),
        info.max_id(),
    )


def test_a_rebuild_writes_what_whooshs_writer_writes(
    tmp_path: Path,
    fresh: WhooshBackend,
    corpus: list[SearchDocument],
    bulk: list[SearchDocument],
    analyzer: GermanAnalyzer,
) -> None:
    with whoosh_written(tmp_path / "whoosh", corpus + bulk, analyzer).reader() as expected:
        [(built_reader, _offset)] = fresh.view().reader.leaf_readers()
        assert built_reader.doc_count_all() == expected.doc_count_all() == len(corpus + bulk)
        for field in (*FIELDS, "ref"):
            assert list(built_reader.lexicon(field)) == list(expected.lexicon(field))
            for term in terms_of(expected, field):
                built_postings = built_reader.postings(field, term)
                assert list(built_postings.items_as("frequency")) == list(
                    expected.postings(field, term).items_as("frequency")
                ), (field, term)
                assert np.array_equal(
                    read_postings(built_reader, field, term)[1],
                    public_postings(expected.postings(field, term))[1],
                )
                assert term_statistics(built_reader, field, term) == term_statistics(
                    expected, field, term
                )
        assert built_reader.field_length(TEXT_FIELD) == expected.field_length(TEXT_FIELD)
        for docnum in range(expected.doc_count_all()):
            assert built_reader.stored_fields(docnum) == expected.stored_fields(docnum)
            assert built_reader.doc_field_length(docnum, TEXT_FIELD) == expected.doc_field_length(
                docnum, TEXT_FIELD
            )
        for name, field in expected.schema.items():
            if field.column_type:
                assert list(built_reader.column_reader(name)) == list(expected.column_reader(name))


@pytest.fixture()
def forking_early(monkeypatch: pytest.MonkeyPatch) -> None:
    """Small rebuilds in several processes too."""
    monkeypatch.setattr(whoosh_backend, "MIN_DOCUMENTS_PER_PROCESS", 100)


def test_a_rebuild_in_several_processes_keeps_the_document_order(
    tmp_path: Path,
    fresh: WhooshBackend,
    corpus: list[SearchDocument],
    bulk: list[SearchDocument],
    analyzer: GermanAnalyzer,
    forking_early: None,
) -> None:
    backend = WhooshBackend(tmp_path)
    with backend.write_lock():
        count = backend.rebuild(None, iter([corpus, bulk]), analyzer, processes=3)  # type: ignore[arg-type]
    assert count == len(corpus + bulk)
    view = backend.view()
    assert [segment.size for _leaf, _offset, segment in view.leaves] == [500, 500, 500]
    assert [view.doc_id(n) for n in range(view.size)] == [d.id for d in corpus + bulk]
    assert not list(tmp_path.glob("index-*/*.tmp"))  # no scratch files left
    planner = planner_for(analyzer)
    for text in ("Antrag Gebühr prüfen", "Hundesteuer", "Fischereischein verlängern"):
        request = SearchRequest(planner.plan(text), limit=50)
        assert backend.search(None, request) == fresh.search(None, request)  # type: ignore[arg-type]
    backend.close()


def test_a_failing_writer_process_fails_the_rebuild_and_keeps_the_index(
    tmp_path: Path,
    corpus: list[SearchDocument],
    bulk: list[SearchDocument],
    analyzer: GermanAnalyzer,
    forking_early: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    backend = built(tmp_path, corpus[:10], analyzer)
    old_name = (tmp_path / CURRENT).read_text(encoding="utf-8")
    broken = bulk[-1]

    def index_fields_failing_on(document: SearchDocument, analyzer: GermanAnalyzer) -> dict:
        if document is broken:
            raise ValueError("kaputt")
        return index_fields(document, analyzer)

    monkeypatch.setattr(whoosh_backend, "index_fields", index_fields_failing_on)
    with (
        backend.write_lock(),
        pytest.raises(RuntimeError, match=r"(?s)Schreibprozess.*ValueError: kaputt"),
    ):
        backend.rebuild(None, iter([corpus + bulk]), analyzer, processes=2)  # type: ignore[arg-type]
    assert (tmp_path / CURRENT).read_text(encoding="utf-8") == old_name
    assert [path.name for path in tmp_path.glob("index-*")] == [old_name]
    assert backend.document_count() == 10
    backend.close()


def test_a_writer_process_that_dies_fails_the_rebuild(
    tmp_path: Path,
    corpus: list[SearchDocument],
    bulk: list[SearchDocument],
    analyzer: GermanAnalyzer,
    forking_early: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    backend = WhooshBackend(tmp_path)
    parent, build_segment = os.getpid(), whoosh_backend.build_segment

    def dying_in_the_child(*arguments: Any) -> Any:
        if os.getpid() != parent:
            os._exit(3)
        return build_segment(*arguments)

    monkeypatch.setattr(whoosh_backend, "build_segment", dying_in_the_child)
    with backend.write_lock(), pytest.raises(RuntimeError, match="Exit-Code 3"):
        backend.rebuild(None, iter([corpus + bulk]), analyzer, processes=2)  # type: ignore[arg-type]
    assert not list(tmp_path.glob("index-*"))
    backend.close()


# --- the benchmark -----------------------------------------------------------------------------


def test_the_speed_benchmark_runs_and_prints_its_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    options = ["--documents", "300", "--processes", "1", "--queries", "12", "--index"]
    search_speed.main([*options, str(tmp_path)])
    built_output = capsys.readouterr().out
    search_speed.main([*options, str(tmp_path), "--reuse"])
    reused_output = capsys.readouterr().out

    assert "Korpus: 300 Dokumente" in built_output
    assert re.search(r"Dokumente/s \(Ziel ≥ 1\.000\): (erreicht|VERFEHLT)$", built_output, re.M)
    assert "wiederverwendet" in reused_output and "Dokumente/s" not in reused_output
    for output in (built_output, reused_output):
        rows = {match["name"]: match for match in ROW.finditer(output)}
        assert list(rows) == [
            "Volltext kalt",
            "Volltext warm",
            "Volltext + Behördenfilter",
            "Type-ahead kalt",
            "Type-ahead warm",
        ]
        assert {rows[name]["count"] for name in list(rows)[:3]} == {"12"}
        assert [row["target"] for row in rows.values()] == ["30", "30", "30", "20", "20"]


def test_a_search_under_way_keeps_its_reader_while_the_indexer_commits(tmp_path: Path) -> None:
    """Under load a thread's search read postings through a reader that another thread had just
    closed, because the indexer's commit made it open the newer state (ReaderClosed, a 500)."""
    docs = [make_document(n, f"Antrag Nummer {n}", "Wohnung anmelden") for n in range(1, 40)]
    analyzer = analyzer_for(docs)
    backend = built(tmp_path, docs, analyzer)
    with backend._view_in_use() as view:
        replace(backend, {docs[0].ref: []}, analyzer)  # the indexer, in another thread
        assert backend.view() is not view  # a newer state is open for the next search
        ids, _weights = view.postings(TEXT_FIELD, "wohnung")  # not cached yet: reads the reader
        assert len(ids) == len(docs)
        old = view.reader
    assert old.is_closed  # the last one out closes it
    assert not backend.view().reader.is_closed
    backend.close()
