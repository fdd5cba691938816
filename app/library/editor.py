"""Editing a model in the browser: save the modeller's XML as a new draft, start a new model.

The browser sends the XML plus the number of the revision the edit started from; the normal
:func:`app.library.services.add_revision` checks apply (safe XML, size, schema) and refuses with a
conflict when someone saved a newer revision in between.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.authz import Actor, Permission, require
from app.catalog.models import Process, ProcessKind
from app.errors import Forbidden, NotFound, ValidationFailed
from app.i18n import _, _l
from app.library import services as library
from app.library.analysis import analyse
from app.library.models import ProcessModel, Revision, RevisionStatus

BLANK_DIAGRAM_PATH = Path(__file__).resolve().parents[1] / "web" / "static" / "bpmn" / "leer.bpmn"
MAX_MESSAGE_LENGTH = 500
MIRROR_REFUSAL = _l(
    "Dieses Modell ist aus einem anderen Register gespiegelt und nur lesbar. "
    "Übernehmen Sie es als Fork in Ihre Behörde, um es zu bearbeiten."
)


def blank_diagram() -> bytes:
    return BLANK_DIAGRAM_PATH.read_bytes()


def ensure_editable(actor: Actor, model: ProcessModel) -> None:
    """Only contributors of the owning authority edit, and never a mirror of another register."""
    if model.origin_instance is not None:
        raise Forbidden(str(MIRROR_REFUSAL))
    require(actor, Permission.REVISION_CREATE, model)


def change_message(text: str | None) -> str:
    message = " ".join((text or "").split())
    if not message:
        raise ValidationFailed(_("Bitte beschreiben Sie kurz, was Sie geändert haben."))
    if len(message) > MAX_MESSAGE_LENGTH:
        raise ValidationFailed(
            _(
                "Die Beschreibung ist zu lang (höchstens %(limit)s Zeichen).",
                limit=MAX_MESSAGE_LENGTH,
            )
        )
    return message


def save_draft(
    session: Session,
    actor: Actor,
    model: ProcessModel,
    xml: bytes,
    *,
    message: str | None,
    base_number: int | None,
    max_bytes: int,
    lint_rules: frozenset[str] | None = None,
) -> Revision:
    """The edited diagram as the next draft revision, based on revision ``base_number``
    (``None`` only for a model without revisions)."""
    ensure_editable(actor, model)
    text = change_message(message)
    if not xml.strip():
        raise ValidationFailed(_("Das Diagramm ist leer."))
    return library.add_revision(
        session,
        actor,
        model,
        library.Upload(data=xml, filename=f"{model.title}.bpmn"),
        message=text,
        max_bytes=max_bytes,
        parent_number=base_number if base_number is not None else 0,
        status=RevisionStatus.DRAFT,
        lint_rules=lint_rules,
    )


def check_draft(
    actor: Actor,
    model: ProcessModel,
    xml: bytes,
    *,
    max_bytes: int,
    lint_rules: frozenset[str] | None = None,
) -> dict[str, object]:
    """Schema and lint result of an unsaved diagram: the same checks as saving, nothing stored."""
    ensure_editable(actor, model)
    result = analyse(
        xml, filename=f"{model.title}.bpmn", max_bytes=max_bytes, lint_rules=lint_rules
    )
    return {"valid": result.is_valid, "validation": result.validation, "lint": result.lint}


@dataclass(frozen=True)
class Template:
    """A Musterprozess a new model may start from: its newest published revision."""

    revision_id: uuid.UUID
    title: str


def musterprozess_templates(session: Session) -> list[Template]:
    templates = []
    for process in library.processes_with_published_models(session, ProcessKind.CATALOGUE):
        for model in library.list_models(session, process):
            revision = _latest_published(session, model)
            if revision is not None:
                templates.append(Template(revision.id, model.title))
    return templates


def _latest_published(session: Session, model: ProcessModel) -> Revision | None:
    return session.scalar(
        select(Revision)
        .where(Revision.model_id == model.id, Revision.status == RevisionStatus.PUBLISHED)
        .order_by(Revision.number.desc())
        .limit(1)
    )


def template_upload(
    session: Session, template_id: uuid.UUID | None, title: str
) -> tuple[library.Upload, str]:
    """The file a new model starts with and the message of its first revision."""
    if template_id is None:
        return library.Upload(blank_diagram(), f"{title}.bpmn"), "Neues Modell (leeres Diagramm)"
    revision = session.get(Revision, template_id)
    if (
        revision is None
        or revision.status is not RevisionStatus.PUBLISHED
        or revision.model.process.kind is not ProcessKind.CATALOGUE
    ):
        raise NotFound(_("Diesen Musterprozess gibt es nicht."))
    data = library.read_blob(session, revision.blob_sha256)
    extension = revision.filename.rsplit(".", 1)[-1]
    message = f"Neues Modell nach dem Musterprozess „{revision.model.title}“"
    return library.Upload(data, f"{title}.{extension}"), message


def start_model(
    session: Session,
    actor: Actor,
    process: Process,
    *,
    title: str,
    template_id: uuid.UUID | None,
    max_bytes: int,
    lint_rules: frozenset[str] | None = None,
) -> ProcessModel:
    """A new model of the actor's process with a first draft: empty or a Musterprozess's copy."""
    upload, message = template_upload(session, template_id, title)
    model = library.create_model(session, actor, process, title=title)
    library.add_revision(
        session,
        actor,
        model,
        upload,
        message=message,
        max_bytes=max_bytes,
        lint_rules=lint_rules,
    )
    return model
