"""Prozesslandkarte: statuses as each reader may see them, counts, chips, pages, CSV, queries."""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from app.authz import ANONYMOUS, Actor, can_read_revision
from app.catalog import processmap
from app.catalog.processmap import MapScope
from app.identity.models import Authority, Role
from app.library import forks
from app.library.models import ProcessModel, Revision, RevisionStatus
from tests.factories import (
    login_as,
    make_authority,
    make_member,
    make_model,
    make_ozg_service,
    make_process,
    make_revision,
)

UMZUG = ("Bauen & Wohnen (Karte)", "Umzug (Karte)")
GEBURT = ("Familie & Kind (Karte)", "Geburt (Karte)")


@dataclass
class Landscape:
    stadt: Authority
    kreis: Authority
    member: Actor
    reviewer: Actor
    member_account: object
    sonstiges: uuid.UUID


def statuses(result: processmap.ProcessMap) -> dict[str, tuple[str, str, str, bool]]:
    return {
        process.title: (tile.name, lage.name, process.status, process.fork)
        for tile in result.themenfelder
        for lage in tile.lebenslagen.values()
        for process in lage.processes
    }


@pytest.fixture()
def landscape(session) -> Landscape:
    make_ozg_service(session, "91001", themenfeld=UMZUG[0], lebenslage=UMZUG[1], name="Melden")
    make_ozg_service(session, "91002", themenfeld=GEBURT[0], lebenslage=GEBURT[1], name="Geburt")
    stadt = make_authority(session, slug="karte-stadt", name="Stadt Karte")
    kreis = make_authority(session, slug="karte-kreis", name="Kreis Karte")
    anmelden = make_process(session, stadt, title="Wohnsitz anmelden (Karte)", ozg_id="91001")
    published = make_revision(
        session, make_model(session, anmelden), status=RevisionStatus.PUBLISHED
    )
    geburt = make_process(session, stadt, title="Geburt anzeigen (Karte)", ozg_id="91002")
    make_revision(session, make_model(session, geburt))  # a draft of the Stadt
    sonstiges = make_process(session, stadt, title="Sonstiges (Karte)")  # no OZG, no model
    member = make_member(session, stadt, Role.CONTRIBUTOR)
    forker = make_member(session, kreis, Role.CONTRIBUTOR)
    reviewer = make_member(session, kreis, Role.REVIEWER)
    fork = forks.fork_model(
        session, forker.actor, published, authority=kreis, title="Ummelden (Kreis)", max_bytes=10**7
    )
    fork.process.title = "Wohnsitz anmelden (Kreis)"
    make_revision(session, fork, status=RevisionStatus.PUBLISHED)
    session.commit()
    return Landscape(stadt, kreis, member.actor, reviewer.actor, member.account, sonstiges.id)


def test_a_visitor_sees_published_models_only(session, landscape):
    result = processmap.process_map(session, ANONYMOUS, MapScope(authority_id=landscape.stadt.id))
    assert statuses(result) == {
        "Wohnsitz anmelden (Karte)": (*UMZUG, "veroeffentlicht", False),
        "Geburt anzeigen (Karte)": (*GEBURT, "ohne", False),  # the draft stays hidden
        "Sonstiges (Karte)": ("Ohne Themenfeld", "Ohne Lebenslage", "ohne", False),
    }
    assert result.counts.by_status == {"veroeffentlicht": 1, "modell": 0, "ohne": 2}
    assert [tile.name for tile in result.themenfelder] == [UMZUG[0], GEBURT[0], "Ohne Themenfeld"]


def test_members_see_their_drafts_and_reviewers_see_submissions(session, landscape):
    scope = MapScope(authority_id=landscape.stadt.id)
    own = statuses(processmap.process_map(session, landscape.member, scope))
    assert own["Geburt anzeigen (Karte)"][2] == "modell"
    foreign = statuses(processmap.process_map(session, landscape.reviewer, scope))
    assert foreign["Geburt anzeigen (Karte)"][2] == "ohne"  # a draft, not a submission
    draft = session.scalar(
        select(Revision)
        .join(ProcessModel, ProcessModel.id == Revision.model_id)
        .where(ProcessModel.authority_id == landscape.stadt.id, Revision.status == "draft")
    )
    draft.status = RevisionStatus.SUBMITTED
    session.flush()
    submitted = statuses(processmap.process_map(session, landscape.reviewer, scope))
    assert submitted["Geburt anzeigen (Karte)"][2] == "modell"


def test_forks_are_flagged_and_filtered(session, landscape):
    result = processmap.process_map(session, ANONYMOUS, MapScope(authority_id=landscape.kreis.id))
    assert statuses(result) == {"Wohnsitz anmelden (Kreis)": (*UMZUG, "veroeffentlicht", True)}
    assert result.counts.forks == 1
    register = processmap.process_map(session, ANONYMOUS, MapScope(status="fork"))
    assert list(statuses(register)) == ["Wohnsitz anmelden (Kreis)"]


