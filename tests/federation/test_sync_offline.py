"""sync_peer with in-process clients: events the client should never pass on, and memory use."""

import tracemalloc

from federation import feed
from federation.client import ChangesPage, FeedEntry
from federation.sync import sync_peer
from tests.federation import fake_peer as fp
from tests.federation.conftest import MemoryImporter


class ScriptedClient:
    """Returns the given pages in order, without any validation."""

    def __init__(self, *pages):
        self.pages = list(pages)
        self.asked = []

    def changes(self, after, limit):
        self.asked.append(after)
        return self.pages.pop(0)

    def blob(self, sha256):
        raise AssertionError("no blobs here")


def test_events_at_or_before_the_cursor_never_reach_apply():
    peer = fp.FakePeer()
    token = feed.sign_event(fp.event_payload("authority-updated"), peer.private_jwk)
    page = ChangesPage(
        events=tuple(FeedEntry(seq, token) for seq in (3, 5, 5, 4, 6)), next=6, latest=6, more=False
    )
    importer = MemoryImporter(trusted={fp.ORIGIN: peer.jwks}, cursor=4)
    report = sync_peer(ScriptedClient(page), importer, 4, sleep=lambda s: None)
    assert [seq for seq, _ in importer.applied] == [5, 6]
    assert report.cursor == 6


def test_an_empty_page_that_claims_more_ends_the_run():
    client = ScriptedClient(ChangesPage(events=(), next=0, latest=9, more=True))
    report = sync_peer(client, MemoryImporter(), 0)
    assert (report.pages, report.latest, report.error) == (1, 9, None)


class LazyClient:
    """A feed of ``total`` copies of one signed event, built page by page on demand."""

    def __init__(self, total, token):
        self.total, self.token = total, token

    def changes(self, after, limit):
        last = min(after + limit, self.total)
        events = tuple(FeedEntry(seq, self.token) for seq in range(after + 1, last + 1))
        return ChangesPage(events=events, next=last, latest=self.total, more=last < self.total)


class CountingImporter(MemoryImporter):
    """Keeps only a count, so that any growth would be the sync's own."""

    count = 0

    def apply(self, seq, event, fetch_blob, jws):
        self.count += 1

    def advance(self, seq):
        self.cursor = seq


def peak_memory(total, token, jwks):
    importer = CountingImporter(trusted={fp.ORIGIN: jwks})
    tracemalloc.start()
    try:
        report = sync_peer(LazyClient(total, token), importer, 0, page_size=100)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert report.applied == importer.count == total
    return peak


def test_memory_does_not_grow_with_the_number_of_events():
    peer = fp.FakePeer()
    token = feed.sign_event(fp.event_payload("process-updated"), peer.private_jwk)
    small = peak_memory(300, token, peer.jwks)
    large = peak_memory(2400, token, peer.jwks)
    assert large < small * 1.25 + 16 * 1024, (small, large)
