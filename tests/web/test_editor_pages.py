"""The editor's routes: open, save as draft (with conflict and validation), new model, diff page."""

from __future__ import annotations

import io
import json
import re

import pytest
from sqlalchemy import func, select

from app import MULTIPART_ALLOWANCE
from app.identity.models import Role
from app.library import editor, forks
from app.library.models import ProcessModel, Revision, RevisionStatus
from tests.factories import (
    SYSTEM,
    csrf_token,
    login_as,
    make_account,
    make_authority,
    make_model,
    make_process,
    make_revision,
    seed_model_bytes,
)

EDITED = seed_model_bytes("wohnsitz-anmelden").replace(
    "Unterlagen prüfen".encode(), b"Unterlagen sichten"
)


@pytest.fixture()
def scene(session):
    hamm, other = make_authority(session, name="Stadt Hamm"), make_authority(session)
    process = make_process(session, hamm, title="Sondernutzung")
    model = make_model(session, process, title="Sondernutzung (Hamm)")
    make_revision(session, model, seed_model_bytes("wohnsitz-anmelden"))
    scene = {
        "model": model,
        "process": process,
        "author": make_account(session, hamm, Role.CONTRIBUTOR),
        "stranger": make_account(session, other, Role.CONTRIBUTOR),
        "stranger_process": make_process(session, other),
    }
    session.commit()
    return scene


def editor_url(scene):
    return f"/modelle/{scene['model'].id}/bearbeiten"


def save(client, scene, *, xml=EDITED, message="Schritt umbenannt", basis="1", form_page=None):
    token = csrf_token(client, form_page or editor_url(scene))
    return client.post(
        editor_url(scene),
        data={"csrf_token": token, "xml": xml.decode(), "message": message, "basis": basis},
        headers={"Accept": "application/json"},
    )


def revision_numbers(session, model):
    session.expire_all()
    return list(session.scalars(select(Revision.number).where(Revision.model_id == model.id)))


def test_the_editor_loads_the_latest_revision_with_its_lint_for_a_contributor(client, scene):
    login_as(client, scene["author"])
    html = client.get(editor_url(scene)).get_data(as_text=True)
    data = json.loads(re.search(r'id="editor-daten">(.*?)</script>', html).group(1))
    assert data["diagramUrl"].endswith(f"/models/{scene['model'].id}/revisions/1/diagram")
    assert data["base"] == 1 and isinstance(data["lint"], list)
    assert "bpmn-modeler.production.min.js" in html and "Speichern als Entwurf" in html
    assert "<script>" not in html and " onclick=" not in html  # CSP: no inline script
    model_page = client.get(f"/modelle/{scene['model'].id}").get_data(as_text=True)
    assert "Im Editor öffnen" in model_page


def test_saving_creates_a_draft_with_the_servers_lint(client, session, scene):
    login_as(client, scene["author"])
    response = save(client, scene)
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["number"] == 2 and body["valid"] is True and body["message"] == "Schritt umbenannt"
    assert all({"rule", "message", "element_id"} <= set(finding) for finding in body["lint"])
    revision = session.scalar(select(Revision).where(Revision.number == 2))
    assert revision.status is RevisionStatus.DRAFT and revision.author_name
    assert revision.parent.number == 1


def test_a_save_based_on_an_old_revision_is_a_conflict_and_writes_nothing(client, session, scene):
    login_as(client, scene["author"])
    assert save(client, scene).status_code == 201
    response = save(client, scene, message="Zweite Änderung", basis="1")
    assert response.status_code == 409
    assert "inzwischen gibt es aber Revision 2" in response.get_json()["detail"]
    assert revision_numbers(session, scene["model"]) == [1, 2]
    count = session.scalar(
        select(ProcessModel.revision_count).where(ProcessModel.id == scene["model"].id)
    )
    assert count == 2


