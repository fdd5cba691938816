"""The embedded search backend: a Whoosh index in the instance folder.

Layout of the index folder::

    CURRENT          name of the index in use (replaced atomically by a rebuild)
    index-<stamp>/   Whoosh indexes; a rebuild fills a new one while the old one serves
    writer.lock      held by whoever writes (the indexer, a rebuild): one writer at a time

All text goes into one field whose terms carry the weight of the field they came from (title 5,
keywords 3, …): BM25 over those weighted frequencies is BM25F with field weights, and a query
word is one posting list instead of eight.

Changes go through Whoosh's writer (deletions, merges). A rebuild writes its segments itself with
:class:`SegmentBuilder`, through the same codec, several at once in forked processes if asked.
"""

from __future__ import annotations

import fcntl
import functools
import itertools
import multiprocessing
import os
import secrets
import shutil
import threading
import time
import traceback
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session
from whoosh import columns, fields, formats, index
from whoosh.codec.whoosh3 import W3Codec
from whoosh.index import TOC, clean_files
from whoosh.system import emptybytes, pack_uint
from whoosh.util.numeric import byte_to_length, length_to_byte

from app.db import utcnow
from app.search.analysis import GermanAnalyzer
from app.search.backend import RawResults, SearchRequest
from app.search.documents import TEXT_FIELDS, SearchDocument
from app.search.postings import (
    COLUMNS,
    LEIKA_FIELD,
    OZG_FIELD,
    TEXT_FIELD,
    Evaluation,
    IndexView,
    PostingCache,
    SegmentRegistry,
    facet_column,
)

DERIVED_WEIGHT = 0.6  # compound parts and verb forms count less than the word as written
LOCK_TIMEOUT_SECONDS = 120.0
CURRENT = "CURRENT"
UNBUILT = "UNBUILT"  # marks an empty index made for the first readers
# Whoosh writes 128 postings per block, compressed: the NumPy reader pays for every block and for
# inflating every byte, while uncompressed the index is only about twice as big (1 kB per document).
POSTINGS_PER_BLOCK = 1024
COMPRESSION = 0
MIN_DOCUMENTS_PER_PROCESS = 5000  # below that, forking costs more than it saves


def codec() -> W3Codec:
    """How every writer lays out postings (indexes written with Whoosh's defaults read as well)."""
    return W3Codec(blocklimit=POSTINGS_PER_BLOCK, compression=COMPRESSION)


class WeightedTermsField(fields.FieldType):
    """Takes ``{term: (frequency, weight)}`` as computed by :func:`weighted_terms`."""

    def __init__(self) -> None:
        self.format = formats.Frequency()
        self.analyzer = None
        self.scorable = True
        self.stored = False
        self.unique = False
        self.vector = None

    def index(self, value: Any, **_kwargs: Any) -> Iterator[tuple[bytes, int, float, bytes]]:
        for term, (frequency, weight) in value.items():
            yield term.encode(), frequency, weight, _encoded_frequency(frequency)


@functools.lru_cache(maxsize=1024)
def _encoded_frequency(frequency: int) -> bytes:
    return pack_uint(frequency)  # one shared object per number: a rebuild holds millions


def build_schema() -> fields.Schema:
    """Only text, LeiKa keys, OZG ids and refs are indexed terms; facets, visibility, boost and the
    document id are columns (read as arrays by the scorer), id and digest also stored."""
    facet_columns = {
        facet_column(name): fields.COLUMN(columns.VarBytesColumn()) for name in COLUMNS
    }
    return fields.Schema(
        **{TEXT_FIELD: WeightedTermsField()},
        **{LEIKA_FIELD: fields.KEYWORD(lowercase=False)},
        **{OZG_FIELD: fields.ID()},
        ref=fields.ID(),
        doc_id=fields.COLUMN(columns.VarBytesColumn()),
        stored=fields.STORED(),
        boost=fields.COLUMN(columns.NumericColumn("f", default=1.0)),
        **facet_columns,
    )


def weighted_terms(
    document: SearchDocument, analyzer: GermanAnalyzer
) -> dict[str, tuple[int, float]]:
    terms: dict[str, tuple[int, float]] = {}
    for name, field_weight in TEXT_FIELDS.items():
        for word, count in Counter(analyzer.words(document.texts.get(name))).items():
            for position, term in enumerate(analyzer.word_terms(word)):
                weight = count * field_weight * (1.0 if position == 0 else DERIVED_WEIGHT)
                frequency, total = terms.get(term, (0, 0.0))
                terms[term] = (frequency + count, total + weight)
    return terms


