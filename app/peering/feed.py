"""Reading this instance's feed: pages of events, content by hash, the peers it vouches for.

Writing the feed is :mod:`app.peering.outbox`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from app.library.models import Blob, Revision, RevisionStatus
from app.peering.models import OutboxEvent, Peer, PeerState
from federation.feed import PROTOCOL_VERSION

__all__ = ["PROTOCOL_VERSION", "blob", "changes", "vouches"]
SERVED_STATUSES = (RevisionStatus.PUBLISHED, RevisionStatus.SUPERSEDED)


def changes(session: Session, after: int, limit: int) -> dict[str, Any]:
    """Events with ``seq > after``, oldest first: one indexed range query with a LIMIT."""
    rows = session.execute(
        select(OutboxEvent.seq, OutboxEvent.jws)
        .where(OutboxEvent.seq > after)
        .order_by(OutboxEvent.seq)
        .limit(limit + 1)  # one more tells whether there is more
    ).all()
    page = rows[:limit]
    next_seq = page[-1].seq if page else after
    latest = session.scalar(select(func.max(OutboxEvent.seq))) or 0
    return {
        "events": [{"seq": row.seq, "jws": row.jws} for row in page],
        "next": next_seq,
        "latest": max(latest, next_seq),
        "more": len(rows) > limit,
    }


def blob(session: Session, sha256: str) -> bytes | None:
    """Content some feed event refers to, while a published (or superseded) revision has it.

    Never a draft's bytes: a hash is served only after it went out in the feed, and no longer once
    every revision with it is withdrawn.
    """
    return session.scalar(
        select(Blob.data).where(
            Blob.sha256 == sha256,
            exists().where(OutboxEvent.sha256 == sha256),
            exists().where(Revision.blob_sha256 == sha256, Revision.status.in_(SERVED_STATUSES)),
        )
    )


def vouches(session: Session) -> list[dict[str, Any]]:
    """The instances this one pulls from (active peers), with their pinned keys."""
    peers = session.scalars(
        select(Peer).where(Peer.state == PeerState.ACTIVE).order_by(Peer.base_url)
    )
    return [{"base_url": p.base_url, "name": p.instance_name, "jwks": p.jwks} for p in peers]
