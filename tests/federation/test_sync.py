"""sync_peer against a real HTTP peer on 127.0.0.1 (werkzeug in a thread), with injected time."""

import hashlib
import threading
from dataclasses import dataclass, field

import pytest

from federation import keys
from federation.client import FederationClient
from federation.sync import SyncReport, sync_peer
from tests.federation import fake_peer as fp
from tests.federation.conftest import MemoryImporter


@dataclass
class FakeTime:
    """A clock that only moves when slept on (or ticked)."""

    now: float = 1000.0
    slept: list[float] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


@pytest.fixture()
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture()
def sync(peer_client, importer, fake_time):
    def run(**options) -> SyncReport:
        options = {"sleep": fake_time.sleep, "clock": fake_time.clock, **options}
        return sync_peer(peer_client, importer, importer.cursor, **options)

    return run


def publish(peer, count, kind="authority-updated"):
    for _ in range(count):
        if kind == "published":
            sha = peer.add_blob(f"<bpmn {len(peer.events)}/>".encode())
            peer.publish(fp.event_payload(kind, sha=sha))
        else:
            peer.publish(fp.event_payload(kind))


def seqs(importer):
    return [seq for seq, _ in importer.applied]


def passthrough(times):
    return [lambda peer, request: None] * times


def test_sync_applies_every_event_once_in_order(peer, importer, sync):
    publish(peer, 12, "published")
    publish(peer, 13, "process-updated")
    report = sync(page_size=10)
    assert report == SyncReport(applied=25, refused=0, pages=3, cursor=25, latest=25, error=None)
    assert seqs(importer) == list(range(1, 26))
    assert importer.calls[:4] == ["apply 1", "advance 1", "apply 2", "advance 2"]
    assert len(importer.blobs) == 12
    assert all(hashlib.sha256(data).hexdigest() == sha for sha, data in importer.blobs.items())
    assert importer.reports == [{"latest": 25, "error": None}]


def test_a_second_sync_is_a_no_op(peer, importer, sync):
    publish(peer, 5)
    sync()
    before = list(importer.calls)
    report = sync()
    assert (report.applied, report.refused, report.pages, report.cursor) == (0, 0, 1, 5)
    assert importer.calls == before
    assert peer.requests[-1].args["after"] == "5"


def test_peer_down_is_retried_with_backoff_then_reported(peer, importer, sync, fake_time):
    publish(peer, 3)
    peer.fail(fp.status(500), times=10)
    report = sync(max_retries=3)
    assert fake_time.slept == [0.5, 1.0, 2.0]
    assert report.error == "peer unavailable: /federation/v1/changes: HTTP 500"
    assert (report.cursor, report.applied, report.latest) == (0, 0, None)
    assert importer.calls == []
    assert importer.reports == [{"latest": None, "error": report.error}]
    assert len(peer.requests) == 4


def test_transient_failure_recovers_within_the_run(peer, importer, sync, fake_time):
    publish(peer, 3)
    peer.fail(fp.status(503), times=2)
    report = sync()
    assert fake_time.slept == [0.5, 1.0]
    assert (report.applied, report.error) == (3, None)


def test_backoff_is_exponential_and_capped(peer, importer, sync, fake_time):
    peer.fail(fp.status(502), times=10)
    sync(max_retries=4, backoff=(1.0, 3.0, 5.0))
    assert fake_time.slept == [1.0, 3.0, 5.0, 5.0]


def test_deadline_bounds_the_retries(peer, importer, sync, fake_time):
    peer.fail(fp.status(500), times=20)
    report = sync(max_retries=10, backoff=(2.0, 2.0, 100.0), deadline_s=10)
    assert fake_time.slept == [2.0, 4.0]  # the next 8 s would end after the deadline
    assert sum(fake_time.slept) <= 10
    assert "HTTP 500" in report.error


def test_deadline_stops_between_events_and_the_next_run_continues(peer, importer, fake_time):
    publish(peer, 8)
    slow = SlowImporter(trusted=importer.trusted, time=fake_time)
    with FederationClient(peer_url(peer)) as client:
        options = {"sleep": fake_time.sleep, "clock": fake_time.clock, "deadline_s": 5}
        report = sync_peer(client, slow, 0, **options)
        assert (report.applied, report.cursor, report.error) == (5, 5, None)
        report = sync_peer(client, slow, slow.cursor, **options)
    assert seqs(slow) == list(range(1, 9))


