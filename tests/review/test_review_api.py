"""The review loop through the API: submit, request changes, resubmit, approve, supersede."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.identity.models import Role
from app.library.models import Revision, RevisionStatus
from tests.factories import MINIMAL_BPMN, make_authority, make_member, make_model, make_process

CHANGED_BPMN = MINIMAL_BPMN.replace(
    b"Antrag pr\xc3\xbcfen", b"Antrag vollst\xc3\xa4ndig pr\xc3\xbcfen"
)
INVALID_BPMN = MINIMAL_BPMN.replace(b'sourceRef="Start_1" ', b"")


@pytest.fixture()
def scene(session):
    dresden, leipzig = (
        make_authority(session, slug="dresden"),
        make_authority(session, slug="leipzig"),
    )
    scene = {
        "author": make_member(session, dresden, Role.CONTRIBUTOR),
        "own_reviewer": make_member(session, dresden, Role.REVIEWER),
        "reviewer": make_member(session, leipzig, Role.REVIEWER),
        "model": make_model(session, make_process(session, dresden)),
    }
    session.commit()
    return scene


def upload(client, scene, data=MINIMAL_BPMN):
    response = client.post(
        f"/api/v1/models/{scene['model'].id}/revisions",
        data=data,
        headers={**scene["author"].headers, "Content-Type": "application/xml"},
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["number"]


def act(client, scene, who, number, path, **body):
    return client.post(
        f"/api/v1/models/{scene['model'].id}/revisions/{number}/{path}",
        json=body,
        headers=scene[who].headers,
    )


def status_of(session, scene, number):
    session.expire_all()
    return session.scalar(
        select(Revision.status).where(
            Revision.model_id == scene["model"].id, Revision.number == number
        )
    )


def test_the_review_loop_from_draft_to_published_and_superseded(client, session, scene):
    first = upload(client, scene)
    submitted = act(client, scene, "author", first, "submit", comment="Bitte prüfen")
    assert submitted.status_code == 200
    assert submitted.get_json()["status"] == "submitted"
    assert submitted.get_json()["allowed_actions"] == [
        "approve",
        "request_changes",
        "reject",
        "withdraw",
    ]

    queue = client.get("/api/v1/reviews", headers=scene["reviewer"].headers).get_json()["items"]
    assert [(item["number"], item["authority"]["slug"]) for item in queue] == [(first, "dresden")]

    unexplained = act(client, scene, "reviewer", first, "decisions", decision="request_changes")
    assert unexplained.status_code == 422
    returned = act(
        client, scene, "reviewer", first, "decisions",
        decision="request_changes", comment="Zuständigkeit fehlt",
    )  # fmt: skip
    assert returned.status_code == 201
    assert returned.get_json()["revision"]["status"] == "changes_requested"
    assert returned.get_json()["published"] is False

    second = upload(client, scene, CHANGED_BPMN)
    assert act(client, scene, "author", second, "submit").status_code == 200
    detail = client.get(
        f"/api/v1/models/{scene['model'].id}/revisions/{second}/review",
        headers=scene["reviewer"].headers,
    ).get_json()
    assert detail["previous_published"] is None  # nothing published yet
    approved = act(client, scene, "reviewer", second, "decisions", decision="approve")
    assert approved.status_code == 201
    assert approved.get_json()["published"] is True
    assert status_of(session, scene, second) is RevisionStatus.PUBLISHED

    third = upload(client, scene)
    act(client, scene, "author", third, "submit")
    detail = client.get(
        f"/api/v1/models/{scene['model'].id}/revisions/{third}/review",
        headers=scene["reviewer"].headers,
    ).get_json()
    assert detail["previous_published"]["number"] == second
    assert detail["diff"]["changed"][0]["id"] == "Task_1"  # the label goes back
    assert act(client, scene, "reviewer", third, "decisions", decision="approve").status_code == 201
    assert status_of(session, scene, second) is RevisionStatus.SUPERSEDED
    assert status_of(session, scene, third) is RevisionStatus.PUBLISHED
    assert status_of(session, scene, first) is RevisionStatus.CHANGES_REQUESTED


def test_no_one_decides_on_their_own_authority(client, session, scene):
    number = upload(client, scene)
    act(client, scene, "author", number, "submit")
    refused = act(client, scene, "own_reviewer", number, "decisions", decision="approve")
    assert refused.status_code == 403
    assert "Vier-Augen" in refused.get_json()["detail"]
    own_queue = client.get("/api/v1/reviews", headers=scene["own_reviewer"].headers)
    assert own_queue.get_json()["items"] == []
    assert status_of(session, scene, number) is RevisionStatus.SUBMITTED


def test_an_illegal_transition_is_a_409_and_changes_nothing(client, session, scene):
    number = upload(client, scene)
    early = act(client, scene, "reviewer", number, "decisions", decision="approve")
    assert early.status_code == 404  # a draft is not the reviewers' business (not even visible)
    act(client, scene, "author", number, "submit")
    act(client, scene, "reviewer", number, "decisions", decision="approve")
    events_before = session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
    again = act(
        client, scene, "reviewer", number, "decisions", decision="reject", comment="zu spät"
    )
    assert again.status_code == 409
    assert again.get_json()["type"].endswith("illegal-transition")
    resubmitted = act(client, scene, "author", number, "submit")
    assert resubmitted.status_code == 409
    assert status_of(session, scene, number) is RevisionStatus.PUBLISHED
    session.expire_all()
    last = session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
    assert last.id == events_before or last.action == "request.refused"


def test_an_invalid_revision_cannot_be_submitted(client, session, scene):
    number = upload(client, scene, INVALID_BPMN)
    refused = act(client, scene, "author", number, "submit")
    assert refused.status_code == 422
    assert refused.get_json()["errors"]["validation"]
    assert status_of(session, scene, number) is RevisionStatus.DRAFT


def test_every_state_change_is_audited_with_before_and_after(client, session, scene):
    number = upload(client, scene)
    act(client, scene, "author", number, "submit", comment="neu")
    act(client, scene, "reviewer", number, "decisions", decision="approve", comment="passt")
    act(client, scene, "author", number, "withdraw", comment="Gesetz geändert")
    session.expire_all()
    events = [
        event
        for event in session.scalars(
            select(AuditEvent).where(AuditEvent.object_type == "revision").order_by(AuditEvent.id)
        )
        if event.action != "revision.created"
    ]
    assert [(e.action, e.before["status"], e.after["status"]) for e in events] == [
        ("revision.submitted", "draft", "submitted"),
        ("review.approve", "submitted", "published"),
        ("revision.withdrawn", "published", "withdrawn"),
    ]
    assert events[1].details["comment"] == "passt"
    assert events[1].actor_name == scene["reviewer"].account.display_name


def test_the_queue_filters_by_authority_age_and_themenfeld(client, session, scene):
    number = upload(client, scene)
    act(client, scene, "author", number, "submit")
    headers = scene["reviewer"].headers
    assert (
        len(client.get("/api/v1/reviews?authority=dresden", headers=headers).get_json()["items"])
        == 1
    )
    assert (
        client.get("/api/v1/reviews?authority=leipzig", headers=headers).get_json()["items"] == []
    )
    assert client.get("/api/v1/reviews?min_age_days=3", headers=headers).get_json()["items"] == []
    assert (
        client.get("/api/v1/reviews?themenfeld=Gesundheit", headers=headers).get_json()["items"]
        == []
    )
    refused = client.get("/api/v1/reviews", headers=scene["author"].headers)
    assert refused.status_code == 403
