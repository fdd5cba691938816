"""Processes (Steckbriefe): listing, reading, creating, updating and their version history."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.exc import StaleDataError

from app.audit.models import AuditEvent
from app.audit.services import audit_event, record
from app.authz import Actor, Permission, owned_by, require
from app.catalog.fields import SCALAR_FIELDS, STECKBRIEF_FIELDS
from app.catalog.models import (
    DigitisationPotential,
    OzgService,
    Process,
    ProcessKind,
    ProcessLeikaKey,
    ProcessVersion,
)
from app.db import utcnow
from app.errors import NotFound, PreconditionFailed, ValidationFailed
from app.i18n import _
from app.identity.models import Authority
from app.peering import outbox
from app.text import fold, folded_words

# --- reading -----------------------------------------------------------------------------------


def get_process(session: Session, process_id: uuid.UUID) -> Process:
    process = session.get(
        Process,
        process_id,
        options=[
            joinedload(Process.authority),
            joinedload(Process.ozg_service),
            joinedload(Process.leika_key_rows),  # one query: a process has only a few keys
        ],
    )
    if process is None:
        raise NotFound(_("Diesen Registereintrag gibt es nicht."))
    return process


def list_versions(session: Session, process: Process) -> list[ProcessVersion]:
    return list(
        session.scalars(
            select(ProcessVersion)
            .where(ProcessVersion.process_id == process.id)
            .order_by(ProcessVersion.version.desc())
        )
    )


def get_version(session: Session, process: Process, number: int) -> ProcessVersion:
    version = session.scalar(
        select(ProcessVersion).where(
            ProcessVersion.process_id == process.id, ProcessVersion.version == number
        )
    )
    if version is None:
        raise NotFound(
            _("Fassung %(number)s dieses Registereintrags gibt es nicht.", number=number)
        )
    return version


# --- writing -----------------------------------------------------------------------------------


def snapshot(process: Process) -> dict[str, Any]:
    """The Steckbrief as plain JSON data, as versions and audit events keep it."""
    data: dict[str, Any] = {name: getattr(process, name) for name in SCALAR_FIELDS}
    if data["digitisation_potential"] is not None:
        data["digitisation_potential"] = DigitisationPotential(data["digitisation_potential"]).value
    data["leika_keys"] = process.leika_keys
    data["maturity"] = process.maturity
    return data


def create_process(
    session: Session,
    actor: Actor,
    authority: Authority,
    data: Mapping[str, Any],
    *,
    external_ref: str | None = None,
    message: str | None = None,
) -> Process:
    require(actor, Permission.PROCESS_CREATE, owned_by(authority.id))
    kind = ProcessKind.CATALOGUE if authority.is_register else ProcessKind.AUTHORITY
    process, *history = new_process(
        session, actor, authority.id, kind, data, external_ref=external_ref, message=message
    )
    process.authority = authority
    session.add_all([process, *history])  # no flush needed: the id is ours, batched at commit
    return process


def new_process(
    session: Session,
    actor: Actor,
    authority_id: uuid.UUID,
    kind: ProcessKind,
    data: Mapping[str, Any],
    *,
    external_ref: str | None = None,
    message: str | None = None,
) -> tuple[Process, ProcessVersion, AuditEvent]:
    """A new process with its first version and audit event, none of them added to the session
    (the caller checked the permission). Its LeiKa key rows hang on ``process.leika_key_rows``."""
    process = Process(
        id=uuid.uuid4(), authority_id=authority_id, kind=kind, external_ref=external_ref, version=1
    )
    with session.no_autoflush:  # the OZG service is only looked up
        _apply(session, process, data)
    after = snapshot(process)
    audit = audit_event(
        actor,
        "process.created",
        object_type="process",
        object_id=process.id,
        authority_id=authority_id,
        after=after,
    )
    return process, _version(actor, process, after, message or "Angelegt"), audit


def update_process(
    session: Session,
    actor: Actor,
    process: Process,
    changes: Mapping[str, Any],
    *,
    expected_version: int | None,
    message: str | None = None,
) -> bool:
    """Apply ``changes`` if ``expected_version`` is still current; returns whether anything changed."""
    require(actor, Permission.PROCESS_UPDATE, process)
    session.flush()  # a process created in this transaction must exist before it can change
    if expected_version is not None and expected_version != process.version:
        raise _stale(process.version)
    with session.no_autoflush:  # one UPDATE only, so the version counts up by exactly one
        before = snapshot(process)
        _apply(session, process, changes)
        after = snapshot(process)
        if after == before:
            return False
        process.updated_at = utcnow()  # touches the row even if only LeiKa keys changed
    try:
        session.flush()
    except StaleDataError:
        raise _stale(None) from None
    _add_version(session, actor, process, after, message)
    changed = [name for name in STECKBRIEF_FIELDS if before[name] != after[name]]
    record(
        session,
        actor,
        "process.updated",
        object_type="process",
        object_id=process.id,
        authority_id=process.authority_id,
        before={name: before[name] for name in changed},
        after={name: after[name] for name in changed},
        details={"version": process.version},
    )
    outbox.process_updated(session, process)
    return True


def _stale(current: int | None) -> PreconditionFailed:
    if current is None:
        return PreconditionFailed(
            _(
                "Der Registereintrag wurde inzwischen geändert. Bitte neu laden und erneut speichern."
            )
        )
    return PreconditionFailed(
        _(
            "Der Registereintrag wurde inzwischen geändert (aktuell ist Fassung %(version)s). "
            "Bitte neu laden und erneut speichern.",
            version=current,
        )
    )


def _add_version(
    session: Session, actor: Actor, process: Process, data: dict[str, Any], message: str | None
) -> None:
    session.add(_version(actor, process, data, message))


def _version(
    actor: Actor, process: Process, data: dict[str, Any], message: str | None
) -> ProcessVersion:
    return ProcessVersion(
        process_id=process.id,
        version=process.version,
        data=data,
        author_account_id=actor.account_id,
        author_name=actor.name,
        message=message,
    )


def _apply(session: Session, process: Process, data: Mapping[str, Any]) -> None:
    if "ozg_id" in data:
        # set key and relationship together: snapshots read the key before any flush
        ozg_id = data["ozg_id"]
        process.ozg_service = _ozg_service(session, ozg_id) if ozg_id is not None else None
        process.ozg_id = ozg_id
    for name in SCALAR_FIELDS:
        if name in data and name != "ozg_id":
            setattr(process, name, data[name])
    if "leika_keys" in data:
        _set_leika_keys(process, data["leika_keys"])
    for dimension, stage in (data.get("maturity") or {}).items():
        setattr(process, f"maturity_{dimension}", stage)
    process.sort_title = fold(process.title)
    process.search_text = _search_text(process)


def _ozg_service(session: Session, ozg_id: str) -> OzgService:
    service = session.get(OzgService, ozg_id)
    if service is None:
        raise ValidationFailed(
            _("Unbekannte OZG-Leistung."),
            errors={"ozg_id": [_("Die OZG-Leistung %(id)s gibt es nicht.", id=ozg_id)]},
        )
    return service


def _set_leika_keys(process: Process, keys: Sequence[str]) -> None:
    existing = {row.key: row for row in process.leika_key_rows}
    rows = []
    for position, key in enumerate(dict.fromkeys(keys)):
        row = existing.get(key) or ProcessLeikaKey(key=key)
        row.position = position
        rows.append(row)
    process.leika_key_rows = rows


def _search_text(process: Process) -> str:
    ozg_name = process.ozg_service.name if process.ozg_service else None
    return folded_words(
        process.title,
        process.description,
        process.responsible_unit,
        ozg_name,
        " ".join(process.keywords or ()),
        " ".join(process.synonyms or ()),
        " ".join(process.leika_keys),
    )
