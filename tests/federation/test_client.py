import hashlib

import pytest
from werkzeug.wrappers import Response

from federation.client import ChangesPage, FederationClient, FeedEntry, parse_page
from federation.errors import BadResponse, BlobMismatch, BlobMissing, PeerUnavailable
from tests.federation import fake_peer as fp


def publish(peer, count):
    for _ in range(count):
        peer.publish()


def doc_fault(doc):
    return lambda peer, request: fp.as_json(doc)


def test_instance_document_is_validated(peer, peer_client):
    info = peer_client.instance()
    assert info["name"] == "Musterregister Sachsen"
    assert info["jwks"] == peer.jwks
    assert info["protocol_version"] == "1" and info["vouches"] == []


def test_instance_with_private_or_bad_keys(peer, peer_client):
    peer.fail(doc_fault({**peer.instance(), "jwks": {"keys": [peer.private_jwk]}}))
    assert "d" not in peer_client.instance()["jwks"]["keys"][0]
    peer.fail(doc_fault({**peer.instance(), "jwks": {"keys": [{"kty": "oct", "k": "AA"}]}}))
    with pytest.raises(BadResponse, match="instance"):
        peer_client.instance()


@pytest.mark.parametrize(
    "change",
    [
        {"name": ""},
        {"base_url": "not a url"},
        {"protocol_version": 1},
        {"vouches": "x"},
        {"vouches": [{"name": "B", "base_url": "https://b.example", "jwks": {}}]},
        {"vouches": [None]},
    ],
)
def test_instance_documents_off_the_schema(peer, peer_client, change):
    peer.fail(doc_fault({**peer.instance(), **change}))
    with pytest.raises(BadResponse):
        peer_client.instance()


def test_changes_pages_and_user_agent(peer, peer_client):
    publish(peer, 5)
    page = peer_client.changes(after=0, limit=2)
    assert [e.seq for e in page.events] == [1, 2]
    assert (page.next, page.latest, page.more) == (2, 5, True)
    last = peer_client.changes(after=4, limit=2)
    assert [e.seq for e in last.events] == [5] and last.more is False
    empty = peer_client.changes(after=5, limit=2)
    assert empty == ChangesPage(events=(), next=5, latest=5, more=False)
    request = peer.requests[0]
    assert request.headers["User-Agent"] == "Musterregister-Federation/1"
    assert request.args.to_dict() == {"after": "0", "limit": "2"}


@pytest.mark.parametrize(("after", "limit"), [(-1, 10), (0, 0), (0, 501)])
def test_changes_arguments_are_checked(peer_client, after, limit):
    with pytest.raises(ValueError):
        peer_client.changes(after, limit)


def test_base_url_is_checked():
    with pytest.raises(ValueError):
        FederationClient("https://a.example/")


@pytest.mark.parametrize(
    "fault",
    [fp.garbage, fp.truncated_json, fp.reordered, fp.repeated, fp.ignoring_after, fp.redirect],
    ids=["garbage", "truncated-json", "reordered", "repeated", "ignoring-after", "redirect"],
)
def test_malformed_pages_are_bad_responses(peer, peer_client, fault):
    publish(peer, 5)
    peer.fail(fault)
    with pytest.raises(BadResponse):
        peer_client.changes(after=2, limit=3)
    assert len(peer.requests) == 1, "no redirect followed"
    assert [e.seq for e in peer_client.changes(after=2, limit=3).events] == [3, 4, 5]


@pytest.mark.parametrize(
    "doc",
    [
        [],
        {"events": [{"seq": 1, "jws": "a.b.c"}] * 2, "next": 1, "latest": 1, "more": False},
        {"events": [{"seq": i, "jws": "a.b.c"} for i in (1, 2, 3)], "next": 3, "latest": 3},
        {"events": "x", "next": 0, "latest": 0, "more": False},
        {"events": [{"seq": 1}], "next": 1, "latest": 1, "more": False},
        {"events": [{"seq": "1", "jws": "a"}], "next": 1, "latest": 1, "more": False},
        {"events": [{"seq": True, "jws": "a"}], "next": 1, "latest": 1, "more": False},
        {"events": ["a.b.c"], "next": 1, "latest": 1, "more": False},
        {"events": [], "next": "0", "latest": 0, "more": False},
        {"events": [], "next": 0, "latest": 0.5, "more": False},
        {"events": [], "next": 0, "latest": 0, "more": "no"},
        {"events": [], "next": 3, "latest": 3, "more": False},
        {"events": [{"seq": 1, "jws": "a"}], "next": 1, "latest": 0, "more": False},
    ],
)
def test_pages_off_the_schema_are_bad_responses(peer, peer_client, doc):
    peer.fail(doc_fault(doc))
    with pytest.raises(BadResponse):
        peer_client.changes(after=0, limit=2)


