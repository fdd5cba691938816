"""The outbox: one signed event per federated change, in the change's own transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.catalog import services as catalog
from app.identity import services as identity
from app.identity.models import Role
from app.library.models import RevisionStatus
from app.peering import keys, outbox
from app.peering.models import EventKind, OutboxEvent
from app.review import services as review
from app.review.workflow import Decision
from federation.feed import verify_event
from tests.conftest import TEST_SECRET
from tests.factories import (
    SYSTEM,
    make_authority,
    make_member,
    make_model,
    make_process,
    make_revision,
)
from tests.peering.helpers import (
    events,
    kinds,
    new_revision,
    payload,
    publish,
    published_model,
)

ORIGIN = "http://127.0.0.1:5000"  # the test app's base URL
OTHER = "https://register.example.org"


def test_publishing_writes_a_signed_event_with_the_whole_context(session):
    model = published_model(session)
    revision, process, authority = model.revisions[0], model.process, model.authority
    (event,) = events(session)
    assert event.kind is EventKind.PUBLISHED and event.origin == ORIGIN
    assert event.sha256 == revision.blob_sha256
    data = verify_event(event.jws, keys.jwks(session))
    assert data["event_id"] == event.event_id and len(event.event_id) == 32
    assert data["origin"] == ORIGIN and data["occurred_at"].endswith("Z")
    assert data["authority"] == {
        "id": str(authority.id),
        "slug": authority.slug,
        "name": authority.name,
        "kind": authority.kind.value,
        "state": authority.state,
        "ars": authority.ars,
    }
    assert data["process"]["id"] == str(process.id)
    assert data["process"]["title"] == process.title and data["process"]["leika_keys"] == []
    assert data["model"] == {
        "id": str(model.id),
        "title": model.title,
        "description": None,
        "upstream": None,
    }
    assert data["revision"]["id"] == str(revision.id)
    assert data["revision"]["sha256"] == revision.blob_sha256
    assert data["revision"]["number"] == 1 and data["revision"]["size"] == revision.size
    assert data["revision"]["published_at"].endswith("Z")


def test_drafts_submissions_and_single_approvals_write_nothing(session):
    model = make_model(session, make_process(session, make_authority(session)))
    revision = make_revision(session, model)
    author = make_member(session, model.authority, Role.CONTRIBUTOR)
    review.submit(session, author.actor, revision)
    reviewer = make_member(session, make_authority(session), Role.REVIEWER)
    review.decide(session, reviewer.actor, revision, Decision.APPROVE, approvals_required=2)
    assert revision.status is RevisionStatus.SUBMITTED
    assert events(session) == []


def test_a_new_publication_supersedes_the_older_one(session):
    model = published_model(session)
    first = model.revisions[0]
    second = publish(session, new_revision(session, model, "zweite"))
    assert kinds(session) == ["published", "published", "superseded"]
    published, superseded = payload(events(session)[1]), payload(events(session)[2])
    assert published["revision"]["id"] == str(second.id)
    assert superseded["revision"]["id"] == str(first.id)
    assert superseded["revision"]["sha256"] == first.blob_sha256


def test_withdrawing_a_publication_is_an_event_and_a_draft_is_not(session):
    model = published_model(session)
    draft = new_revision(session, model, "entwurf")
    review.withdraw(session, SYSTEM, draft)
    assert kinds(session) == ["published"]
    review.withdraw(session, SYSTEM, model.revisions[0])
    assert kinds(session) == ["published", "withdrawn"]
    assert payload(events(session)[1])["revision"]["id"] == str(model.revisions[0].id)


def test_a_steckbrief_change_of_a_published_process_is_an_event(session):
    process = published_model(session).process
    catalog.update_process(
        session, SYSTEM, process, {"fees": "10 Euro", "keywords": ["Umzug"]}, expected_version=None
    )
    assert kinds(session) == ["published", "process-updated"]
    data = payload(events(session)[1])
    assert data["process"]["fees"] == "10 Euro" and data["process"]["keywords"] == ["Umzug"]
    assert data["model"] is None and data["revision"] is None
    assert events(session)[1].sha256 is None


def test_a_process_without_a_publication_is_nobodys_mirror(session):
    process = make_process(session, make_authority(session))
    make_revision(session, make_model(session, process))
    catalog.update_process(session, SYSTEM, process, {"fees": "frei"}, expected_version=None)
    assert events(session) == []


def test_an_authority_change_peers_can_see_is_an_event(session):
    authority = published_model(session).authority
    identity.update_authority(
        session, SYSTEM, authority, _authority_data(authority, name="Neuer Name")
    )
    assert kinds(session) == ["published", "authority-updated"]
    data = payload(events(session)[1])
    assert data["authority"]["name"] == "Neuer Name"
    assert data["process"] is None and data["model"] is None and data["revision"] is None


def test_a_change_peers_do_not_see_or_of_an_unpublished_authority_is_none(session):
    authority = published_model(session).authority
    identity.update_authority(
        session, SYSTEM, authority, _authority_data(authority, website="https://neu.example")
    )
    quiet = make_authority(session)
    identity.update_authority(session, SYSTEM, quiet, _authority_data(quiet, name="Still"))
    assert kinds(session) == ["published"]


def test_mirrored_objects_write_no_events(session):
    model = published_model(session)
    revision, process, authority = model.revisions[0], model.process, model.authority
    session.execute(OutboxEvent.__table__.delete())
    for item in (revision, model, process, authority):
        item.origin_instance, item.origin_id = OTHER, str(item.id)
    catalog.update_process(session, SYSTEM, process, {"fees": "fremd"}, expected_version=None)
    identity.update_authority(session, SYSTEM, authority, _authority_data(authority, name="X"))
    review.withdraw(session, SYSTEM, revision)
    assert events(session) == []


def test_the_event_is_part_of_the_changes_transaction(database):
    with database.session() as session:
        model = make_model(session, make_process(session, make_authority(session)))
        revision = make_revision(session, model)
        session.commit()
        revision_id = revision.id
    with database.session() as session:
        publish(session, session.get(type(revision), revision_id))
        assert len(events(session)) == 1
        session.rollback()
    with database.session() as session:
        assert events(session) == []
        assert session.get(type(revision), revision_id).status is RevisionStatus.DRAFT
        publish(session, session.get(type(revision), revision_id))
        session.commit()
    with database.session() as session:
        assert kinds(session) == ["published"]


def test_a_database_without_publisher_records_nothing(session):
    session.info.pop(outbox.PUBLISHER_INFO_KEY)
    published_model(session)
    assert events(session) == []


def test_events_signed_before_a_rotation_still_verify(session):
    model = published_model(session)
    old_kid = keys.active_key(session).kid
    keys.rotate_key(session, TEST_SECRET)
    publish(session, new_revision(session, model, "nach-rotation"))
    jwks = keys.jwks(session)
    signed = [verify_event(event.jws, jwks)["event_id"] for event in events(session)]
    assert signed == [event.event_id for event in events(session)]
    assert _kid(events(session)[0].jws) == old_kid
    assert _kid(events(session)[-1].jws) == keys.active_key(session).kid != old_kid


def test_sequence_numbers_increase_strictly(session):
    model = published_model(session)
    for number in range(3):
        publish(session, new_revision(session, model, f"folge-{number}"))
    seqs = [event.seq for event in events(session)]
    assert seqs == sorted(set(seqs)) and len(seqs) == 7


def test_only_revision_kinds_describe_a_revision(session):
    model = published_model(session)
    with pytest.raises(ValueError, match="not an event of a revision"):
        outbox.revision_changed(session, EventKind.PROCESS_UPDATED, model.revisions[0])


# --- relay -------------------------------------------------------------------------------------


def test_relaying_keeps_the_origins_signature_and_is_idempotent(session):
    published_model(session)
    original = events(session)[0]
    jws, event = original.jws, verify_event(original.jws, keys.jwks(session))
    foreign = {**event, "event_id": "f" * 32, "origin": OTHER}
    seq = outbox.relay(session, jws, foreign)
    relayed = session.get(OutboxEvent, seq)
    assert relayed is not None and relayed.jws == jws and relayed.origin == OTHER
    assert relayed.kind is EventKind.PUBLISHED and relayed.sha256 == event["revision"]["sha256"]
    assert outbox.relay(session, jws, foreign) is None
    assert outbox.relay(session, jws, event) is None  # this instance's own event came back
    assert session.scalar(select(func.count()).select_from(OutboxEvent)) == 2


def _kid(jws: str) -> str:
    import base64
    import json

    header = jws.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"]


def _authority_data(authority, **changes) -> identity.AuthorityData:
    values = {
        name: getattr(authority, name)
        for name in ("slug", "name", "kind", "state", "ars", "website", "is_register")
    }
    return identity.AuthorityData(**{**values, **changes})