@dataclass
class SlowImporter(MemoryImporter):
    time: FakeTime = field(default_factory=FakeTime)

    def apply(self, seq, event, fetch_blob, jws):
        self.time.now += 1.0
        super().apply(seq, event, fetch_blob, jws)


def peer_url(peer):
    return PEER_URLS[id(peer)]


PEER_URLS: dict[int, str] = {}


@pytest.fixture(autouse=True)
def _remember_url(peer, served):
    PEER_URLS[id(peer)] = served.url
    yield
    PEER_URLS.pop(id(peer), None)


def test_failure_mid_sync_resumes_from_the_cursor(peer, importer, sync):
    publish(peer, 30)
    peer.faults.extend(passthrough(2))
    peer.fail(fp.status(500), times=6)
    first = sync(page_size=10)
    assert (first.applied, first.cursor, first.pages) == (20, 20, 2)
    assert first.error.startswith("peer unavailable")
    second = sync(page_size=10)
    assert (second.applied, second.cursor, second.error) == (10, 30, None)
    assert seqs(importer) == list(range(1, 31)), "nothing duplicated or lost"


def test_peer_killed_mid_sync_then_resumed(peer, served, importer, sync):
    publish(peer, 30)
    killer = KillingImporter(trusted=importer.trusted, served=served, kill_at=15)
    with FederationClient(served.url, timeout=(2, 2)) as client:
        options = {"page_size": 10, "sleep": lambda s: None, "max_retries": 2}
        report = sync_peer(client, killer, 0, **options)
        assert report.cursor == 20 and report.error.startswith("peer unavailable")
        assert "connection failed" in report.error
        served.start()  # same port
        report = sync_peer(client, killer, killer.cursor, **options)
    assert (report.cursor, report.error) == (30, None)
    assert seqs(killer) == list(range(1, 31))


@dataclass
class KillingImporter(MemoryImporter):
    served: object = None
    kill_at: int = 0

    def apply(self, seq, event, fetch_blob, jws):
        super().apply(seq, event, fetch_blob, jws)
        if seq == self.kill_at:
            self.served.stop()


@pytest.mark.parametrize(
    "fault",
    [fp.garbage, fp.truncated_json, fp.truncated_transfer, fp.reordered, fp.repeated, fp.redirect],
    ids=["garbage", "truncated-json", "truncated-transfer", "reordered", "repeated", "redirect"],
)
def test_bad_pages_stop_without_advancing(peer, importer, sync, fault):
    publish(peer, 20)
    peer.faults.extend(passthrough(1))
    peer.fail(fault, times=3)
    first = sync(page_size=10, max_retries=2)
    assert (first.applied, first.cursor) == (10, 10)
    assert first.error.startswith(("bad response", "peer unavailable"))
    assert importer.refused == []
    second = sync(page_size=10)
    assert (second.applied, second.cursor, second.error) == (10, 20, None)
    assert seqs(importer) == list(range(1, 21))


def test_refused_items_are_logged_skipped_and_not_retried(peer, importer, sync):
    other_private, _ = keys.generate_key()
    good = fp.event_payload("authority-updated")
    peer.publish(good)  # 1
    forged = fp.sign_unchecked(fp.event_payload(), other_private, kid=peer.public_jwk["kid"])
    peer.publish(jws=forged)  # 2
    stranger = fp.event_payload("authority-updated", origin="https://unknown.example")
    peer.publish(jws=fp.sign_unchecked(stranger, other_private))  # 3
    invalid = {**fp.event_payload("authority-updated"), "kind": "deleted"}
    peer.publish(jws=fp.sign_unchecked(invalid, peer.private_jwk))  # 4
    sha = peer.add_blob(b"<bpmn/>")
    peer.blobs[sha] = b"<bpmn>tampered</bpmn>"
    peer.publish(fp.event_payload("published", sha=sha))  # 5
    peer.publish(fp.event_payload("published", sha=hashlib.sha256(b"gone").hexdigest()))  # 6
    peer.publish(jws="garbage")  # 7
    last = fp.event_payload("published", sha=peer.add_blob(b"<ok/>"))
    peer.publish(last)  # 8
    report = sync()
    assert (report.applied, report.refused, report.cursor, report.error) == (2, 6, 8, None)
    assert importer.applied == [(1, good["event_id"]), (8, last["event_id"])]
    reasons = {seq: reason for seq, _, reason in importer.refused}
    assert reasons[2].startswith("signature invalid")
    assert reasons[3] == "untrusted origin: https://unknown.example"
    assert reasons[4].startswith("bad event: event.kind")
    assert reasons[5].startswith("blob hash mismatch")
    assert reasons[6].startswith("blob missing")
    assert reasons[7].startswith("signature invalid")
    assert importer.refused[1][1] == stranger["event_id"] and importer.refused[-1][1] is None
    assert importer.calls[2:4] == ["refuse 2", "advance 2"]
    assert importer.blobs == {last["revision"]["sha256"]: b"<ok/>"}
    calls = len(importer.calls)
    assert sync().applied == 0 and len(importer.calls) == calls, "refused items are not retried"


