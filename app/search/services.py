"""Searching: from what someone typed to hits with everything an agent tells a caller.

The backend answers with document ids and scores; this module adds the Steckbrief (responsible unit,
documents to bring, fees, legal bases), the steps of the published model, highlighted snippets,
facet labels and "Meinten Sie …".
"""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from app.authz import Actor
from app.catalog.models import Process
from app.errors import DomainError
from app.i18n import _, _l
from app.identity.models import GERMAN_STATES, Authority
from app.library.models import ProcessModel, Revision, RevisionStatus
from app.ops.metrics import observe_search
from app.review import workflow
from app.search.analysis import GermanAnalyzer
from app.search.backend import RawHit, SearchRequest
from app.search.documents import (
    FACETS,
    DocType,
    Kind,
    is_unpublished_document,
    load_processes,
)
from app.search.indexing import SearchRuntime
from app.search.query import QueryPlan
from app.search.ranking import RERANK_WINDOW, load_titles, rerank

MAX_QUERY_LENGTH = 200
MAX_PAGE_SIZE = 50
MAX_RESULT_WINDOW = 1000  # deeper pages are no search any more
SNIPPET_CHARS = 220
MAX_STEPS = 30
STEP_TYPES = frozenset(
    {
        "task",
        "userTask",
        "serviceTask",
        "manualTask",
        "sendTask",
        "receiveTask",
        "scriptTask",
        "businessRuleTask",
        "subProcess",
        "callActivity",
    }
)
KIND_LABELS = {
    Kind.MUSTERPROZESS.value: _l("Musterprozess"),
    Kind.LEISTUNG.value: _l("Leistung (LeiKa)"),
    Kind.BEHOERDE.value: _l("Prozess einer Behörde"),
    Kind.MODELL.value: _l("Prozessmodell"),
}
TYPE_LABELS = {DocType.PROCESS.value: _l("Steckbrief"), DocType.MODEL.value: _l("Prozessmodell")}
STATUS_LABELS = {status.value: label for status, label in workflow.STATUS_LABELS.items()}
HAS_MODEL_LABELS = {"ja": _l("mit Modell"), "nein": _l("ohne Modell")}
FACET_TITLES = {
    "kind": _l("Art"),
    "type": _l("Typ"),
    "authority": _l("Behörde"),
    "state": _l("Land"),
    "themenfeld": _l("Themenfeld"),
    "lebenslage": _l("Lebenslage"),
    "status": _l("Status"),
    "has_model": _l("Modell"),
}


class InvalidSearch(DomainError):
    status, slug = 400, "invalid-search"


def printable(text: str) -> str:
    """The text with control and other unprintable characters as spaces (a NUL breaks SQL)."""
    return "".join(char if char.isprintable() else " " for char in text)


@dataclass(frozen=True)
class Query:
    text: str
    filters: Mapping[str, str] = field(default_factory=dict)
    page: int = 1
    per_page: int = 10
    typing: bool = False  # type-ahead: the last word may be incomplete
    with_facets: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", printable(self.text))
        problems = {}
        if len(self.text) > MAX_QUERY_LENGTH:
            problems["q"] = [_("Höchstens %(limit)s Zeichen.", limit=MAX_QUERY_LENGTH)]
        unknown = sorted(set(self.filters) - set(FACETS))
        if unknown:
            problems["filter"] = [_("Unbekannter Filter: %(names)s.", names=", ".join(unknown))]
        if not 1 <= self.per_page <= MAX_PAGE_SIZE:
            problems["per_page"] = [_("Zwischen 1 und %(limit)s.", limit=MAX_PAGE_SIZE)]
        if self.page < 1 or self.page * self.per_page > MAX_RESULT_WINDOW:
            problems["page"] = [
                _(
                    "Es werden höchstens die ersten %(limit)s Treffer gezeigt.",
                    limit=MAX_RESULT_WINDOW,
                )
            ]
        if problems:
            raise InvalidSearch(_("Die Suchanfrage ist ungültig."), errors=problems)


@dataclass(frozen=True)
class LegalBasis:
    text: str
    url: str | None


@dataclass
class Hit:
    id: str
    type: str
    kind: str
    kind_label: str
    score: float
    process_id: uuid.UUID
    model_id: uuid.UUID | None
    title: str
    title_html: Markup
    snippet_html: Markup
    authority_id: uuid.UUID
    authority_name: str
    authority_slug: str
    state: str | None
    leika_keys: list[str]
    ozg_id: str | None
    ozg_name: str | None
    responsible_unit: str | None
    required_documents: list[str]
    fees: str | None
    legal_bases: list[LegalBasis]
    steps: list[str]
    status: str
    has_model: bool
    own_authority: bool


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass(frozen=True)
class Facet:
    name: str
    title: str
    values: list[FacetValue]


