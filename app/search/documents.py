"""What the search index holds: one document per Steckbrief and per process model, built from the DB.

The database is the source of truth; a document is derived from it and can be built again at any
time. A *ref* names what changed ("process:<id>", "model:<id>", "authority:<id>", "ozg:<id>"); the
indexer turns refs into the documents to replace.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload, undefer

from app.catalog.models import Process, ProcessKind
from app.library.models import ProcessModel, Revision, RevisionStatus

PUBLIC = "public"
UNPUBLISHED_SUFFIX = ":entwurf"  # of the id of a document not visible to everybody


class DocType(StrEnum):
    PROCESS = "process"
    MODEL = "model"


class Kind(StrEnum):
    """What a hit is, for the facet "Art" and for ranking."""

    MUSTERPROZESS = "musterprozess"  # catalogue entry with a published model
    LEISTUNG = "leistung"  # catalogue entry (LeiKa) without a model
    BEHOERDE = "behoerde"  # a process as one authority runs it
    MODELL = "modell"  # a process model


STATIC_BOOST = {Kind.MUSTERPROZESS: 1.6, Kind.LEISTUNG: 1.0, Kind.BEHOERDE: 1.0, Kind.MODELL: 0.8}

# Text fields and their weights (BM25F field boosts; PostgreSQL weight classes A-D follow them).
TEXT_FIELDS: dict[str, float] = {
    "title": 5.0,
    "keywords": 3.0,
    "ozg": 1.5,
    "unit": 1.2,
    "body": 1.0,
    "legal": 0.7,
    "model": 0.7,
    "context": 0.5,
}
FACETS = ("type", "kind", "authority", "state", "themenfeld", "lebenslage", "status", "has_model")


@dataclass(frozen=True)
class SearchDocument:
    id: str  # "process:<uuid>" or "model:<uuid>" / "model:<uuid>:entwurf"
    ref: str  # the ref that rebuilds it
    type: DocType
    kind: Kind
    process_id: uuid.UUID
    model_id: uuid.UUID | None
    authority_id: uuid.UUID
    texts: dict[str, str]  # TEXT_FIELDS name → text
    leika_keys: tuple[str, ...] = ()
    ozg_id: str | None = None
    state: str | None = None
    themenfeld: str | None = None
    lebenslage: str | None = None
    status: str = RevisionStatus.PUBLISHED.value
    has_model: bool = False
    visibility: str = PUBLIC  # PUBLIC, or the id of the only authority that may see it
    boost: float = 1.0
    digest: str = field(default="", compare=False)

    def facet_values(self) -> dict[str, str]:
        return {
            "type": self.type.value,
            "kind": self.kind.value,
            "authority": str(self.authority_id),
            "state": self.state or "",
            "themenfeld": self.themenfeld or "",
            "lebenslage": self.lebenslage or "",
            "status": self.status,
            "has_model": "ja" if self.has_model else "nein",
        }

    def with_digest(self) -> SearchDocument:
        data = asdict(self)
        data.pop("digest")
        canonical = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)
        digest = hashlib.sha256(canonical.encode()).hexdigest()[:32]
        return replace(self, digest=digest)  # no second deep copy: the fields are never changed


def process_ref(process_id: uuid.UUID) -> str:
    return f"process:{process_id}"


def model_ref(model_id: uuid.UUID) -> str:
    return f"model:{model_id}"


# --- building documents ------------------------------------------------------------------------


def _joined(*parts: str | None) -> str:
    return "\n".join(part for part in parts if part)


def _list_text(items: Iterable[object]) -> str:
    return "\n".join(str(item) for item in items if item)


def _legal_text(legal_bases: Sequence[dict[str, str]]) -> str:
    return "\n".join(basis.get("text", "") for basis in legal_bases or [])


def model_text(extraction: dict[str, object] | None) -> str:
    """Labels and documentation of a model's elements, one per line."""
    if not extraction:
        return ""
    return str(extraction.get("text") or "")


