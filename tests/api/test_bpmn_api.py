"""What the API tells about an uploaded model: validity, lint, ZIP packages, diffs, rules."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from app.errors import Conflict
from app.identity.models import Role
from app.library import services as library
from app.library.models import Revision, RevisionStatus
from tests.factories import (
    SYSTEM,
    make_authority,
    make_member,
    make_model,
    make_process,
    make_revision,
    seed_model_bytes,
)

MIWG = Path(__file__).resolve().parents[3] / "shared" / "data" / "bpmn-miwg-reference"
SCHEMA_BREAKING = seed_model_bytes("gewerbe-anmelden").replace(
    b'<bpmn:documentation id="Task_AngabenPruefen_Doku">',
    b'<bpmn:unbekannt/><bpmn:documentation id="Task_AngabenPruefen_Doku">',
    1,
)
UNLABELLED = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D" targetNamespace="x">
  <process id="P" isExecutable="false">
    <startEvent id="S" name="Antrag eingegangen"/>
    <task id="T"/>
    <endEvent id="E" name="Erledigt"/>
    <sequenceFlow id="F1" sourceRef="S" targetRef="T"/>
    <sequenceFlow id="F2" sourceRef="T" targetRef="E"/>
  </process>
</definitions>"""


@pytest.fixture()
def owner(session):
    authority = make_authority(session)
    member = make_member(session, authority, Role.CONTRIBUTOR)
    model = make_model(session, make_process(session, authority))
    session.commit()
    return member, model


def upload(client, member, model, data, filename="modell.bpmn"):
    return client.post(
        f"/api/v1/models/{model.id}/revisions",
        data={"file": (io.BytesIO(data), filename), "message": "Test"},
        headers=member.headers,
        content_type="multipart/form-data",
    )


def detail(client, member, model, number=1):
    return client.get(
        f"/api/v1/models/{model.id}/revisions/{number}", headers=member.headers
    ).get_json()


def test_a_schema_breaking_file_is_kept_as_draft_with_its_report(client, session, owner):
    member, model = owner
    response = upload(client, member, model, SCHEMA_BREAKING)
    assert response.status_code == 201
    assert response.get_json()["valid"] is False and response.get_json()["status"] == "draft"
    issue = detail(client, member, model)["validation"][0]
    assert (
        issue["line"] and issue["message"].startswith("Element") and "unbekannt" in issue["message"]
    )
    revision = session.scalar(select(Revision).where(Revision.model_id == model.id))
    with pytest.raises(Conflict):
        library.ensure_publishable(revision.is_valid)


def test_an_invalid_file_cannot_be_published(session, owner):
    _member, model = owner
    with pytest.raises(Conflict, match="Entwurf"):
        make_revision(session, model, data=SCHEMA_BREAKING, status=RevisionStatus.PUBLISHED)


def test_a_valid_seed_model_has_no_issues_and_no_findings(client, owner):
    member, model = owner
    body = upload(client, member, model, seed_model_bytes("wohnsitz-anmelden")).get_json()
    assert body["valid"] is True
    assert (
        detail(client, member, model)["validation"] == []
        and detail(client, member, model)["lint"] == []
    )


def test_lint_findings_are_stored_with_the_revision(client, owner):
    member, model = owner
    upload(client, member, model, UNLABELLED)
    findings = detail(client, member, model)["lint"]
    assert {"rule": "label-task", "severity": "error", "element_id": "T"}.items() <= findings[
        0
    ].items()
    assert findings[0]["message"]


def test_an_instance_can_switch_rules_off(tmp_path, database_url, session):
    from app import close_app, create_app
    from tests.conftest import TEST_SECRET

    app = create_app(
        {
            "instance_path": tmp_path,
            "database_url": database_url,
            "secret_key": TEST_SECRET,
            "lint_disabled_rules": "label-task, task-label-verb",
        }
    )
    try:
        rules = {
            rule["id"]: rule["enabled"]
            for rule in app.test_client().get("/api/v1/lint-rules").get_json()["items"]
        }
        assert rules["label-task"] is False and rules["start-event"] is True
        assert app.extensions["musterregister.settings"].lint_rules == frozenset(rules) - {
            "label-task",
            "task-label-verb",
        }
    finally:
        close_app(app)


