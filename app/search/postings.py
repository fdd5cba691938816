"""Scoring a query plan over a Whoosh index with NumPy, fast enough for type-ahead at 100,000 documents.

Whoosh stores the index (segments, postings, columns, deletions, the writer lock); Whoosh's own
matchers visit one posting at a time in Python, tens of microseconds each, which makes a query over
a common word take hundreds of milliseconds. Here every posting list a query needs is read once per
segment into NumPy arrays (segments never change, so the arrays stay valid until a merge replaces
the segment), and BM25 with the document's field weights, the AND over words, filters and facet
counts are array operations.
"""

from __future__ import annotations

import io
import math
import pickle
import struct
import threading
import uuid
import zlib
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import IndexReader, TermNotFound

from app.search.backend import (
    OWN_AUTHORITY_BOOST,
    RawHit,
    RawResults,
    SearchRequest,
    leika_score,
    relax_levels,
    required_matches,
)
from app.search.documents import FACETS, PUBLIC
from app.search.query import Alternative, PlanWord

TEXT_FIELD = "text"
LEIKA_FIELD = "leika"
OZG_FIELD = "ozg_id"
K1, B = 1.2, 0.5  # B below the usual 0.75: a long model text should not bury its Steckbrief
CACHE_POSTINGS = 16_000_000  # about 128 MB of ids and weights per process
COLUMNS = (*FACETS, "visibility")
EMPTY_IDS = np.zeros(0, dtype=np.int64)
EMPTY_WEIGHTS = np.zeros(0, dtype=np.float32)
BLOCK_LENGTH = struct.Struct("!i")  # whoosh3: every posting block starts with its byte length


def facet_column(name: str) -> str:
    return f"f_{name}"


# --- reading postings --------------------------------------------------------------------------


def read_postings(reader: IndexReader, field: str, term: str) -> tuple[np.ndarray, np.ndarray]:
    """All (document number, weight) pairs of a term in one segment, as arrays.

    Deleted documents may be among them (``IndexView.live`` masks them): a segment with deletions
    wraps its postings in a FilterMatcher, which would cost one Python step per posting.
    """
    try:
        matcher = reader.postings(field, term)
    except TermNotFound:
        return EMPTY_IDS, EMPTY_WEIGHTS
    if isinstance(matcher, FilterMatcher) and isinstance(matcher.child, W3LeafMatcher):
        matcher = matcher.child  # read from the start: the filter may have stepped over some
    if isinstance(matcher, W3LeafMatcher):
        return _read_blocks(matcher)
    ids, weights = [], []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return np.array(ids, dtype=np.int64), np.array(weights, dtype=np.float32)


def _read_blocks(matcher: W3LeafMatcher) -> tuple[np.ndarray, np.ndarray]:
    """The whole posting list in one read, decoded without the matcher's per-posting steps
    (whoosh3 3.54 layout; tests compare it with the matcher API).

    A block is its length (negative for the last one), a pickled header (count, last id, maximum
    weight, compression, two length bytes) and the pickled, maybe compressed, tuple (id deltas,
    weights, values). Deltas restart in every block; chained to the previous block's last id they
    decode with one cumulative sum over the whole list.
    """
    raw = matcher._postfile.get(matcher._baseoffset, _postings_end(matcher) - matcher._baseoffset)
    stream = io.BytesIO(raw)
    deltas: list[int] = []
    weights: list[float] = []
    position, previous_last = 0, 0
    while True:
        (length,) = BLOCK_LENGTH.unpack_from(raw, position)
        end = position + BLOCK_LENGTH.size + abs(length)
        stream.seek(position + BLOCK_LENGTH.size)
        count, last_id, _weight, compression, _shortest, _longest = pickle.load(stream)
        data = raw[stream.tell() : end]
        block_ids, block_weights, _values = pickle.loads(
            zlib.decompress(data) if compression else data
        )
        first = len(deltas)
        deltas.extend(block_ids)
        deltas[first] -= previous_last
        previous_last = last_id
        weights.extend(_block_weights(block_weights, count))
        if length < 0:
            return np.cumsum(np.array(deltas, dtype=np.int64)), np.array(weights, dtype=np.float32)
        position = end


def _postings_end(matcher: W3LeafMatcher) -> int:
    # a term info read from disk holds its length as a 1-tuple (whoosh3 3.54 unpacks without [0])
    length = matcher._length
    return matcher._startoffset + (length[0] if isinstance(length, tuple) else length)


def _block_weights(weights: tuple[float, ...] | float | None, count: int) -> Sequence[float]:
    """Whoosh writes all-equal weights as one number and all-1.0 weights as None."""
    if weights is None:
        return [1.0] * count
    if isinstance(weights, float):
        return [weights] * count
    return weights


