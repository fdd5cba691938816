"""Audit pages per object and per authority, their CSV export, and who may see them."""

from __future__ import annotations

import csv
import io

import pytest

from app.audit.services import record
from app.authz import system_actor
from app.catalog import services as catalog
from app.identity.models import Role
from app.library.models import RevisionStatus
from app.review import services as review
from tests.factories import (
    SYSTEM,
    login_as,
    make_account,
    make_authority,
    make_member,
    make_model,
    make_process,
    make_revision,
)


@pytest.fixture()
def world(session):
    a, b = make_authority(session), make_authority(session)
    process = make_process(session, a, title="Hund anmelden", fees="10 EUR")
    catalog.update_process(session, SYSTEM, process, {"fees": "12 EUR"}, expected_version=1)
    model = make_model(session, process)
    draft = make_revision(session, model)
    session.commit()
    return {"a": a, "b": b, "process": process, "model": model, "draft": draft}


def as_member(client, session, authority, *roles):
    login_as(client, make_account(session, authority, *(roles or (Role.CONTRIBUTOR,))))
    session.commit()


def rows_of(response) -> list[list[str]]:
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


# --- object trails ------------------------------------------------------------------------------


def test_a_member_sees_the_steckbrief_history_with_before_and_after(client, session, world):
    as_member(client, session, world["a"])
    response = client.get(f"/protokoll/process/{world['process'].id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Protokoll: Hund anmelden" in html
    assert "Steckbrief geändert" in html and "Registereintrag angelegt" in html
    assert "Gebühren" in html and "10 EUR</del>" in html and "12 EUR</ins>" in html
    assert html.index("Steckbrief geändert") < html.index(
        "Registereintrag angelegt"
    )  # newest first
    assert "Testdaten" in html  # the actor


def test_the_process_page_links_its_trail_for_members_only(client, session, world):
    page = f"/prozesse/{world['process'].id}"
    link = f"/protokoll/process/{world['process'].id}"
    assert link not in client.get(page).get_data(as_text=True)
    as_member(client, session, world["a"])
    assert link in client.get(page).get_data(as_text=True)


def test_a_model_trail_includes_the_events_of_its_revisions(client, session, world):
    member = make_member(session, world["a"], Role.CONTRIBUTOR)
    review.submit(session, member.actor, world["draft"])
    session.commit()
    as_member(client, session, world["a"])
    html = client.get(f"/protokoll/process_model/{world['model'].id}").get_data(as_text=True)
    assert "Prozessmodell angelegt" in html
    assert "Revision hochgeladen" in html and "Revision zur Prüfung eingereicht" in html
    assert 'draft</del> → <ins><span class="kern-sr-only">nachher: </span>submitted' in html
    model_page = client.get(f"/modelle/{world['model'].id}").get_data(as_text=True)
    assert f"/protokoll/process_model/{world['model'].id}" in model_page


def test_another_authority_may_not_read_the_trail(client, session, world):
    as_member(client, session, world["b"], Role.CONTRIBUTOR, Role.AUTHORITY_ADMIN)
    assert client.get(f"/protokoll/process/{world['process'].id}").status_code == 403
    assert client.get(f"/protokoll/process/{world['process'].id}.csv").status_code == 403
    assert client.get(f"/protokoll/process_model/{world['model'].id}").status_code == 403
    # a draft of another authority is not even there
    assert client.get(f"/protokoll/revision/{world['draft'].id}").status_code == 404
    assert client.get(f"/behoerden/{world['a'].slug}/protokoll").status_code == 403
    assert client.get(f"/behoerden/{world['a'].slug}/protokoll.csv").status_code == 403


def test_visitors_must_log_in(client, world):
    response = client.get(f"/protokoll/process/{world['process'].id}")
    assert response.status_code == 302 and "/anmelden" in response.headers["Location"]
    api_like = client.get(
        f"/protokoll/process/{world['process'].id}", headers={"Accept": "application/json"}
    )
    assert api_like.status_code == 401


def test_reviewers_read_the_trail_of_a_submission_they_may_review(client, session, world):
    member = make_member(session, world["a"], Role.CONTRIBUTOR)
    review.submit(session, member.actor, world["draft"])
    session.commit()
    as_member(client, session, world["b"], Role.REVIEWER)
    response = client.get(f"/protokoll/revision/{world['draft'].id}")
    assert response.status_code == 200
    assert "Revision zur Prüfung eingereicht" in response.get_data(as_text=True)
    assert client.get(f"/protokoll/process_model/{world['model'].id}").status_code == 403


def test_unknown_objects_and_types_are_missing(client, session, world):
    as_member(client, session, world["a"])
    assert client.get(f"/protokoll/unbekannt/{world['process'].id}").status_code == 404
    assert client.get(f"/protokoll/process/{world['model'].id}").status_code == 404


# --- authority trails ---------------------------------------------------------------------------


def test_the_authority_trail_is_for_its_admins_and_register_admins(client, session, world):
    page = f"/behoerden/{world['a'].slug}/protokoll"
    as_member(client, session, world["a"], Role.CONTRIBUTOR)
    assert client.get(page).status_code == 403  # logins, roles, tokens: for the admins
    assert client.get(f"/behoerden/{world['a'].slug}").status_code == 200
    as_member(client, session, world["a"], Role.AUTHORITY_ADMIN)
    html = client.get(page).get_data(as_text=True)
    assert "Behörde angelegt" in html and "Steckbrief geändert" in html
    assert f'href="/protokoll/process/{world["process"].id}"' in html
    assert page in client.get(f"/behoerden/{world['a'].slug}").get_data(as_text=True)
    as_member(client, session, world["b"], Role.REGISTER_ADMIN)
    assert client.get(page).status_code == 200


def test_the_trail_is_paged(client, session, world):
    for number in range(60):
        record(
            session,
            system_actor("Skript"),
            "process.updated",
            object_type="process",
            object_id=world["process"].id,
            authority_id=world["a"].id,
            before={"fees": str(number)},
            after={"fees": str(number + 1)},
        )
    session.commit()
    as_member(client, session, world["a"])
    url = f"/protokoll/process/{world['process'].id}"
    first = client.get(url).get_data(as_text=True)
    assert "62 insgesamt" in first and "Nächste Seite" in first
    second = client.get(url + "?seite=2").get_data(as_text=True)
    assert second.count('<tr class="kern-table__row">') == 1 + 12  # header + 12 events
    assert client.get(url + "?seite=x").status_code == 404


# --- CSV ----------------------------------------------------------------------------------------


def test_csv_export_for_german_excel(client, session, world):
    as_member(client, session, world["a"])
    response = client.get(f"/protokoll/process/{world['process'].id}.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.is_streamed
    rows = rows_of(response)
    assert rows[0] == [
        "Zeitpunkt", "Akteur", "Aktion", "Objekttyp", "Objekt", "Vorher", "Nachher", "Details",
    ]  # fmt: skip
    assert [row[2] for row in rows[1:]] == ["Steckbrief geändert", "Registereintrag angelegt"]
    assert rows[1][3:7] == [
        "Registereintrag",
        str(world["process"].id),
        '{"fees": "10 EUR"}',
        '{"fees": "12 EUR"}',
    ]


def test_csv_cells_cannot_become_formulas(client, session, world):
    attacker = make_member(session, world["a"], Role.CONTRIBUTOR)
    attacker.account.display_name = '=HYPERLINK("http://böse")'
    from app.identity.services import actor_for

    catalog.update_process(
        session, actor_for(attacker.account), world["process"], {"fees": "-1"}, expected_version=2
    )
    session.commit()
    as_member(client, session, world["a"])
    rows = rows_of(client.get(f"/protokoll/process/{world['process'].id}.csv"))
    assert rows[1][1] == '\'=HYPERLINK("http://böse")'


def test_the_authority_csv_streams_every_event(client, session, world):
    for number in range(1_205):
        record(
            session,
            SYSTEM,
            "request.refused",
            object_type="request",
            object_id=f"POST /x/{number}",
            authority_id=world["a"].id,
        )
    session.commit()
    as_member(client, session, world["a"], Role.AUTHORITY_ADMIN)
    response = client.get(f"/behoerden/{world['a'].slug}/protokoll.csv")
    assert response.is_streamed
    rows = rows_of(response)
    assert sum(row[2] == "Schreibzugriff abgewiesen" for row in rows) == 1_205
    assert f"protokoll-{world['a'].slug}.csv" in response.headers["Content-Disposition"]


def test_published_revisions_keep_their_trail_private(client, session, world):
    published = make_revision(session, world["model"], status=RevisionStatus.PUBLISHED)
    session.commit()
    as_member(client, session, world["b"], Role.CONTRIBUTOR)
    assert client.get(f"/protokoll/revision/{published.id}").status_code == 403