@pytest.mark.parametrize(
    ("fields", "status", "detail"),
    [
        ({"message": "  "}, 422, "was Sie geändert haben"),
        ({"basis": ""}, 422, "auf welcher Revision"),
        ({"xml": b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>"}, 422, None),
        ({"xml": b"kein xml"}, 422, None),
    ],
)
def test_bad_saves_are_refused_precisely(client, session, scene, fields, status, detail):
    login_as(client, scene["author"])
    response = save(client, scene, **fields)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert detail is None or detail in response.get_json()["detail"]
    assert revision_numbers(session, scene["model"]) == [1]


def test_a_diagram_over_the_size_limit_is_refused(app, client, session, scene):
    login_as(client, scene["author"])
    limit = app.config["MAX_CONTENT_LENGTH"] - MULTIPART_ALLOWANCE
    too_big = b"<x>" + b" " * limit + b"</x>"
    data = {
        "csrf_token": csrf_token(client, editor_url(scene)),
        "message": "Groß",
        "basis": "1",
        "xml": (io.BytesIO(too_big), "gross.bpmn"),
    }
    response = client.post(editor_url(scene), data=data, headers={"Accept": "application/json"})
    assert response.status_code == 413 and "KiB" in response.get_json()["detail"]
    assert revision_numbers(session, scene["model"]) == [1]


def test_only_contributors_of_the_owner_edit_and_mirrors_stay_read_only(client, session, scene):
    assert client.get(editor_url(scene)).status_code in {302, 401}
    login_as(client, scene["stranger"])
    assert client.get(editor_url(scene)).status_code == 403
    own_form = f"/prozesse/{scene['stranger_process'].id}/modelle/neu"
    assert save(client, scene, form_page=own_form).status_code == 403
    login_as(client, scene["author"])
    scene["model"].origin_instance = "https://nrw.example"
    session.commit()
    response = client.get(editor_url(scene))
    assert response.status_code == 403 and "nur lesbar" in response.get_data(as_text=True)


def test_a_new_model_starts_empty_or_from_a_musterprozess(client, session, scene):
    login_as(client, scene["author"])
    url = f"/prozesse/{scene['process'].id}/modelle/neu"
    assert "Neues Prozessmodell anlegen" in client.get(f"/prozesse/{scene['process'].id}").get_data(
        as_text=True
    )
    token = csrf_token(client, url)
    response = client.post(url, data={"csrf_token": token, "title": "Leer", "start": "leer"})
    assert response.status_code == 302 and response.location.endswith("/bearbeiten")
    blank = session.scalar(select(ProcessModel).where(ProcessModel.title == "Leer"))
    assert [r.number for r in blank.revisions] == [1] and blank.revisions[0].is_valid
    refused = client.post(url, data={"csrf_token": token, "title": "", "start": "leer"})
    assert refused.status_code == 422 and "Bitte geben Sie einen Titel an." in refused.get_data(
        as_text=True
    )


def test_a_new_model_copies_the_chosen_musterprozess(client, session, scene):
    register = make_authority(session, name="Register", is_register=True)
    muster = make_process(session, register, title="Muster")
    source = make_revision(
        session,
        make_model(session, muster, title="Musterprozess Wohnsitz"),
        seed_model_bytes("wohnsitz-anmelden"),
        status=RevisionStatus.PUBLISHED,
    )
    session.commit()
    login_as(client, scene["author"])
    url = f"/prozesse/{scene['process'].id}/modelle/neu"
    html = client.get(url).get_data(as_text=True)
    assert f'value="{source.id}"' in html and "Musterprozess Wohnsitz" in html
    data = {"csrf_token": csrf_token(client, url), "title": "Kopie", "start": "muster"}
    response = client.post(url, data={**data, "template": str(source.id)})
    assert response.status_code == 302
    copy = session.scalar(select(ProcessModel).where(ProcessModel.title == "Kopie"))
    assert copy.revisions[0].blob_sha256 == source.blob_sha256
    assert "Musterprozess Wohnsitz" in copy.revisions[0].message


def test_the_visual_diff_page_delivers_the_classified_elements(client, session, scene):
    make_revision(session, scene["model"], EDITED)
    session.commit()
    html = client.get(f"/modelle/{scene['model'].id}/vergleich?alt=1&neu=2")
    assert html.status_code == 404  # a draft is hidden from visitors
    login_as(client, scene["author"])  # revision 2 is a draft: only its authority sees it
    page = client.get(f"/modelle/{scene['model'].id}/vergleich?alt=1&neu=2")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    data = json.loads(re.search(r'id="vergleich-daten">(.*?)</script>', text).group(1))
    assert [(e["id"], e["status"]) for e in data["elements"]] == [
        ("Task_UnterlagenPruefen", "changed")
    ]
    assert data["oldUrl"].endswith("/revisions/1/diagram") and "Legende" in text
    assert client.get(f"/modelle/{scene['model'].id}/vergleich?alt=x").status_code == 422


def test_model_pages_link_the_visual_diff(client, session, scene):
    make_revision(session, scene["model"], EDITED)
    session.commit()
    login_as(client, scene["author"])
    html = client.get(f"/modelle/{scene['model'].id}").get_data(as_text=True)
    assert f"/modelle/{scene['model'].id}/vergleich?alt=1&amp;neu=2" in html
    assert session.scalar(select(func.count()).select_from(Revision)) >= 2


def test_a_fork_is_compared_with_its_upstream_revision(client, session, scene):
    upstream = make_revision(
        session, scene["model"], seed_model_bytes("wohnsitz-anmelden"), RevisionStatus.PUBLISHED
    )
    stranger_authority = scene["stranger"].authority
    fork = forks.fork_model(
        session, SYSTEM, upstream, authority=stranger_authority, max_bytes=10**7
    )
    make_revision(session, fork, EDITED)
    session.commit()
    login_as(client, scene["stranger"])
    model_page = client.get(f"/modelle/{fork.id}").get_data(as_text=True)
    assert f"/modelle/{fork.id}/vergleich?alt=upstream&amp;neu=2" in model_page
    html = client.get(f"/modelle/{fork.id}/vergleich?alt=upstream&neu=2").get_data(as_text=True)
    assert f"Upstream-Revision {upstream.number}" in html
    data = json.loads(re.search(r'id="vergleich-daten">(.*?)</script>', html).group(1))
    assert data["oldUrl"].endswith(f"/models/{scene['model'].id}/revisions/2/diagram")
    assert [(e["id"], e["status"]) for e in data["elements"]] == [
        ("Task_UnterlagenPruefen", "changed")
    ]
    own = client.get(f"/modelle/{scene['model'].id}/vergleich?alt=upstream")
    assert own.status_code == 404  # not a fork


def test_checking_without_saving_returns_the_lint_and_stores_nothing(client, session, scene):
    login_as(client, scene["author"])
    blank = editor.blank_diagram()
    data = {"csrf_token": csrf_token(client, editor_url(scene)), "xml": blank.decode()}
    response = client.post(
        f"{editor_url(scene)}/pruefen", data=data, headers={"Accept": "application/json"}
    )
    body = response.get_json()
    assert response.status_code == 200 and body["valid"] is True
    assert {(f["rule"], f["element_id"]) for f in body["lint"]} >= {
        ("disconnected", "StartEvent_Neu")
    }
    assert revision_numbers(session, scene["model"]) == [1]
    bad = client.post(
        f"{editor_url(scene)}/pruefen",
        data={**data, "xml": "<kaputt"},
        headers={"Accept": "application/json"},
    )
    assert bad.status_code == 422