class PostingCache:
    """Decoded posting lists per (segment, field, term), least recently used out first."""

    def __init__(self, capacity: int = CACHE_POSTINGS) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[tuple[str, str, str], tuple[np.ndarray, np.ndarray]] = (
            OrderedDict()
        )
        self._size = 0
        self._lock = threading.Lock()

    def get(
        self, segment_id: str, reader: IndexReader, field: str, term: str
    ) -> tuple[np.ndarray, np.ndarray]:
        key = (segment_id, field, term)
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found
        found = read_postings(reader, field, term)
        with self._lock:
            self._entries[key] = found
            self._size += len(found[0])
            while self._size > self.capacity and len(self._entries) > 1:
                _, (ids, _weights) = self._entries.popitem(last=False)
                self._size -= len(ids)
        return found


# --- per-segment document data -----------------------------------------------------------------


@dataclass
class Codes:
    """A column as small integers per document, with the value each code stands for."""

    codes: np.ndarray
    values: list[str]

    def __post_init__(self) -> None:
        self._positions = {value: code for code, value in enumerate(self.values)}

    @classmethod
    def of(cls, raw: Sequence[bytes]) -> Codes:
        """From a column's stored values (UTF-8 bytes sort as their text does)."""
        distinct = sorted(set(raw))
        index = {value: code for code, value in enumerate(distinct)}
        codes = np.fromiter(map(index.__getitem__, raw), dtype=np.int32, count=len(raw))
        return cls(codes, [value.decode() for value in distinct])

    def code(self, value: str) -> int:
        return self._positions.get(value, -1)

    def counts(self, rows: np.ndarray) -> dict[str, int]:
        """How many of these documents have each value, in code order (the empty value left out)."""
        counts = np.bincount(self.codes[rows], minlength=len(self.values))
        values = self.values
        return {values[code]: int(counts[code]) for code in np.flatnonzero(counts) if values[code]}


class Segment:
    """What scoring needs of one immutable segment: field lengths, boosts, facet codes, ids."""

    def __init__(self, reader: IndexReader) -> None:
        self.id = reader.segment().segment_id()
        self.size = reader.doc_count_all()
        self.lengths = np.fromiter(
            (reader.doc_field_length(d, TEXT_FIELD, 0) for d in range(self.size)),
            dtype=np.float32,
            count=self.size,
        )
        self.boost = np.fromiter(_column(reader, "boost"), dtype=np.float32, count=self.size)
        self.columns = {
            name: Codes.of(list(_column(reader, facet_column(name)))) for name in COLUMNS
        }
        self.doc_ids = [raw.decode() for raw in _column(reader, "doc_id")]
        self.leika_terms = sorted(
            term.decode() if isinstance(term, bytes) else term
            for term in reader.lexicon(LEIKA_FIELD)
        )


def _column(reader: IndexReader, name: str) -> Any:
    return reader.column_reader(name, translate=False)  # the stored values as they are


class SegmentRegistry:
    """Segments by id, kept while the index still has them."""

    def __init__(self) -> None:
        self._segments: dict[str, Segment] = {}
        self._lock = threading.Lock()

    def get(self, reader: IndexReader) -> Segment:
        segment_id = reader.segment().segment_id()
        with self._lock:
            found = self._segments.get(segment_id)
        if found is None:
            found = Segment(reader)
            with self._lock:
                self._segments[segment_id] = found
        return found

    def keep_only(self, segment_ids: set[str]) -> None:
        with self._lock:
            for gone in set(self._segments) - segment_ids:
                del self._segments[gone]


# --- one searcher generation -------------------------------------------------------------------


def _segment_of(reader: IndexReader) -> Any:
    segment = getattr(reader, "segment", None)
    return segment() if segment else None


