"""The importer: hand-signed events of in-memory peers, pulled by the real sync loop."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.authz import ANONYMOUS
from app.cache import current_generation
from app.catalog import services as catalog
from app.catalog.models import Process, ProcessKind
from app.identity.models import Authority, Role
from app.library import forks
from app.library import services as library
from app.library.models import ProcessModel, Revision, RevisionStatus
from app.peering import syncing
from app.peering.importer import DbImporter
from app.peering.models import OutboxEvent, Peer, PeerState, Refusal
from app.search import search_runtime
from app.search.services import Query, search
from federation.keys import generate_key
from tests.factories import login_as, make_account, make_authority, make_member
from tests.peering.fake_peer import FakePeer, Scene, bpmn

A_URL, B_URL = "https://sachsen.example", "https://bayern.example"
OWN_URL = "http://127.0.0.1:5000"  # the test app's base URL
SYNC_ACTOR = "Föderation (sachsen)"
MIRROR_TABLES = (Authority, Process, ProcessModel, Revision, Refusal, OutboxEvent)


@pytest.fixture()
def peer_a(session):
    fake = FakePeer(A_URL)
    fake.pin(session, "sachsen")
    session.commit()
    return fake


def sync(app, database, *fakes: FakePeer, name: str | None = None):
    settings = app.extensions["musterregister.settings"]
    by_url = {fake.base_url: fake for fake in fakes}
    return syncing.sync_all(
        database, settings, by_url.__getitem__, name=name, sleep=lambda _s: None
    )


def counts(session) -> dict[str, int]:
    session.expire_all()
    return {
        table.__tablename__: session.scalar(select(func.count()).select_from(table))
        for table in MIRROR_TABLES
    }


def mirrored_revision(session, origin: str, origin_id: str) -> Revision | None:
    session.expire_all()
    return session.scalar(
        select(Revision).where(Revision.origin_instance == origin, Revision.origin_id == origin_id)
    )


def peer_row(session, name: str) -> Peer:
    session.expire_all()
    return session.scalar(select(Peer).where(Peer.name == name))


# --- publishing --------------------------------------------------------------------------------


def test_a_published_event_becomes_a_read_only_mirror_with_its_origin(
    app, database, session, peer_a
):
    scene = Scene(A_URL)
    payload = scene.published(peer_a, 1, bpmn("eins"))
    (result,) = sync(app, database, peer_a)
    assert (result.applied, result.refused, result.error) == (1, 0, None)
    revision = mirrored_revision(session, A_URL, payload["revision"]["id"])
    assert revision.status is RevisionStatus.PUBLISHED and revision.number == 1
    assert revision.author_name == "Erika Muster" and revision.author_account_id is None
    assert revision.published_at.isoformat().startswith("2024-05-02T10:00:00")
    assert library.read_blob(session, revision.blob_sha256) == bpmn("eins")
    assert revision.is_valid and revision.extraction["elements"]
    model = revision.model
    assert (model.origin_instance, model.origin_id) == (A_URL, scene.model_id)
    assert (
        model.process.kind is ProcessKind.AUTHORITY and model.process.origin_id == scene.process_id
    )
    assert model.process.keywords == ["Hundesteuer"]
    authority = model.authority
    assert (authority.origin_instance, authority.origin_id) == (A_URL, scene.authority_id)
    assert authority.slug == "sachsen-dresden" and authority.ars is None
    assert authority.name == "Landeshauptstadt Dresden" and not authority.is_register
    assert peer_row(session, "sachsen").cursor == 1
    assert peer_row(session, "sachsen").lag_events == 0
    assert peer_row(session, "sachsen").last_success_at is not None


def test_the_same_events_again_change_nothing(app, database, session, peer_a):
    scene = Scene(A_URL)
    scene.published(peer_a, 1, bpmn("eins"))
    peer_a.add(scene.event("process-updated"))
    sync(app, database, peer_a)
    before = counts(session)
    peer = peer_row(session, "sachsen")
    peer.cursor = 0  # as if the cursor had been lost: every event comes again
    session.commit()
    (result,) = sync(app, database, peer_a)
    assert result.error is None and result.refused == 0
    assert counts(session) == before
    (process,) = session.scalars(select(Process).where(Process.origin_instance == A_URL))
    assert process.version == 1  # no new Steckbrief version either


def test_a_second_authority_with_the_same_slug_gets_a_free_one(app, database, session, peer_a):
    make_authority(session, slug="sachsen-dresden")
    session.commit()
    Scene(A_URL).published(peer_a, 1, bpmn("eins"))
    sync(app, database, peer_a)
    session.expire_all()
    slugs = session.scalars(select(Authority.slug).where(Authority.origin_instance == A_URL))
    assert list(slugs) == ["sachsen-dresden-2"]


def test_events_of_this_instance_are_ignored(app, database, session, peer_a):
    before = counts(session)
    importer = DbImporter(
        database, peer_row(session, "sachsen"), app.extensions["musterregister.settings"]
    )
    importer.apply(1, Scene(OWN_URL).event("authority-updated"), lambda _sha: b"", "not-relayed")
    assert counts(session) == before


def test_the_cursor_commits_with_the_mirrored_event_or_not_at_all(app, database, session, peer_a):
    scene = Scene(A_URL)
    first = scene.published(peer_a, 1, bpmn("eins"))
    second = scene.published(peer_a, 2, bpmn("zwei"))
    importer = DbImporter(
        database, peer_row(session, "sachsen"), app.extensions["musterregister.settings"]
    )
    importer.apply(1, first, lambda _sha: bpmn("eins"), "jws-1")
    assert peer_row(session, "sachsen").cursor == 1  # stored before advance() is even called

    def connection_lost(_sha: str) -> bytes:
        raise ConnectionError("A ist weg")

    with pytest.raises(ConnectionError):
        importer.apply(2, second, connection_lost, "jws-2")
    assert peer_row(session, "sachsen").cursor == 1
    assert mirrored_revision(session, A_URL, second["revision"]["id"]) is None
    importer.close()


# --- refusals ----------------------------------------------------------------------------------


def test_a_blob_that_does_not_match_its_hash_is_refused(app, database, session, peer_a):
    scene = Scene(A_URL)
    payload = scene.published(peer_a, 1, bpmn("echt"))
    peer_a.blobs[payload["revision"]["sha256"]] = bpmn("gefälscht")
    (result,) = sync(app, database, peer_a)
    assert result.refused == 1 and result.applied == 0
    assert mirrored_revision(session, A_URL, payload["revision"]["id"]) is None
    (refusal,) = session.scalars(select(Refusal))
    assert "hash" in refusal.reason and refusal.event_id == payload["event_id"]
    assert peer_row(session, "sachsen").cursor == 1  # refused, logged, and passed


def test_a_known_revision_with_another_hash_is_refused(app, database, session, peer_a):
    scene = Scene(A_URL)
    first = scene.published(peer_a, 1, bpmn("eins"))
    scene.published(peer_a, 1, bpmn("anders"), revision_id=first["revision"]["id"])
    (result,) = sync(app, database, peer_a)
    assert result.refused == 1 and result.error is None
    revision = mirrored_revision(session, A_URL, first["revision"]["id"])
    assert revision.blob_sha256 == first["revision"]["sha256"]
    (refusal,) = session.scalars(select(Refusal))
    assert "SHA-256 weicht ab" in refusal.reason


def test_a_forged_signature_is_refused(app, database, session, peer_a):
    forger, _public = generate_key()
    scene = Scene(A_URL)
    peer_a.blobs[scene.revision(1, bpmn("x"))["sha256"]] = bpmn("x")
    peer_a.add(scene.event("published", revision=scene.revision(1, bpmn("x"))), private=forger)
    (result,) = sync(app, database, peer_a)
    assert result.refused == 1
    assert (
        session.scalar(
            select(func.count()).select_from(Revision).where(Revision.origin_instance == A_URL)
        )
        == 0
    )


# --- superseded, withdrawn, updated ------------------------------------------------------------


def test_superseded_and_withdrawn_follow_the_origin_and_never_come_back(
    app, database, session, peer_a
):
    scene = Scene(A_URL)
    one = scene.published(peer_a, 1, bpmn("eins"))
    two = scene.published(peer_a, 2, bpmn("zwei"))
    peer_a.add(scene.event("superseded", revision=one["revision"]))
    sync(app, database, peer_a)
    first, second = (mirrored_revision(session, A_URL, p["revision"]["id"]) for p in (one, two))
    assert first.status is RevisionStatus.SUPERSEDED and second.status is RevisionStatus.PUBLISHED
    assert second.parent_id == first.id and second.model.revision_count == 2
    peer_a.add(scene.event("withdrawn", revision=two["revision"]))
    peer_a.feed.append(type(peer_a.feed[0])(seq=99, jws=peer_a.feed[1].jws))  # "published" again
    sync(app, database, peer_a)
    second = mirrored_revision(session, A_URL, two["revision"]["id"])
    assert second.status is RevisionStatus.WITHDRAWN
    assert library.list_revisions(session, ANONYMOUS, second.model) == []


def test_the_mirror_writes_history_audit_and_cache_generation_as_the_services_do(
    app, database, session, peer_a
):
    scene = Scene(A_URL)
    one = scene.published(peer_a, 1, bpmn("eins"))
    before = current_generation(database)
    sync(app, database, peer_a)
    published = current_generation(database)
    assert published != before  # anonymous cached reads must see the new publication
    first = mirrored_revision(session, A_URL, one["revision"]["id"])
    process = first.model.process
    assert process.leika_keys == ["99108008001000"] and process.sort_title == "hund anmelden"
    (version,) = catalog.list_versions(session, process)
    assert version.version == 1 and version.data == catalog.snapshot(process)
    assert version.message == f"Gespiegelt aus {A_URL}" and version.author_name == SYNC_ACTOR
    assert first.version == 1 and first.review_round == 0 and first.model.revision_count == 1
    scene.published(peer_a, 2, bpmn("zwei"))  # only new rows of the plain INSERT path
    sync(app, database, peer_a)
    second_published = current_generation(database)
    assert second_published != published
    peer_a.add(scene.event("superseded", revision=one["revision"]))
    sync(app, database, peer_a)
    session.expire_all()
    assert first.status is RevisionStatus.SUPERSEDED and first.version == 2
    assert first.model.revision_count == 2
    assert current_generation(database) != second_published
    audit = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(event.action, event.actor_name) for event in audit] == [
        ("mirror.authority_created", SYNC_ACTOR),
        ("process.created", SYNC_ACTOR),
        ("model.created", SYNC_ACTOR),
        ("mirror.revision_published", SYNC_ACTOR),
        ("mirror.revision_published", SYNC_ACTOR),
        ("mirror.revision_superseded", SYNC_ACTOR),
    ]
    assert audit[-1].before == {"status": "published"} and audit[-1].after == {
        "status": "superseded"
    }
    assert audit[-1].authority_id == process.authority_id
    model = first.model
    assert audit[2].after == {"title": model.title, "description": None, "process": str(process.id)}


def test_updates_of_process_and_authority_reach_the_mirror(app, database, session, peer_a):
    scene = Scene(A_URL)
    scene.published(peer_a, 1, bpmn("eins"))
    peer_a.add(scene.event("process-updated", process=scene.process(fees="12 Euro")))
    peer_a.add(scene.event("authority-updated", authority=scene.authority(name="Stadt Dresden")))
    sync(app, database, peer_a)
    session.expire_all()
    (process,) = session.scalars(select(Process).where(Process.origin_instance == A_URL))
    assert process.fees == "12 Euro" and process.version == 2
    assert process.authority.name == "Stadt Dresden"


# --- relay A → B → C ---------------------------------------------------------------------------


def test_imported_events_are_relayed_with_the_origins_signature(app, database, session, peer_a):
    Scene(A_URL).published(peer_a, 1, bpmn("eins"))
    sync(app, database, peer_a)
    session.expire_all()
    (relayed,) = session.scalars(select(OutboxEvent))
    assert relayed.origin == A_URL and relayed.jws == peer_a.feed[0].jws


def relay_setup(session, *, accept_vouched: bool, vouch: bool = True):
    origin, middle = FakePeer(A_URL), FakePeer(B_URL, name="Musterregister Bayern")
    Scene(A_URL).published(origin, 1, bpmn("aus-a"))
    if vouch:
        middle.vouches = [{"base_url": A_URL, "name": origin.name, "jwks": origin.jwks}]
    middle.relay(origin)
    row = middle.pin(session, "bayern")
    row.accept_vouched = accept_vouched
    session.commit()
    return origin, middle


def test_relayed_content_of_an_unknown_origin_is_refused(app, database, session):
    _origin, middle = relay_setup(session, accept_vouched=False)
    (result,) = sync(app, database, middle)
    assert result.refused == 1
    (refusal,) = session.scalars(select(Refusal))
    assert "untrusted origin" in refusal.reason


def test_relayed_content_is_accepted_when_the_origin_is_pinned(app, database, session):
    origin, middle = relay_setup(session, accept_vouched=False, vouch=False)
    origin.pin(session, "sachsen")
    session.commit()
    results = sync(app, database, middle, origin, name="bayern")
    assert results[0].applied == 1
    (revision,) = session.scalars(select(Revision).where(Revision.origin_instance == A_URL))
    assert revision.model.authority.slug == "sachsen-dresden"  # named after the pinned origin


def test_relayed_content_is_accepted_when_vouched_and_allowed(app, database, session):
    _origin, middle = relay_setup(session, accept_vouched=True)
    (result,) = sync(app, database, middle)
    assert result.applied == 1 and result.refused == 0
    (revision,) = session.scalars(select(Revision).where(Revision.origin_instance == A_URL))
    assert revision.model.authority.slug == "bayern-dresden"


def test_a_paused_pin_does_not_count(app, database, session):
    origin, middle = relay_setup(session, accept_vouched=False, vouch=False)
    origin.pin(session, "sachsen", state=PeerState.PAUSED)
    session.commit()
    importer = DbImporter(
        database, peer_row(session, "bayern"), app.extensions["musterregister.settings"]
    )
    assert importer.keys_for(A_URL) is None
    assert importer.keys_for(B_URL) == middle.jwks


# --- what a mirror is locally ------------------------------------------------------------------


@pytest.fixture()
def mirror(app, database, session, peer_a) -> Revision:
    payload = Scene(A_URL).published(peer_a, 1, bpmn("eins"))
    sync(app, database, peer_a)
    return mirrored_revision(session, A_URL, payload["revision"]["id"])


def test_nobody_local_writes_to_a_mirror(client, session, mirror):
    member = make_member(session, make_authority(session), Role.CONTRIBUTOR, Role.REVIEWER)
    session.commit()
    base = f"/api/v1/models/{mirror.model_id}"
    upload = client.post(
        f"{base}/revisions",
        data=b"<x/>",
        headers={**member.headers, "Content-Type": "application/xml"},
    )
    assert upload.status_code == 403
    for action in ("submit", "withdraw"):
        response = client.post(f"{base}/revisions/1/{action}", json={}, headers=member.headers)
        assert response.status_code in {403, 404, 409}, action
    session.expire_all()
    assert session.get(Revision, mirror.id).status is RevisionStatus.PUBLISHED


def test_a_mirror_can_be_forked(session, mirror):
    member = make_member(session, make_authority(session), Role.CONTRIBUTOR)
    fork = forks.fork_model(
        session, member.actor, mirror, authority=member.account.authority, max_bytes=10**7
    )
    assert fork.upstream_model_id == mirror.model_id and fork.origin_instance is None
    assert fork.revisions[0].blob_sha256 == mirror.blob_sha256


def test_a_fork_of_a_mirror_cannot_propose_back(client, session, mirror):
    member = make_member(session, make_authority(session), Role.CONTRIBUTOR)
    fork = forks.fork_model(
        session, member.actor, mirror, authority=member.account.authority, max_bytes=10**7
    )
    session.commit()
    response = client.post(
        f"/api/v1/models/{fork.id}/revisions/1/proposals",
        json={"message": "Bitte übernehmen"},
        headers=member.headers,
    )
    assert response.status_code == 409
    assert "anderen Register" in response.get_json()["detail"]
    login_as(client, member.account)
    page = client.get(f"/modelle/{fork.id}").get_data(as_text=True)
    assert "Änderung vorschlagen" not in page


def test_the_model_page_shows_the_origin(client, mirror):
    html = client.get(f"/modelle/{mirror.model_id}").get_data(as_text=True)
    assert "aus Musterregister Sachsen · Landeshauptstadt Dresden" in html


def test_a_mirror_is_found_by_the_search(app, session, mirror):
    runtime = search_runtime(app)
    runtime.drain()
    result = search(
        session, runtime, ANONYMOUS, Query("Hundesteuer", per_page=10, with_facets=False)
    )
    assert "Hund anmelden" in [hit.title for hit in result.hits]


def test_a_register_admin_is_no_member_of_a_mirror(client, session, mirror):
    admin = make_account(session, make_authority(session), Role.REGISTER_ADMIN, Role.CONTRIBUTOR)
    session.commit()
    login_as(client, admin)
    html = client.get(f"/modelle/{mirror.model_id}").get_data(as_text=True)
    assert "zur Prüfung einreichen" not in html


def test_a_revision_number_taken_by_another_id_is_refused(app, database, session, peer_a):
    scene = Scene(A_URL)
    scene.published(peer_a, 1, bpmn("eins"))
    scene.published(peer_a, 1, bpmn("zwei"), revision_id="andere-kennung")
    (result,) = sync(app, database, peer_a)
    assert result.applied == 1 and result.refused == 1
    (refusal,) = session.scalars(select(Refusal))
    assert "schon mit anderer Kennung" in refusal.reason


def test_our_own_keys_verify_our_events_coming_back(app, database, session, peer_a):
    from app.peering import keys

    settings = app.extensions["musterregister.settings"]
    importer = DbImporter(database, peer_row(session, "sachsen"), settings)
    assert importer.keys_for(OWN_URL) is None  # no key yet
    keys.ensure_key(session, settings.secret_key)
    session.commit()
    assert importer.keys_for(OWN_URL) == keys.jwks(session)
