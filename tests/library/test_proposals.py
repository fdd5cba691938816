"""Change proposals: a fork's revision offered back upstream, accepted or declined there."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select, update

from app import migrate
from app.audit.models import AuditEvent
from app.db import Database
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.identity.models import Role
from app.library import proposals
from app.library.models import ChangeProposal, ProposalStatus, Revision, RevisionStatus
from app.review.models import Notification, NotificationKind
from tests.factories import (
    MINIMAL_BPMN,
    csrf_token,
    login_as,
    make_member,
    make_revision,
)
from tests.library.fork_scene import LOCAL_BPMN, MAX_BYTES, build_scene, fork_of

BROKEN_BPMN = MINIMAL_BPMN.replace(b'sourceRef="Start_1" ', b"")


@pytest.fixture()
def scene(session):
    scene = build_scene(session)
    scene.fork = fork_of(session, scene)
    scene.local = make_revision(session, scene.fork, LOCAL_BPMN)  # revision 2 of the fork
    session.commit()
    return scene


def propose(session, scene, revision=None, message="Postversand ergänzt"):
    proposal = proposals.propose(
        session, scene.forker.actor, revision or scene.local, message=message
    )
    session.commit()
    return proposal


def decide(session, scene, proposal, accept=True, comment="", who=None):
    result = proposals.decide_proposal(
        session,
        (who or scene.owner).actor,
        proposal,
        accept=accept,
        comment=comment,
        max_bytes=MAX_BYTES,
    )
    session.commit()
    return result


def upstream_revisions(session, scene):
    session.expire_all()
    return list(
        session.scalars(
            select(Revision).where(Revision.model_id == scene.upstream.id).order_by(Revision.number)
        )
    )


# --- services ----------------------------------------------------------------------------------


def test_a_proposal_reaches_the_upstream_owners(session, scene):
    colleague = make_member(session, scene.leipzig, Role.CONTRIBUTOR)
    proposal = propose(session, scene)
    assert proposal.status is ProposalStatus.OPEN
    assert proposal.target_model_id == scene.upstream.id
    assert proposal.base_revision_id == scene.published.id
    assert proposal.proposer_authority_id == scene.leipzig.id
    told = session.scalars(
        select(Notification).where(Notification.kind == NotificationKind.PROPOSAL_RECEIVED)
    ).all()
    assert [n.account_id for n in told] == [scene.owner.account.id]  # not the proposing side
    assert told[0].link == f"/vorschlaege/{proposal.id}"
    assert colleague.account.id not in {n.account_id for n in told}
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "proposal.created"))
    assert event.before is None and event.after["status"] == "open"
    received = proposals.list_proposals(session, scene.owner.actor)
    assert received == [proposal]
    assert proposals.list_proposals(session, scene.forker.actor) == []
    assert proposals.list_proposals(session, scene.forker.actor, proposals.Direction.SENT) == [
        proposal
    ]


def test_proposals_are_refused_from_non_forks_outsiders_twice_and_when_invalid(session, scene):
    own_draft = make_revision(session, scene.upstream)
    session.commit()
    with pytest.raises(Conflict, match="Fork"):
        proposals.propose(session, scene.owner.actor, own_draft)
    with pytest.raises(NotFound):  # another authority's draft is not even visible
        proposals.propose(session, scene.outsider.actor, scene.local)
    scene.local.status = RevisionStatus.PUBLISHED
    session.commit()
    with pytest.raises(Forbidden):
        proposals.propose(session, scene.outsider.actor, scene.local)
    broken = make_revision(session, scene.fork, BROKEN_BPMN)
    session.commit()
    with pytest.raises(ValidationFailed):
        proposals.propose(session, scene.forker.actor, broken)
    propose(session, scene)
    with pytest.raises(Conflict, match="schon einen offenen"):
        proposals.propose(session, scene.forker.actor, scene.local)


def test_accepting_creates_an_upstream_draft_credited_to_the_proposer(session, scene):
    proposal = propose(session, scene)
    decided = decide(session, scene, proposal, comment="Danke!")
    assert decided.status is ProposalStatus.ACCEPTED
    assert decided.decided_by_name == scene.owner.account.display_name
    created = upstream_revisions(session, scene)[-1]
    assert decided.created_revision_id == created.id
    assert (created.number, created.status) == (2, RevisionStatus.DRAFT)
    assert created.blob_sha256 == scene.local.blob_sha256
    assert created.author_account_id == scene.forker.account.id
    assert created.author_name == scene.forker.account.display_name
    assert created.message == (
        f"Änderungsvorschlag von {scene.forker.account.display_name} (Stadt Leipzig): "
        "Postversand ergänzt"
    )
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "proposal.accepted"))
    assert (event.before["status"], event.after["status"]) == ("open", "accepted")
    assert event.after["created_revision"] == str(created.id)
    answer = session.scalar(
        select(Notification).where(Notification.kind == NotificationKind.DECISION_MADE)
    )
    assert answer.account_id == scene.forker.account.id and "angenommen" in answer.title
    with pytest.raises(Conflict, match="bereits angenommen"):
        decide(session, scene, proposal, accept=False, comment="doch nicht")


def test_declining_needs_a_reason_and_only_upstream_owners_decide(session, scene):
    proposal = propose(session, scene)
    with pytest.raises(ValidationFailed):
        decide(session, scene, proposal, accept=False)
    session.rollback()
    with pytest.raises(Forbidden):  # the proposing authority does not decide on its own proposal
        decide(session, scene, proposal, who=scene.forker)
    session.rollback()
    with pytest.raises(NotFound):  # a third authority does not even see it
        decide(session, scene, proposal, who=scene.outsider)
    session.rollback()
    reviewer = make_member(session, scene.dresden, Role.REVIEWER)
    with pytest.raises(Forbidden):  # the upstream authority's contributors, not its reviewers
        decide(session, scene, proposal, who=reviewer)
    session.rollback()
    declined = decide(session, scene, proposal, accept=False, comment="Passt nicht zu uns")
    assert declined.status is ProposalStatus.DECLINED
    assert declined.decision_comment == "Passt nicht zu uns"
    assert len(upstream_revisions(session, scene)) == 1


def test_the_proposer_withdraws_and_nobody_decides_afterwards(session, scene):
    proposal = propose(session, scene)
    with pytest.raises(Forbidden):
        proposals.withdraw_proposal(session, scene.owner.actor, proposal)
    withdrawn = proposals.withdraw_proposal(session, scene.forker.actor, proposal)
    session.commit()
    assert withdrawn.status is ProposalStatus.WITHDRAWN
    with pytest.raises(Conflict, match="zurückgezogen"):
        decide(session, scene, proposal)
    again = propose(session, scene)  # a withdrawn proposal does not block a new one
    assert again.status is ProposalStatus.OPEN


def test_a_decision_made_meanwhile_wins_and_nothing_is_lost(session, scene):
    proposal = propose(session, scene)
    session.execute(  # another owner declined it a moment ago, in another request
        update(ChangeProposal)
        .where(ChangeProposal.id == proposal.id)
        .values(status=ProposalStatus.DECLINED, version=ChangeProposal.version + 1)
        .execution_options(synchronize_session=False)
    )
    with pytest.raises(Conflict, match="gerade anders entschieden"):
        proposals.decide_proposal(
            session, scene.owner.actor, proposal, accept=True, max_bytes=MAX_BYTES
        )
    session.rollback()
    assert [r.number for r in upstream_revisions(session, scene)] == [1]


def test_racing_accepts_on_separate_connections_create_one_revision(tmp_path):
    url = f"sqlite:///{tmp_path / 'race.sqlite3'}"
    migrate.upgrade(url)
    database = Database(url)
    try:
        with database.session() as session:  # the helpers commit themselves
            scene = build_scene(session)
            scene.fork = fork_of(session, scene)
            proposal_id = propose(session, scene, scene.fork.revisions[0]).id
        outcomes = _race_accepts(database, scene, proposal_id, writers=3)
        assert sorted(outcomes) == ["accepted", "conflict", "conflict"]
        with database.session() as session:
            count = session.scalar(
                select(func.count(Revision.id)).where(Revision.model_id == scene.upstream.id)
            )
            assert count == 2
    finally:
        database.dispose()


def _race_accepts(database, scene, proposal_id, writers):
    outcomes: list[str] = []
    start = threading.Barrier(writers)

    def accept() -> None:
        start.wait()
        try:
            with database.transaction() as session:
                proposals.decide_proposal(
                    session,
                    scene.owner.actor,
                    session.get(ChangeProposal, proposal_id),
                    accept=True,
                    max_bytes=MAX_BYTES,
                )
            outcomes.append("accepted")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=accept) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


# --- API ---------------------------------------------------------------------------------------


def test_the_api_proposes_lists_shows_and_decides(client, session, scene):
    url = f"/api/v1/models/{scene.fork.id}/revisions/2/proposals"
    created = client.post(url, json={"message": "Postversand"}, headers=scene.forker.headers)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["status"] == "open" and body["source_revision_number"] == 2
    assert body["base_revision_number"] == 1
    assert body["target_model"]["authority"]["name"] == "Landeshauptstadt Dresden"
    assert client.post(url, json={}, headers=scene.forker.headers).status_code == 409
    non_fork = f"/api/v1/models/{scene.upstream.id}/revisions/1/proposals"
    assert client.post(non_fork, json={}, headers=scene.owner.headers).status_code == 409

    listed = client.get("/api/v1/proposals", headers=scene.owner.headers).get_json()["items"]
    assert [item["id"] for item in listed] == [body["id"]]
    sent = client.get("/api/v1/proposals?direction=sent", headers=scene.forker.headers)
    assert [item["id"] for item in sent.get_json()["items"]] == [body["id"]]
    bad = client.get("/api/v1/proposals?direction=sideways", headers=scene.owner.headers)
    assert bad.status_code == 422

    detail_url = f"/api/v1/proposals/{body['id']}"
    detail = client.get(detail_url, headers=scene.owner.headers).get_json()
    assert detail["proposal"]["id"] == body["id"]
    assert detail["compared_with"]["number"] == 1
    assert detail["diff"]["summary"]["changed"] == 1
    assert client.get(detail_url, headers=scene.outsider.headers).status_code == 404
    assert client.get(detail_url).status_code == 401
    diagram = client.get(f"{detail_url}/diagram", headers=scene.owner.headers)
    assert diagram.status_code == 200 and diagram.data == LOCAL_BPMN

    decision = f"{detail_url}/decision"
    assert client.post(decision, json={}, headers=scene.owner.headers).status_code == 422
    unexplained = client.post(decision, json={"accept": False}, headers=scene.owner.headers)
    assert unexplained.status_code == 422 and "comment" in unexplained.get_json()["errors"]
    own_side = client.post(decision, json={"accept": True}, headers=scene.forker.headers)
    assert own_side.status_code == 403
    accepted = client.post(decision, json={"accept": True}, headers=scene.owner.headers)
    assert accepted.status_code == 200
    assert accepted.get_json()["created_revision_number"] == 2
    late = client.post(decision, json={"accept": True}, headers=scene.owner.headers)
    assert late.status_code == 409
    withdraw = client.post(f"{detail_url}/withdraw", headers=scene.forker.headers)
    assert withdraw.status_code == 409


def test_the_api_withdraws_for_the_proposing_authority_only(client, session, scene):
    proposal = propose(session, scene)
    url = f"/api/v1/proposals/{proposal.id}/withdraw"
    assert client.post(url, headers=scene.owner.headers).status_code == 403
    assert client.post(url, headers=scene.outsider.headers).status_code == 404
    done = client.post(url, headers=scene.forker.headers)
    assert done.status_code == 200 and done.get_json()["status"] == "withdrawn"


# --- pages -------------------------------------------------------------------------------------


def test_a_change_is_proposed_from_the_fork_page(client, session, scene):
    login_as(client, scene.forker.account)
    page = f"/modelle/{scene.fork.id}"
    assert "Revision 2 dem Upstream vorschlagen" in client.get(page).get_data(as_text=True)
    response = client.post(
        f"{page}/revisionen/2/vorschlagen",
        data={"csrf_token": csrf_token(client, page), "message": "Postversand"},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "Revision 2 ist dem Upstream-Modell vorgeschlagen." in html
    assert "Vorschlag zurückziehen" in html and "Entscheidung speichern" not in html
    proposal = session.scalar(select(ChangeProposal))
    assert proposal.message == "Postversand"
    twice = client.post(
        f"{page}/revisionen/2/vorschlagen",
        data={"csrf_token": csrf_token(client, page)},
        follow_redirects=True,
    )
    assert "schon einen offenen Vorschlag" in twice.get_data(as_text=True)
    withdrawn = client.post(
        f"/vorschlaege/{proposal.id}/zurueckziehen",
        data={"csrf_token": csrf_token(client, page)},
        follow_redirects=True,
    )
    assert "Der Vorschlag ist zurückgezogen." in withdrawn.get_data(as_text=True)


def test_the_upstream_owner_finds_the_proposal_sees_the_diff_and_decides(client, session, scene):
    proposal = propose(session, scene)
    login_as(client, scene.owner.account)
    listing = client.get("/vorschlaege").get_data(as_text=True)
    assert "Hundesteuer: Anmeldung" in listing and "Stadt Leipzig" in listing
    url = f"/vorschlaege/{proposal.id}"
    detail = client.get(url).get_data(as_text=True)
    assert "0 hinzugefügt, 0 entfernt, 1 geändert" in detail
    assert "Bescheid per Post versandt" in detail
    token = csrf_token(client, url)
    unexplained = client.post(url, data={"csrf_token": token, "decision": "decline"})
    assert unexplained.status_code == 422
    assert "Bitte begründen Sie die Ablehnung." in unexplained.get_data(as_text=True)
    undecided = client.post(url, data={"csrf_token": token})
    assert undecided.status_code == 422
    accepted = client.post(
        url, data={"csrf_token": token, "decision": "accept"}, follow_redirects=True
    )
    assert "Revision 2 von „Hundesteuer: Anmeldung“ ist als Entwurf angelegt" in accepted.get_data(
        as_text=True
    )
    assert len(upstream_revisions(session, scene)) == 2
    late = client.post(url, data={"csrf_token": token, "decision": "accept"}, follow_redirects=True)
    assert "bereits angenommen" in late.get_data(as_text=True)
    assert len(upstream_revisions(session, scene)) == 2


def test_outsiders_see_no_proposal_pages(app, client, session, scene):
    proposal = propose(session, scene)
    assert app.test_client().get("/vorschlaege").status_code == 302  # to the login
    login_as(client, scene.outsider.account)
    assert client.get(f"/vorschlaege/{proposal.id}").status_code == 404
    assert "Keine." in client.get("/vorschlaege").get_data(as_text=True)
