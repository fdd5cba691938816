"""Reading this instance's feed: pages of events, content by hash, the peers it vouches for.

Writing the feed is :mod:`app.peering.outbox`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, exists, func, select
from sqlalchemy.orm import Session

from app.library.models import Blob, Revision, RevisionStatus
from app.peering.models import OutboxEvent, Peer, PeerState
from federation.feed import PROTOCOL_VERSION

__all__ = ["PROTOCOL_VERSION", "blob", "changes", "vouches"]
SERVED_STATUSES = (RevisionStatus.PUBLISHED, RevisionStatus.SUPERSEDED)

# Built once: peers call these for every page and every blob, and building a statement costs
# more than running it. Plain table columns keep the ORM out of the way.
_outbox, _blobs, _revisions = OutboxEvent.__table__, Blob.__table__, Revision.__table__
_PAGE = (
    select(_outbox.c.seq, _outbox.c.jws)
    .where(_outbox.c.seq > bindparam("after"))
    .order_by(_outbox.c.seq)
    .limit(bindparam("rows"))
)
_LATEST = select(func.max(_outbox.c.seq))
_SERVED_BLOB = select(_blobs.c.data).where(
    _blobs.c.sha256 == bindparam("sha256"),
    exists().where(_outbox.c.sha256 == bindparam("sha256")),
    exists().where(
        _revisions.c.blob_sha256 == bindparam("sha256"),
        _revisions.c.status.in_(SERVED_STATUSES),
    ),
)


def changes(session: Session, after: int, limit: int) -> dict[str, Any]:
    """Events with ``seq > after``, oldest first: one indexed range query with a LIMIT."""
    # one more row than asked for tells whether there is more
    rows = session.execute(_PAGE, {"after": after, "rows": limit + 1}).all()
    page = rows[:limit]
    next_seq = page[-1].seq if page else after
    latest = session.scalar(_LATEST) or 0
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
    return session.scalar(_SERVED_BLOB, {"sha256": sha256})


def vouches(session: Session) -> list[dict[str, Any]]:
    """The instances this one pulls from (active peers), with their pinned keys."""
    peers = session.scalars(
        select(Peer).where(Peer.state == PeerState.ACTIVE).order_by(Peer.base_url)
    )
    return [{"base_url": p.base_url, "name": p.instance_name, "jwks": p.jwks} for p in peers]
