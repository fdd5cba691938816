"""Mirrors: what a peer published, kept locally as read-only copies that remember their origin.

Each mirrored row carries ``origin_instance`` (the origin's base URL) and ``origin_id`` (its id
there); the unique index on the pair makes every upsert idempotent. Mirrored authorities have no
local accounts, so :mod:`app.authz` already refuses every write to them. A revision's status only
moves forward (published → superseded → withdrawn): a repeated old event never brings a withdrawn
mirror back.

Lean on purpose (a sync imports thousands of events, one transaction each): rows are looked up by
origin with prebuilt column queries; new processes, models and revisions and their audit events
are built by the services' builders (``catalog.new_process``, ``library.new_model``,
``audit_event``; the permission is the sync's system actor's, which the services' own checks
let through) and written at the end of the event with plain INSERT statements
(:func:`write_rows`), which also queue them for the search index and the response cache as a
flush would. ORM objects are loaded and flushed only for the rare rest (a new authority, a changed
Steckbrief or title). What ends up in the tables – rows, versions, audit events, search queue – is
what the services write.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import Select, bindparam, select, update
from sqlalchemy.engine import Row as ResultRow
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.audit.models import AuditEvent
from app.audit.services import audit_event
from app.authz import Actor
from app.cache import is_public_change, mark_content_changed
from app.catalog import services as catalog
from app.catalog.models import OzgService, Process, ProcessKind, ProcessLeikaKey
from app.db import insert_built, utcnow
from app.identity.models import GERMAN_STATES, Authority, AuthorityKind
from app.library import services as library
from app.library.models import ProcessModel, Revision, RevisionStatus
from app.peering.analyses import Analyses, Findings, findings
from app.search import tracking
from app.search.documents import model_ref
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
    analyses: Analyses | None = None  # analyses started ahead, while earlier events imported
    rows: list[Any] = field(default_factory=list)  # new rows, written together at the end
    audits: list[AuditEvent] = field(default_factory=list)


@dataclass
class MirroredModel:
    """What publishing a revision needs of its model; ``created``: the model is new, and this is
    its row, not yet written."""

    id: uuid.UUID
    authority_id: uuid.UUID
    title: str
    revision_count: int
    created: ProcessModel | None = None


def apply_event(mirror: Mirror, event: dict[str, Any], fetch_blob: Any) -> None:
    """Bring the mirror in line with one verified event of ``mirror.origin``."""
    _apply(mirror, event, fetch_blob)
    write_rows(mirror)


def write_rows(mirror: Mirror) -> None:
    """Insert the event's new rows with plain statements, and queue for the search index and the
    response cache what a flush of them would have queued."""
    session, rows = mirror.session, [*mirror.rows, *mirror.audits]
    if not rows:
        return
    session.flush()  # what the ORM holds (a new authority, a changed title) goes first
    insert_built(session.connection(), rows)
    tracking.queue(session, {ref for row in rows for ref in tracking.refs_of(row)})
    if any(is_public_change(session, row) for row in rows):
        mark_content_changed(session)
    mirror.rows.clear()
    mirror.audits.clear()


def _apply(mirror: Mirror, event: dict[str, Any], fetch_blob: Any) -> None:
    kind = event["kind"]
    if kind in RETIRING:
        retire_revision(mirror, event["revision"], RETIRING[kind])
        return
    authority = upsert_authority(mirror, event["authority"])
    if kind == "authority-updated":
        return
    process = upsert_process(mirror, authority, event["process"])
    authority_id = _id(authority)
    if kind == "process-updated":
        return
    if kind != "published":
        raise MirrorRefused(f"Unbekannte Ereignisart: {kind}")
    model = upsert_model(mirror, authority_id, process, event["model"])
    publish_revision(mirror, model, event["revision"], fetch_blob)


def known(
    session: Session, table: type[Row], origin: str, origin_id: object, *columns: str
) -> ResultRow[Any] | None:
    """``columns`` of the mirror of ``origin_id``, or None: one prebuilt query, no ORM objects."""
    params = {"origin": origin, "origin_id": str(origin_id)[:64]}
    # on the connection: no autoflush, no ORM execution overhead (several lookups per event)
    return session.connection().execute(_by_origin(table, columns), params).first()


@cache
def _by_origin(table: type[Row], columns: tuple[str, ...]) -> Select[Any]:
    rows = table.__table__
    return select(*(rows.c[name] for name in columns)).where(
        rows.c.origin_instance == bindparam("origin"), rows.c.origin_id == bindparam("origin_id")
    )


# --- authorities -------------------------------------------------------------------------------


def upsert_authority(mirror: Mirror, data: dict[str, Any]) -> Authority | uuid.UUID:
    """The mirrored authority, created or brought up to date: its ORM object if created or
    changed here, else only its id."""
    values = {
        "name": _text(data.get("name"), 200) or "Behörde",
        "kind": _kind(data.get("kind")),
        "state": data.get("state") if data.get("state") in GERMAN_STATES else None,
    }
    row = known(mirror.session, Authority, mirror.origin, data["id"], "id", *values)
    if row is None:
        slug = _free_slug(mirror.session, f"{mirror.slug_prefix}-{data.get('slug') or 'behoerde'}")
        authority = Authority(id=uuid.uuid4(), slug=slug, ars=None, is_register=False, **values)
        _mark(authority, mirror.origin, data["id"])
        mirror.session.add(authority)
        mirror.session.flush()  # rare; audit events refer to it, and the ORM does not know that
        _audit(mirror, "mirror.authority_created", authority, values, "authority", authority.id)
        return authority
    changed = {k: v for k, v in values.items() if getattr(row, k) != v}
    if changed:
        authority = mirror.session.get_one(Authority, row.id)
        for name, value in changed.items():
            setattr(authority, name, value)
        _audit(mirror, "mirror.authority_updated", authority, changed, "authority", authority.id)
        return authority
    return row.id


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


def upsert_process(
    mirror: Mirror, authority: Authority | uuid.UUID, data: dict[str, Any]
) -> Process | uuid.UUID:
    """The mirrored process: its ORM object if created or changed here, else only its id."""
    values = _steckbrief(mirror.session, data)
    row = known(mirror.session, Process, mirror.origin, data["id"], "id", "authority_id")
    if row is None:
        process, version, audit = catalog.new_process(
            mirror.session,
            mirror.actor,
            _id(authority),
            ProcessKind.AUTHORITY,  # a mirrored authority is never this register
            values,
            message=f"Gespiegelt aus {mirror.origin}",
        )
        _mark(process, mirror.origin, data["id"])
        mirror.rows.extend([process, *process.leika_key_rows, version])
        mirror.audits.append(audit)
        return process
    if row.authority_id != _id(authority):
        raise MirrorRefused("Der Registereintrag gehört laut Ereignis einer anderen Behörde.")
    if _same_steckbrief(mirror.session, row.id, values):
        return row.id  # what update_process would find: nothing to change, nothing written
    process = mirror.session.get_one(Process, row.id)
    catalog.update_process(
        mirror.session,
        mirror.actor,
        process,
        values,
        expected_version=None,
        message=f"Aktualisiert aus {mirror.origin}",
    )
    return process


def _same_steckbrief(session: Session, process_id: uuid.UUID, values: dict[str, Any]) -> bool:
    """Whether the stored process already has ``values`` (compared column by column)."""
    columns = [name for name in values if name != "leika_keys"]
    connection = session.connection()
    stored = connection.execute(_steckbrief_of(tuple(columns)), {"id": process_id}).one()
    keys = connection.execute(_leika_keys_of(), {"id": process_id}).scalars().all()
    same = all(getattr(stored, name) == values[name] for name in columns)
    return same and list(keys) == values["leika_keys"]


@cache
def _steckbrief_of(columns: tuple[str, ...]) -> Select[Any]:
    table = Process.__table__
    return select(*(table.c[name] for name in columns)).where(table.c.id == bindparam("id"))


@cache
def _leika_keys_of() -> Select[Any]:
    table = ProcessLeikaKey.__table__
    return (
        select(table.c.key).where(table.c.process_id == bindparam("id")).order_by(table.c.position)
    )


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
    mirror: Mirror, authority_id: uuid.UUID, process: Process | uuid.UUID, data: dict[str, Any]
) -> MirroredModel:
    """The mirrored model, created or brought up to date."""
    title = _text(data.get("title"), 300)
    description = _text(data.get("description"), None)
    row = known(
        mirror.session,
        ProcessModel,
        mirror.origin,
        data["id"],
        *("id", "authority_id", "process_id", "title", "description", "revision_count"),
    )
    if row is None:
        model, audit = library.new_model(
            mirror.actor,
            _id(process),
            authority_id,
            title=title or _process_title(mirror.session, process),
            description=description,
            origin=(mirror.origin, str(data["id"])[:64]),
        )
        mirror.rows.append(model)
        mirror.audits.append(audit)
        return MirroredModel(model.id, authority_id, model.title, 0, created=model)
    if row.authority_id != authority_id or row.process_id != _id(process):
        raise MirrorRefused("Das Prozessmodell gehört laut Ereignis zu einem anderen Eintrag.")
    title = title or _process_title(mirror.session, process)
    changed = {
        name: value
        for name, value in {"title": title, "description": description}.items()
        if getattr(row, name) != value
    }
    if changed:
        model = mirror.session.get_one(ProcessModel, row.id)
        model.title, model.description = title, description
        _audit(mirror, "mirror.model_updated", model, changed, "process_model", authority_id)
    return MirroredModel(row.id, authority_id, title, row.revision_count)


def _process_title(session: Session, process: Process | uuid.UUID) -> str:
    if isinstance(process, Process):
        return process.title
    return session.connection().execute(_steckbrief_of(("title",)), {"id": process}).scalar_one()


# --- revisions ---------------------------------------------------------------------------------


def publish_revision(
    mirror: Mirror, model: MirroredModel, data: dict[str, Any], fetch_blob: Any
) -> Revision | None:
    """The published revision, stored once: a repeated event finds it and checks its hash."""
    digest = str(data["sha256"])
    row = known(mirror.session, Revision, mirror.origin, data["id"], "blob_sha256", "model_id")
    if row is not None:
        if row.blob_sha256 != digest or row.model_id != model.id:
            raise MirrorRefused(
                "Die Revision ist schon mit anderem Inhalt gespiegelt (SHA-256 weicht ab)."
            )
        return None
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
    mirror: Mirror, model: MirroredModel, data: dict[str, Any], content: bytes
) -> Revision:
    number, parent_id = _number_and_parent(mirror.session, model, data.get("number"))
    analysis = _analysis(mirror, content, data.get("filename"))
    stem = str(data.get("filename") or model.title).rsplit(".", 1)[0]
    revision = Revision(
        id=uuid.uuid4(),
        model_id=model.id,
        number=number,
        parent_id=parent_id,
        blob_sha256=library.store_blob(mirror.session, content),
        size=len(content),
        filename=f"{slugify(stem)}.{'zip' if analysis.is_archive else 'bpmn'}",
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
    _count_revision(mirror, model, number)
    mirror.rows.append(revision)
    return revision


def _count_revision(mirror: Mirror, model: MirroredModel, number: int) -> None:
    """The model's revision count covers ``number`` (what a new draft's flush writes)."""
    if model.created is not None:
        model.created.revision_count = max(model.revision_count, number)
    elif number > model.revision_count:
        values = {"model": model.id, "count": number, "now": utcnow()}
        mirror.session.connection().execute(_SET_REVISION_COUNT, values)


_models = ProcessModel.__table__
_SET_REVISION_COUNT = (
    update(_models)
    .where(_models.c.id == bindparam("model"))
    .values(revision_count=bindparam("count"), updated_at=bindparam("now"))
)


def _analysis(mirror: Mirror, content: bytes, filename: object) -> Findings:
    name = filename if isinstance(filename, str) else None
    if mirror.analyses is not None:
        return mirror.analyses.take(content, name)
    return findings(content, name, mirror.max_bytes, mirror.lint_rules)


def _number_and_parent(
    session: Session, model: MirroredModel, raw: object
) -> tuple[int, uuid.UUID | None]:
    """The revision's number, checked to be free, and the id of the revision before it."""
    if not isinstance(raw, int) or isinstance(raw, bool) or raw < 1:
        raise MirrorRefused("Die Revisionsnummer fehlt oder ist ungültig.")
    if model.created is not None:
        return raw, None
    parameters = {"model_id": model.id, "number": raw}
    rows = session.connection().execute(_up_to_number(), parameters).all()
    if rows and rows[0].number == raw:
        raise MirrorRefused(
            f"Revision {raw} dieses Modells ist schon mit anderer Kennung gespiegelt."
        )
    return raw, rows[0].id if rows else None


