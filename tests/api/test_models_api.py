"""REST API of process models and revisions: create, upload (raw and multipart), list, download."""

from __future__ import annotations

import hashlib
import io

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.identity.models import Role
from app.library.models import Blob, Revision, RevisionStatus
from tests.bpmn.samples import REFUSED
from tests.conftest import TEST_UPLOAD_LIMIT
from tests.factories import (
    MINIMAL_BPMN,
    make_authority,
    make_member,
    make_model,
    make_process,
    make_revision,
    seed_model_bytes,
)


@pytest.fixture()
def authority(session):
    return make_authority(session)


@pytest.fixture()
def member(session, authority):
    member = make_member(session, authority, Role.CONTRIBUTOR)
    session.commit()
    return member


@pytest.fixture()
def model(session, authority):
    model = make_model(session, make_process(session, authority))
    session.commit()
    return model


def upload(client, model, member, data=MINIMAL_BPMN, query=""):
    return client.post(
        f"/api/v1/models/{model.id}/revisions{query}",
        data=data,
        headers={**member.headers, "Content-Type": "application/xml"},
    )


def revision_count(session):
    return session.scalar(select(func.count(Revision.id)))


def test_create_model_under_own_process(client, session, authority, member):
    process = make_process(session, authority)
    session.commit()
    response = client.post(
        f"/api/v1/processes/{process.id}/models",
        json={"title": "Anmeldung – Ist-Prozess"},
        headers=member.headers,
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["revision_count"] == 0 and body["authority"]["id"] == str(authority.id)
    listed = client.get(f"/api/v1/processes/{process.id}/models").get_json()["items"]
    assert [item["id"] for item in listed] == [body["id"]]
    assert client.get(response.headers["Location"]).get_json()["title"] == "Anmeldung – Ist-Prozess"


def test_create_model_under_another_authoritys_process_is_forbidden(client, session, member):
    foreign = make_process(session, make_authority(session))
    session.commit()
    response = client.post(
        f"/api/v1/processes/{foreign.id}/models", json={"title": "x"}, headers=member.headers
    )
    assert response.status_code == 403


def test_upload_raw_xml_creates_a_draft_revision(client, model, member):
    response = upload(client, model, member, query="?message=Erste%20Fassung")
    assert response.status_code == 201
    body = response.get_json()
    assert body["number"] == 1 and body["parent_id"] is None
    assert body["status"] == "draft"
    assert body["sha256"] == hashlib.sha256(MINIMAL_BPMN).hexdigest()
    assert body["message"] == "Erste Fassung"
    assert body["author_name"] == member.account.display_name
    detail = client.get(response.headers["Location"], headers=member.headers).get_json()
    assert detail["extraction"]["flow_node_count"] == 3


def test_upload_multipart_keeps_filename_and_links_the_parent(client, model, member):
    first = upload(client, model, member).get_json()
    data = seed_model_bytes("wohnsitz-anmelden")
    response = client.post(
        f"/api/v1/models/{model.id}/revisions",
        data={
            "file": (io.BytesIO(data), "Wohnsitz Anmeldung.bpmn"),
            "message": "Lanes ergänzt",
            "parent": "1",
        },
        headers=member.headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["number"] == 2 and body["parent_id"] == first["id"]
    assert body["filename"] == "wohnsitz-anmeldung.bpmn"
    assert body["message"] == "Lanes ergänzt"


def test_download_returns_the_exact_bytes_with_a_strong_etag(client, session, model, member):
    latin1 = (
        b'<?xml version="1.0" encoding="ISO-8859-1"?>\n'
        b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D" targetNamespace="x">'
        b'<process id="P"><task id="T" name="Antrag pr\xfcfen"/></process></definitions>\r\n'
    )
    upload(client, model, member, data=latin1)
    url = f"/api/v1/models/{model.id}/revisions/1/content"
    response = client.get(url, headers=member.headers)
    assert response.status_code == 200
    assert response.data == latin1
    assert response.headers["Content-Type"] == "application/xml"
    digest = hashlib.sha256(latin1).hexdigest()
    assert response.headers["ETag"] == f'"{digest}"'
    assert "attachment" in response.headers["Content-Disposition"]
    assert (
        client.get(url, headers={**member.headers, "If-None-Match": f'"{digest}"'}).status_code
        == 304
    )


def test_identical_bytes_are_stored_once(client, session, model, member):
    upload(client, model, member)
    upload(client, model, member)
    assert revision_count(session) == 2
    assert session.scalar(select(func.count(Blob.sha256))) == 1


def test_upload_based_on_an_old_revision_is_a_conflict(client, session, model, member):
    upload(client, model, member)
    upload(client, model, member, query="?parent=1")
    response = upload(client, model, member, query="?parent=1")
    assert response.status_code == 409
    assert "Revision 2" in response.get_json()["detail"]
    assert revision_count(session) == 2


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_hostile_or_broken_files_are_refused_and_nothing_is_stored(
    client, session, model, member, name
):
    data, code = REFUSED[name]
    response = upload(client, model, member, data=data)
    assert response.status_code == 422
    problem = response.get_json()
    assert problem["errors"]["file"][0]["code"] == code
    assert revision_count(session) == 0
    assert session.scalar(select(func.count(Blob.sha256))) == 0
    session.refresh(model)
    assert model.revision_count == 0
    refusal = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "request.refused")
    ).all()[-1]
    assert refusal.details["status"] == 422 and refusal.actor_account_id == member.account.id


