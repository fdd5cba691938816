"""One sync run over the active peers: check their keys, then pull each feed into the mirrors.

Called by ``musterregister federation sync`` (and usable by any scheduler). Each peer is pulled by
``federation.sync.sync_peer`` with a :class:`~app.peering.importer.DbImporter`; a peer that cannot
be reached or whose keys changed is reported and skipped, the others go on.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.authz import system_actor
from app.config import Settings
from app.db import Database
from app.errors import DomainError, NotFound
from app.i18n import _
from app.peering import peers
from app.peering.importer import DbImporter
from app.peering.models import Peer


@dataclass(frozen=True)
class PeerResult:
    name: str
    applied: int = 0
    refused: int = 0
    cursor: int = 0
    latest: int | None = None
    error: str | None = None

    @property
    def summary(self) -> str:
        lag = "?" if self.latest is None else max(self.latest - self.cursor, 0)
        text = (
            f"{self.name}: {self.applied} übernommen, {self.refused} abgelehnt, "
            f"Stand {self.cursor}, Rückstand {lag}"
        )
        return f"{text} – Fehler: {self.error}" if self.error else text


def sync_all(
    database: Database,
    settings: Settings,
    client_factory: Callable[[str], Any],
    *,
    name: str | None = None,
    **options: Any,
) -> list[PeerResult]:
    """Pull every active peer (or the one named) once; ``options`` go to ``sync_peer``."""
    with database.session(write=False) as session:
        ids = [peer.id for peer in peers.active_peers(session, name)]
    if name is not None and not ids:
        raise NotFound(_("Eine aktive Partnerinstanz „%(name)s“ gibt es nicht.", name=name))
    return [sync_one(database, settings, peer_id, client_factory, **options) for peer_id in ids]


def sync_one(
    database: Database,
    settings: Settings,
    peer_id: uuid.UUID,
    client_factory: Callable[[str], Any],
    **options: Any,
) -> PeerResult:
    from federation.sync import sync_peer

    with database.session(write=False) as session:
        peer = session.get(Peer, peer_id)
    assert peer is not None
    client = client_factory(peer.base_url)
    refused_keys = _check_keys(database, settings, peer, client)
    if refused_keys is not None:
        return PeerResult(peer.name, cursor=peer.cursor, error=refused_keys)
    with database.session(write=False) as session:
        peer = session.get(Peer, peer_id)
    assert peer is not None
    importer = DbImporter(database, peer, settings)
    try:
        report = sync_peer(client, importer, peer.cursor, **options)
    finally:
        importer.close()
    return PeerResult(
        peer.name,
        applied=report.applied - importer.refused_in_apply,
        refused=report.refused + importer.refused_in_apply,
        cursor=report.cursor,
        latest=report.latest,
        error=report.error,
    )


def _check_keys(database: Database, settings: Settings, peer: Peer, client: Any) -> str | None:
    """None if the peer still shows the pinned keys; else why it is not synced now."""
    from federation.errors import FederationError

    importer = DbImporter(database, peer, settings)
    try:
        info = client.instance()
    except FederationError as error:
        message = f"Selbstauskunft nicht abrufbar: {error}"
        importer.report(latest=None, error=message)
        return message
    try:
        with database.transaction() as session:
            current = session.get(Peer, peer.id)
            assert current is not None
            unchanged = peers.refresh_instance(session, _actor(peer), current, info)
    except DomainError as error:
        importer.report(latest=None, error=error.detail)
        return error.detail
    return None if unchanged else peers.KEYS_CHANGED


def _actor(peer: Peer) -> Any:
    return system_actor(f"Föderation ({peer.name})")
