"""A peer instance in memory: its key, a feed of hand-signed events and its blobs.

It answers like ``federation.client.FederationClient`` (``instance``, ``changes``, ``blob``), so the
real ``federation.sync.sync_peer`` loop and the importer run against it without HTTP.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from app.peering.models import Peer, PeerState
from federation.client import ChangesPage, FeedEntry
from federation.errors import BlobMismatch, BlobMissing, PeerUnavailable
from federation.feed import sign_event
from federation.keys import fingerprint, generate_key
from tests.factories import MINIMAL_BPMN


def bpmn(marker: str) -> bytes:
    end = b"</bpmn:definitions>"
    return MINIMAL_BPMN.replace(end, f"<!-- {marker} -->".encode() + end)


@dataclass
class FakePeer:
    base_url: str
    name: str = "Musterregister Sachsen"
    version: str = "1"
    private: dict[str, Any] = field(default_factory=dict)
    public: dict[str, Any] = field(default_factory=dict)
    feed: list[FeedEntry] = field(default_factory=list)
    blobs: dict[str, bytes] = field(default_factory=dict)
    vouches: list[dict[str, Any]] = field(default_factory=list)
    down: bool = False

    def __post_init__(self) -> None:
        if not self.private:
            self.private, self.public = generate_key()

    # --- what the client answers ---------------------------------------------------------------

    @property
    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.public]}

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.jwks)

    def instance(self) -> dict[str, Any]:
        if self.down:
            raise PeerUnavailable("connection refused")
        return {
            "name": self.name,
            "base_url": self.base_url,
            "protocol_version": self.version,
            "jwks": self.jwks,
            "vouches": self.vouches,
        }

    def changes(self, after: int, limit: int) -> ChangesPage:
        if self.down:
            raise PeerUnavailable("connection refused")
        page = tuple(entry for entry in self.feed if entry.seq > after)[:limit]
        latest = self.feed[-1].seq if self.feed else 0
        last = page[-1].seq if page else after
        return ChangesPage(events=page, next=last, latest=latest, more=last < latest)

    def blob(self, sha256: str) -> bytes:
        data = self.blobs.get(sha256)
        if data is None:
            raise BlobMissing(sha256)
        if hashlib.sha256(data).hexdigest() != sha256:
            raise BlobMismatch(f"blob {sha256[:12]}… does not match its hash")
        return data

    # --- building the feed ---------------------------------------------------------------------

    def add(self, payload: dict[str, Any], private: dict[str, Any] | None = None) -> int:
        """Sign (with this peer's key unless another is given) and append; returns the seq."""
        seq = (self.feed[-1].seq if self.feed else 0) + 1
        self.feed.append(FeedEntry(seq=seq, jws=sign_event(payload, private or self.private)))
        return seq

    def relay(self, other: FakePeer) -> None:
        """Carry every event of ``other`` in this feed, with ``other``'s signature."""
        for entry in other.feed:
            seq = (self.feed[-1].seq if self.feed else 0) + 1
            self.feed.append(FeedEntry(seq=seq, jws=entry.jws))
        self.blobs.update(other.blobs)

    def pin(self, session: Session, name: str, state: PeerState = PeerState.ACTIVE) -> Peer:
        """This peer as a row of the local register, as if added and confirmed."""
        peer = Peer(
            name=name,
            base_url=self.base_url,
            instance_name=self.name,
            protocol_version=self.version,
            jwks=self.jwks,
            fingerprint=self.fingerprint,
            state=state,
            vouched=[
                {"base_url": v["base_url"], "name": v["name"], "jwks": v["jwks"]}
                for v in self.vouches
            ],
            cursor=0,
        )
        session.add(peer)
        session.flush()
        return peer


@dataclass
class Scene:
    """Ids of one model at an origin, and how to build the events about it."""

    origin: str
    authority_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    process_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    model_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    authority_name: str = "Landeshauptstadt Dresden"
    title: str = "Hund anmelden"

    def authority(self, **changes: Any) -> dict[str, Any]:
        return {
            "id": self.authority_id,
            "slug": "dresden",
            "name": self.authority_name,
            "kind": "gemeinde",
            "state": "SN",
            "ars": "146120000000",
            **changes,
        }

    def process(self, **changes: Any) -> dict[str, Any]:
        return {
            "id": self.process_id,
            "title": self.title,
            "description": "Hundesteuer: Anmeldung eines Hundes",
            "leika_keys": ["99108008001000"],
            "ozg_id": None,
            "legal_bases": [{"title": "Hundesteuersatzung"}],
            "responsible_unit": "Steueramt",
            "trigger": "Hund wird gehalten",
            "result": "Steuerbescheid",
            "required_documents": ["Nachweis der Haftpflichtversicherung"],
            "fees": "keine",
            "keywords": ["Hundesteuer"],
            "synonyms": ["Dackel anmelden"],
            **changes,
        }

    def model(self) -> dict[str, Any]:
        return {
            "id": self.model_id,
            "title": f"{self.title} (Modell)",
            "description": None,
            "upstream": None,
        }

    def revision(self, number: int, data: bytes, revision_id: str | None = None) -> dict[str, Any]:
        return {
            "id": revision_id or f"{self.model_id}-r{number}",
            "number": number,
            "sha256": hashlib.sha256(data).hexdigest(),
            "size": len(data),
            "filename": "hund-anmelden.bpmn",
            "media_type": "application/xml",
            "message": f"Fassung {number}",
            "author_name": "Erika Muster",
            "published_at": "2024-05-02T10:00:00Z",
        }

    def event(self, kind: str, **parts: Any) -> dict[str, Any]:
        sections = {"authority": self.authority(), "process": None, "model": None, "revision": None}
        if kind in {"published", "withdrawn", "superseded", "process-updated"}:
            sections["process"] = self.process()
        if kind in {"published", "withdrawn", "superseded"}:
            sections["model"] = self.model()
        sections.update(parts)
        return {
            "v": 1,
            "event_id": uuid.uuid4().hex,
            "kind": kind,
            "origin": self.origin,
            "occurred_at": "2024-05-02T10:00:00Z",
            **sections,
        }

    def published(self, peer: FakePeer, number: int, data: bytes, **ids: Any) -> dict[str, Any]:
        """Add a published event for revision ``number`` (and its blob) to ``peer``'s feed."""
        peer.blobs[hashlib.sha256(data).hexdigest()] = data
        payload = self.event("published", revision=self.revision(number, data, **ids))
        peer.add(payload)
        return payload
