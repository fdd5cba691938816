"""The embedded search backend: a Whoosh index in the instance folder.

Layout of the index folder::

    CURRENT          name of the index in use (replaced atomically by a rebuild)
    index-<stamp>/   Whoosh indexes; a rebuild fills a new one while the old one serves
    writer.lock      held by whoever writes (the indexer, a rebuild): one writer at a time

All text goes into one field whose terms carry the weight of the field they came from (title 5,
keywords 3, …): BM25 over those weighted frequencies is BM25F with field weights, and a query
word is one posting list instead of eight.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import shutil
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session
from whoosh import columns, fields, formats, index
from whoosh.system import pack_uint

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
            yield term.encode(), frequency, weight, pack_uint(frequency)


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


class WhooshBackend:
    name = "whoosh"

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._registry, self._cache = SegmentRegistry(), PostingCache()
        self._opened: tuple[str, Any, Any, IndexView] | None = None  # (name, index, searcher, view)

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
        """The newest state of the index (opened again only when it changed)."""
        with self._lock:
            name = self._current_name()
            opened = self._opened
            if opened is not None and opened[0] == name and opened[2].up_to_date():
                return opened[3]
            # A new searcher, not Searcher.refresh(): that reuses segment readers by segment id with
            # the deletions they were opened with, and keeps segments a merge has removed.
            self._close_opened()
            ix = index.open_dir(str(self.root / name))
            searcher = ix.searcher()
            view = IndexView(searcher.reader(), self._registry, self._cache)
            self._opened = (name, ix, searcher, view)
            return view

    def _close_opened(self) -> None:
        if self._opened is not None:
            self._opened[2].close()
            self._opened = None

    def close(self) -> None:
        with self._lock:
            self._close_opened()

    # --- reading -------------------------------------------------------------------------------

    def search(self, _session: Session, request: SearchRequest) -> RawResults:
        return Evaluation(self.view(), request).run()

    def digests(self, _session: Session) -> dict[str, str]:
        with self._index().searcher() as searcher:
            return dict(fields_["stored"] for fields_ in searcher.all_stored_fields())

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
        writer = self._index().writer(timeout=LOCK_TIMEOUT_SECONDS)
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

        ``processes`` > 1 lets Whoosh write segments in parallel worker processes (command line
        only: forking a web worker with open connections is not safe).
        """
        name = self._create_index()
        count = 0
        try:
            ix = index.open_dir(str(self.root / name))
            if processes > 1:
                writer = ix.writer(procs=processes, multisegment=True, limitmb=256)
            else:
                writer = ix.writer(limitmb=512)
            try:
                for batch in batches:
                    for document in batch:
                        writer.add_document(**index_fields(document, analyzer))
                        count += 1
            except BaseException:
                writer.cancel()  # closes its files and stops its worker processes
                raise
            writer.commit()
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