def test_oversized_upload_is_a_413_and_recorded(client, session, model, member):
    response = upload(client, model, member, data=b"<" + b" " * TEST_UPLOAD_LIMIT)
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"
    assert revision_count(session) == 0
    refusal = session.scalar(select(AuditEvent).where(AuditEvent.action == "request.refused"))
    assert refusal.details["status"] == 413
    assert refusal.details["language"] == "de"  # the language its reason is written in


def test_oversized_multipart_file_is_a_413(client, session, model, member):
    response = client.post(
        f"/api/v1/models/{model.id}/revisions",
        data={"file": (io.BytesIO(b" " * (TEST_UPLOAD_LIMIT + 1)), "gross.bpmn")},
        headers=member.headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 413


def test_other_media_types_are_a_415(client, model, member):
    response = client.post(
        f"/api/v1/models/{model.id}/revisions",
        data="{}",
        headers={**member.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 415


def test_multipart_without_file_is_a_422(client, model, member):
    response = client.post(
        f"/api/v1/models/{model.id}/revisions",
        data={"message": "ohne Datei"},
        headers=member.headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "file" in response.get_json()["errors"]


def test_multipart_with_invalid_parent_is_a_422(client, model, member):
    response = client.post(
        f"/api/v1/models/{model.id}/revisions",
        data={"file": (io.BytesIO(MINIMAL_BPMN), "a.bpmn"), "parent": "null"},
        headers=member.headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert response.get_json()["errors"]["parent"] == ["Keine gültige ganze Zahl."]


def test_contributor_of_another_authority_cannot_upload(client, session, model):
    stranger = make_member(session, make_authority(session), Role.CONTRIBUTOR)
    session.commit()
    assert upload(client, model, stranger).status_code == 403
    assert revision_count(session) == 0


def test_drafts_are_visible_to_the_owning_authority_only(client, session, authority, model, member):
    make_revision(session, model)
    make_revision(session, model, status=RevisionStatus.PUBLISHED)
    session.commit()
    stranger = make_member(session, make_authority(session), Role.CONTRIBUTOR)
    session.commit()
    own = [
        item["number"]
        for item in client.get(
            f"/api/v1/models/{model.id}/revisions", headers=member.headers
        ).get_json()["items"]
    ]
    public = [
        item["number"]
        for item in client.get(f"/api/v1/models/{model.id}/revisions").get_json()["items"]
    ]
    foreign = [
        item["number"]
        for item in client.get(
            f"/api/v1/models/{model.id}/revisions", headers=stranger.headers
        ).get_json()["items"]
    ]
    assert own == [2, 1] and public == [2] and foreign == [2]
    for path in ("/1", "/1/content"):
        assert client.get(f"/api/v1/models/{model.id}/revisions{path}").status_code == 404
        assert (
            client.get(
                f"/api/v1/models/{model.id}/revisions{path}", headers=stranger.headers
            ).status_code
            == 404
        )
        assert (
            client.get(
                f"/api/v1/models/{model.id}/revisions{path}", headers=member.headers
            ).status_code
            == 200
        )
    published = client.get(f"/api/v1/models/{model.id}/revisions/2/content")
    assert published.status_code == 200 and "public" in published.headers["Cache-Control"]


def test_unknown_model_and_revision_are_404(client, model):
    assert client.get("/api/v1/models/00000000-0000-0000-0000-000000000000").status_code == 404
    assert client.get(f"/api/v1/models/{model.id}/revisions/7").status_code == 404