def index_fields(document: SearchDocument, analyzer: GermanAnalyzer) -> dict[str, Any]:
    values: dict[str, Any] = {
        facet_column(name): value.encode() for name, value in document.facet_values().items()
    }
    values[facet_column("visibility")] = document.visibility.encode()
    values.update(
        {
            TEXT_FIELD: weighted_terms(document, analyzer),
            "ref": document.ref,
            "doc_id": document.id.encode(),
            "stored": (document.id, document.digest),
            "boost": document.boost,
        }
    )
    if document.leika_keys:
        values[LEIKA_FIELD] = " ".join(document.leika_keys)
    if document.ozg_id:
        values[OZG_FIELD] = document.ozg_id
    return values


# --- writing a rebuild -------------------------------------------------------------------------


class TermPostings:
    """One term's postings in a segment being built, in document order."""

    __slots__ = ("docnums", "values", "weights")

    def __init__(self) -> None:
        self.docnums = array("I")
        self.weights = array("d")  # as given: Whoosh rounds to float32 only in the block
        self.values: list[bytes] = []


class SegmentBuilder:
    """Writes one Whoosh segment from documents in memory.

    The segment is what SegmentWriter would write, at less than half the cost: SegmentWriter puts
    every posting into an external sort as a tuple and, while writing, reads each posting's
    document length back from disk. Here postings are gathered per term as documents arrive
    (already in document order) and written once, term by term, through the codec.
    """

    def __init__(self, ix: Any, segment_codec: W3Codec) -> None:
        self._ix, self._codec = ix, segment_codec
        self._schema = ix.schema
        self.segment = segment_codec.new_segment(ix.storage, ix.indexname)
        self._per_document = segment_codec.per_document_writer(ix.storage, self.segment)
        self._terms: dict[str, dict[bytes, TermPostings]] = {}
        self._lengths: dict[str, dict[int, int | None]] = {}  # as the codec reads them back
        self.count = 0

    def add(self, values: Mapping[str, Any]) -> None:
        """Like SegmentWriter.add_document (fields in name order; no boosts, spelling, vectors)."""
        writer, docnum = self._per_document, self.count
        writer.start_doc(docnum)
        for name in sorted(values):
            value = values[name]
            if value is None:
                continue
            field = self._schema[name]
            length = self._invert(name, field, value) if field.indexed else 0
            writer.add_field(name, field, value if field.stored else None, length)
            if field.column_type:
                writer.add_column_value(name, field.column_type, field.to_column_value(value))
        writer.finish_doc()
        self.count += 1

    def _invert(self, name: str, field: fields.FieldType, value: Any) -> int:
        terms = self._terms.setdefault(name, {})
        length = 0
        for text, frequency, weight, encoded in field.index(value):
            postings = terms.get(text)
            if postings is None:
                postings = terms[text] = TermPostings()
            postings.docnums.append(self.count)
            postings.weights.append(weight)
            postings.values.append(encoded if encoded is not None else emptybytes)
            length += frequency
        if not field.scorable:
            return 0
        self._lengths.setdefault(name, {})[self.count] = _stored_length(length)
        return length

    def cancel(self) -> None:
        """Close the files (the caller removes the index they are in)."""
        if not self._per_document.is_closed:
            self._per_document.close()

    def finish(self) -> Any:
        """Write the postings, close the segment's files and return the segment for the TOC (None
        without documents: its files are left for the commit to remove)."""
        self._per_document.close()
        if not self.count:
            return None
        writer = self._codec.field_writer(self._ix.storage, self.segment)
        for name in sorted(self._terms):
            writer.start_field(name, self._schema[name])
            length = self._lengths.get(name, {}).get
            for text, postings in sorted(self._terms[name].items()):
                writer.start_term(text)
                for docnum, weight, value in zip(
                    postings.docnums, postings.weights, postings.values, strict=True
                ):
                    writer.add(docnum, weight, value, length(docnum))
                writer.finish_term()
            writer.finish_field()
        writer.close()
        self.segment.set_doc_count(self.count)
        if self.segment.should_assemble():
            self.segment.create_compound_file(self._ix.storage)
        return self.segment


def _stored_length(length: int) -> int | None:
    """A field length as the codec stores it: one byte, read back rounded (None for zero)."""
    encoded = length_to_byte(length)
    return byte_to_length(encoded) if encoded else None