def test_parse_page_accepts_a_consistent_page():
    doc = {"events": [{"seq": 3, "jws": "t"}], "next": 3, "latest": 9, "more": True}
    assert parse_page(doc, 2, 1).events == (FeedEntry(3, "t"),)


@pytest.mark.parametrize("code", [500, 502, 503, 504, 408, 429])
def test_server_errors_mean_unavailable(peer, peer_client, code):
    peer.fail(fp.status(code))
    with pytest.raises(PeerUnavailable, match=str(code)):
        peer_client.changes(0, 10)


@pytest.mark.parametrize("code", [400, 401, 403, 404, 410, 418])
def test_client_errors_are_bad_responses(peer, peer_client, code):
    peer.fail(fp.status(code))
    with pytest.raises(BadResponse, match=str(code)):
        peer_client.changes(0, 10)


def test_connection_refused_is_unavailable(served, peer_client):
    served.stop()
    with pytest.raises(PeerUnavailable, match="connection"):
        peer_client.changes(0, 10)


def test_slow_answer_times_out(peer, served):
    peer.fail(fp.slow(0.8))
    with (
        FederationClient(served.url, timeout=(1, 0.3)) as client,
        pytest.raises(PeerUnavailable, match="timed out"),
    ):
        client.changes(0, 10)


def test_truncated_transfer_is_unavailable(peer, peer_client):
    publish(peer, 3)
    peer.fail(fp.truncated_transfer)
    with pytest.raises(PeerUnavailable):
        peer_client.changes(0, 10)


def test_total_time_of_a_request_is_bounded(peer, served):
    peer.fail(fp.dripping(chunks=8, pause=0.15))
    with (
        FederationClient(served.url, timeout=(1, 1), total_timeout=0.4) as client,
        pytest.raises(PeerUnavailable, match="slower than"),
    ):
        client.changes(0, 10)


@pytest.mark.parametrize("announce", [True, False], ids=["content-length", "chunked"])
def test_size_is_capped(peer, served, announce):
    peer.fail(fp.huge(100_000, announce=announce))
    with (
        FederationClient(served.url, timeout=(1, 0.5), max_bytes=50_000) as client,
        pytest.raises(BadResponse, match="larger than 50000"),
    ):
        client.changes(0, 10)


def test_blob_is_checked_against_its_hash(peer, peer_client):
    sha = peer.add_blob(b"<bpmn:definitions/>")
    assert peer_client.blob(sha) == b"<bpmn:definitions/>"
    peer.fail(fp.wrong_blob)
    with pytest.raises(BlobMismatch):
        peer_client.blob(sha)
    with pytest.raises(BlobMissing):
        peer_client.blob(hashlib.sha256(b"unknown").hexdigest())
    peer.fail(fp.status(503))
    with pytest.raises(PeerUnavailable):
        peer_client.blob(sha)
    peer.fail(fp.status(400))
    with pytest.raises(BadResponse):
        peer_client.blob(sha)


@pytest.mark.parametrize("sha", ["", "A" * 64, "a" * 63, "../../etc/passwd", None])
def test_blob_argument_is_a_sha256(peer_client, sha):
    with pytest.raises(ValueError):
        peer_client.blob(sha)


def test_undecodable_body_is_a_bad_response(peer, peer_client):
    def broken_gzip(peer, request):
        return Response(b"not gzip at all", headers={"Content-Encoding": "gzip"})

    peer.fail(broken_gzip)
    with pytest.raises(BadResponse, match="undecodable"):
        peer_client.changes(0, 10)