class IndexView:
    """The whole index as one array space: segment arrays laid end to end, deletions masked."""

    def __init__(self, reader: IndexReader, registry: SegmentRegistry, cache: PostingCache) -> None:
        self.reader, self.cache = reader, cache
        # an index without documents has one leaf without a segment
        leaves = [(leaf, o) for leaf, o in reader.leaf_readers() if _segment_of(leaf) is not None]
        self.leaves = [(leaf, offset, registry.get(leaf)) for leaf, offset in leaves]
        registry.keep_only({segment.id for _l, _o, segment in self.leaves})
        self.size = sum(segment.size for _l, _o, segment in self.leaves)
        self.live = self._live_mask()
        self.live_count = int(self.live.sum())
        self.lengths = self._concat(lambda s: s.lengths, np.float32)
        self.avg_length = float(self.lengths[self.live].mean()) if self.live_count else 1.0
        self.boost = self._concat(lambda s: s.boost, np.float32)
        self.columns = {name: self._merged(name) for name in COLUMNS}
        visibility = self.columns["visibility"]
        self.public = (visibility.codes == visibility.code(PUBLIC)) & self.live
        self._postings: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}

    def _concat(self, part, dtype) -> np.ndarray:  # type: ignore[no-untyped-def]
        if not self.leaves:
            return np.zeros(0, dtype=dtype)
        return np.concatenate([part(segment) for _l, _o, segment in self.leaves]).astype(dtype)

    def _merged(self, name: str) -> Codes:
        """One code space over all segments: each segment's codes mapped onto the union."""
        values = sorted(
            {v for _l, _o, segment in self.leaves for v in segment.columns[name].values}
        )
        index = {value: code for code, value in enumerate(values)}
        parts = []
        for _leaf, _offset, segment in self.leaves:
            own = segment.columns[name]
            mapping = np.array([index[v] for v in own.values], dtype=np.int32)
            parts.append(mapping[own.codes] if len(own.values) else own.codes)
        codes = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)
        return Codes(codes, values)

    def _live_mask(self) -> np.ndarray:
        live = np.ones(self.size, dtype=bool)
        for leaf, offset, _segment in self.leaves:
            if leaf.has_deletions():
                deleted = [offset + d for d in leaf.deleted_docs_set]
                live[np.asarray(deleted, dtype=np.int64)] = False
        return live

    def doc_id(self, docnum: int) -> str:
        for _leaf, offset, segment in reversed(self.leaves):
            if docnum >= offset:
                return segment.doc_ids[docnum - offset]
        raise IndexError(docnum)

    def postings(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray]:
        """Global document numbers (live only) and weights of a term."""
        key = (field, term)
        found = self._postings.get(key)
        if found is None:
            parts = [
                (ids + offset, weights)
                for leaf, offset, segment in self.leaves
                for ids, weights in [self.cache.get(segment.id, leaf, field, term)]
                if len(ids)
            ]
            if parts:
                ids = np.concatenate([p[0] for p in parts])
                weights = np.concatenate([p[1] for p in parts])
                keep = self.live[ids]
                found = (ids[keep], weights[keep])
            else:
                found = (EMPTY_IDS, EMPTY_WEIGHTS)
            self._postings[key] = found
        return found

    def leika_terms(self, prefix: str) -> list[str]:
        terms: set[str] = set()
        for _leaf, _offset, segment in self.leaves:
            start = np.searchsorted(segment.leika_terms, prefix)
            for term in segment.leika_terms[start:]:
                if not term.startswith(prefix):
                    break
                terms.add(term)
        return sorted(terms)


# --- scoring -----------------------------------------------------------------------------------


def _bm25(view: IndexView, ids: np.ndarray, weights: np.ndarray) -> np.ndarray:
    df = len(ids)
    idf = math.log(1 + (view.live_count - df + 0.5) / (df + 0.5))
    norm = K1 * (1 - B + B * view.lengths[ids] / view.avg_length)
    return (idf * weights * (K1 + 1) / (weights + norm)).astype(np.float32)


def _alternative(view: IndexView, option: Alternative) -> tuple[np.ndarray, np.ndarray]:
    """Documents having every term of the alternative, and their summed scores."""
    ids, scores = None, None
    for term in option.terms:
        term_ids, weights = view.postings(TEXT_FIELD, term)
        if not len(term_ids):
            return EMPTY_IDS, EMPTY_WEIGHTS
        term_scores = _bm25(view, term_ids, weights)
        if ids is None:
            ids, scores = term_ids, term_scores
            continue
        ids, left, right = np.intersect1d(ids, term_ids, assume_unique=True, return_indices=True)
        scores = scores[left] + term_scores[right]
    if ids is None:
        return EMPTY_IDS, EMPTY_WEIGHTS
    return ids, scores * option.weight


def _word(view: IndexView, word: PlanWord) -> tuple[np.ndarray, np.ndarray]:
    """Dense arrays: does each document match the word, and with which score (best alternative)."""
    matched = np.zeros(view.size, dtype=bool)
    score = np.zeros(view.size, dtype=np.float32)
    for option in word.alternatives:
        ids, scores = _alternative(view, option)
        if len(ids):
            matched[ids] = True
            score[ids] = np.maximum(score[ids], scores)  # ids are distinct: no ufunc.at needed
    return matched, score