def build_segment(ix: Any, documents: Iterable[SearchDocument], analyzer: GermanAnalyzer) -> Any:
    builder = SegmentBuilder(ix, codec())
    try:
        for document in documents:
            builder.add(index_fields(document, analyzer))
    except BaseException:
        builder.cancel()
        raise
    return builder.finish()


def _build_in_child(
    ix: Any, documents: Sequence[SearchDocument], analyzer: GermanAnalyzer, out: Connection
) -> None:
    try:
        out.send(("segment", build_segment(ix, documents, analyzer)))
    except BaseException:
        out.send(("error", traceback.format_exc()))
    finally:
        out.close()


def build_segments(
    ix: Any, documents: Sequence[SearchDocument], analyzer: GermanAnalyzer, processes: int
) -> list[Any]:
    """One segment per process, each over a consecutive part: document numbers keep the input's
    order (ties rank by them), as with one process. This process builds the first part itself."""
    parts = max(1, min(processes, len(documents) // MIN_DOCUMENTS_PER_PROCESS))
    bounds = [len(documents) * number // parts for number in range(parts + 1)]
    fork = multiprocessing.get_context("fork")
    children = []
    for start, end in itertools.pairwise(bounds[1:]):
        receiver, sender = fork.Pipe(duplex=False)
        child = fork.Process(
            target=_build_in_child, args=(ix, documents[start:end], analyzer, sender), daemon=True
        )
        child.start()
        sender.close()
        children.append((child, receiver))
    try:
        segments = [build_segment(ix, documents[: bounds[1]], analyzer)]
        segments += [_received(child, receiver) for child, receiver in children]
    except BaseException:
        for child, _receiver in children:
            child.kill()
        raise
    finally:
        for child, _receiver in children:
            child.join()
    return [segment for segment in segments if segment is not None]


def _received(child: multiprocessing.process.BaseProcess, receiver: Connection) -> Any:
    try:
        kind, payload = receiver.recv()
    except EOFError:  # died without a word
        child.join()
        kind, payload = "error", f"Exit-Code {child.exitcode}"
    if kind == "error":
        raise RuntimeError(f"Ein Schreibprozess des Suchindex ist gescheitert:\n{payload}")
    return payload


def rebuilt_segments(
    ix: Any, batches: Iterator[Sequence[SearchDocument]], analyzer: GermanAnalyzer, processes: int
) -> list[Any]:
    if processes > 1:
        documents = [document for batch in batches for document in batch]
        return build_segments(ix, documents, analyzer, processes)
    segment = build_segment(ix, (document for batch in batches for document in batch), analyzer)
    return [segment] if segment is not None else []


def commit_segments(ix: Any, segments: list[Any]) -> None:
    """Make the segments the index's content, as a writer's commit does."""
    generation = ix.latest_generation() + 1
    TOC(ix.schema, segments, generation).write(ix.storage, ix.indexname)
    clean_files(ix.storage, ix.indexname, generation, segments)
    ix.storage.temp_storage(f"{ix.indexname}.tmp").destroy()  # the codec's scratch files


@dataclass
class _Opened:
    """One opened state of the index, with the threads reading through it right now."""

    name: str
    searcher: Any
    view: IndexView
    users: int = 0
    retired: bool = False  # a newer state is open: close as soon as nobody reads this one

    def close_if_unused(self) -> None:
        if self.retired and self.users == 0:
            self.searcher.close()


class WhooshBackend:
    name = "whoosh"

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._registry, self._cache = SegmentRegistry(), PostingCache()
        self._opened: _Opened | None = None

    # --- the index in use ----------------------------------------------------------------------

    def _current_name(self) -> str:
        pointer = self.root / CURRENT
        if pointer.exists():
            return pointer.read_text(encoding="utf-8").strip()
        with self.write_lock():  # first use: an empty index until the indexer has built one
            if not pointer.exists():
                (self.root / UNBUILT).touch()
                name = self._create_index()
                self._point_to(name)
            return pointer.read_text(encoding="utf-8").strip()

    def is_new(self) -> bool:
        """Nothing was ever built here (the readers may have opened an empty index already)."""
        return not (self.root / CURRENT).exists() or (self.root / UNBUILT).exists()

    def _create_index(self) -> str:
        name = f"index-{utcnow():%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"
        (self.root / name).mkdir()
        index.create_in(str(self.root / name), build_schema())
        return name

    def _point_to(self, name: str) -> None:
        pending = self.root / f"{CURRENT}.{secrets.token_hex(4)}"
        pending.write_text(name, encoding="utf-8")
        os.replace(pending, self.root / CURRENT)

    def _index(self) -> Any:
        return index.open_dir(str(self.root / self._current_name()))

    def view(self) -> IndexView:
        """The newest state of the index (opened again only when it changed). Whoever reads
        postings through it must hold it with :meth:`_view_in_use`."""
        with self._lock:
            return self._newest().view

    @contextmanager
    def _view_in_use(self) -> Iterator[IndexView]:
        """The newest view, kept open until the caller is done: a commit of the indexer in
        another thread only retires it, and the last reader closes it."""
        with self._lock:
            opened = self._newest()
            opened.users += 1
        try:
            yield opened.view
        finally:
            with self._lock:
                opened.users -= 1
                opened.close_if_unused()

    def _newest(self) -> _Opened:
        name = self._current_name()
        opened = self._opened
        if opened is not None and opened.name == name and opened.searcher.up_to_date():
            return opened
        # A new searcher, not Searcher.refresh(): that reuses segment readers by segment id with
        # the deletions they were opened with, and keeps segments a merge has removed.
        self._retire_opened()
        searcher = index.open_dir(str(self.root / name)).searcher()
        view = IndexView(searcher.reader(), self._registry, self._cache)
        self._opened = _Opened(name, searcher, view)
        return self._opened

    def _retire_opened(self) -> None:
        if self._opened is not None:
            self._opened.retired = True
            self._opened.close_if_unused()
            self._opened = None

    def close(self) -> None:
        with self._lock:
            self._retire_opened()

    # --- reading -------------------------------------------------------------------------------

    def search(self, _session: Session, request: SearchRequest) -> RawResults:
        with self._view_in_use() as view:
            return Evaluation(view, request).run()

    def digests(self, _session: Session) -> dict[str, str]:
        with self._index().searcher() as searcher:
            return dict(fields_["stored"] for fields_ in searcher.all_stored_fields())

    def digests_of(self, _session: Session, refs: Iterable[str]) -> dict[str, str]:
        with self._index().searcher() as searcher:
            return dict(
                searcher.stored_fields(number)["stored"]
                for ref in refs
                for number in searcher.document_numbers(ref=ref)
            )

    def document_count(self, _session: Session | None = None) -> int:
        return self.view().live_count

    # --- writing -------------------------------------------------------------------------------

    @contextmanager
    def write_lock(self, timeout: float = LOCK_TIMEOUT_SECONDS) -> Iterator[None]:
        """An exclusive lock on ``writer.lock`` (released by the kernel if the holder dies)."""
        with (self.root / "writer.lock").open("a") as handle:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise TimeoutError("Der Suchindex wird gerade geschrieben.") from None
                    time.sleep(0.05)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def replace(
        self,
        _session: Session,
        documents: Mapping[str, Sequence[SearchDocument]],
        analyzer: GermanAnalyzer,
    ) -> None:
        """Call while holding :meth:`write_lock`. Commits the index before it returns."""
        if not documents:
            return
        writer = self._index().writer(timeout=LOCK_TIMEOUT_SECONDS, codec=codec())
        try:
            for ref, docs in documents.items():
                writer.delete_by_term("ref", ref)
                for document in docs:
                    writer.add_document(**index_fields(document, analyzer))
        except BaseException:
            writer.cancel()
            raise
        writer.commit()

    def rebuild(
        self,
        _session: Session,
        batches: Iterator[Sequence[SearchDocument]],
        analyzer: GermanAnalyzer,
        *,
        processes: int = 1,
    ) -> int:
        """Fill a new index and switch to it; call while holding :meth:`write_lock`.

        ``processes`` > 1 builds segments in parallel in forked processes (command line only:
        forking a web worker with open connections is not safe); they need all documents first.
        """
        name = self._create_index()
        try:
            ix = index.open_dir(str(self.root / name))
            segments = rebuilt_segments(ix, batches, analyzer, processes)
            commit_segments(ix, segments)
            count = sum(segment.doc_count_all() for segment in segments)
        except BaseException:
            shutil.rmtree(self.root / name, ignore_errors=True)
            raise
        self._point_to(name)
        (self.root / UNBUILT).unlink(missing_ok=True)
        self._remove_old_indexes(keep=name)
        return count

    def _remove_old_indexes(self, keep: str) -> None:
        for path in self.root.glob("index-*"):
            if path.name != keep:
                shutil.rmtree(path, ignore_errors=True)  # open files stay readable until closed
