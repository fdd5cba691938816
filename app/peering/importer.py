"""The importer of one peer's feed: what ``federation.sync.sync_peer`` calls for every event.

It implements ``federation.sync.Importer``: it says which keys are trusted for an origin, mirrors
each verified event in one transaction of its own (relaying it into this instance's feed in the same
transaction, with the origin's signature), moves the cursor only after that commit, and keeps
refusals and the sync state on the peer's row, where the peers page and ``musterregister peers``
show them.

Trust for an origin: the peer's own pinned keys; for content the peer relays from elsewhere the
pinned keys of an active peer with that base URL, or – only if the operator allowed it for this peer
(``accept_vouched``) – the keys the peer vouches for. Anything else is untrusted and refused.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import bindparam, select, update

from app.authz import system_actor
from app.config import Settings
from app.db import Database, utcnow
from app.errors import DomainError
from app.peering import keys as own_keys
from app.peering import outbox
from app.peering.analyses import Analyses
from app.peering.mirrors import Mirror, MirrorRefused, apply_event
from app.peering.models import Peer, PeerState, Refusal

log = logging.getLogger(__name__)
_peers = Peer.__table__
_ADVANCE = (
    update(_peers)
    .where(_peers.c.id == bindparam("peer_id"), _peers.c.cursor < bindparam("seq"))
    .values(cursor=bindparam("seq"))
)
ANALYSIS_HEADROOM = 4  # like `revisions analyse`: a stored revision may unpack beyond one upload


class DbImporter:
    """Mirrors the events of ``peer`` into ``database``; one transaction per event."""

    def __init__(
        self,
        database: Database,
        peer: Peer,
        settings: Settings,
    ) -> None:
        self.database = database
        self.peer_id: uuid.UUID = peer.id
        self.peer_name, self.base_url = peer.name, peer.base_url
        self.jwks = peer.jwks
        self.accept_vouched = peer.accept_vouched
        self.vouched = {str(v.get("base_url")): v.get("jwks") for v in peer.vouched or ()}
        self.own_origin = settings.base_url.rstrip("/")
        self.max_bytes = settings.max_upload_bytes * ANALYSIS_HEADROOM
        self.lint_rules = settings.lint_rules
        self.actor = system_actor(f"Föderation ({peer.name})")
        self.cursor = peer.cursor
        self._stored_cursor: int | None = None  # stored by apply with its event
        self.refused_in_apply = 0  # counted by sync_peer as applied; the summary corrects it
        self._pinned: dict[str, Any] | None = None
        self.analyses = Analyses(self.max_bytes, self.lint_rules)

    def close(self) -> None:
        """End the analysis worker (if one was started)."""
        self.analyses.close()

    # --- trust ---------------------------------------------------------------------------------

    def keys_for(self, origin: str) -> dict[str, Any] | None:
        if origin == self.base_url:
            return self.jwks
        if origin == self.own_origin:
            return self._own_jwks()  # our own events coming back: verified, then ignored
        pinned = self._pinned_peers().get(origin)
        if pinned is not None:
            return pinned
        if self.accept_vouched:
            return self.vouched.get(origin)
        return None

    def _pinned_peers(self) -> dict[str, Any]:
        if self._pinned is None:
            with self.database.session(write=False) as session:
                rows = session.execute(
                    select(Peer.base_url, Peer.jwks).where(Peer.state == PeerState.ACTIVE)
                )
                self._pinned = {url: jwks for url, jwks in rows}
        return self._pinned

    def _own_jwks(self) -> dict[str, Any] | None:
        with self.database.session(write=False) as session:
            jwks = own_keys.jwks(session)
        return jwks if jwks["keys"] else None

    # --- applying ------------------------------------------------------------------------------

    def before_prefetch(self) -> None:
        """The sync is about to fetch blobs ahead: fork the analysis worker now, while this
        process has no other threads."""
        self.analyses.launch()

    def prepare(self, event: dict[str, Any], blob: bytes) -> None:
        """A coming event's blob arrived early: start analysing it in the worker process."""
        revision = event.get("revision")
        filename = revision.get("filename") if isinstance(revision, dict) else None
        if str(event.get("origin", "")).rstrip("/") != self.own_origin:
            self.analyses.start(blob, filename if isinstance(filename, str) else None)

    def apply(
        self, seq: int, event: dict[str, Any], fetch_blob: Callable[[str], bytes], jws: str
    ) -> None:
        """Mirror one verified event and relay it, in one transaction (nothing if it fails).

        An event that contradicts the mirror (another hash for a known revision, unreadable
        content) is refused here, so the cursor moves past it instead of stalling the sync."""
        origin = str(event["origin"]).rstrip("/")
        if origin == self.own_origin:
            return
        try:
            self._mirror(seq, origin, event, fetch_blob, jws)
        except (MirrorRefused, DomainError) as error:
            reason = getattr(error, "detail", None) or str(error)
            self.refused_in_apply += 1
            self.refuse(seq, event.get("event_id"), f"Spiegel abgelehnt: {reason}")

    def _mirror(
        self,
        seq: int,
        origin: str,
        event: dict[str, Any],
        fetch_blob: Callable[[str], bytes],
        jws: str,
    ) -> None:
        with self.database.transaction() as session:
            mirror = Mirror(
                session=session,
                actor=self.actor,
                origin=origin,
                slug_prefix=self._slug_prefix(origin),
                max_bytes=self.max_bytes,
                lint_rules=self.lint_rules,
                analyses=self.analyses,
            )
            apply_event(mirror, event, fetch_blob)
            outbox.relay(session, jws, event)  # C pulls A's content from us, with A's signature
            # the cursor commits with the event: one commit per event, never one without the other
            session.connection().execute(_ADVANCE, {"peer_id": self.peer_id, "seq": seq})
        self._stored_cursor = seq

    def _slug_prefix(self, origin: str) -> str:
        """Slugs of mirrored authorities start with the name of the peer they came through."""
        if origin == self.base_url:
            return self.peer_name
        with self.database.session(write=False) as session:
            name = session.scalar(select(Peer.name).where(Peer.base_url == origin))
        return name or self.peer_name

    # --- progress ------------------------------------------------------------------------------

    def advance(self, seq: int) -> None:
        """The cursor moves only forward, and only after the event's transaction committed (a
        mirrored event has stored it already, in that transaction)."""
        if seq != self._stored_cursor:
            with self.database.transaction() as session:
                session.execute(_ADVANCE, {"peer_id": self.peer_id, "seq": seq})
        self.cursor = max(self.cursor, seq)

    def refuse(self, seq: int, event_id: str | None, reason: str) -> None:
        log.warning(
            "Partnerinstanz %s: Ereignis %s (%s) abgelehnt: %s",
            self.peer_name,
            seq,
            event_id,
            reason,
        )
        with self.database.transaction() as session:
            session.add(
                Refusal(peer_id=self.peer_id, seq=seq, event_id=event_id, reason=reason[:2000])
            )

    def report(self, *, latest: int | None, error: str | None) -> None:
        now = utcnow()
        values: dict[str, Any] = {"last_attempt_at": now}
        if error:
            values.update(last_error=error[:2000], last_error_at=now)
        else:
            values.update(last_success_at=now, last_error=None)
        if latest is not None:
            values["lag_events"] = max(latest - self.cursor, 0)
        with self.database.transaction() as session:
            session.execute(
                update(Peer)
                .where(Peer.id == self.peer_id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