def _leika(view: IndexView, digits: str) -> tuple[np.ndarray, np.ndarray]:
    matched = np.zeros(view.size, dtype=bool)
    score = np.zeros(view.size, dtype=np.float32)
    keys = [(LEIKA_FIELD, key, leika_score(key, digits)) for key in view.leika_terms(digits)]
    keys += [(OZG_FIELD, digits, 1.0)] if len(digits) == 5 else []
    for field, key, value in keys:
        ids, _weights = view.postings(field, key)
        matched[ids] = True
        np.maximum.at(score, ids, np.float32(value))
    return matched, score


class Evaluation:
    """One request against one index view."""

    def __init__(self, view: IndexView, request: SearchRequest) -> None:
        self.view, self.request = view, request

    def run(self) -> RawResults:
        plan = self.request.plan
        if plan.leika:
            matched, score = _leika(self.view, plan.leika)
            rows = np.flatnonzero(matched)
            return self._results(rows, score[rows], relaxed=False)
        words = [_word(self.view, word) for word in plan.words]
        if not words:
            return RawResults(hits=[], total=0)
        counts = np.zeros(self.view.size, dtype=np.int64)
        score = np.zeros(self.view.size, dtype=np.float32)
        for matched, word_score in words:  # in place, in word order: the sum np.sum would give
            counts += matched
            score += word_score
        results = RawResults(hits=[], total=0)
        for level in relax_levels(len(words)):
            rows = np.flatnonzero(counts >= required_matches(len(words), level))
            coordination = (counts[rows] / len(words)) ** 2  # hits with more of the words first
            results = self._results(rows, score[rows] * coordination, relaxed=level > 0)
            if results.total:
                break
        return results

    def _visible(self, rows: np.ndarray) -> np.ndarray:
        visible = self.view.public[rows]
        viewer = self.request.viewer_authority
        if viewer is not None:
            visibility = self.view.columns["visibility"]
            own = visibility.codes[rows] == visibility.code(str(viewer))
            visible |= own & self.view.live[rows]
        return visible

    def _filter_masks(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        masks = {}
        for name, value in self.request.filters.items():
            column = self.view.columns[name]
            masks[name] = column.codes[rows] == column.code(value)
        return masks

    def _results(self, rows: np.ndarray, scores: np.ndarray, *, relaxed: bool) -> RawResults:
        """``rows``: the matching documents in ascending order, ``scores``: theirs."""
        visible = self._visible(rows)
        rows, scores = rows[visible], scores[visible]
        masks = self._filter_masks(rows)
        selected = _all_of(masks.values())
        candidates = rows[selected]
        final = scores[selected] * self.view.boost[candidates] * self._own_boost(candidates)
        hits = self._top(candidates, final)
        facets = self._facets(rows, masks, candidates) if self.request.with_facets else {}
        return RawResults(hits=hits, total=len(candidates), facets=facets, relaxed=relaxed)

    def _own_boost(self, candidates: np.ndarray) -> np.ndarray:
        viewer = self.request.viewer_authority
        if viewer is None:
            return np.float32(1.0)
        authority = self.view.columns["authority"]
        own = authority.codes[candidates] == authority.code(str(viewer))
        return np.where(own, np.float32(OWN_AUTHORITY_BOOST), np.float32(1.0))

    def _top(self, candidates: np.ndarray, final: np.ndarray) -> list[RawHit]:
        end = self.request.offset + self.request.limit
        if not len(candidates) or self.request.offset >= len(candidates):
            return []
        if end < len(candidates):
            # everything scoring at least the end-th score, so that ties at the cut are decided
            # by document number below, the same way for every page
            threshold = -np.partition(-final, end - 1)[end - 1]
            best = np.flatnonzero(final >= threshold)
        else:
            best = np.arange(len(candidates))
        # ties broken by document number, so pages are stable
        order = best[np.lexsort((candidates[best], -final[best]))]
        page = order[self.request.offset : end]
        return [RawHit(self.view.doc_id(int(candidates[i])), float(final[i])) for i in page]

    def _facets(
        self, rows: np.ndarray, masks: Mapping[str, np.ndarray], candidates: np.ndarray
    ) -> dict[str, dict[str, int]]:
        """Counts per value; each facet is counted under every filter but its own (a facet
        without a filter of its own counts the candidates)."""
        facets = {}
        for name in FACETS:
            counted = candidates
            if name in masks:
                others = [mask for other, mask in masks.items() if other != name]
                counted = rows[_all_of(others)]
            facets[name] = self.view.columns[name].counts(counted)
        return facets


def _all_of(masks: Iterable[np.ndarray]) -> np.ndarray | slice:
    """Where every mask holds; without masks, a slice over all rows (nothing to compute)."""
    selected: np.ndarray | slice = slice(None)
    for mask in masks:
        selected = mask if isinstance(selected, slice) else selected & mask
    return selected


def authority_key(authority_id: uuid.UUID | None) -> str | None:
    return str(authority_id) if authority_id else None
