"""Forks: taking a published model over into one's own authority, following upstream."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.identity.models import Role
from app.library import forks
from app.library.models import ProcessModel, Revision, RevisionStatus
from app.review import services as review
from app.review.models import Notification, NotificationKind
from app.review.workflow import Decision
from tests.factories import csrf_token, login_as, make_member, make_process, make_revision
from tests.library.fork_scene import (
    CHANGED_BPMN,
    MAX_BYTES,
    build_scene,
    fork_of,
    publish_upstream,
)


@pytest.fixture()
def scene(session):
    return build_scene(session)


def revisions_of(session, model):
    session.expire_all()
    return list(
        session.scalars(
            select(Revision).where(Revision.model_id == model.id).order_by(Revision.number)
        )
    )


# --- services ----------------------------------------------------------------------------------


def test_a_fork_keeps_upstream_bytes_and_link_in_a_new_register_entry(session, scene):
    fork = fork_of(session, scene)
    assert fork.authority_id == scene.leipzig.id
    assert (fork.upstream_model_id, fork.upstream_revision_id) == (
        scene.upstream.id,
        scene.published.id,
    )
    assert fork.is_fork and fork.title == "Hundesteuer: Anmeldung"
    (first,) = revisions_of(session, fork)
    assert first.status is RevisionStatus.DRAFT
    assert first.blob_sha256 == scene.published.blob_sha256
    assert first.is_valid and first.extraction["elements"]
    assert first.message == (
        "Abgeleitet von Landeshauptstadt Dresden: Hundesteuer: Anmeldung, Revision 1"
    )
    process = fork.process
    assert (process.authority_id, process.title, process.fees) == (
        scene.leipzig.id,
        "Hund anmelden",
        "30 EUR",
    )
    assert process.leika_keys == ["99106001001000"]
    assert process.cases_per_year is None  # key figures are the forking authority's own
    assert process.responsible_unit is None
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "model.forked"))
    assert event.before is None and event.after["upstream_revision"] == 1


def test_a_fork_may_go_into_an_existing_entry_of_the_own_authority_only(session, scene):
    own = make_process(session, scene.leipzig, title="Hundesteuer Leipzig")
    fork = forks.fork_model(
        session,
        scene.forker.actor,
        scene.published,
        authority=scene.leipzig,
        process=own,
        title="Hundesteuer Leipzig",
        max_bytes=MAX_BYTES,
    )
    assert (fork.process_id, fork.title) == (own.id, "Hundesteuer Leipzig")
    session.rollback()
    foreign = make_process(session, scene.chemnitz)
    with pytest.raises(ValidationFailed):
        forks.fork_model(
            session,
            scene.forker.actor,
            scene.published,
            authority=scene.leipzig,
            process=foreign,
            max_bytes=MAX_BYTES,
        )


def test_forks_are_refused_for_drafts_own_models_twice_and_other_authorities(session, scene):
    draft = make_revision(session, scene.upstream)
    session.commit()
    actor = scene.forker.actor
    with pytest.raises(Conflict, match="veröffentlichte"):
        forks.fork_model(session, actor, draft, authority=scene.leipzig, max_bytes=MAX_BYTES)
    with pytest.raises(Conflict, match="bereits Ihrer Behörde"):
        forks.fork_model(
            session,
            scene.owner.actor,
            scene.published,
            authority=scene.dresden,
            max_bytes=MAX_BYTES,
        )
    with pytest.raises(Forbidden):  # only into one's own authority
        forks.fork_model(
            session, actor, scene.published, authority=scene.chemnitz, max_bytes=MAX_BYTES
        )
    reviewer = make_member(session, scene.leipzig, Role.REVIEWER).actor
    with pytest.raises(Forbidden):  # contributors only
        forks.fork_model(
            session, reviewer, scene.published, authority=scene.leipzig, max_bytes=MAX_BYTES
        )
    fork_of(session, scene)
    with pytest.raises(Conflict, match="bereits übernommen"):
        forks.fork_model(
            session, actor, scene.published, authority=scene.leipzig, max_bytes=MAX_BYTES
        )


def test_upstream_news_are_shown_with_the_diff_and_taken_over_on_confirmation(session, scene):
    fork = fork_of(session, scene)
    status = forks.upstream_status(session, fork, max_bytes=MAX_BYTES)
    assert not status.newer and status.diff is None and status.latest.number == 1
    with pytest.raises(Conflict, match="nichts Neueres"):
        forks.take_over_upstream(
            session, scene.forker.actor, fork, upstream_number=1, max_bytes=MAX_BYTES
        )

    newer = publish_upstream(session, scene)
    status = forks.upstream_status(session, fork, max_bytes=MAX_BYTES)
    assert status.newer and status.latest.number == newer.number == 2
    assert [element["id"] for element in status.diff["changed"]] == ["Task_1"]
    with pytest.raises(Conflict, match="inzwischen Revision 2"):
        forks.take_over_upstream(
            session, scene.forker.actor, fork, upstream_number=3, max_bytes=MAX_BYTES
        )
    with pytest.raises(Forbidden):
        forks.take_over_upstream(
            session, scene.outsider.actor, fork, upstream_number=2, max_bytes=MAX_BYTES
        )

    taken = forks.take_over_upstream(
        session, scene.forker.actor, fork, upstream_number=2, max_bytes=MAX_BYTES
    )
    session.commit()
    assert (taken.number, taken.status, taken.blob_sha256) == (
        2,
        RevisionStatus.DRAFT,
        newer.blob_sha256,
    )
    assert "Upstream übernommen" in taken.message
    session.expire_all()
    assert fork.upstream_revision_id == newer.id
    assert not forks.upstream_status(session, fork).newer
    event = session.scalar(
        select(AuditEvent).where(AuditEvent.action == "model.upstream_taken_over")
    )
    assert (event.before["upstream_revision"], event.after["upstream_revision"]) == (1, 2)


def test_a_model_that_is_no_fork_has_no_upstream(session, scene):
    with pytest.raises(NotFound):
        forks.upstream_status(session, scene.upstream)


def test_usage_counts_authorities_not_forks(session, scene):
    fork = fork_of(session, scene)
    assert forks.forks_of(session, scene.upstream) == [fork]
    assert forks.user_counts(session, [scene.upstream.id, fork.id]) == {scene.upstream.id: 1}
    assert forks.authorities_using([fork, fork]) == [scene.leipzig]


def test_fork_owners_hear_when_upstream_publishes(session, scene):
    fork_of(session, scene)
    draft = make_revision(session, scene.upstream, CHANGED_BPMN)
    review.submit(session, scene.owner.actor, draft)
    reviewer = make_member(session, scene.chemnitz, Role.REVIEWER).actor
    review.decide(session, reviewer, draft, Decision.APPROVE)
    session.commit()
    told = session.scalars(
        select(Notification).where(Notification.kind == NotificationKind.UPSTREAM_PUBLISHED)
    ).all()
    assert [n.account_id for n in told] == [scene.forker.account.id]


# --- API ---------------------------------------------------------------------------------------


def api_fork(client, scene, member, number=1, **body):
    return client.post(
        f"/api/v1/models/{scene.upstream.id}/revisions/{number}/fork",
        json=body,
        headers=member.headers,
    )


def test_the_api_forks_lists_forks_and_reports_upstream(client, session, scene):
    created = api_fork(client, scene, scene.forker, title="Hundesteuer Leipzig")
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["title"] == "Hundesteuer Leipzig"
    assert body["upstream"]["model_id"] == str(scene.upstream.id)
    assert body["upstream"]["authority"]["name"] == "Landeshauptstadt Dresden"
    assert body["upstream"]["revision_number"] == 1
    assert created.headers["Location"].endswith(f"/api/v1/models/{body['id']}")
    assert client.get(f"/api/v1/models/{scene.upstream.id}").get_json()["upstream"] is None

    listed = client.get(f"/api/v1/models/{scene.upstream.id}/forks").get_json()
    assert listed["authority_count"] == 1
    assert [item["authority"]["name"] for item in listed["items"]] == ["Stadt Leipzig"]

    again = api_fork(client, scene, scene.forker)
    assert again.status_code == 409 and again.get_json()["errors"]["fork_id"] == [body["id"]]

    fork_id = body["id"]
    status = client.get(f"/api/v1/models/{fork_id}/upstream").get_json()
    assert status["newer"] is False and status["diff"] is None
    publish_upstream(session, scene)
    status = client.get(f"/api/v1/models/{fork_id}/upstream").get_json()
    assert status["newer"] is True and status["latest"]["number"] == 2
    assert status["diff"]["summary"]["changed"] == 1
    url = f"/api/v1/models/{fork_id}/upstream/take-over"
    stale = client.post(url, json={"upstream_number": 1}, headers=scene.forker.headers)
    assert stale.status_code == 409
    assert client.post(url, json={}, headers=scene.forker.headers).status_code == 422
    foreign = client.post(url, json={"upstream_number": 2}, headers=scene.outsider.headers)
    assert foreign.status_code == 403
    taken = client.post(url, json={"upstream_number": 2}, headers=scene.forker.headers)
    assert taken.status_code == 201 and taken.get_json()["number"] == 2
    assert client.get(f"/api/v1/models/{fork_id}").get_json()["upstream"]["revision_number"] == 2


def test_the_api_refuses_forks_of_drafts_and_without_token(client, session, scene):
    make_revision(session, scene.upstream)
    session.commit()
    assert api_fork(client, scene, scene.forker, number=2).status_code == 404
    anonymous = client.post(f"/api/v1/models/{scene.upstream.id}/revisions/1/fork", json={})
    assert anonymous.status_code == 401
    own = api_fork(client, scene, scene.owner)
    assert own.status_code == 409
    assert own.headers["Content-Type"] == "application/problem+json"
    foreign_process = make_process(session, scene.chemnitz)
    session.commit()
    refused = api_fork(client, scene, scene.forker, process_id=str(foreign_process.id))
    assert refused.status_code == 422
    assert client.get(f"/api/v1/models/{scene.upstream.id}/upstream").status_code == 404
    assert (
        session.scalar(select(ProcessModel).where(ProcessModel.upstream_model_id.is_not(None)))
        is None
    )


# --- pages -------------------------------------------------------------------------------------


def test_a_contributor_forks_from_the_model_page(client, session, scene):
    page = f"/modelle/{scene.upstream.id}"
    anonymous = client.get(page)
    assert "In meine Behörde übernehmen" not in anonymous.get_data(as_text=True)
    assert "Set-Cookie" not in anonymous.headers  # no forms, no session for visitors
    login_as(client, scene.forker.account)
    html = client.get(page).get_data(as_text=True)
    assert "In meine Behörde übernehmen (Fork)" in html
    response = client.post(
        f"{page}/revisionen/1/fork", data={"csrf_token": csrf_token(client, page)}
    )
    assert response.status_code == 302
    fork = session.scalar(
        select(ProcessModel).where(ProcessModel.upstream_model_id == scene.upstream.id)
    )
    assert response.headers["Location"].endswith(f"/modelle/{fork.id}")
    fork_page = client.get(f"/modelle/{fork.id}").get_data(as_text=True)
    assert "Abgeleitet von" in fork_page and "Landeshauptstadt Dresden" in fork_page
    assert "Änderung vorschlagen" in fork_page
    upstream_page = client.get(page).get_data(as_text=True)
    assert (
        "Verwendet von 1 Behörde" in upstream_page and "Fork Ihrer Behörde öffnen" in upstream_page
    )
    process_page = client.get(f"/prozesse/{scene.upstream.process_id}").get_data(as_text=True)
    assert "Verwendet von 1 Behörde" in process_page and "Stadt Leipzig" in process_page


def test_upstream_is_taken_over_from_the_fork_page_only_when_confirmed(client, session, scene):
    fork = fork_of(session, scene)
    publish_upstream(session, scene)
    login_as(client, scene.forker.account)
    page = f"/modelle/{fork.id}"
    html = client.get(page).get_data(as_text=True)
    assert "Upstream hat Neueres veröffentlicht" in html
    assert "Antrag vollständig prüfen" in html  # the diff
    assert 'type="hidden" value="2"' in html  # the upstream revision the owner confirms
    token = csrf_token(client, page)
    unconfirmed = client.post(
        f"{page}/upstream",
        data={"csrf_token": token, "upstream_number": "2"},
        follow_redirects=True,
    )
    assert "Bitte bestätigen Sie die Übernahme." in unconfirmed.get_data(as_text=True)
    assert len(revisions_of(session, fork)) == 1
    stale = client.post(
        f"{page}/upstream",
        data={"csrf_token": token, "upstream_number": "1", "confirm": "y"},
        follow_redirects=True,
    )
    assert "Bitte prüfen Sie den neuen Vergleich" in stale.get_data(as_text=True)
    done = client.post(
        f"{page}/upstream",
        data={"csrf_token": token, "upstream_number": "2", "confirm": "y"},
        follow_redirects=True,
    )
    assert "als Revision 2 (Entwurf) übernommen" in done.get_data(as_text=True)
    assert len(revisions_of(session, fork)) == 2
    assert "Upstream hat Neueres" not in client.get(page).get_data(as_text=True)