def test_apply_error_stops_before_the_event_and_the_next_run_retries_it(peer, importer, sync):
    publish(peer, 8)
    importer.fail_at = 5
    report = sync()
    assert (report.applied, report.cursor) == (4, 4)
    assert report.error == "apply failed at seq 5: RuntimeError: database is locked"
    assert importer.calls[-1] == "apply 5" and importer.refused == []
    assert importer.reports[-1]["error"] == report.error
    assert sync().cursor == 8
    assert seqs(importer) == list(range(1, 9))


def test_blob_outage_during_apply_retries_the_event(peer, importer, sync, fake_time):
    sha = peer.add_blob(b"<bpmn/>")
    peer.publish(fp.event_payload("published", sha=sha))
    peer.faults.extend(passthrough(1))  # the page
    peer.fail(fp.status(503))  # the blob, once
    report = sync()
    assert (report.applied, report.error, fake_time.slept) == (1, None, [0.5])
    assert importer.calls == ["apply 1", "apply 1", "advance 1"]


def test_blob_outage_that_lasts_stops_before_the_event(peer, importer, sync):
    peer.publish(fp.event_payload("published", sha=peer.add_blob(b"<bpmn/>")))
    peer.faults.extend(passthrough(1))
    peer.fail(fp.status(503), times=10)
    report = sync(max_retries=2)
    assert (report.applied, report.cursor, report.refused) == (0, 0, 0)
    assert report.error.startswith("peer unavailable: /federation/v1/blobs/")


def test_blob_error_counts_even_when_the_importer_wraps_it(peer, importer, served):
    sha = peer.add_blob(b"<bpmn/>")
    peer.blobs[sha] = b"evil"
    peer.publish(fp.event_payload("published", sha=sha))
    wrapping = WrappingImporter(trusted=importer.trusted)
    with FederationClient(served.url) as client:
        report = sync_peer(client, wrapping, 0, sleep=lambda s: None)
    assert (report.refused, report.cursor) == (1, 1)
    assert wrapping.refused[0][2].startswith("blob hash mismatch")


class WrappingImporter(MemoryImporter):
    def apply(self, seq, event, fetch_blob, jws):
        try:
            fetch_blob(event["revision"]["sha256"])
        except Exception as exc:
            raise RuntimeError("import failed") from exc


def test_sync_rejects_a_bad_cursor(peer_client, importer):
    with pytest.raises(ValueError):
        sync_peer(peer_client, importer, -1)


# --- blobs fetched ahead -----------------------------------------------------------------------


class PreparingImporter(MemoryImporter):
    """Records the optional hooks: blobs prepared ahead (from other threads) and the start."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.prepared, self.started, self.lock = [], [], threading.Lock()

    def before_prefetch(self):
        self.started.append(threading.current_thread().name)

    def prepare(self, event, blob):
        with self.lock:
            self.prepared.append((event["revision"]["sha256"], blob))


def test_blobs_are_fetched_ahead_and_prepared_before_their_event(peer, served):
    publish(peer, 6, "published")
    publish(peer, 2, "process-updated")
    importer = PreparingImporter(trusted={fp.ORIGIN: peer.jwks})
    with FederationClient(served.url) as client:
        report = sync_peer(client, importer, 0, prefetch=3)
    assert (report.applied, report.refused) == (8, 0)
    assert importer.started == [threading.current_thread().name]
    assert sorted(importer.prepared) == sorted(importer.blobs.items()) and len(importer.blobs) == 6
    blob_requests = [r for r in peer.requests if r.path.startswith("/federation/v1/blobs/")]
    assert len(blob_requests) == 6, "each blob once: apply gets the prefetched bytes"


def test_without_prefetch_nothing_is_prepared_and_blobs_come_on_demand(peer, served):
    publish(peer, 3, "published")
    importer = PreparingImporter(trusted={fp.ORIGIN: peer.jwks})
    with FederationClient(served.url) as client:
        report = sync_peer(client, importer, 0, prefetch=0)
    assert (report.applied, importer.started, importer.prepared) == (3, [], [])
    assert len(importer.blobs) == 3
