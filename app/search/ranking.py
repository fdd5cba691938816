"""A second look at the best hits: how well each title answers the query.

BM25 scores a document by all of its text. An agent who types "Reisepass beantragen" expects the
entry *called* "Reisepass Ausstellung" before "Reisepass Ausstellung zusätzlicher Pässe", and
before a Musterprozess that mentions passports somewhere in its steps. So every backend's first
:data:`RERANK_WINDOW` hits are scored once more, by how much of the query their title covers and how
much of their title the query covers. Deeper hits keep their order.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.catalog.models import Process
from app.library.models import ProcessModel
from app.search.analysis import GermanAnalyzer
from app.search.backend import RawHit
from app.search.query import QueryPlan

RERANK_WINDOW = 50
TITLE_BONUS = 0.5  # a title that is exactly the query scores half as much again


def title_match(analyzer: GermanAnalyzer, title: str, plan: QueryPlan) -> float:
    """Share of query words the title matches × share of title words the query matches (0 to 1)."""
    title_words = [set(token.terms) for token in analyzer.tokens(title) if token.terms]
    if not title_words or not plan.words:
        return 0.0
    title_terms = set().union(*title_words)
    matched_words, matched_terms = 0, set()
    for word in plan.words:
        fitting = [set(option.terms) for option in word.alternatives]
        fitting = [terms for terms in fitting if terms <= title_terms]
        if fitting:
            matched_words += 1
            matched_terms.update(*fitting)
    covered = sum(1 for terms in title_words if terms & matched_terms)
    return matched_words / len(plan.words) * covered / len(title_words)


def rerank(
    hits: Sequence[RawHit], titles: Mapping[str, str], analyzer: GermanAnalyzer, plan: QueryPlan
) -> list[RawHit]:
    """The first :data:`RERANK_WINDOW` hits by score × title bonus, the rest as they came."""
    window, rest = hits[:RERANK_WINDOW], hits[RERANK_WINDOW:]
    rescored = [
        RawHit(
            hit.id,
            hit.score * (1 + TITLE_BONUS * title_match(analyzer, titles.get(hit.id, ""), plan)),
        )
        for hit in window
    ]
    rescored.sort(key=lambda hit: -hit.score)  # stable: equal scores keep the backend's order
    return rescored + list(rest)


def load_titles(session: Session, document_ids: Sequence[str]) -> dict[str, str]:
    """Document id → title of the Steckbrief or model it shows (one query per kind)."""
    by_kind: dict[str, dict[uuid.UUID, list[str]]] = {"process": {}, "model": {}}
    for document_id in document_ids:
        kind, raw_id, *_draft = document_id.split(":")
        by_kind[kind].setdefault(uuid.UUID(raw_id), []).append(document_id)
    titles: dict[str, str] = {}
    for entity, ids in ((Process, by_kind["process"]), (ProcessModel, by_kind["model"])):
        if not ids:
            continue
        for object_id, title in session.execute(
            select(entity.id, entity.title).where(entity.id.in_(ids))
        ):
            titles.update(dict.fromkeys(ids[object_id], title))
    return titles
