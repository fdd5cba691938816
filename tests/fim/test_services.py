"""XProzess import and export through the API and the command line, and the round trip."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.catalog.models import Process
from app.fim.xprozess import parse_message
from app.identity.models import Role
from app.library.models import ProcessModel, Revision, RevisionStatus
from tests.factories import make_authority, make_member

MESSAGE = (Path(__file__).parent / "data" / "alle-inhalte-export.xml").read_bytes()


@pytest.fixture()
def member(session):
    member = make_member(session, make_authority(session, slug="fim-behoerde"), Role.CONTRIBUTOR)
    session.commit()
    return member


def post(client, member, data=MESSAGE, content_type="application/xml"):
    return client.post(
        "/api/v1/xprozess", data=data, headers={**member.headers, "Content-Type": content_type}
    )


def test_import_creates_steckbriefe_and_draft_revisions(client, session, member):
    response = post(client, member)
    assert response.status_code == 200, response.get_json()
    result = response.get_json()
    assert len(result["created"]) == 2 and result["revisions"] == ["99050012104000"]
    process = session.scalar(
        select(Process).where(Process.external_ref == "xprozess:99050012104000")
    )
    assert process.title.startswith("Gewerbeanzeige") and process.leika_keys == ["99050012104000"]
    assert process.trigger.startswith("Beginn eines stehenden Gewerbes")
    assert process.legal_bases[0] == {
        "text": "§ 14 Gewerbeordnung (GewO)",
        "url": "https://www.gesetze-im-internet.de/gewo/__14.html",
    }
    assert (
        "Prozessteilnehmer: Gewerbetreibende Person; Gewerbemeldestelle; Finanzamt"
        in process.description
    )
    revision = session.scalar(
        select(Revision).join(Revision.model).where(ProcessModel.process_id == process.id)
    )
    assert revision.status is RevisionStatus.DRAFT and revision.is_valid


def test_a_second_import_changes_nothing(client, session, member):
    post(client, member)
    before = session.scalar(select(func.count(Revision.id)))
    result = post(client, member).get_json()
    assert result["created"] == [] and result["updated"] == [] and len(result["unchanged"]) == 2
    assert session.scalar(select(func.count(Revision.id))) == before


def test_a_broken_message_changes_nothing(client, session, member):
    broken = MESSAGE.replace(b"<xprozess:inhalt>", b"<xprozess:inhalt>!!!", 1)
    response = post(client, member, broken)
    assert (
        response.status_code == 422
        and response.get_json()["errors"]["file"][0]["code"] == "bad-base64"
    )
    assert (
        session.scalar(
            select(func.count(Process.id)).where(Process.external_ref.like("xprozess:%"))
        )
        == 0
    )
    assert post(client, member, b"{}", "application/json").status_code == 415


def test_the_same_message_in_another_authority_leaves_the_first_untouched(client, session, member):
    post(client, member)
    first = session.scalar(select(Process).where(Process.external_ref == "xprozess:99050012104000"))
    first_version, first_revisions = first.version, session.scalar(select(func.count(Revision.id)))
    other = make_member(session, make_authority(session, slug="andere-behoerde"), Role.CONTRIBUTOR)
    session.commit()
    changed = MESSAGE.replace(b"Gewerbeanzeige", b"Gewerbeanzeige (anders)")
    result = post(client, other, changed).get_json()
    assert len(result["created"]) == 2 and result["updated"] == []
    session.expire_all()
    assert first.version == first_version and "(anders)" not in first.title
    imported = session.scalars(
        select(Process).where(Process.external_ref == "xprozess:99050012104000")
    ).all()
    assert {p.authority_id for p in imported} == {first.authority_id, other.account.authority_id}
    assert session.scalar(select(func.count(Revision.id))) == first_revisions + 1


def test_import_needs_a_contributor_token(client, session):
    assert (
        client.post(
            "/api/v1/xprozess", data=MESSAGE, headers={"Content-Type": "application/xml"}
        ).status_code
        == 401
    )
    reviewer = make_member(session, make_authority(session), Role.REVIEWER)
    session.commit()
    assert post(client, reviewer).status_code == 403


def test_round_trip_import_publish_export(client, session, member):
    post(client, member)
    original = parse_message(MESSAGE, max_bytes=10**7)[0]
    process = session.scalar(
        select(Process).where(Process.external_ref == f"xprozess:{original.process_id}")
    )
    revision = session.scalar(
        select(Revision).join(Revision.model).where(ProcessModel.process_id == process.id)
    )
    revision.status = RevisionStatus.PUBLISHED
    session.commit()
    response = client.get(f"/api/v1/processes/{process.id}/xprozess")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    exported = parse_message(response.data, max_bytes=10**7)[0]
    assert exported.process_id == original.process_id
    assert exported.name == original.bezeichnung  # the Steckbrief title is the export's name
    for name in (
        "definition",
        "beschreibung",
        "ausloeser",
        "ergebnis",
        "prozessteilnehmer",
        "handlungsgrundlagen",
    ):
        assert getattr(exported, name) == getattr(original, name), name
    assert (
        exported.model.data == original.model.data
        and exported.model.filename == original.model.filename
    )


def test_export_carries_only_published_models(client, session, member):
    post(client, member)
    process = session.scalar(
        select(Process).where(Process.external_ref == "xprozess:99050012104000")
    )
    exported = parse_message(
        client.get(f"/api/v1/processes/{process.id}/xprozess").data, max_bytes=10**7
    )[0]
    assert exported.model is None


def test_the_command_line_imports_and_exports(cli, tmp_path):
    from app.db import Database

    message = tmp_path / "nachricht.xml"
    message.write_bytes(MESSAGE)
    cli("authorities", "create", "--slug", "mv", "--name", "Land MV", "--kind", "land")
    assert "neu: 99050012104000" in cli("xprozess", "import", str(message), "--authority", "mv")
    again = cli("xprozess", "import", str(message), "--authority", "mv")
    assert "unverändert" in again and "neu:" not in again
    refused = cli("xprozess", "import", str(message), "--authority", "gibt-es-nicht", ok=False)
    assert "gibt es nicht" in refused
    database = Database(f"sqlite:///{tmp_path / 'musterregister.sqlite3'}")
    try:
        with database.session() as session:
            process_id = session.scalar(
                select(Process.id).where(Process.external_ref == "xprozess:99050012104000")
            )
    finally:
        database.dispose()
    target = tmp_path / "export.xml"
    cli("xprozess", "export", str(process_id), "--output", str(target))
    assert parse_message(target.read_bytes(), max_bytes=10**7)[0].process_id == "99050012104000"
