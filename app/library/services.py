"""Process models and their revisions."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Insert, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.audit.services import audit_event, record
from app.authz import Actor, Permission, is_allowed, require, system_actor
from app.catalog.models import Process, ProcessKind
from app.db import utcnow
from app.errors import Conflict, NotFound
from app.i18n import _
from app.identity.models import Authority
from app.library.analysis import analyse
from app.library.models import Blob, ProcessModel, Revision, RevisionStatus
from app.text import slugify


@dataclass(frozen=True)
class Upload:
    data: bytes
    filename: str | None = None


# --- content-addressed storage -----------------------------------------------------------------


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def store_blob(session: Session, data: bytes) -> str:
    """Keep ``data`` once under its SHA-256, however many revisions or uploads share it."""
    digest = sha256_hex(data)
    values = {"sha256": digest, "size": len(data), "data": data, "created_at": utcnow()}
    connection = session.connection()
    connection.execute(_insert_blob(connection.dialect.name), values)
    return digest


@cache
def _insert_blob(dialect: str) -> Insert:
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    return insert(Blob.__table__).on_conflict_do_nothing(index_elements=["sha256"])


def read_blob(session: Session, digest: str) -> bytes:
    data = session.scalar(select(Blob.data).where(Blob.sha256 == digest))
    if data is None:
        raise NotFound(_("Diesen Inhalt gibt es nicht."))
    return data


# --- models ------------------------------------------------------------------------------------


def get_model(session: Session, model_id: uuid.UUID) -> ProcessModel:
    model = session.get(ProcessModel, model_id)
    if model is None:
        raise NotFound(_("Dieses Prozessmodell gibt es nicht."))
    return model


def list_models(session: Session, process: Process) -> list[ProcessModel]:
    return list(
        session.scalars(
            select(ProcessModel)
            .where(ProcessModel.process_id == process.id)
            .order_by(ProcessModel.created_at, ProcessModel.id)
        )
    )


def create_model(
    session: Session,
    actor: Actor,
    process: Process,
    *,
    title: str,
    description: str | None = None,
    external_ref: str | None = None,
    origin: tuple[str, str] | None = None,
) -> ProcessModel:
    """A new, empty model owned by the actor's authority, which must own the process too.

    ``origin``: (instance, id) of a model mirrored from a peer (app.peering.mirrors)."""
    require(actor, Permission.MODEL_CREATE, process)
    model, audit = new_model(
        actor,
        process.id,
        process.authority_id,
        title=title,
        description=description,
        external_ref=external_ref,
        origin=origin,
    )
    session.add(model)
    session.flush()
    session.add(audit)
    return model


def new_model(
    actor: Actor,
    process_id: uuid.UUID,
    authority_id: uuid.UUID,
    *,
    title: str,
    description: str | None = None,
    external_ref: str | None = None,
    origin: tuple[str, str] | None = None,
) -> tuple[ProcessModel, AuditEvent]:
    """A new, empty model and its audit event, neither added to the session (the caller checked
    the permission)."""
    model = ProcessModel(
        id=uuid.uuid4(),
        process_id=process_id,
        authority_id=authority_id,
        external_ref=external_ref,
        title=title,
        description=description,
        created_by_id=actor.account_id,
        revision_count=0,
    )
    if origin is not None:
        model.origin_instance, model.origin_id = origin
    audit = audit_event(
        actor,
        "model.created",
        object_type="process_model",
        object_id=model.id,
        authority_id=authority_id,
        after={"title": title, "description": description, "process": str(process_id)},
    )
    return model, audit


# --- revisions ---------------------------------------------------------------------------------


def add_revision(
    session: Session,
    actor: Actor,
    model: ProcessModel,
    upload: Upload,
    *,
    message: str | None,
    max_bytes: int,
    parent_number: int | None = None,
    status: RevisionStatus = RevisionStatus.DRAFT,
    lint_rules: frozenset[str] | None = None,
) -> Revision:
    """Check, store and record one uploaded BPMN file (or ZIP of files) as the next revision.

    A file that breaks the BPMN schema is kept as a draft with its validation report; it cannot be
    published. ``parent_number`` says which revision the upload was based on; if another revision
    was added in between, the upload is refused with a conflict instead of silently overwriting it.
    """
    require(actor, Permission.REVISION_CREATE, model)
    analysis = analyse(
        upload.data, filename=upload.filename, max_bytes=max_bytes, lint_rules=lint_rules
    )
    if status is RevisionStatus.PUBLISHED:
        ensure_publishable(analysis.is_valid)
    number = _next_revision_number(session, model)
    parent = _parent_revision(session, model, number, parent_number)
    revision = Revision(
        model_id=model.id,
        number=number,
        parent_id=parent.id if parent else None,
        blob_sha256=store_blob(session, upload.data),
        size=len(upload.data),
        filename=_filename(upload, model, analysis.package.is_archive),
        media_type=analysis.media_type,
        main_document=analysis.main_document,
        is_valid=analysis.is_valid,
        validation=analysis.validation,
        lint=analysis.lint,
        message=(message or "").strip() or f"Revision {number}",
        author_account_id=actor.account_id,
        author_name=actor.name,
        status=status,
        published_at=utcnow() if status is RevisionStatus.PUBLISHED else None,
        extraction=analysis.extraction,
    )
    session.add(revision)
    session.flush()
    record(
        session,
        actor,
        "revision.created",
        object_type="revision",
        object_id=revision.id,
        authority_id=model.authority_id,
        after={
            "model": str(model.id),
            "number": number,
            "sha256": revision.blob_sha256,
            "status": revision.status.value,
            "message": revision.message,
            "valid": revision.is_valid,
        },
    )
    return revision


def ensure_publishable(is_valid: bool) -> None:
    """Only a model without schema or import issues may be published."""
    if not is_valid:
        raise Conflict(
            _(
                "Das Modell verletzt das BPMN-2.0-Schema oder verweist auf fehlende Dateien. "
                "Es bleibt ein Entwurf, bis eine gültige Revision hochgeladen ist."
            )
        )


def _next_revision_number(session: Session, model: ProcessModel) -> int:
    """Count up atomically; the row lock also serialises concurrent uploads to one model."""
    number = session.scalar(
        update(ProcessModel)
        .where(ProcessModel.id == model.id)
        .values(revision_count=ProcessModel.revision_count + 1, updated_at=utcnow())
        .returning(ProcessModel.revision_count)
        .execution_options(synchronize_session=False)
    )
    session.refresh(model, ["revision_count", "updated_at"])
    return int(number or 0)


def _parent_revision(
    session: Session, model: ProcessModel, number: int, parent_number: int | None
) -> Revision | None:
    latest_number = number - 1
    if parent_number is not None and parent_number != latest_number:
        raise Conflict(
            _(
                "Die Revision beruht auf Revision %(parent)s, inzwischen gibt es aber Revision "
                "%(latest)s. Bitte die neueste Fassung laden und die Änderungen dort einarbeiten.",
                parent=parent_number,
                latest=latest_number,
            )
        )
    if latest_number < 1:
        return None
    return _revision_by_number(session, model, latest_number)


def _filename(upload: Upload, model: ProcessModel, is_archive: bool) -> str:
    """A safe download name: the uploaded name's stem (or the model title) as a slug."""
    source = upload.filename.rsplit(".", 1)[0] if upload.filename else model.title
    return f"{slugify(source)}.{'zip' if is_archive else 'bpmn'}"


