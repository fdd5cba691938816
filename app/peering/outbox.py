"""This instance's feed: one signed event per federated change, written in the change's transaction.

Services call the functions below right where the change happens, with the session they were given.
Who signs (this instance's base URL and the secret that unlocks its key) travels with the session:
``create_app`` hands a :class:`Publisher` to the database, and every session carries it in
``Session.info``. Services stay free of Flask globals, and every session of a running instance
writes the feed, whether it serves a page, the API or a CLI command. A bare ``Database`` without a
publisher (tools and tests that never serve a feed) records no events.

Order: a puller reads ``changes?after=SEQ`` and never looks back. On PostgreSQL, ``seq`` comes from
a sequence, and two transactions can commit in the opposite order of their numbers: a puller that saw
13 would never see 12, committed a moment later. So every writer of the outbox first takes one
transaction-scoped advisory lock (held until commit or rollback): the next writer inserts only after
the previous one has finished, and ``seq`` order is commit order. SQLite has a single writer anyway.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, exists, select, text
from sqlalchemy.orm import Session

from app.catalog.models import Process
from app.identity.models import Authority
from app.library.models import ProcessModel, Revision, RevisionStatus
from app.peering import keys, payloads
from app.peering.models import EventKind, OutboxEvent

PUBLISHER_INFO_KEY = "musterregister.publisher"
OUTBOX_LOCK = 0x4D52_4F42  # pg_advisory_xact_lock id of all outbox writers ("MROB")
REVISION_KINDS = frozenset({EventKind.PUBLISHED, EventKind.WITHDRAWN, EventKind.SUPERSEDED})

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Publisher:
    """Who signs this instance's events: its base URL (the ``origin``) and its secret key."""

    origin: str
    secret_key: str = field(repr=False)

    @classmethod
    def of(cls, base_url: str, secret_key: str) -> Publisher:
        return cls(origin=base_url.rstrip("/"), secret_key=secret_key)


def session_info(base_url: str, secret_key: str) -> dict[str, Any]:
    """What ``create_app`` gives the database, so that every session can sign."""
    return {PUBLISHER_INFO_KEY: Publisher.of(base_url, secret_key)}


def publisher_of(session: Session) -> Publisher | None:
    return session.info.get(PUBLISHER_INFO_KEY)


# --- local changes -----------------------------------------------------------------------------


def revision_changed(session: Session, kind: EventKind, revision: Revision) -> OutboxEvent | None:
    """``published``, ``withdrawn`` or ``superseded`` of a local revision."""
    if kind not in REVISION_KINDS:
        raise ValueError(f"{kind} is not an event of a revision")
    model = revision.model
    if not _is_local(revision, model):
        return None
    process = model.process
    return _record_local(session, kind, model.authority, process, model, revision)


def process_updated(session: Session, process: Process) -> OutboxEvent | None:
    """A local process whose Steckbrief changed, if peers mirror it (it has a publication)."""
    if not _is_local(process) or not _has_publication(session, process_id=process.id):
        return None
    return _record_local(session, EventKind.PROCESS_UPDATED, process.authority, process)


def authority_updated(
    session: Session, authority: Authority, before: Mapping[str, Any] | None = None
) -> OutboxEvent | None:
    """A local authority whose public data changed, if peers mirror it (it has a publication).

    ``before``: the authority's public part before the change; nothing to tell if it is the same.
    """
    if before is not None and dict(before) == public_part(authority):
        return None
    if not _is_local(authority) or not _has_publication(session, authority_id=authority.id):
        return None
    return _record_local(session, EventKind.AUTHORITY_UPDATED, authority)


def public_part(authority: Authority) -> dict[str, Any]:
    """What peers see of an authority (to compare before and after a change)."""
    return payloads.authority_part(authority)


def _is_local(*objects: Any) -> bool:
    return all(getattr(item, "origin_instance", None) is None for item in objects)


def _has_publication(session: Session, **where: Any) -> bool:
    condition = [getattr(ProcessModel, name) == value for name, value in where.items()]
    return bool(
        session.scalar(
            select(
                exists()
                .where(Revision.model_id == ProcessModel.id)
                .where(Revision.status == RevisionStatus.PUBLISHED, *condition)
            )
        )
    )


def _record_local(
    session: Session, kind: EventKind, authority: Authority, *parts: Any
) -> OutboxEvent | None:
    publisher = publisher_of(session)
    if publisher is None:
        log.warning("Kein Feed für diese Datenbank eingerichtet: Ereignis '%s' entfällt.", kind)
        return None
    payload = payloads.event(kind, publisher.origin, authority, *parts)
    _serialise_writers(session)
    private_jwk = keys.signing_key(session, publisher.secret_key)
    return _append(session, payload, sign(payload, private_jwk))


def sign(payload: dict[str, Any], private_jwk: dict[str, Any]) -> str:
    from federation.feed import sign_event

    return sign_event(payload, private_jwk)


# --- relayed events ----------------------------------------------------------------------------


def relay(session: Session, jws: str, event: Mapping[str, Any]) -> int | None:
    """Append an event of another origin, verified by the importer, with its origin's ``jws``;
    returns its ``seq``.

    ``event`` is the verified payload of ``jws``. Idempotent: an ``event_id`` already in the feed
    (relayed before, or this instance's own event coming back) adds nothing and returns None.
    A plain INSERT, as the importer writes the mirrored rows: what is pending in the session is
    flushed at commit (still under the outbox lock on PostgreSQL).
    """
    _serialise_writers(session)
    connection = session.connection()
    if connection.execute(_EVENT_KNOWN, {"event_id": event["event_id"]}).scalar():
        return None
    inserted = connection.execute(_INSERT_EVENT, _entry(event, jws))
    return int(inserted.inserted_primary_key[0])


_outbox = OutboxEvent.__table__
_EVENT_KNOWN = select(exists().where(_outbox.c.event_id == bindparam("event_id")))
_INSERT_EVENT = _outbox.insert()


def _append(session: Session, payload: dict[str, Any], jws: str) -> OutboxEvent:
    entry = OutboxEvent(**_entry(payload, jws))
    session.add(entry)
    session.flush()  # the seq, now, while this transaction holds the outbox lock
    return entry


def _entry(payload: Mapping[str, Any], jws: str) -> dict[str, Any]:
    revision = payload.get("revision") or {}
    return {
        "event_id": payload["event_id"],
        "kind": EventKind(payload["kind"]),
        "origin": payload["origin"],
        "jws": jws,
        "sha256": revision.get("sha256"),
    }


def _serialise_writers(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": OUTBOX_LOCK})
