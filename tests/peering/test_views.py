"""The public federation endpoints: instance document, feed pages and content by hash."""

from __future__ import annotations

import hashlib

import pytest

from app.peering import keys
from app.peering.models import Peer, PeerState
from app.review import services as review
from federation import keys as federation_keys
from federation.feed import verify_event
from tests.factories import SYSTEM
from tests.peering.helpers import events, new_revision, publish, published_model

PROBLEM = "application/problem+json"


def _peer(session, name: str, state: PeerState) -> Peer:
    _private, public = federation_keys.generate_key()
    jwks = {"keys": [public]}
    peer = Peer(
        name=name,
        base_url=f"https://{name}.example.org",
        instance_name=f"Musterregister {name}",
        protocol_version="1",
        jwks=jwks,
        fingerprint=federation_keys.fingerprint(jwks),
        state=state,
    )
    session.add(peer)
    return peer


def test_the_instance_document_names_keys_and_vouches(client, session):
    active = _peer(session, "sachsen", PeerState.ACTIVE)
    _peer(session, "bayern", PeerState.PENDING)
    session.commit()
    response = client.get("/federation/v1/instance")
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_json()
    assert body["name"] == "Musterregister"
    assert body["base_url"] == "http://127.0.0.1:5000"
    assert body["protocol_version"] == "1"
    assert [key["kid"] for key in body["jwks"]["keys"]] == [keys.active_key(session).kid]
    assert all("d" not in key for key in body["jwks"]["keys"])
    assert body["vouches"] == [
        {"base_url": active.base_url, "name": active.instance_name, "jwks": active.jwks}
    ]
    assert b'": ' not in response.data and b", " not in response.data  # compact


def test_the_instance_document_lists_retired_keys_too(client, session):
    old = keys.ensure_key(session, "test-secret-key-that-is-long-enough-for-production-rules")
    keys.rotate_key(session, "test-secret-key-that-is-long-enough-for-production-rules")
    session.commit()
    kids = [key["kid"] for key in client.get("/federation/v1/instance").get_json()["jwks"]["keys"]]
    assert len(kids) == 2 and kids[0] == old.kid


def _feed(session, count: int) -> list[int]:
    model = published_model(session)
    for number in range(count - 1):
        review.withdraw(
            session, SYSTEM, publish(session, new_revision(session, model, str(number)))
        )
    session.commit()
    return [event.seq for event in events(session)]


def test_the_feed_is_read_in_pages(client, session):
    seqs = _feed(session, 3)  # published, then (published, superseded, withdrawn) twice
    page = client.get("/federation/v1/changes?after=0&limit=2").get_json()
    assert [event["seq"] for event in page["events"]] == seqs[:2]
    assert page["next"] == seqs[1] and page["latest"] == seqs[-1] and page["more"] is True
    rest = client.get(f"/federation/v1/changes?after={page['next']}&limit=500").get_json()
    assert [event["seq"] for event in rest["events"]] == seqs[2:]
    assert rest["more"] is False and rest["next"] == seqs[-1]
    jwks = client.get("/federation/v1/instance").get_json()["jwks"]
    assert all(verify_event(event["jws"], jwks) for event in page["events"] + rest["events"])


def test_an_empty_page_keeps_the_cursor(client, session):
    seqs = _feed(session, 1)
    page = client.get(f"/federation/v1/changes?after={seqs[-1]}").get_json()
    assert page == {"events": [], "next": seqs[-1], "latest": seqs[-1], "more": False}


def test_the_default_page_holds_a_hundred_events(client, session):
    _feed(session, 1)
    page = client.get("/federation/v1/changes").get_json()
    assert len(page["events"]) == 1 and page["more"] is False


@pytest.mark.parametrize(
    "query",
    ["after=-1", "after=abc", "after=1.5", "limit=0", "limit=501", "limit=", "limit=zehn"],
)
def test_bad_paging_is_a_400_in_german(client, query):
    response = client.get(f"/federation/v1/changes?{query}")
    assert response.status_code == 400 and response.mimetype == PROBLEM
    assert "muss eine ganze Zahl" in response.get_json()["detail"]


def test_published_content_is_served_immutable_by_hash(client, session):
    revision = published_model(session).revisions[0]
    session.commit()
    url = f"/federation/v1/blobs/{revision.blob_sha256}"
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "application/octet-stream"
    assert hashlib.sha256(response.data).hexdigest() == revision.blob_sha256
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["ETag"] == f'"{revision.blob_sha256}"'
    again = client.get(url, headers={"If-None-Match": f'"{revision.blob_sha256}"'})
    assert again.status_code == 304 and again.data == b""


def test_a_drafts_content_is_never_served(client, session):
    draft = new_revision(session, published_model(session), "geheim")
    session.commit()
    response = client.get(f"/federation/v1/blobs/{draft.blob_sha256}")
    assert response.status_code == 404 and response.mimetype == PROBLEM


def test_withdrawn_content_is_served_no_longer(client, session):
    revision = published_model(session).revisions[0]
    review.withdraw(session, SYSTEM, revision)
    session.commit()
    assert client.get(f"/federation/v1/blobs/{revision.blob_sha256}").status_code == 404


@pytest.mark.parametrize("digest", ["abc", "A" * 64, "g" * 64, "0" * 63, "0" * 65])
def test_a_bad_hash_is_a_400(client, digest):
    response = client.get(f"/federation/v1/blobs/{digest}")
    assert response.status_code == 400 and response.mimetype == PROBLEM
    assert "SHA-256" in response.get_json()["detail"]


def test_unknown_content_is_a_404(client):
    assert client.get(f"/federation/v1/blobs/{'0' * 64}").status_code == 404
