"""XProzess import and export through the register's own services (Steckbriefe, models, revisions)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.authz import Actor
from app.catalog import services as catalog
from app.catalog.models import Process
from app.errors import NotFound, ValidationFailed
from app.fim.leika import is_leika_key
from app.fim.xprozess import ModelFile, XProzessError, XProzessProcess, build_message, parse_message
from app.fim.xprozess_mapping import from_steckbrief, to_steckbrief
from app.i18n import _
from app.identity.models import Authority
from app.library import services as library
from app.library.models import ProcessModel, Revision, RevisionStatus

EXTERNAL_PREFIX = "xprozess:"


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    revisions: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[str]]:
        return {
            name: list(getattr(self, name))
            for name in ("created", "updated", "unchanged", "revisions")
        }


def import_message(
    session: Session,
    actor: Actor,
    authority: Authority,
    data: bytes,
    *,
    max_bytes: int,
    lint_rules: frozenset[str] | None = None,
) -> ImportResult:
    """Every process of an XProzess message as a Steckbrief of ``authority``, its model as a draft.

    All or nothing: one refused part refuses the message. A second import of the same message
    changes nothing.
    """
    try:
        processes = parse_message(data, max_bytes=max_bytes)
    except XProzessError as error:
        raise ValidationFailed(error.message, errors={"file": [error.as_dict()]}) from None
    result = ImportResult()
    for incoming in processes:
        process = _import_steckbrief(session, actor, authority, incoming, result)
        if incoming.model is not None:
            _import_model(session, actor, process, incoming, result, max_bytes, lint_rules)
    return result


def _import_steckbrief(
    session: Session,
    actor: Actor,
    authority: Authority,
    incoming: XProzessProcess,
    result: ImportResult,
) -> Process:
    steckbrief, ref = to_steckbrief(incoming), EXTERNAL_PREFIX + incoming.process_id
    message = f"Aus XProzess importiert (Version {incoming.version or 'ohne Angabe'})"
    process = session.scalar(
        select(Process).where(Process.authority_id == authority.id, Process.external_ref == ref)
    )
    if process is None:
        result.created.append(incoming.process_id)
        return catalog.create_process(
            session, actor, authority, steckbrief, external_ref=ref, message=message
        )
    changed = catalog.update_process(
        session, actor, process, steckbrief, expected_version=process.version, message=message
    )
    (result.updated if changed else result.unchanged).append(incoming.process_id)
    return process


def _import_model(
    session: Session,
    actor: Actor,
    process: Process,
    incoming: XProzessProcess,
    result: ImportResult,
    max_bytes: int,
    lint_rules: frozenset[str] | None,
) -> None:
    ref = EXTERNAL_PREFIX + incoming.process_id
    model = session.scalar(
        select(ProcessModel).where(
            ProcessModel.process_id == process.id, ProcessModel.external_ref == ref
        )
    )
    if model is None:
        model = library.create_model(session, actor, process, title=incoming.name, external_ref=ref)
    latest = _latest_revision(session, model)
    if latest is not None and latest.blob_sha256 == library.sha256_hex(incoming.model.data):
        return
    library.add_revision(
        session,
        actor,
        model,
        library.Upload(data=incoming.model.data, filename=incoming.model.filename),
        message=f"Aus XProzess importiert (Version {incoming.version or 'ohne Angabe'})",
        max_bytes=max_bytes,
        lint_rules=lint_rules,
    )
    result.revisions.append(incoming.process_id)


def _latest_revision(session: Session, model: ProcessModel) -> Revision | None:
    return session.scalar(
        select(Revision)
        .where(Revision.model_id == model.id)
        .order_by(Revision.number.desc())
        .limit(1)
    )


def _published_model_file(session: Session, actor: Actor, process: Process) -> ModelFile | None:
    """The newest published revision of the process's models, as XProzess carries it."""
    for model in library.list_models(session, process):
        for revision in library.list_revisions(session, actor, model):
            if revision.status is RevisionStatus.PUBLISHED:
                data = library.read_blob(session, revision.blob_sha256)
                media_type = "application/zip" if revision.main_document else "application/bpmn+xml"
                return ModelFile(filename=revision.filename, media_type=media_type, data=data)
    return None


def export_process(
    session: Session, actor: Actor, process: Process, *, sender: str, now: datetime
) -> bytes:
    """A message ``alleInhalte.export.0303`` with the Steckbrief and its published model."""
    leika = next((key for key in process.leika_keys if is_leika_key(key)), None)
    try:
        exported = from_steckbrief(
            catalog.snapshot(process),
            process_id=leika or str(process.id),
            version=str(process.version),
            model=_published_model_file(session, actor, process),
        )
        return build_message(
            [exported], sender=sender, created_at=now, message_id=str(uuid.uuid4())
        )
    except XProzessError as error:
        raise NotFound(
            _(
                "Dieser Registereintrag lässt sich nicht als XProzess ausgeben: %(message)s",
                message=error.message,
            )
        ) from None