def test_the_register_map_lists_modelled_processes_and_counts_the_rest(session, landscape):
    result = processmap.process_map(session, ANONYMOUS, MapScope())
    shown = statuses(result)
    assert "Wohnsitz anmelden (Karte)" in shown and "Sonstiges (Karte)" not in shown
    umzug = next(tile for tile in result.themenfelder if tile.name == UMZUG[0])
    assert umzug.counts.by_status["veroeffentlicht"] == 2 and umzug.counts.forks == 1
    geburt = next(tile for tile in result.themenfelder if tile.name == GEBURT[0])
    assert geburt.lebenslagen[GEBURT[1]].counts.by_status["ohne"] == 1
    assert geburt.lebenslagen[GEBURT[1]].processes == []
    one_field = processmap.process_map(session, ANONYMOUS, MapScope(themenfeld=GEBURT[0]))
    assert list(statuses(one_field)) == ["Geburt anzeigen (Karte)"]  # scoped: every process
    assert [tile.name for tile in one_field.themenfelder] == [GEBURT[0]]


def test_the_map_needs_the_same_few_queries_for_any_size(session, landscape, count_queries):
    scope = MapScope(authority_id=landscape.stadt.id)
    processmap.process_map(session, ANONYMOUS, scope)
    small = count_queries.count
    for number in range(8):
        process = make_process(session, landscape.stadt, title=f"Mehr {number}", ozg_id="91002")
        make_revision(session, make_model(session, process), status=RevisionStatus.PUBLISHED)
    session.flush()
    count_queries.statements.clear()
    result = processmap.process_map(session, ANONYMOUS, scope)
    assert result.counts.total == 11
    assert count_queries.count == small == 2


def test_the_map_pages(client, session, landscape):
    html = client.get("/behoerden/karte-stadt/prozesslandkarte").get_data(as_text=True)
    assert "<title>Prozesslandkarte der Behörde Stadt Karte – Musterregister</title>" in html
    assert "Wohnsitz anmelden (Karte)" in html and "map-chip map-chip--modell" not in html
    assert 'href="/behoerden/karte-stadt/prozesslandkarte?status=fork"' in html
    assert "/behoerden/karte-stadt/prozesslandkarte.csv" in html
    login_as(client, landscape.member_account)
    own = client.get("/behoerden/karte-stadt/prozesslandkarte?status=modell").get_data(as_text=True)
    assert "Geburt anzeigen (Karte)" in own and "Wohnsitz anmelden (Karte)" not in own
    register = client.get("/prozesslandkarte").get_data(as_text=True)
    assert "Prozesslandkarte des Registers" in register and "Stadt Karte" in register
    assert '/prozesslandkarte"' in client.get("/").get_data(as_text=True)  # in the navigation
    assert "/behoerden/karte-stadt/prozesslandkarte" in client.get(
        "/behoerden/karte-stadt"
    ).get_data(as_text=True)


def test_bad_filters_are_precise_errors(client, landscape):
    assert client.get("/prozesslandkarte?status=alles").status_code == 400
    assert client.get("/prozesslandkarte.csv?status=alles").status_code == 400
    assert client.get("/prozesslandkarte?themenfeld=Gibt+es+nicht").status_code == 404
    assert client.get("/behoerden/gibt-es-nicht/prozesslandkarte").status_code == 404
    assert client.get("/behoerden/gibt-es-nicht/prozesslandkarte.csv").status_code == 404


def test_the_map_as_csv_holds_every_process_as_the_reader_sees_it(client, landscape):
    response = client.get("/behoerden/karte-stadt/prozesslandkarte.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data().decode("utf-8")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))
    assert rows[0][:6] == ["Themenfeld", "Lebenslage", "Prozess", "Behörde", "Art", "Modellstatus"]
    by_title = {row[2]: row for row in rows[1:]}
    assert len(by_title) == 3
    assert by_title["Wohnsitz anmelden (Karte)"][3:8] == [
        "Stadt Karte",
        "Registereintrag",
        "veröffentlicht",
        "nein",
        "nein",
    ]
    assert by_title["Geburt anzeigen (Karte)"][5] == "ohne Modell"
    assert by_title["Sonstiges (Karte)"][:2] == ["Ohne Themenfeld", "Ohne Lebenslage"]
    process_id = landscape.sonstiges
    assert by_title["Sonstiges (Karte)"][9] == f"http://127.0.0.1:5000/prozesse/{process_id}"


def test_the_maps_sql_rule_is_the_revision_read_permission(session):
    """``processmap._visible`` restates ``authz.can_read_revision`` in SQL: both must agree for
    every status, every kind of reader and both sides of the authority line."""
    stadt = make_authority(session, slug="regel-stadt", name="Stadt Regel")
    kreis = make_authority(session, slug="regel-kreis", name="Kreis Regel")
    revisions = [
        make_revision(session, make_model(session, make_process(session, owner)), status=status)
        for owner in (stadt, kreis)
        for status in RevisionStatus
    ]
    readers = [
        ANONYMOUS,
        make_member(session, stadt, Role.CONTRIBUTOR).actor,
        make_member(session, stadt, Role.REVIEWER).actor,
        make_member(session, kreis, Role.REVIEWER).actor,
        make_member(session, kreis, Role.REGISTER_ADMIN).actor,
    ]
    session.commit()
    ids = [revision.id for revision in revisions]
    for reader in readers:
        in_sql = set(
            session.scalars(
                select(Revision.id)
                .join(ProcessModel, Revision.model_id == ProcessModel.id)
                .where(Revision.id.in_(ids), processmap._visible(reader))
            )
        )
        permitted = {revision.id for revision in revisions if can_read_revision(reader, revision)}
        assert in_sql == permitted, reader
