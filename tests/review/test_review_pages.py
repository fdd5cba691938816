"""The review pages: submit from the model page, the queue, the diff and the decision form."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.identity.models import Role
from app.library.models import Revision, RevisionStatus
from app.review import services as review
from tests.factories import (
    MINIMAL_BPMN,
    csrf_token,
    login_as,
    make_account,
    make_authority,
    make_model,
    make_process,
    make_revision,
)

CHANGED_BPMN = MINIMAL_BPMN.replace(
    b"Antrag pr\xc3\xbcfen", b"Antrag vollst\xc3\xa4ndig pr\xc3\xbcfen"
)


@pytest.fixture()
def scene(session):
    dresden, leipzig = (
        make_authority(session, name="Landeshauptstadt Dresden"),
        make_authority(session, name="Stadt Leipzig"),
    )
    model = make_model(session, make_process(session, dresden), title="Hund anmelden")
    published = make_revision(session, model, status=RevisionStatus.PUBLISHED)
    draft = make_revision(session, model, CHANGED_BPMN)
    scene = {
        "model": model,
        "published": published,
        "draft": draft,
        "author": make_account(session, dresden, Role.CONTRIBUTOR),
        "own_reviewer": make_account(session, dresden, Role.REVIEWER),
        "reviewer": make_account(session, leipzig, Role.REVIEWER),
    }
    session.commit()
    return scene


def status_of(session, revision):
    session.expire_all()
    return session.scalar(select(Revision.status).where(Revision.id == revision.id))


def test_a_contributor_submits_a_draft_from_the_model_page(client, session, scene):
    login_as(client, scene["author"])
    model_page = f"/modelle/{scene['model'].id}"
    html = client.get(model_page).get_data(as_text=True)
    assert "Revision 2 zur Prüfung einreichen" in html
    response = client.post(
        f"{model_page}/revisionen/2/einreichen",
        data={"csrf_token": csrf_token(client, model_page)},
        follow_redirects=True,
    )
    assert "Revision 2 ist zur Prüfung eingereicht." in response.get_data(as_text=True)
    assert status_of(session, scene["draft"]) is RevisionStatus.SUBMITTED


def test_a_reviewer_finds_the_submission_sees_the_diff_and_approves(client, session, scene):
    review.submit(session, _actor(scene["author"]), scene["draft"])
    session.commit()
    login_as(client, scene["reviewer"])
    queue = client.get("/pruefung").get_data(as_text=True)
    assert "Hund anmelden, Revision 2" in queue and "Landeshauptstadt Dresden" in queue
    filter_options = queue.split('id="filter-behoerde"')[1].split("</select>")[0]
    assert "Landeshauptstadt Dresden" in filter_options  # submitting authorities only
    assert "Stadt Leipzig" not in filter_options
    url = f"/pruefung/{scene['model'].id}/2"
    detail = client.get(url).get_data(as_text=True)
    assert "Gegenüber Revision 1: 0 hinzugefügt, 0 entfernt, 1 geändert" in detail
    assert "Antrag vollständig prüfen" in detail

    token = csrf_token(client, url)
    unexplained = client.post(url, data={"csrf_token": token, "decision": "reject"})
    assert unexplained.status_code == 422
    assert "Bitte begründen Sie die Entscheidung." in unexplained.get_data(as_text=True)
    assert status_of(session, scene["draft"]) is RevisionStatus.SUBMITTED

    approved = client.post(
        url, data={"csrf_token": token, "decision": "approve"}, follow_redirects=True
    )
    assert "„Hund anmelden“, Revision 2, ist veröffentlicht." in approved.get_data(as_text=True)
    assert status_of(session, scene["draft"]) is RevisionStatus.PUBLISHED
    assert status_of(session, scene["published"]) is RevisionStatus.SUPERSEDED


def test_the_own_authority_gets_no_decision_form_and_no_decision(client, session, scene):
    review.submit(session, _actor(scene["author"]), scene["draft"])
    session.commit()
    login_as(client, scene["own_reviewer"])
    url = f"/pruefung/{scene['model'].id}/2"
    html = client.get(url).get_data(as_text=True)
    assert "Entscheidung speichern" not in html
    assert "Nichts zu prüfen." in client.get("/pruefung").get_data(as_text=True)
    token = csrf_token(client, "/konto/tokens")  # the page offers no form here
    refused = client.post(url, data={"csrf_token": token, "decision": "approve"})
    assert refused.status_code == 403
    assert status_of(session, scene["draft"]) is RevisionStatus.SUBMITTED


def test_only_reviewers_see_the_queue(client, session, scene):
    login_as(client, scene["author"])
    assert client.get("/pruefung").status_code == 403


def _actor(account):
    from app.identity.services import actor_for

    return actor_for(account)