def test_unknown_rule_names_are_a_configuration_error():
    from app.config import ConfigError, load_settings

    with pytest.raises(ConfigError, match="gibt-es-nicht"):
        load_settings(
            environ={
                "MUSTERREGISTER_DEMO": "1",
                "MUSTERREGISTER_LINT_DISABLED_RULES": "gibt-es-nicht",
            }
        )


def test_a_zip_whose_files_import_each_other(client, owner):
    member, model = owner
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("C.9.0.bpmn", (MIWG / "C.9.0.bpmn").read_bytes())
        bundle.writestr("C.9.1.bpmn", (MIWG / "C.9.1.bpmn").read_bytes())
    created = upload(client, member, model, archive.getvalue(), filename="aufruf.zip").get_json()
    assert created["valid"] is True and created["main_document"] == "C.9.0.bpmn"
    assert created["media_type"] == "application/zip" and created["filename"] == "aufruf.zip"
    body = detail(client, member, model)
    assert body["extraction"]["flow_node_count"] == 25
    assert {d["name"] for d in body["extraction"]["documents"]} == {"C.9.0.bpmn", "C.9.1.bpmn"}
    content = client.get(f"/api/v1/models/{model.id}/revisions/1/content", headers=member.headers)
    assert (
        content.data == archive.getvalue() and content.headers["Content-Type"] == "application/zip"
    )
    diagram = client.get(f"/api/v1/models/{model.id}/revisions/1/diagram", headers=member.headers)
    assert diagram.data == (MIWG / "C.9.0.bpmn").read_bytes()


def test_a_file_alone_reports_its_missing_import(client, owner):
    member, model = owner
    created = upload(
        client, member, model, (MIWG / "C.9.0.bpmn").read_bytes(), filename="C.9.0.bpmn"
    ).get_json()
    assert created["valid"] is False
    assert "C.9.1.bpmn" in detail(client, member, model)["validation"][0]["message"]


def test_a_zip_bomb_is_refused_and_stores_nothing(client, session, owner):
    member, model = owner
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("gross.bpmn", b" " * (20 * 1024 * 1024))
    response = upload(client, member, model, archive.getvalue(), filename="bombe.zip")
    assert response.status_code == 422
    assert response.get_json()["errors"]["file"][0]["code"] == "zip-too-large"
    assert session.scalar(select(Revision).where(Revision.model_id == model.id)) is None


def test_the_diff_of_two_revisions(client, session, owner):
    member, model = owner
    original = seed_model_bytes("wohnsitz-anmelden")
    changed = original.replace(
        b'name="Identit\xc3\xa4t pr\xc3\xbcfen"', b'name="Ausweis pr\xc3\xbcfen"'
    )
    assert changed != original
    first, second = (
        upload(client, member, model, original).get_json(),
        upload(client, member, model, changed).get_json(),
    )
    diff = client.get(
        f"/api/v1/diff?old={first['id']}&new={second['id']}", headers=member.headers
    ).get_json()
    assert diff["summary"]["changed"] == 1 and diff["summary"]["identical"] is False
    change = diff["changed"][0]
    assert change["id"] == "Task_IdentitaetPruefen"
    assert change["changes"] == [
        {"field": "name", "old": "Identität prüfen", "new": "Ausweis prüfen"}
    ]


def test_drafts_of_others_cannot_be_diffed(client, session, owner):
    member, model = owner
    first = upload(client, member, model, UNLABELLED).get_json()
    stranger = make_member(session, make_authority(session), Role.CONTRIBUTOR)
    session.commit()
    response = client.get(
        f"/api/v1/diff?old={first['id']}&new={first['id']}", headers=stranger.headers
    )
    assert response.status_code == 404


def test_revisions_are_analysed_again_on_request(session, owner):
    _member, model = owner
    revision = make_revision(session, model, data=UNLABELLED)
    assert revision.lint
    changed = library.reanalyse(
        session, revision, max_bytes=10**7, lint_rules=frozenset({"start-event"})
    )
    assert changed and revision.lint == []
    assert (
        library.reanalyse(session, revision, max_bytes=10**7, lint_rules=frozenset({"start-event"}))
        is False
    )
    assert SYSTEM  # the factory actor stays available for later steps
