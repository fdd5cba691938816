"""The interface every search backend offers (Whoosh embedded; PostgreSQL for several hosts).

Both receive a :class:`~app.search.query.QueryPlan` and answer with document ids, scores, the total
and facet counts; the service turns them into hits with Steckbrief, snippets and labels.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.orm import Session

from app.search.analysis import GermanAnalyzer
from app.search.documents import FACETS, SearchDocument
from app.search.query import QueryPlan

OWN_AUTHORITY_BOOST = 1.5
# An exact LeiKa key ranks above every key it is the prefix of; shorter keys (the object) first.
LEIKA_EXACT, LEIKA_PREFIX = 3.0, 1.0


@dataclass(frozen=True)
class SearchRequest:
    plan: QueryPlan
    filters: Mapping[str, str] = field(default_factory=dict)  # facet name → value
    viewer_authority: uuid.UUID | None = None  # sees its drafts and is ranked up
    offset: int = 0
    limit: int = 10
    with_facets: bool = True

    def __post_init__(self) -> None:
        unknown = set(self.filters) - set(FACETS)
        if unknown:
            raise ValueError(f"unknown facets: {sorted(unknown)}")


@dataclass(frozen=True)
class RawHit:
    id: str  # SearchDocument.id
    score: float


@dataclass
class RawResults:
    hits: list[RawHit]
    total: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    relaxed: bool = False  # fewer than all words had to match


def required_matches(word_count: int, relax_level: int) -> int:
    """How many words a hit needs: all, then all but one, then one (when nothing matched)."""
    if relax_level == 0 or word_count <= 1:
        return word_count
    if relax_level == 1:
        return max(1, word_count - 1)
    return 1


def relax_levels(word_count: int) -> Iterator[int]:
    yield 0
    if word_count >= 2:
        yield 1
    if word_count >= 4:
        yield 2


def leika_score(key: str, digits: str) -> float:
    """Exact key first, then keys under the prefix, the shorter (more general) the better."""
    if key == digits:
        return LEIKA_EXACT
    specific = len(key.rstrip("0")) - len(digits)
    return LEIKA_PREFIX / (1 + max(0, specific))


class SearchBackend(Protocol):
    name: str

    def search(self, session: Session, request: SearchRequest) -> RawResults: ...

    def replace(
        self,
        session: Session,
        documents: Mapping[str, Sequence[SearchDocument]],
        analyzer: GermanAnalyzer,
    ) -> None:
        """For each ref: remove its documents and add the given ones (all or nothing).

        Call while holding :meth:`write_lock`. A backend inside the database writes in ``session``
        (committed by the caller together with the queue); a backend outside commits itself.
        """

    def write_lock(self) -> AbstractContextManager[None]:
        """Held while changing the index: one writer at a time, across processes and hosts."""

    def rebuild(
        self,
        session: Session,
        batches: Iterator[Sequence[SearchDocument]],
        analyzer: GermanAnalyzer,
        *,
        processes: int = 1,
    ) -> int:
        """Replace the whole index by these documents; the old one serves until the switch."""

    def digests(self, session: Session) -> dict[str, str]:
        """Document id → digest of everything indexed (for ``search check``)."""

    def digests_of(self, session: Session, refs: Iterable[str]) -> dict[str, str]:
        """Document id → digest of what is indexed for ``refs`` (before :meth:`replace`)."""

    def document_count(self, session: Session) -> int: ...

    def close(self) -> None: ...