@cache
def _up_to_number() -> Select[Any]:
    table = Revision.__table__
    return (
        select(table.c.number, table.c.id)
        .where(table.c.model_id == bindparam("model_id"), table.c.number <= bindparam("number"))
        .order_by(table.c.number.desc())
        .limit(1)
    )


def retire_revision(mirror: Mirror, data: dict[str, Any], status: RevisionStatus) -> None:
    """Superseded or withdrawn at the origin; a mirror never seen needs nothing (not public)."""
    session = mirror.session
    row = known(
        session,
        Revision,
        mirror.origin,
        data["id"],
        *("id", "origin_id", "model_id", "blob_sha256", "status", "version"),
    )
    if row is None:
        return
    if row.blob_sha256 != str(data.get("sha256")):
        raise MirrorRefused("Die Revision ist mit anderem Inhalt gespiegelt (SHA-256 weicht ab).")
    if STATUS_RANK.get(row.status, 0) >= STATUS_RANK[status]:
        return
    changed = session.connection().execute(
        _RETIRE, {"revision": row.id, "read": row.version, "status": status}
    )
    if changed.rowcount != 1:  # what the ORM's version check would find: retried next run
        raise StaleDataError(f"Revision {row.id} changed while it was retired")
    tracking.queue(session, [model_ref(row.model_id)])
    if row.status == RevisionStatus.PUBLISHED:
        mark_content_changed(session)
    authority_id = (
        session.connection().execute(_AUTHORITY_OF_MODEL, {"id": row.model_id}).scalar_one()
    )
    _audit(
        mirror,
        f"mirror.revision_{status.value}",
        row,
        {"status": status.value},
        "revision",
        authority_id,
        before={"status": row.status.value},
    )


_revisions = Revision.__table__
_RETIRE = (
    update(_revisions)
    .where(_revisions.c.id == bindparam("revision"), _revisions.c.version == bindparam("read"))
    .values(status=bindparam("status"), version=_revisions.c.version + 1)
)
_AUTHORITY_OF_MODEL = select(_models.c.authority_id).where(_models.c.id == bindparam("id"))


# --- helpers -----------------------------------------------------------------------------------


def _id(row: Authority | Process | uuid.UUID) -> uuid.UUID:
    return row if isinstance(row, uuid.UUID) else row.id


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
    """The audit event goes out with the event's new rows (:func:`write_rows`), in order."""
    details = {"origin": mirror.origin, "origin_id": row.origin_id}
    event = audit_event(
        mirror.actor,
        action,
        object_type=object_type,
        object_id=row.id,
        authority_id=authority_id,
        before=before,
        after={k: getattr(v, "value", v) for k, v in after.items()},
        details=details,
    )
    mirror.audits.append(event)
