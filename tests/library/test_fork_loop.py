"""The community loop through the API, with accounts of three authorities: published → forked →
upstream publishes again → fork takes it over → fork proposes a change → upstream accepts and
publishes it through the review."""

from __future__ import annotations

from app.identity.models import Role
from tests.factories import make_member
from tests.library.fork_scene import CHANGED_BPMN, build_scene

# the fork's own change, on top of upstream's revision 2
LOCAL_BPMN = CHANGED_BPMN.replace(b"Bescheid versandt", b"Bescheid per Post versandt")


def post(client, member, url, **kwargs):
    response = client.post(url, headers=member.headers, **kwargs)
    assert response.status_code in {200, 201}, (url, response.get_json())
    return response.get_json()


def publish(client, scene, reviewer, model_id, number):
    base = f"/api/v1/models/{model_id}/revisions/{number}"
    post(client, scene.owner, f"{base}/submit", json={})
    assert post(client, reviewer, f"{base}/decisions", json={"decision": "approve"})["published"]


def test_fork_take_over_propose_accept(client, session):
    scene = build_scene(session)
    reviewer = make_member(session, scene.chemnitz, Role.REVIEWER)
    session.commit()
    upstream = scene.upstream.id

    fork = post(client, scene.forker, f"/api/v1/models/{upstream}/revisions/1/fork", json={})
    new = post(
        client,
        scene.owner,
        f"/api/v1/models/{upstream}/revisions",
        data=CHANGED_BPMN,
        content_type="application/xml",
    )
    publish(client, scene, reviewer, upstream, new["number"])

    status = client.get(f"/api/v1/models/{fork['id']}/upstream").get_json()
    assert status["newer"] and status["latest"]["number"] == 2
    taken = post(
        client,
        scene.forker,
        f"/api/v1/models/{fork['id']}/upstream/take-over",
        json={"upstream_number": 2},
    )
    local = post(
        client,
        scene.forker,
        f"/api/v1/models/{fork['id']}/revisions?parent={taken['number']}",
        data=LOCAL_BPMN,
        content_type="application/xml",
    )
    proposal = post(
        client,
        scene.forker,
        f"/api/v1/models/{fork['id']}/revisions/{local['number']}/proposals",
        json={"message": "Postversand"},
    )
    detail = client.get(f"/api/v1/proposals/{proposal['id']}", headers=scene.owner.headers)
    assert detail.get_json()["compared_with"]["number"] == 2  # based on upstream's newest
    assert [c["id"] for c in detail.get_json()["diff"]["changed"]] == ["End_1"]

    accepted = post(
        client, scene.owner, f"/api/v1/proposals/{proposal['id']}/decision", json={"accept": True}
    )
    number = accepted["created_revision_number"]
    publish(client, scene, reviewer, upstream, number)
    published = client.get(f"/api/v1/models/{upstream}/revisions/{number}").get_json()
    assert published["status"] == "published"
    assert published["author_name"] == scene.forker.account.display_name
    assert published["sha256"] == local["sha256"]
