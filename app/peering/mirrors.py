"""Mirrors: what a peer published, kept locally as read-only copies that remember their origin.

Each mirrored row carries ``origin_instance`` (the origin's base URL) and ``origin_id`` (its id
there); the unique index on the pair makes every upsert idempotent. Mirrored authorities have no
local accounts, so :mod:`app.authz` already refuses every write to them. A revision's status only
moves forward (published → superseded → withdrawn): a repeated old event never brings a withdrawn
mirror back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.services import record
from app.authz import Actor
from app.catalog import services as catalog
from app.catalog.models import OzgService, Process
from app.identity.models import GERMAN_STATES, Authority, AuthorityKind
from app.library import services as library
from app.library.analysis import analyse
from app.library.models import ProcessModel, Revision, RevisionStatus
from app.text import slugify

STATUS_RANK = {
    RevisionStatus.PUBLISHED: 1,
    RevisionStatus.SUPERSEDED: 2,
    RevisionStatus.WITHDRAWN: 3,
}
RETIRING = {"superseded": RevisionStatus.SUPERSEDED, "withdrawn": RevisionStatus.WITHDRAWN}
TEXT_FIELDS = {
    "description": None,
    "responsible_unit": 300,
    "trigger": None,
    "result": None,
    "fees": None,
}
LIST_FIELDS = ("required_documents", "keywords", "synonyms")

Row = TypeVar("Row", Authority, Process, ProcessModel, Revision)


class MirrorRefused(Exception):
    """The event cannot be mirrored (hash mismatch, contradicting an earlier event, garbage)."""


@dataclass(frozen=True)
class Mirror:
    """Where mirrored rows go: one transaction, the importing actor, the origin instance."""

    session: Session
    actor: Actor
    origin: str
    slug_prefix: str
    max_bytes: int
    lint_rules: frozenset[str] | None = None


def apply_event(mirror: Mirror, event: dict[str, Any], fetch_blob: Any) -> None:
    """Bring the mirror in line with one verified event of ``mirror.origin``."""
    kind = event["kind"]
    if kind in RETIRING:
        retire_revision(mirror, event["revision"], RETIRING[kind])
        return
    authority = upsert_authority(mirror, event["authority"])
    if kind == "authority-updated":
        return
    process = upsert_process(mirror, authority, event["process"])
    if kind == "process-updated":
        return
    if kind != "published":
        raise MirrorRefused(f"Unbekannte Ereignisart: {kind}")
    model = upsert_model(mirror, authority, process, event["model"])
    publish_revision(mirror, model, event["revision"], fetch_blob)


def by_origin(session: Session, table: type[Row], origin: str, origin_id: object) -> Row | None:
    return session.scalar(
        select(table).where(table.origin_instance == origin, table.origin_id == str(origin_id))
    )


# --- authorities -------------------------------------------------------------------------------


def upsert_authority(mirror: Mirror, data: dict[str, Any]) -> Authority:
    values = {
        "name": _text(data.get("name"), 200) or "Behörde",
        "kind": _kind(data.get("kind")),
        "state": data.get("state") if data.get("state") in GERMAN_STATES else None,
    }
    authority = by_origin(mirror.session, Authority, mirror.origin, data["id"])
    if authority is None:
        slug = _free_slug(mirror.session, f"{mirror.slug_prefix}-{data.get('slug') or 'behoerde'}")
        authority = Authority(slug=slug, ars=None, is_register=False, **values)
        _mark(authority, mirror.origin, data["id"])
        mirror.session.add(authority)
        mirror.session.flush()
        _audit(mirror, "mirror.authority_created", authority, values, "authority", authority.id)
        return authority
    changed = {k: v for k, v in values.items() if getattr(authority, k) != v}
    if changed:
        for name, value in changed.items():
            setattr(authority, name, value)
        _audit(mirror, "mirror.authority_updated", authority, changed, "authority", authority.id)
    return authority


def _kind(raw: object) -> AuthorityKind:
    return AuthorityKind(raw) if raw in {k.value for k in AuthorityKind} else AuthorityKind.SONSTIGE


def _free_slug(session: Session, wanted: str) -> str:
    base, number = slugify(wanted, max_length=72), 1
    slug = base
    while session.scalar(select(Authority.id).where(Authority.slug == slug)) is not None:
        number += 1
        slug = f"{base}-{number}"
    return slug


# --- processes and models ----------------------------------------------------------------------


def upsert_process(mirror: Mirror, authority: Authority, data: dict[str, Any]) -> Process:
    values = _steckbrief(mirror.session, data)
    process = by_origin(mirror.session, Process, mirror.origin, data["id"])
    if process is None:
        process = catalog.create_process(
            mirror.session,
            mirror.actor,
            authority,
            values,
            message=f"Gespiegelt aus {mirror.origin}",
        )
        _mark(process, mirror.origin, data["id"])
        mirror.session.flush()
        return process
    if process.authority_id != authority.id:
        raise MirrorRefused("Der Registereintrag gehört laut Ereignis einer anderen Behörde.")
    catalog.update_process(
        mirror.session,
        mirror.actor,
        process,
        values,
        expected_version=None,
        message=f"Aktualisiert aus {mirror.origin}",
    )
    return process


def _steckbrief(session: Session, data: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {"title": _text(data.get("title"), 300) or "Ohne Titel"}
    for name, limit in TEXT_FIELDS.items():
        values[name] = _text(data.get(name), limit)
    for name in LIST_FIELDS:
        values[name] = [str(item) for item in data.get(name) or [] if isinstance(item, str)]
    values["legal_bases"] = [
        {str(k): str(v) for k, v in item.items()}
        for item in data.get("legal_bases") or []
        if isinstance(item, dict)
    ]
    keys = data.get("leika_keys") or []
    values["leika_keys"] = [k for k in keys if isinstance(k, str) and k.isdigit() and len(k) == 14]
    ozg_id = data.get("ozg_id")
    known = isinstance(ozg_id, str) and session.get(OzgService, ozg_id) is not None
    values["ozg_id"] = ozg_id if known else None
    return values


def upsert_model(
    mirror: Mirror, authority: Authority, process: Process, data: dict[str, Any]
) -> ProcessModel:
    title = _text(data.get("title"), 300) or process.title
    description = _text(data.get("description"), None)
    model = by_origin(mirror.session, ProcessModel, mirror.origin, data["id"])
    if model is None:
        model = library.create_model(
            mirror.session, mirror.actor, process, title=title, description=description
        )
        _mark(model, mirror.origin, data["id"])
        mirror.session.flush()
        return model
    if model.authority_id != authority.id or model.process_id != process.id:
        raise MirrorRefused("Das Prozessmodell gehört laut Ereignis zu einem anderen Eintrag.")
    changed = {
        k: v
        for k, v in {"title": title, "description": description}.items()
        if getattr(model, k) != v
    }
    if changed:
        model.title, model.description = title, description
        _audit(mirror, "mirror.model_updated", model, changed, "process_model", authority.id)
    return model


# --- revisions ---------------------------------------------------------------------------------


def publish_revision(
    mirror: Mirror, model: ProcessModel, data: dict[str, Any], fetch_blob: Any
) -> Revision:
    """The published revision, stored once: a repeated event finds it and checks its hash."""
    digest = str(data["sha256"])
    revision = by_origin(mirror.session, Revision, mirror.origin, data["id"])
    if revision is not None:
        if revision.blob_sha256 != digest or revision.model_id != model.id:
            raise MirrorRefused(
                "Die Revision ist schon mit anderem Inhalt gespiegelt (SHA-256 weicht ab)."
            )
        return revision
    content = fetch_blob(digest)
    if library.sha256_hex(content) != digest:
        raise MirrorRefused("Der Inhalt passt nicht zu seinem SHA-256.")
    revision = _new_revision(mirror, model, data, content)
    _audit(
        mirror,
        "mirror.revision_published",
        revision,
        {"sha256": digest},
        "revision",
        model.authority_id,
    )
    return revision


def _new_revision(
    mirror: Mirror, model: ProcessModel, data: dict[str, Any], content: bytes
) -> Revision:
    number = _number(mirror.session, model, data.get("number"))
    analysis = analyse(
        content,
        filename=data.get("filename"),
        max_bytes=mirror.max_bytes,
        lint_rules=mirror.lint_rules,
    )
    stem = str(data.get("filename") or model.title).rsplit(".", 1)[0]
    revision = Revision(
        model_id=model.id,
        number=number,
        parent_id=_parent_id(mirror.session, model, number),
        blob_sha256=library.store_blob(mirror.session, content),
        size=len(content),
        filename=f"{slugify(stem)}.{'zip' if analysis.package.is_archive else 'bpmn'}",
        media_type=analysis.media_type,
        main_document=analysis.main_document,
        is_valid=analysis.is_valid,
        validation=analysis.validation,
        lint=analysis.lint,
        message=_text(data.get("message"), None) or f"Revision {number}",
        author_name=_text(data.get("author_name"), 200) or "unbekannt",
        status=RevisionStatus.PUBLISHED,
        published_at=_timestamp(data.get("published_at")),
        extraction=analysis.extraction,
    )
    _mark(revision, mirror.origin, data["id"])
    model.revision_count = max(model.revision_count, number)
    mirror.session.add(revision)
    mirror.session.flush()
    return revision


def _number(session: Session, model: ProcessModel, raw: object) -> int:
    if not isinstance(raw, int) or isinstance(raw, bool) or raw < 1:
        raise MirrorRefused("Die Revisionsnummer fehlt oder ist ungültig.")
    taken = session.scalar(
        select(Revision.id).where(Revision.model_id == model.id, Revision.number == raw)
    )
    if taken is not None:
        raise MirrorRefused(
            f"Revision {raw} dieses Modells ist schon mit anderer Kennung gespiegelt."
        )
    return raw


def _parent_id(session: Session, model: ProcessModel, number: int) -> Any:
    return session.scalar(
        select(Revision.id)
        .where(Revision.model_id == model.id, Revision.number < number)
        .order_by(Revision.number.desc())
        .limit(1)
    )


def retire_revision(mirror: Mirror, data: dict[str, Any], status: RevisionStatus) -> None:
    """Superseded or withdrawn at the origin; a mirror never seen needs nothing (not public)."""
    revision = by_origin(mirror.session, Revision, mirror.origin, data["id"])
    if revision is None:
        return
    if revision.blob_sha256 != str(data.get("sha256")):
        raise MirrorRefused("Die Revision ist mit anderem Inhalt gespiegelt (SHA-256 weicht ab).")
    if STATUS_RANK.get(revision.status, 0) >= STATUS_RANK[status]:
        return
    before = {"status": revision.status.value}
    revision.status = status
    mirror.session.flush()
    _audit(
        mirror,
        f"mirror.revision_{status.value}",
        revision,
        {"status": status.value},
        "revision",
        revision.model.authority_id,
        before=before,
    )


# --- helpers -----------------------------------------------------------------------------------


def _mark(
    row: Authority | Process | ProcessModel | Revision, origin: str, origin_id: object
) -> None:
    row.origin_instance, row.origin_id = origin, str(origin_id)[:64]


def _text(raw: object, limit: int | None) -> str | None:
    if not isinstance(raw, str) or not raw.strip():
        return None
    return raw.strip()[:limit] if limit else raw.strip()


def _timestamp(raw: object) -> datetime:
    try:
        value = datetime.fromisoformat(str(raw))
    except ValueError:
        raise MirrorRefused("Der Veröffentlichungszeitpunkt ist ungültig.") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _audit(
    mirror: Mirror,
    action: str,
    row: Any,
    after: dict[str, Any],
    object_type: str,
    authority_id: Any,
    before: dict[str, Any] | None = None,
) -> None:
    details = {"origin": mirror.origin, "origin_id": row.origin_id}
    record(
        mirror.session,
        mirror.actor,
        action,
        object_type=object_type,
        object_id=row.id,
        authority_id=authority_id,
        before=before,
        after={k: getattr(v, "value", v) for k, v in after.items()},
        details=details,
    )
