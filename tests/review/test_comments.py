"""Comments on revisions: threads, pins on BPMN elements, who may write, the API and the pages."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.authz import ANONYMOUS, Permission, TokenScope, is_allowed
from app.errors import NotFound, Unauthorized, ValidationFailed
from app.identity.models import Role
from app.identity.services import actor_for
from app.library.models import RevisionStatus
from app.review import comments
from app.review.comments import MAX_BODY_LENGTH, MAX_DEPTH
from app.review.models import Comment, Notification, NotificationKind
from tests.factories import (
    csrf_token,
    login_as,
    make_account,
    make_authority,
    make_member,
    make_model,
    make_process,
    make_revision,
)


@pytest.fixture()
def scene(session):
    dresden = make_authority(session, slug="dresden", name="Landeshauptstadt Dresden")
    leipzig = make_authority(session, slug="leipzig", name="Stadt Leipzig")
    model = make_model(session, make_process(session, dresden), title="Hund anmelden")
    published = make_revision(session, model, status=RevisionStatus.PUBLISHED)
    draft = make_revision(session, model)
    scene = {
        "model": model,
        "published": published,
        "draft": draft,
        "owner": make_account(session, dresden, Role.CONTRIBUTOR, name="Olga Owner"),
        "colleague": make_account(session, dresden, Role.CONTRIBUTOR, name="Carl Kollege"),
        "reviewer": make_account(session, leipzig, Role.REVIEWER, name="Rita Review"),
        "outsider": make_account(session, leipzig, Role.CONTRIBUTOR, name="Otto Außen"),
        "member": make_member(session, leipzig, Role.CONTRIBUTOR),
        "library_token": make_member(
            session, leipzig, Role.CONTRIBUTOR, scopes=(TokenScope.LIBRARY_WRITE,)
        ),
    }
    session.commit()
    return scene


def actor(scene, who):
    return actor_for(scene[who])


def notified(session, account, kind=NotificationKind.COMMENT):
    return list(
        session.scalars(
            select(Notification).where(
                Notification.account_id == account.id, Notification.kind == kind
            )
        )
    )


def api_url(scene, number=1, suffix="comments"):
    return f"/api/v1/models/{scene['model'].id}/revisions/{number}/{suffix}"


# --- the service --------------------------------------------------------------------------------


def test_comments_and_replies_form_threads(session, scene):
    revision = scene["published"]
    first = comments.add_comment(
        session,
        actor(scene, "outsider"),
        revision,
        "Warum **zwei** Prüfungen?",
        element_id="Task_1",
    )
    reply = comments.add_comment(
        session, actor(scene, "owner"), revision, "Gesetzlich vorgegeben.", parent=first
    )
    comments.add_comment(session, actor(scene, "outsider"), revision, "Danke!", parent=reply)
    second = comments.add_comment(session, actor(scene, "reviewer"), revision, "Sonst gut.")
    session.commit()

    threads = comments.threads(session, ANONYMOUS, revision)
    assert [thread.comment.id for thread in threads] == [first.id, second.id]
    assert threads[0].size == 3 and threads[0].replies[0].comment.id == reply.id
    assert threads[0].replies[0].replies[0].depth == 3
    assert first.element_id == "Task_1" and first.author_name == "Otto Außen"
    assert first.author_authority_id == scene["outsider"].authority_id
    assert comments.element_label(revision, "Task_1") == "Antrag prüfen"


def test_each_comment_is_an_audit_event_and_tells_the_owners_and_the_answered(session, scene):
    revision = scene["published"]
    first = comments.add_comment(session, actor(scene, "outsider"), revision, "Frage")
    assert {n.title for n in notified(session, scene["owner"])} == {
        "Kommentar zu Hund anmelden, Revision 1"
    }
    assert len(notified(session, scene["colleague"])) == 1
    assert notified(session, scene["outsider"]) == []  # never the author themselves

    comments.add_comment(session, actor(scene, "reviewer"), revision, "Antwort", parent=first)
    answer = notified(session, scene["outsider"])
    assert [n.title for n in answer] == ["Antwort zu Hund anmelden, Revision 1"]
    assert answer[0].body == "Rita Review: Antwort"
    assert answer[0].link.startswith(f"/pruefung/{scene['model'].id}/1#kommentar-")
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "comment.created")).all()
    assert len(events) == 2
    assert events[0].object_id == str(first.id) and events[0].after["body"] == "Frage"


@pytest.mark.parametrize(
    ("body", "element_id", "field"),
    [
        ("", None, "body"),
        ("   \n  ", None, "body"),
        ("x" * (MAX_BODY_LENGTH + 1), None, "body"),
        ("Hier", "Task_404", "element_id"),
    ],
)
def test_what_does_not_fit_is_refused(session, scene, body, element_id, field):
    with pytest.raises(ValidationFailed) as refused:
        comments.add_comment(
            session, actor(scene, "owner"), scene["published"], body, element_id=element_id
        )
    assert field in refused.value.errors


def test_the_longest_comment_fits(session, scene):
    body = "x" * MAX_BODY_LENGTH
    comment = comments.add_comment(session, actor(scene, "owner"), scene["published"], body)
    assert comment.body == body
    (told,) = notified(session, scene["colleague"])
    assert len(told.body) < 400 and told.body.endswith("x…")  # an excerpt, not the whole text


def test_a_reply_stays_in_its_revision_and_within_the_depth(session, scene):
    owner = actor(scene, "owner")
    on_draft = comments.add_comment(session, owner, scene["draft"], "Entwurf")
    with pytest.raises(ValidationFailed) as refused:
        comments.add_comment(session, owner, scene["published"], "Antwort", parent=on_draft)
    assert "parent_id" in refused.value.errors
    parent = None
    for level in range(MAX_DEPTH):
        parent = comments.add_comment(session, owner, scene["draft"], f"{level}", parent=parent)
    with pytest.raises(ValidationFailed, match="Ebenen"):
        comments.add_comment(session, owner, scene["draft"], "zu tief", parent=parent)


def test_only_people_who_may_read_the_revision_comment(session, scene):
    with pytest.raises(Unauthorized):
        comments.add_comment(session, ANONYMOUS, scene["published"], "anonym")
    with pytest.raises(NotFound):
        comments.add_comment(session, actor(scene, "outsider"), scene["draft"], "fremder Entwurf")
    with pytest.raises(NotFound):
        comments.threads(session, ANONYMOUS, scene["draft"])
    assert session.scalar(select(func.count(Comment.id))) == 0
    assert comments.add_comment(session, actor(scene, "colleague"), scene["draft"], "intern")


def test_reviewers_comment_on_submissions_of_other_authorities(session, scene):
    from app.review import services as review

    review.submit(session, actor(scene, "owner"), scene["draft"])
    assert is_allowed(actor(scene, "reviewer"), Permission.COMMENT_CREATE, scene["draft"])
    assert not is_allowed(actor(scene, "outsider"), Permission.COMMENT_CREATE, scene["draft"])
    assert comments.add_comment(session, actor(scene, "reviewer"), scene["draft"], "Bitte prüfen")


def test_comments_of_a_model_show_only_readable_revisions(session, scene):
    comments.add_comment(session, actor(scene, "owner"), scene["published"], "öffentlich")
    comments.add_comment(session, actor(scene, "owner"), scene["draft"], "intern")
    model = scene["model"]
    assert [c.body for c in comments.comments_of_model(session, ANONYMOUS, model)] == ["öffentlich"]
    assert len(comments.comments_of_model(session, actor(scene, "colleague"), model)) == 2
    assert comments.counts_by_revision(session, model) == {1: 1, 2: 1}


# --- the API ------------------------------------------------------------------------------------


def test_the_api_writes_and_reads_threads(client, session, scene):
    headers = scene["member"].headers
    created = client.post(
        api_url(scene),
        json={"body": "Siehe <script>x</script> *hier*", "element_id": "Task_1"},
        headers=headers,
    )
    assert created.status_code == 201, created.get_json()
    first = created.get_json()
    assert first["body"] == "Siehe <script>x</script> *hier*"
    assert "<script>" not in first["body_html"] and "<em>hier</em>" in first["body_html"]
    assert first["element_name"] == "Antrag prüfen" and first["revision_number"] == 1
    assert first["author_authority"]["slug"] == "leipzig"
    reply = client.post(
        api_url(scene), json={"body": "Antwort", "parent_id": first["id"]}, headers=headers
    )
    assert reply.status_code == 201

    listed = client.get(api_url(scene))  # anonymous readers see published conversations
    assert listed.status_code == 200
    (thread,) = listed.get_json()["items"]
    assert thread["comment"]["id"] == first["id"] and thread["depth"] == 1
    assert thread["replies"][0]["comment"]["body"] == "Antwort"
    model_wide = client.get(f"/api/v1/models/{scene['model'].id}/comments").get_json()
    assert len(model_wide["items"]) == 2


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"body": "Hier", "element_id": "Gibt_es_nicht"}, 422, "element_id"),
        ({"body": "x" * (MAX_BODY_LENGTH + 1)}, 422, "body"),
        ({"body": ""}, 422, "body"),
        ({"body": "   "}, 422, "body"),
        ({}, 422, "body"),
        ({"body": "Hi", "parent_id": "kein-uuid"}, 422, "parent_id"),
        ({"body": "Hi", "parent_id": str(uuid.uuid4())}, 422, "parent_id"),
    ],
)
def test_the_api_refuses_what_does_not_fit_as_problem_json(client, scene, body, status, field):
    response = client.post(api_url(scene), json=body, headers=scene["member"].headers)
    assert response.status_code == status
    assert response.content_type == "application/problem+json"
    problem = response.get_json()
    assert field in str(problem.get("errors")), problem
    assert problem["detail"]


def test_a_reply_to_a_comment_of_another_revision_is_refused(client, session, scene):
    other = comments.add_comment(session, actor(scene, "owner"), scene["draft"], "intern")
    session.commit()
    response = client.post(
        api_url(scene),
        json={"body": "Antwort", "parent_id": str(other.id)},
        headers=scene["member"].headers,
    )
    assert response.status_code == 422
    assert "gehört nicht zu dieser Revision" in response.get_json()["detail"]


def test_the_api_refuses_strangers(client, session, scene):
    assert client.post(api_url(scene), json={"body": "anonym"}).status_code == 401
    hidden = client.post(api_url(scene, 2), json={"body": "x"}, headers=scene["member"].headers)
    assert hidden.status_code == 404
    assert client.get(api_url(scene, 2)).status_code == 404
    assert client.get(api_url(scene, 2), headers=scene["member"].headers).status_code == 404
    no_scope = client.post(
        api_url(scene), json={"body": "x"}, headers=scene["library_token"].headers
    )
    assert no_scope.status_code == 403 and "review:write" in no_scope.get_json()["detail"]
    assert session.scalar(select(func.count(Comment.id))) == 0


# --- the pages ----------------------------------------------------------------------------------


def model_page(scene):
    return f"/modelle/{scene['model'].id}"


def page_post_url(scene, number):
    return f"/modelle/{scene['model'].id}/revisionen/{number}/kommentare"


def test_a_comment_from_the_model_page_is_shown_with_its_pin(client, session, scene):
    login_as(client, scene["outsider"])
    html = client.get(model_page(scene)).get_data(as_text=True)
    assert "Kommentare zu Revision 1" in html and "Noch keine Kommentare." in html
    assert '<option value="Task_1">Antrag prüfen (task, Task_1)</option>' in html
    response = client.post(
        page_post_url(scene, 1),
        data={
            "csrf_token": csrf_token(client, model_page(scene)),
            "body": "Ist **das** nötig? <img src=x onerror=alert(1)>",
            "element_id": "Task_1",
            "ziel": "modell",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"{model_page(scene)}#kommentar-")
    html = client.get(model_page(scene)).get_data(as_text=True)
    assert "Ihr Kommentar ist gespeichert." in html
    assert "Ist <strong>das</strong> nötig? &lt;img src=x onerror=alert(1)&gt;" in html
    assert "<img" not in html
    assert 'id="kommentar-pins"' in html and '"element": "Task_1"' in html
    assert "js/comment-pins.js" in html
    assert "Nr. 1: Otto Außen, zu „Antrag prüfen“" in html


def test_replies_from_the_review_page_go_back_there(client, session, scene):
    from app.review import services as review

    review.submit(session, actor(scene, "owner"), scene["draft"])
    first = comments.add_comment(session, actor(scene, "owner"), scene["draft"], "Bitte so")
    session.commit()
    login_as(client, scene["reviewer"])
    url = f"/pruefung/{scene['model'].id}/2"
    html = client.get(url).get_data(as_text=True)
    assert (
        "Kommentare zu Revision 2" in html
        and f'name="parent_id" type="hidden" value="{first.id}"' in html
    )
    response = client.post(
        page_post_url(scene, 2),
        data={
            "csrf_token": csrf_token(client, url),
            "body": "Einverstanden",
            "parent_id": str(first.id),
            "ziel": "pruefung",
        },
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "Ihr Kommentar ist gespeichert." in page and "Einverstanden" in page
    assert "(1 Antwort)" in page
    assert [n.title for n in notified(session, scene["owner"])] == [
        "Antwort zu Hund anmelden, Revision 2"
    ]


def test_the_page_refuses_without_a_500(client, session, scene):
    login_as(client, scene["outsider"])
    token = csrf_token(client, model_page(scene))
    hidden = client.post(page_post_url(scene, 2), data={"csrf_token": token, "body": "x"})
    assert hidden.status_code == 404
    for data in (
        {"body": "Hier", "element_id": "Task_404"},
        {"body": ""},
        {"body": "x", "parent_id": "kaputt"},
        {"body": "x" * (MAX_BODY_LENGTH + 1)},
    ):
        response = client.post(
            page_post_url(scene, 1), data={"csrf_token": token, **data}, follow_redirects=True
        )
        assert response.status_code == 200
        assert "Ihr Kommentar ist gespeichert." not in response.get_data(as_text=True)
    expired = client.post(page_post_url(scene, 1), data={"body": "ohne Token"})
    assert expired.status_code == 400
    assert session.scalar(select(func.count(Comment.id))) == 0


def test_anonymous_visitors_read_comments_but_are_asked_to_log_in(client, session, scene):
    comments.add_comment(session, actor(scene, "owner"), scene["published"], "Öffentlich")
    comments.add_comment(session, actor(scene, "owner"), scene["draft"], "Geheim")
    session.commit()
    html = client.get(model_page(scene)).get_data(as_text=True)
    assert "Öffentlich" in html and "Geheim" not in html
    assert "um zu kommentieren" in html and "Kommentar speichern" not in html
    refused = client.post(page_post_url(scene, 1), data={"body": "x"})
    assert refused.status_code in {400, 401}  # no session, so no CSRF token either
    assert session.scalar(select(func.count(Comment.id))) == 2
    login_as(client, scene["outsider"])  # logged in, but the draft stays hidden
    html = client.get(model_page(scene)).get_data(as_text=True)
    assert "Geheim" not in html and "Kommentare zu anderen Revisionen" not in html
    login_as(client, scene["colleague"])  # the owners see their draft's conversation
    html = client.get(model_page(scene)).get_data(as_text=True)
    assert "Geheim" in html and "Kommentare zu anderen Revisionen" in html
