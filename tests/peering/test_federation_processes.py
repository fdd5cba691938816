"""Federation between real register processes on 127.0.0.1, each with its own database.

A ("Musterregister Sachsen") publishes; B pulls from A; C pulls from B only. Everything an operator
does goes through ``musterregister peers …`` and ``musterregister federation sync``, everything a
user does through the HTTP API; only test data is written straight into an instance's database (with
that instance's signing key, so its feed records it). The instances are shared by the tests of this
module (a server starts in seconds); every test publishes its own models.

The finer faults (garbage, truncated pages, reordered or repeated events, forged signatures, wrong
blobs, slow peers) are covered against a fake peer over real HTTP in tests/federation/.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.identity.models import Role
from app.library.models import ProcessModel, Revision, RevisionStatus
from app.peering.models import OutboxEvent, Peer, Refusal
from app.review import services as review
from app.review.workflow import Decision
from federation.errors import SignatureInvalid
from federation.feed import verify_event
from tests.factories import make_authority, make_member, make_model, make_process
from tests.peering.helpers import new_revision, publish
from tests.peering.processes import (
    add_peer,
    command,
    instance,
    read,
    run_command,
    start_command,
    write,
)
from tests.support.server import RegisterProcess

TIMEOUT = 10


@dataclass
class Network:
    a: RegisterProcess  # Musterregister Sachsen, publishes
    b: RegisterProcess  # pulls from A ("sachsen")
    c: RegisterProcess  # pulls from B ("bayern") only; started by the relay test


@pytest.fixture(scope="module")
def network(request, tmp_path_factory) -> Iterator[Network]:
    a = instance(request, tmp_path_factory, "a", "Musterregister Sachsen")
    b = instance(request, tmp_path_factory, "b", "Musterregister Bayern")
    c = instance(request, tmp_path_factory, "c", "Musterregister Thüringen")
    try:
        a.start()
        b.start()
        add_peer(b, "sachsen", a)
        yield Network(a, b, c)
    finally:
        for server in (c, b, a):
            server.stop()


# --- helpers -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Published:
    model_id: uuid.UUID
    process_id: uuid.UUID
    authority_id: uuid.UUID
    token: str  # a contributor of the model's authority

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def publish_model(server: RegisterProcess, title: str) -> Published:
    """A model of a fresh authority of ``server`` with revision 1 published through review."""

    def work(session: Session) -> Published:
        authority = make_authority(session)
        model = make_model(session, make_process(session, authority), title=title)
        publish(session, new_revision(session, model, title))
        contributor = make_member(session, authority, Role.CONTRIBUTOR)
        return Published(model.id, model.process_id, authority.id, contributor.token)

    return write(server, work)


def publish_next(server: RegisterProcess, model_id: uuid.UUID, marker: str) -> int:
    """Another revision of the model, published (the previous one becomes superseded)."""

    def work(session: Session) -> int:
        model = session.get(ProcessModel, model_id)
        assert model is not None
        return publish(session, new_revision(session, model, marker)).number

    return write(server, work)


def sync(server: RegisterProcess, peer: str, *options: str) -> dict[str, int]:
    """``federation sync --peer PEER``, which must succeed; the numbers of its summary line."""
    output = command(server, "federation", "sync", "--peer", peer, *options)
    return summary(output, peer)


def summary(output: str, peer: str) -> dict[str, int]:
    found = re.search(
        rf"^{peer}: (\d+) übernommen, (\d+) abgelehnt, Stand (\d+), Rückstand (\d+)",
        output,
        re.MULTILINE,
    )
    assert found, output
    applied, refused, cursor, lag = map(int, found.groups())
    return {"applied": applied, "refused": refused, "cursor": cursor, "lag": lag}


def mirror_of(server: RegisterProcess, origin: RegisterProcess, model_id: uuid.UUID) -> uuid.UUID:
    mirror = read(
        server,
        lambda session: session.scalar(
            select(ProcessModel.id).where(
                ProcessModel.origin_instance == origin.url,
                ProcessModel.origin_id == str(model_id),
            )
        ),
    )
    assert mirror is not None, f"{model_id} ist auf {server.url} nicht gespiegelt"
    return mirror


def mirrored_models(server: RegisterProcess) -> list[str]:
    """The ids at their origin of the models mirrored on ``server``."""
    return read(server, lambda session: list(session.scalars(select(ProcessModel.origin_id))))


def peer_row(server: RegisterProcess, name: str) -> Peer:
    peer = read(server, lambda session: session.scalar(select(Peer).where(Peer.name == name)))
    assert peer is not None
    return peer


def latest_seq(server: RegisterProcess) -> int:
    return read(server, lambda session: session.scalar(select(func.max(OutboxEvent.seq))) or 0)


def model_hits(server: RegisterProcess, word: str, model_id: uuid.UUID) -> list[dict]:
    response = requests.get(
        f"{server.url}/api/v1/search", params={"q": word, "facets": "false"}, timeout=TIMEOUT
    )
    assert response.ok, response.text
    return [hit for hit in response.json()["hits"] if hit["model_id"] == str(model_id)]


def eventually(check, *, seconds: float = 20) -> None:
    """The server's search indexer picks up committed changes every few seconds."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "nicht rechtzeitig eingetreten"
        time.sleep(0.3)