@dataclass
class SearchResult:
    query: Query
    total: int
    hits: list[Hit]
    facets: list[Facet]
    did_you_mean: str | None = None
    relaxed: bool = False  # not every word matched
    corrections: dict[str, str] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        shown = min(self.total, MAX_RESULT_WINDOW)
        return max(1, -(-shown // self.query.per_page))


def search(session: Session, runtime: SearchRuntime, actor: Actor, query: Query) -> SearchResult:
    started = time.perf_counter()
    result = _search(session, runtime, actor, query)
    observe_search(getattr(runtime.backend, "name", "unbekannt"), time.perf_counter() - started)
    return result


def _search(session: Session, runtime: SearchRuntime, actor: Actor, query: Query) -> SearchResult:
    runtime.catch_up()
    linguistics = runtime.current(session)
    plan = linguistics.planner.plan(query.text, typing=query.typing)
    if plan.is_empty:
        return SearchResult(query=query, total=0, hits=[], facets=[])
    viewer = actor.authority_id if actor.is_authenticated else None
    raw = runtime.backend.search(session, _request(plan, query, viewer))
    split_text = None if raw.total else linguistics.planner.with_compounds_split(query.text)
    if split_text:
        plan = linguistics.planner.plan(split_text, typing=query.typing)
        raw = runtime.backend.search(session, _request(plan, query, viewer))
        raw.relaxed = True
    ranked = rerank(
        raw.hits,
        load_titles(session, [hit.id for hit in raw.hits[:RERANK_WINDOW]]),
        linguistics.analyzer,
        plan,
    )
    offset = (query.page - 1) * query.per_page
    page = ranked[offset : offset + query.per_page]
    hits = _hits(session, page, linguistics.analyzer, plan.terms(), viewer)
    return SearchResult(
        query=query,
        total=raw.total,
        hits=hits,
        facets=_facets(session, raw.facets, query.filters) if query.with_facets else [],
        did_you_mean=plan.corrected_text(),
        relaxed=raw.relaxed,
        corrections=dict(plan.corrections),
    )


def _request(plan: QueryPlan, query: Query, viewer: uuid.UUID | None) -> SearchRequest:
    """Every hit up to the requested page, and the whole rerank window (see app/search/ranking)."""
    return SearchRequest(
        plan=plan,
        filters=dict(query.filters),
        viewer_authority=viewer,
        offset=0,
        limit=max(RERANK_WINDOW, query.page * query.per_page),
        with_facets=query.with_facets,
    )


# --- hits --------------------------------------------------------------------------------------


def _parse_document_id(document_id: str) -> tuple[str, uuid.UUID]:
    kind, raw_id, *_draft = document_id.split(":")
    return kind, uuid.UUID(raw_id)


def _hits(
    session: Session,
    raw_hits: Sequence[RawHit],
    analyzer: GermanAnalyzer,
    terms: frozenset[str],
    viewer: uuid.UUID | None,
) -> list[Hit]:
    parsed = [(hit, *_parse_document_id(hit.id)) for hit in raw_hits]
    models = _load_models(session, {obj_id for _h, kind, obj_id in parsed if kind == "model"})
    process_ids = {obj_id for _h, kind, obj_id in parsed if kind == "process"}
    process_ids |= {model.process_id for model in models.values()}
    processes = load_processes(session, process_ids)
    steps = _published_steps(session, process_ids, models)
    hits = []
    for raw, kind, obj_id in parsed:
        model = models.get(obj_id) if kind == "model" else None
        process = processes.get(model.process_id if model else obj_id)
        if process is None:  # deleted since it was indexed; the indexer catches up
            continue
        hits.append(_hit(raw, process, model, steps, analyzer, terms, viewer))
    return hits


def _hit(
    raw: RawHit,
    process: Process,
    model: ProcessModel | None,
    steps: Mapping[uuid.UUID, list[str]],
    analyzer: GermanAnalyzer,
    terms: frozenset[str],
    viewer: uuid.UUID | None,
) -> Hit:
    owner = model.authority if model else process.authority
    title = model.title if model else process.title
    kind = _kind(process, model, steps)
    is_draft = is_unpublished_document(raw.id)
    model_steps = steps.get(model.id if model else process.id, [])
    snippet_source = (model.description if model else process.description) or ""
    return Hit(
        id=raw.id,
        type=DocType.MODEL.value if model else DocType.PROCESS.value,
        kind=kind,
        kind_label=str(KIND_LABELS[kind]),
        score=round(raw.score, 4),
        process_id=process.id,
        model_id=model.id if model else None,
        title=title,
        title_html=highlight(analyzer, title, terms, limit=None),
        snippet_html=highlight(analyzer, snippet_source or "\n".join(model_steps), terms),
        authority_id=owner.id,
        authority_name=owner.name,
        authority_slug=owner.slug,
        state=owner.state,
        leika_keys=list(process.leika_keys),
        ozg_id=process.ozg_id,
        ozg_name=process.ozg_service.name if process.ozg_service else None,
        responsible_unit=process.responsible_unit,
        required_documents=list(process.required_documents or []),
        fees=process.fees,
        legal_bases=[
            LegalBasis(basis.get("text", ""), basis.get("url") or None)
            for basis in process.legal_bases or []
        ],
        steps=model_steps,
        status="draft" if is_draft else RevisionStatus.PUBLISHED.value,
        has_model=bool(model) or bool(model_steps) or kind == Kind.MUSTERPROZESS.value,
        own_authority=viewer is not None and owner.id == viewer,
    )


def _kind(process: Process, model: ProcessModel | None, steps: Mapping[uuid.UUID, list]) -> str:
    if model is not None:
        return Kind.MODELL.value
    if process.kind.value == "catalogue":
        return (Kind.MUSTERPROZESS if process.id in steps else Kind.LEISTUNG).value
    return Kind.BEHOERDE.value


def _load_models(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, ProcessModel]:
    if not ids:
        return {}
    rows = session.scalars(
        select(ProcessModel)
        .where(ProcessModel.id.in_(ids))
        .options(joinedload(ProcessModel.authority))
    ).unique()
    return {model.id: model for model in rows}


def _published_steps(
    session: Session, process_ids: set[uuid.UUID], models: Mapping[uuid.UUID, ProcessModel]
) -> dict[uuid.UUID, list[str]]:
    """Steps of the latest published revision, per model id and per process id (its first model)."""
    if not process_ids:
        return {}
    rows = session.execute(
        select(ProcessModel.process_id, ProcessModel.id, Revision.extraction)
        .join(Revision, Revision.model_id == ProcessModel.id)
        .where(
            ProcessModel.process_id.in_(process_ids),
            Revision.status == RevisionStatus.PUBLISHED,
        )
        .order_by(ProcessModel.process_id, ProcessModel.created_at, Revision.number.desc())
    )
    steps: dict[uuid.UUID, list[str]] = {}
    for process_id, model_id, extraction in rows:
        if model_id in steps:
            continue
        steps[model_id] = model_steps(extraction)
        steps.setdefault(process_id, steps[model_id])
    return steps


def model_steps(extraction: Mapping[str, object] | None) -> list[str]:
    """Names of the activities, in the order the model lists them."""
    elements = (extraction or {}).get("elements") or []
    names = [
        str(element.get("name")).strip()
        for element in elements  # type: ignore[union-attr]
        if element.get("type") in STEP_TYPES and element.get("name")
    ]
    return list(dict.fromkeys(names))[:MAX_STEPS]


# --- snippets ----------------------------------------------------------------------------------


def highlight(
    analyzer: GermanAnalyzer, text: str, terms: frozenset[str], limit: int | None = SNIPPET_CHARS
) -> Markup:
    """``text`` (or a window of it around the first match) with matching words in ``<mark>``."""
    text = " ".join(text.split())
    tokens = [token for token in analyzer.tokens(text) if terms.intersection(token.terms)]
    start, end = 0, len(text)
    if limit is not None and len(text) > limit:
        first = tokens[0].start if tokens else 0
        start = max(0, first - limit // 4)
        start = text.rfind(" ", 0, start) + 1 if start else 0
        end = min(len(text), start + limit)
        end = text.rfind(" ", start, end) if end < len(text) and " " in text[start:end] else end
    parts: list[str] = ["… " if start else ""]
    position = start
    for token in tokens:
        if token.start < start or token.end > end:
            continue
        parts.append(str(escape(text[position : token.start])))
        parts.append(f"<mark>{escape(text[token.start : token.end])}</mark>")
        position = token.end
    parts.append(str(escape(text[position:end])))
    parts.append(" …" if end < len(text) else "")
    return Markup("".join(parts))


# --- facets ------------------------------------------------------------------------------------


def _facets(
    session: Session, counts: Mapping[str, Mapping[str, int]], selected: Mapping[str, str]
) -> list[Facet]:
    authority_names = _authority_names(session, counts.get("authority", {}))
    facets = []
    for name in FACETS:
        values = counts.get(name, {})
        ordered = sorted(values.items(), key=lambda item: (-item[1], item[0]))
        facets.append(
            Facet(
                name=name,
                title=str(FACET_TITLES[name]),
                values=[
                    FacetValue(
                        value=value,
                        label=_facet_label(name, value, authority_names),
                        count=count,
                        selected=selected.get(name) == value,
                    )
                    for value, count in ordered
                ],
            )
        )
    return facets


def _authority_names(session: Session, ids: Iterable[str]) -> dict[str, str]:
    uuids = []
    for raw in ids:
        try:
            uuids.append(uuid.UUID(raw))
        except ValueError:
            continue
    if not uuids:
        return {}
    rows = session.execute(select(Authority.id, Authority.name).where(Authority.id.in_(uuids)))
    return {str(authority_id): name for authority_id, name in rows}


def _facet_label(name: str, value: str, authority_names: Mapping[str, str]) -> str:
    labels: dict[str, Mapping[str, str]] = {
        "kind": KIND_LABELS,
        "type": TYPE_LABELS,
        "status": STATUS_LABELS,
        "has_model": HAS_MODEL_LABELS,
        "state": GERMAN_STATES,
        "authority": authority_names,
    }
    return str(labels.get(name, {}).get(value, value))


def facet_counts_by_name(result: SearchResult) -> dict[str, dict[str, int]]:
    grouped: dict[str, dict[str, int]] = defaultdict(dict)
    for facet in result.facets:
        for value in facet.values:
            grouped[facet.name][value.value] = value.count
    return dict(grouped)
