"""Fixtures of the federation library tests: a fake peer on 127.0.0.1 and an in-memory importer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from federation.client import FederationClient
from tests.federation.fake_peer import ORIGIN, FakePeer, Served


@pytest.fixture()
def peer() -> FakePeer:
    return FakePeer()


@pytest.fixture()
def served(peer: FakePeer) -> Iterator[Served]:
    server = Served(peer).start()
    yield server
    server.stop()


@pytest.fixture()
def peer_client(served: Served) -> Iterator[FederationClient]:
    with FederationClient(served.url, timeout=(2.0, 2.0), total_timeout=5.0) as client:
        yield client


@dataclass
class MemoryImporter:
    """Records every call; ``trusted`` maps origin → JWKS; ``fail_at`` makes apply raise once;
    ``fetch`` lists the blob hashes apply fetches (from the event's revision by default)."""

    trusted: dict[str, dict[str, Any]] = field(default_factory=dict)
    cursor: int = 0
    applied: list[tuple[int, str]] = field(default_factory=list)
    blobs: dict[str, bytes] = field(default_factory=dict)
    refused: list[tuple[int, str | None, str]] = field(default_factory=list)
    reports: list[dict[str, Any]] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    fail_at: int | None = None

    def keys_for(self, origin: str) -> dict[str, Any] | None:
        return self.trusted.get(origin)

    def apply(
        self, seq: int, event: dict[str, Any], fetch_blob: Callable[[str], bytes], jws: str
    ) -> None:
        self.calls.append(f"apply {seq}")
        if seq == self.fail_at:
            self.fail_at = None
            raise RuntimeError("database is locked")
        revision = event["revision"]
        if revision is not None:
            self.blobs[revision["sha256"]] = fetch_blob(revision["sha256"])
        self.applied.append((seq, event["event_id"]))

    def advance(self, seq: int) -> None:
        assert seq > self.cursor, "the cursor only moves forward"
        self.calls.append(f"advance {seq}")
        self.cursor = seq

    def refuse(self, seq: int, event_id: str | None, reason: str) -> None:
        self.calls.append(f"refuse {seq}")
        self.refused.append((seq, event_id, reason))

    def report(self, *, latest: int | None, error: str | None) -> None:
        self.reports.append({"latest": latest, "error": error})


@pytest.fixture()
def importer(peer: FakePeer) -> MemoryImporter:
    return MemoryImporter(trusted={ORIGIN: peer.jwks})