def api(server: RegisterProcess, path: str) -> requests.Response:
    return requests.get(f"{server.url}/api/v1{path}", timeout=TIMEOUT)


# --- publish, withdraw -------------------------------------------------------------------------


def test_a_withdrawal_on_a_removes_the_mirror_from_b_after_the_next_sync(network):
    a, b = network.a, network.b
    word = "Kranichzählung"
    published = publish_model(a, f"{word} im Moor")

    result = sync(b, "sachsen")
    assert (result["applied"], result["refused"], result["lag"]) == (1, 0, 0)
    assert sync(b, "sachsen")["applied"] == 0  # nothing new
    mirror = mirror_of(b, a, published.model_id)
    revisions = api(b, f"/models/{mirror}/revisions").json()["items"]
    assert [(r["number"], r["status"]) for r in revisions] == [(1, "published")]
    assert api(b, f"/models/{mirror}/revisions/1/content").ok
    eventually(lambda: model_hits(b, word, mirror))
    page = requests.get(f"{b.url}/modelle/{mirror}", timeout=TIMEOUT)
    assert page.ok and "aus Musterregister Sachsen · " in page.text

    # the owning authority's contributor withdraws the publication on A, through A's API
    response = requests.post(
        f"{a.url}/api/v1/models/{published.model_id}/revisions/1/withdraw",
        json={"comment": "Verfahren eingestellt"},
        headers=published.headers,
        timeout=TIMEOUT,
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "withdrawn"
    assert api(a, f"/models/{published.model_id}/revisions/1").status_code == 404

    result = sync(b, "sachsen")
    assert (result["applied"], result["refused"], result["lag"]) == (1, 0, 0)
    assert api(b, f"/models/{mirror}/revisions").json()["items"] == []
    assert api(b, f"/models/{mirror}/revisions/1").status_code == 404
    assert api(b, f"/models/{mirror}/revisions/1/content").status_code == 404
    eventually(lambda: not model_hits(b, word, mirror))
    status = read(
        b,
        lambda session: session.scalar(select(Revision.status).where(Revision.model_id == mirror)),
    )
    assert status is RevisionStatus.WITHDRAWN


# --- fork of a mirror --------------------------------------------------------------------------


def test_a_fork_of_a_mirror_on_b_sees_a_newer_revision_published_on_a(network):
    a, b = network.a, network.b
    published = publish_model(a, "Storchennest melden")
    sync(b, "sachsen")
    mirror = mirror_of(b, a, published.model_id)

    def local_contributor(session: Session) -> str:
        return make_member(session, make_authority(session), Role.CONTRIBUTOR).token

    headers = {"Authorization": f"Bearer {write(b, local_contributor)}"}
    response = requests.post(
        f"{b.url}/api/v1/models/{mirror}/revisions/1/fork",
        json={"title": "Storchennest melden (unsere Fassung)"},
        headers=headers,
        timeout=TIMEOUT,
    )
    assert response.status_code == 201, response.text
    fork = response.json()["id"]
    upstream = api(b, f"/models/{fork}/upstream").json()
    assert upstream["upstream_model"]["id"] == str(mirror)
    assert upstream["based_on"]["number"] == 1 and upstream["newer"] is False

    # the mirror itself stays read-only for B's accounts
    refused = requests.post(
        f"{b.url}/api/v1/models/{mirror}/revisions/1/withdraw",
        json={},
        headers=headers,
        timeout=TIMEOUT,
    )
    assert refused.status_code in {403, 404}

    assert publish_next(a, published.model_id, "zweite Fassung") == 2
    result = sync(b, "sachsen")
    assert (result["applied"], result["refused"], result["lag"]) == (
        2,
        0,
        0,
    )  # superseded, published
    upstream = api(b, f"/models/{fork}/upstream").json()
    assert upstream["newer"] is True
    assert (upstream["based_on"]["number"], upstream["latest"]["number"]) == (1, 2)
    assert upstream["diff"] is not None
    revisions = api(b, f"/models/{mirror}/revisions").json()["items"]
    assert [r["number"] for r in revisions] == [2]  # the superseded mirror is no longer public


# --- relay A → B → C ---------------------------------------------------------------------------


def test_c_gets_content_of_a_through_b_with_the_signature_of_a_only_when_it_accepts_vouched(
    network,
):
    a, b, c = network.a, network.b, network.c
    c.start()
    first = publish_model(a, "Biberdamm anzeigen")
    sync(b, "sachsen")  # B relays A's event into its own feed
    add_peer(c, "bayern", b)
    vouched = peer_row(c, "bayern").vouched
    assert [(v["base_url"], v["name"]) for v in vouched] == [(a.url, "Musterregister Sachsen")]

    # without the operator's consent, C does not trust A's keys because B vouches for them
    result = sync(c, "bayern")
    assert result["applied"] == 0 and result["refused"] >= 1 and result["lag"] == 0
    reasons = read(c, lambda session: list(session.scalars(select(Refusal.reason))))
    assert len(reasons) == result["refused"]
    assert all(reason.startswith("untrusted origin") for reason in reasons), reasons
    assert read(c, lambda session: session.scalar(select(func.count(ProcessModel.id)))) == 0

    assert "angenommen" in command(c, "peers", "vouched", "bayern", "--accept")
    second = publish_model(a, "Biberburg anzeigen")
    sync(b, "sachsen")
    result = sync(c, "bayern")
    assert (result["applied"], result["refused"], result["lag"]) == (1, 0, 0)
    mirror = mirror_of(c, a, second.model_id)  # origin A, not B
    assert str(first.model_id) not in mirrored_models(c)  # refused before, the cursor went past

    # C relays exactly the token A signed: it verifies with A's keys, not with B's
    def relayed(session: Session) -> OutboxEvent:
        return session.scalars(select(OutboxEvent).order_by(OutboxEvent.seq.desc())).first()

    on_c, on_a = read(c, relayed), read(a, relayed)
    assert (on_c.origin, on_c.event_id, on_c.jws) == (a.url, on_a.event_id, on_a.jws)
    a_keys = requests.get(f"{a.url}/federation/v1/instance", timeout=TIMEOUT).json()["jwks"]
    b_keys = requests.get(f"{b.url}/federation/v1/instance", timeout=TIMEOUT).json()["jwks"]
    payload = verify_event(on_c.jws, a_keys)
    assert payload["origin"] == a.url and payload["model"]["id"] == str(second.model_id)
    with pytest.raises(SignatureInvalid):
        verify_event(on_c.jws, b_keys)
    feed = requests.get(f"{c.url}/federation/v1/changes", timeout=TIMEOUT).json()
    assert feed["events"][-1]["jws"] == on_a.jws
    page = requests.get(f"{c.url}/modelle/{mirror}", timeout=TIMEOUT)
    assert page.ok and "aus Musterregister Sachsen · " in page.text


# --- A dies in the middle of B's sync ----------------------------------------------------------

BATCH = 40


def publish_batch(server: RegisterProcess) -> list[str]:
    """BATCH models of one authority, each with one published revision; their revision ids."""

    def work(session: Session) -> list[str]:
        authority, reviewers = make_authority(session), make_authority(session)
        author = make_member(session, authority, Role.CONTRIBUTOR)
        reviewer = make_member(session, reviewers, Role.REVIEWER)
        process = make_process(session, authority)
        ids = []
        for number in range(BATCH):
            model = make_model(session, process, title=f"Modell {number}")
            revision = new_revision(session, model, f"Stapel {number}")
            review.submit(session, author.actor, revision)
            review.decide(session, reviewer.actor, revision, Decision.APPROVE)
            ids.append(str(revision.id))
        return ids

    return write(server, work)


def mirrored(server: RegisterProcess, origin: RegisterProcess, ids: list[str]) -> list[str]:
    return read(
        server,
        lambda session: list(
            session.scalars(
                select(Revision.origin_id).where(
                    Revision.origin_instance == origin.url, Revision.origin_id.in_(ids)
                )
            )
        ),
    )


def test_b_resumes_where_it_stopped_when_a_dies_in_the_middle_of_the_sync(network):
    a, b = network.a, network.b
    if peer_row(b, "sachsen").cursor != latest_seq(a):
        sync(b, "sachsen")
    start = peer_row(b, "sachsen").cursor
    ids = publish_batch(a)
    latest = latest_seq(a)
    assert latest == start + BATCH

    running = start_command(
        b, "federation", "sync", "--peer", "sachsen", "--page-size", "2", "--retries", "1"
    )
    try:
        deadline = time.monotonic() + 60
        while peer_row(b, "sachsen").cursor <= start:
            assert running.poll() is None, running.stdout.read()
            assert time.monotonic() < deadline, "der Abgleich kommt nicht voran"
            time.sleep(0.02)
        a.kill()
        output, _ = running.communicate(timeout=60)
    finally:
        if running.poll() is None:
            running.kill()
            running.wait()
    assert running.returncode == 1, output
    stopped = summary(output, "sachsen")
    assert "Fehler: " in output
    peer = peer_row(b, "sachsen")
    assert start < peer.cursor < latest and peer.cursor == stopped["cursor"]
    assert peer.last_error
    # what was committed is mirrored, and only that: one revision per event up to the cursor
    assert len(mirrored(b, a, ids)) == peer.cursor - start

    a.start()  # same database, same port: the URL B pinned
    result = sync(b, "sachsen")
    assert (result["refused"], result["cursor"], result["lag"]) == (0, latest, 0)
    assert result["applied"] == latest - stopped["cursor"]
    copies = mirrored(b, a, ids)
    assert sorted(copies) == sorted(ids)  # all 40, none twice
    peer = peer_row(b, "sachsen")
    assert (peer.cursor, peer.lag_events, peer.last_error) == (latest, 0, None)


# --- A's keys change ---------------------------------------------------------------------------


def test_after_a_rotates_its_key_b_syncs_nothing_until_the_operator_confirms_the_new_fingerprint(
    network,
):
    a, b = network.a, network.b
    rotated = command(a, "federation", "rotate-key")
    fingerprint = next(
        line.split(":", 1)[1].strip() for line in rotated.splitlines() if line.startswith("Finger")
    )
    cursor = peer_row(b, "sachsen").cursor
    published = publish_model(a, "Wolfssichtung melden")  # signed with A's new key

    refused = run_command(b, "federation", "sync", "--peer", "sachsen")
    assert refused.returncode == 1 and "andere Schlüssel" in refused.stdout, refused.stdout
    peer = peer_row(b, "sachsen")
    assert (peer.state.value, peer.cursor, peer.fingerprint) == ("pending", cursor, fingerprint)
    assert str(published.model_id) not in mirrored_models(b)

    command(b, "peers", "confirm", "sachsen", "--fingerprint", fingerprint)
    result = sync(b, "sachsen")
    assert (result["applied"], result["refused"], result["lag"]) == (1, 0, 0)
    mirror_of(b, a, published.model_id)