def process_document(process: Process, published_model_texts: Sequence[str]) -> SearchDocument:
    has_model = bool(published_model_texts)
    if process.kind is ProcessKind.CATALOGUE:
        kind = Kind.MUSTERPROZESS if has_model else Kind.LEISTUNG
    else:
        kind = Kind.BEHOERDE
    ozg = process.ozg_service
    texts = {
        "title": process.title,
        "keywords": _list_text([*process.keywords, *process.synonyms]),
        "ozg": ozg.name if ozg else "",
        "unit": process.responsible_unit or "",
        "body": _joined(
            process.description,
            process.trigger,
            process.result,
            _list_text(process.required_documents),
            process.fees,
        ),
        "legal": _legal_text(process.legal_bases),
        "model": "\n".join(published_model_texts),
        "context": _joined(
            process.authority.name, ozg.lebenslage if ozg else None, ozg.themenfeld if ozg else None
        ),
    }
    return SearchDocument(
        id=process_ref(process.id),
        ref=process_ref(process.id),
        type=DocType.PROCESS,
        kind=kind,
        process_id=process.id,
        model_id=None,
        authority_id=process.authority_id,
        texts=texts,
        leika_keys=tuple(process.leika_keys),
        ozg_id=process.ozg_id,
        state=process.authority.state,
        themenfeld=ozg.themenfeld if ozg else None,
        lebenslage=ozg.lebenslage if ozg else None,
        status=RevisionStatus.PUBLISHED.value,  # a Steckbrief is public once saved
        has_model=has_model,
        boost=STATIC_BOOST[kind],
    ).with_digest()


def model_documents(model: ProcessModel, revisions: Sequence[Revision]) -> list[SearchDocument]:
    """The latest published revision for everyone; a newer unpublished one for its authority."""
    published = [r for r in revisions if r.status is RevisionStatus.PUBLISHED]
    latest_published = max(published, key=lambda r: r.number, default=None)
    latest = max(revisions, key=lambda r: r.number, default=None)
    documents = []
    if latest_published is not None:
        documents.append(_model_document(model, latest_published, PUBLIC))
    if latest is not None and latest is not latest_published and _is_work_in_progress(latest):
        documents.append(_model_document(model, latest, str(model.authority_id)))
    return documents


def _is_work_in_progress(revision: Revision) -> bool:
    return revision.status not in {RevisionStatus.WITHDRAWN, RevisionStatus.SUPERSEDED}


def is_unpublished_document(document_id: str) -> bool:
    """Whether the document is the one only its own authority finds (a model's newer draft)."""
    return document_id.endswith(UNPUBLISHED_SUFFIX)


def _model_document(model: ProcessModel, revision: Revision, visibility: str) -> SearchDocument:
    process, ozg = model.process, model.process.ozg_service
    suffix = "" if visibility == PUBLIC else UNPUBLISHED_SUFFIX
    texts = {
        "title": _joined(model.title, process.title),
        "keywords": _list_text([*process.keywords, *process.synonyms]),
        "ozg": ozg.name if ozg else "",
        "unit": process.responsible_unit or "",
        "body": _joined(model.description, revision.message),
        "legal": "",
        "model": model_text(revision.extraction),
        "context": _joined(model.authority.name),
    }
    return SearchDocument(
        id=model_ref(model.id) + suffix,
        ref=model_ref(model.id),
        type=DocType.MODEL,
        kind=Kind.MODELL,
        process_id=process.id,
        model_id=model.id,
        authority_id=model.authority_id,
        texts=texts,
        leika_keys=tuple(process.leika_keys),
        ozg_id=process.ozg_id,
        state=model.authority.state,
        themenfeld=ozg.themenfeld if ozg else None,
        lebenslage=ozg.lebenslage if ozg else None,
        status=revision.status.value,
        has_model=True,
        visibility=visibility,
        boost=STATIC_BOOST[Kind.MODELL],
    ).with_digest()


# --- loading -----------------------------------------------------------------------------------


def build_documents(session: Session, refs: Iterable[str]) -> dict[str, list[SearchDocument]]:
    """The current documents for each ref (an empty list: the ref's documents are to go).

    Authority and OZG refs expand into the processes and models they show up in.
    """
    by_kind: dict[str, set[uuid.UUID]] = defaultdict(set)
    for ref in refs:
        kind, _, raw_id = ref.partition(":")
        by_kind[kind].add(uuid.UUID(raw_id) if kind != "ozg" else raw_id)  # type: ignore[arg-type]
    process_ids, model_ids = _expand(session, by_kind)
    documents: dict[str, list[SearchDocument]] = {process_ref(pid): [] for pid in process_ids}
    documents.update({model_ref(mid): [] for mid in model_ids})
    for process, texts in _processes_with_model_texts(session, process_ids):
        documents[process_ref(process.id)] = [process_document(process, texts)]
    for model in _models(session, model_ids):
        documents[model_ref(model.id)] = model_documents(model, model.revisions)
    return documents


