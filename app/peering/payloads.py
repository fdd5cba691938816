"""The parts of a feed event, built from local objects (see federation/CONTRACT.md).

Ids are the ids at this instance, the origin; a peer keeps them as ``origin_id`` of its mirror.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from app.catalog.models import Process
from app.db import utcnow
from app.identity.models import Authority
from app.library.models import ProcessModel, Revision
from app.peering.models import EventKind

PAYLOAD_VERSION = 1
PROCESS_FIELDS = (
    "title",
    "description",
    "ozg_id",
    "legal_bases",
    "responsible_unit",
    "trigger",
    "result",
    "required_documents",
    "fees",
    "keywords",
    "synonyms",
)
LIST_FIELDS = ("legal_bases", "required_documents", "keywords", "synonyms")


def event(
    kind: EventKind,
    origin: str,
    authority: Authority,
    process: Process | None = None,
    model: ProcessModel | None = None,
    revision: Revision | None = None,
) -> dict[str, Any]:
    return {
        "v": PAYLOAD_VERSION,
        "event_id": uuid.uuid4().hex,
        "kind": kind.value,
        "origin": origin,
        "occurred_at": iso(utcnow()),
        "authority": authority_part(authority),
        "process": process_part(process) if process else None,
        "model": model_part(model) if model else None,
        "revision": revision_part(revision) if revision else None,
    }


def authority_part(authority: Authority) -> dict[str, Any]:
    return {
        "id": str(authority.id),
        "slug": authority.slug,
        "name": authority.name,
        "kind": authority.kind.value,
        "state": authority.state,
        "ars": authority.ars,
    }


def process_part(process: Process) -> dict[str, Any]:
    data: dict[str, Any] = {"id": str(process.id)}
    data.update({name: getattr(process, name) for name in PROCESS_FIELDS})
    for name in LIST_FIELDS:
        data[name] = list(data[name] or ())
    data["leika_keys"] = list(process.leika_keys)
    return data


def model_part(model: ProcessModel) -> dict[str, Any]:
    return {
        "id": str(model.id),
        "title": model.title,
        "description": model.description,
        "upstream": None,
    }


def revision_part(revision: Revision) -> dict[str, Any]:
    return {
        "id": str(revision.id),
        "number": revision.number,
        "sha256": revision.blob_sha256,
        "size": revision.size,
        "filename": revision.filename,
        "media_type": revision.media_type,
        "message": revision.message,
        "author_name": revision.author_name,
        "published_at": iso(revision.published_at) if revision.published_at else None,
    }


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
