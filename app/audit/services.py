"""Writing audit events. Events are only ever added, never changed or removed."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.authz import Actor


def record(session: Session, actor: Actor, action: str, **what: Any) -> AuditEvent:
    """Add the audit event of ``action`` to the session (``what``: see :func:`audit_event`)."""
    event = audit_event(actor, action, **what)
    session.add(event)
    return event


def audit_event(
    actor: Actor,
    action: str,
    *,
    object_type: str,
    object_id: uuid.UUID | str,
    authority_id: uuid.UUID | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """The audit event, not yet added to any session."""
    return AuditEvent(
        actor_account_id=actor.account_id,
        actor_name=actor.name,
        authority_id=authority_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=dict(before) if before is not None else None,
        after=dict(after) if after is not None else None,
        details=dict(details) if details is not None else None,
    )


def record_refusal(
    session: Session,
    actor: Actor,
    *,
    method: str,
    path: str,
    status: int,
    reason: str,
    language: str = "de",
) -> AuditEvent:
    """A refused write attempt, kept in its own transaction after the request was rolled back.

    ``reason`` is in ``language``, the language of the response that refused it."""
    return record(
        session,
        actor,
        "request.refused",
        object_type="request",
        object_id=f"{method} {path}"[:64],
        authority_id=actor.authority_id,
        details={
            "method": method,
            "path": path,
            "status": status,
            "reason": reason,
            "language": language,
        },
    )