def _expand(
    session: Session, by_kind: dict[str, set[uuid.UUID]]
) -> tuple[set[uuid.UUID], set[uuid.UUID]]:
    process_ids, model_ids = set(by_kind["process"]), set(by_kind["model"])
    if by_kind["authority"]:
        authorities = by_kind["authority"]
        process_ids |= set(
            session.scalars(select(Process.id).where(Process.authority_id.in_(authorities)))
        )
        model_ids |= set(
            session.scalars(
                select(ProcessModel.id).where(ProcessModel.authority_id.in_(authorities))
            )
        )
    if by_kind["ozg"]:
        process_ids |= set(
            session.scalars(select(Process.id).where(Process.ozg_id.in_(by_kind["ozg"])))
        )
    if by_kind["model"]:  # a model's publication changes its process (has a model, model text)
        process_ids |= set(
            session.scalars(
                select(ProcessModel.process_id).where(ProcessModel.id.in_(by_kind["model"]))
            )
        )
    if process_ids:  # a Steckbrief's text shows up in its models' documents too
        model_ids |= set(
            session.scalars(select(ProcessModel.id).where(ProcessModel.process_id.in_(process_ids)))
        )
    return process_ids, model_ids


def load_processes(session: Session, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Process]:
    """Processes with everything a document or a hit shows of them (authority, OZG, LeiKa)."""
    ids = set(ids)
    if not ids:
        return {}
    rows = session.scalars(
        select(Process)
        .where(Process.id.in_(ids))
        .options(
            joinedload(Process.authority),
            joinedload(Process.ozg_service),
            selectinload(Process.leika_key_rows),
        )
    ).unique()
    return {process.id: process for process in rows}


def _processes_with_model_texts(
    session: Session, process_ids: set[uuid.UUID]
) -> Iterator[tuple[Process, list[str]]]:
    if not process_ids:
        return
    processes = load_processes(session, process_ids)
    texts = _published_model_texts(session, process_ids)
    for process in processes.values():
        yield process, texts.get(process.id, [])


def _published_model_texts(
    session: Session, process_ids: set[uuid.UUID]
) -> dict[uuid.UUID, list[str]]:
    """Per process, the text of each model's latest published revision."""
    rows = session.execute(
        select(ProcessModel.process_id, ProcessModel.id, Revision.number, Revision.extraction)
        .join(Revision, Revision.model_id == ProcessModel.id)
        .where(
            ProcessModel.process_id.in_(process_ids),
            Revision.status == RevisionStatus.PUBLISHED,
        )
        .order_by(ProcessModel.process_id, ProcessModel.id, Revision.number.desc())
    )
    texts: dict[uuid.UUID, list[str]] = defaultdict(list)
    seen: set[uuid.UUID] = set()
    for process_id, model_id, _number, extraction in rows:
        if model_id not in seen:
            seen.add(model_id)
            texts[process_id].append(model_text(extraction))
    return texts


def _models(session: Session, model_ids: set[uuid.UUID]) -> Iterator[ProcessModel]:
    if not model_ids:
        return iter(())
    return iter(
        session.scalars(
            select(ProcessModel)
            .where(ProcessModel.id.in_(model_ids))
            .options(
                joinedload(ProcessModel.authority),
                joinedload(ProcessModel.process).joinedload(Process.ozg_service),
                joinedload(ProcessModel.process).selectinload(Process.leika_key_rows),
                selectinload(ProcessModel.revisions).options(undefer(Revision.extraction)),
            )
        ).unique()
    )


def all_refs(session: Session) -> Iterator[str]:
    """Every ref of the register, processes first (for a rebuild)."""
    for process_id in session.scalars(select(Process.id).order_by(Process.id)):
        yield process_ref(process_id)
    for model_id in session.scalars(select(ProcessModel.id).order_by(ProcessModel.id)):
        yield model_ref(model_id)