def _revision_by_number(session: Session, model: ProcessModel, number: int) -> Revision | None:
    return session.scalar(
        select(Revision).where(Revision.model_id == model.id, Revision.number == number)
    )


def get_revision(session: Session, actor: Actor, model: ProcessModel, number: int) -> Revision:
    revision = _revision_by_number(session, model, number)
    if revision is None or not is_allowed(actor, Permission.REVISION_READ, revision):
        raise NotFound(
            _(
                "Revision %(number)s dieses Modells gibt es nicht oder sie ist nicht öffentlich.",
                number=number,
            )
        )
    return revision


def get_revision_by_id(session: Session, actor: Actor, revision_id: uuid.UUID) -> Revision:
    revision = session.get(Revision, revision_id)
    if revision is None or not is_allowed(actor, Permission.REVISION_READ, revision):
        raise NotFound(_("Diese Revision gibt es nicht oder sie ist nicht öffentlich."))
    return revision


def list_revisions(session: Session, actor: Actor, model: ProcessModel) -> list[Revision]:
    """The revisions the actor may see, newest first."""
    revisions = session.scalars(
        select(Revision).where(Revision.model_id == model.id).order_by(Revision.number.desc())
    )
    return [
        revision for revision in revisions if is_allowed(actor, Permission.REVISION_READ, revision)
    ]


def latest_visible_revision(session: Session, actor: Actor, model: ProcessModel) -> Revision | None:
    revisions = list_revisions(session, actor, model)
    return revisions[0] if revisions else None


# --- figures for pages -------------------------------------------------------------------------


def model_counts(session: Session, process_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    """How many models each of the given processes has."""
    if not process_ids:
        return {}
    rows = session.execute(
        select(ProcessModel.process_id, func.count(ProcessModel.id))
        .where(ProcessModel.process_id.in_(process_ids))
        .group_by(ProcessModel.process_id)
    )
    return {process_id: count for process_id, count in rows}


def processes_with_published_models(session: Session, kind: ProcessKind) -> list[Process]:
    published = (
        select(ProcessModel.process_id)
        .join(Revision, Revision.model_id == ProcessModel.id)
        .where(Revision.status == RevisionStatus.PUBLISHED)
    )
    return list(
        session.scalars(
            select(Process)
            .where(Process.kind == kind, Process.id.in_(published))
            .order_by(Process.title, Process.id)
        )
    )


def register_figures(session: Session) -> dict[str, int]:
    def count(statement: Any) -> int:
        return session.scalar(select(func.count()).select_from(statement.subquery())) or 0

    return {
        "processes": count(select(Process.id)),
        "authorities": count(select(Authority.id)),
        "models": count(select(ProcessModel.id)),
        "published": count(select(Revision.id).where(Revision.status == RevisionStatus.PUBLISHED)),
    }


def reanalyse(
    session: Session, revision: Revision, *, max_bytes: int, lint_rules: frozenset[str]
) -> bool:
    """Check a stored revision again (new validator, other rules); returns whether its verdict changed.

    The bytes never change; only what the register derives from them.
    """
    data = read_blob(session, revision.blob_sha256)
    result = analyse(data, filename=revision.filename, max_bytes=max_bytes, lint_rules=lint_rules)
    before = {"valid": revision.is_valid, "lint": len(revision.lint)}
    revision.extraction, revision.validation, revision.lint = (
        result.extraction,
        result.validation,
        result.lint,
    )
    revision.is_valid, revision.main_document = result.is_valid, result.main_document
    after = {"valid": revision.is_valid, "lint": len(revision.lint)}
    if after != before:
        record(
            session,
            system_actor("Prüfung"),
            "revision.analysed",
            object_type="revision",
            object_id=revision.id,
            authority_id=revision.model.authority_id,
            before=before,
            after=after,
        )
    return after != before


def all_revision_ids(session: Session) -> list[uuid.UUID]:
    return list(session.scalars(select(Revision.id).order_by(Revision.created_at, Revision.id)))
