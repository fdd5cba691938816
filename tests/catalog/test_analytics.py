"""Register analytics: staff need, prioritisation, maturity — exact numbers, pages, CSV and API."""

from __future__ import annotations

import csv
import io
import uuid

import pytest

from app import close_app, create_app
from app.catalog import analytics
from app.catalog.models import DigitisationPotential
from app.db import get_database
from app.library.models import RevisionStatus
from tests.conftest import app_overrides, rolled_back
from tests.factories import make_authority, make_model, make_process, make_revision

HIGH, MEDIUM, LOW = (
    DigitisationPotential.HIGH,
    DigitisationPotential.MEDIUM,
    DigitisationPotential.LOW,
)


def figures(cases=None, minutes=None, potential=None, evidence=0, title="P", **maturity):
    return analytics.ProcessFigures(
        id=uuid.uuid4(),
        title=title,
        authority_id=uuid.UUID(int=1),
        authority_name="Stadt",
        authority_slug="stadt",
        cases_per_year=cases,
        minutes_per_case=minutes,
        digitisation_potential=potential,
        maturity={
            name: maturity.get(name)
            for name in ("documentation", "it_support", "cross_unit", "evaluation")
        },
        model_evidence=evidence,
    )


def csv_rows(response) -> list[list[str]]:
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


# --- pure rules ---------------------------------------------------------------------------------


def test_staff_need_in_full_time_equivalents():
    process = figures(12_000, 15)
    assert analytics.hours_per_year(process) == 3_000
    assert analytics.staff_need(process, 1600) == 1.875
    assert analytics.staff_need(process, 1500) == 2.0
    assert analytics.staff_need(figures(12_000, None), 1600) is None
    assert analytics.staff_need(figures(None, 15), 1600) is None


def test_staff_table_sums_only_processes_with_figures():
    table = analytics.staff_table([figures(12_000, 15), figures(800, 30), figures(None, 10)], 1600)
    assert [row.fte for row in table.rows] == [1.875, 0.25]
    assert (table.total_cases, table.total_hours, table.total_fte) == (12_800, 3_400, 2.125)
    assert table.without_figures == 1


def test_prioritisation_weights_potential_by_volume():
    a = figures(1_000, 60, HIGH, title="A")  # 1.000 h × 3 = 3.000
    b = figures(3_000, 60, LOW, title="B")  # 3.000 h × 1 = 3.000, more hours: ahead of A
    c = figures(2_000, 60, MEDIUM, title="C")  # 2.000 h × 2 = 4.000
    unranked = [figures(5_000, 60, None), figures(None, None, HIGH)]
    ranked = analytics.prioritise([a, b, c, *unranked])
    assert [(row.rank, row.process.title, row.weight, row.score) for row in ranked] == [
        (1, "C", 2, 4_000),
        (2, "B", 1, 3_000),
        (3, "A", 3, 3_000),
    ]
    assert [row.process.title for row in analytics.prioritise([a, b, c], limit=2)] == ["C", "B"]


def test_maturity_is_the_lower_median_of_the_assessed_processes():
    levels = {
        level.dimension: level
        for level in analytics.maturity(
            [
                figures(it_support=0, cross_unit=1, evaluation=3),
                figures(it_support=3, cross_unit=2),
                figures(cross_unit=3),
            ]
        )
    }
    assert levels["it_support"].stage == 0  # [0, 3]: only half reach 3
    assert levels["it_support"].counts == [1, 0, 0, 1]
    assert levels["cross_unit"].stage == 2  # [1, 2, 3]
    assert (levels["evaluation"].stage, levels["evaluation"].assessed) == (3, 1)
    assert levels["documentation"].assessed == 3  # the register is evidence: 0 without a model
    assert levels["documentation"].stage == 0


def test_documentation_counts_what_the_register_holds():
    processes = [
        figures(evidence=analytics.EVIDENCE_PUBLISHED),
        figures(evidence=analytics.EVIDENCE_VALID, documentation=3),
        figures(evidence=analytics.EVIDENCE_PUBLISHED, documentation=1),
    ]
    assert [analytics.documentation_stage(p) for p in processes] == [2, 3, 2]
    [documentation, *_] = analytics.maturity(processes)
    assert (documentation.dimension, documentation.stage) == ("documentation", 2)
    assert [level.stage for level in analytics.maturity([])] == [None] * 4


# --- from the database --------------------------------------------------------------------------


@pytest.fixture()
def stadt(session):
    authority = make_authority(session, slug="stadt-kennzahlen", name="Stadt Kennzahl")
    anmelden = make_process(
        session,
        authority,
        title="Wohnsitz anmelden",
        cases_per_year=12_000,
        minutes_per_case=15,
        digitisation_potential=HIGH,
        maturity={"documentation": 1, "it_support": 2, "cross_unit": 1, "evaluation": 0},
    )
    make_revision(session, make_model(session, anmelden), status=RevisionStatus.PUBLISHED)
    make_process(
        session,
        authority,
        title="=Hundesteuer",
        cases_per_year=800,
        minutes_per_case=30,
        digitisation_potential=LOW,
        maturity={"it_support": 1},
    )
    make_process(session, authority, title="Ohne Zahlen")
    session.commit()
    return authority


def test_authority_analytics_from_the_register(session, stadt):
    result = analytics.authority_analytics(session, stadt, 1600)
    assert result.processes == 3
    assert [(r.process.title, r.fte) for r in result.staff.rows] == [
        ("=Hundesteuer", 0.25),
        ("Wohnsitz anmelden", 1.875),
    ]
    assert result.staff.total_fte == 2.125 and result.staff.without_figures == 1
    assert [r.process.title for r in result.priorities] == ["Wohnsitz anmelden", "=Hundesteuer"]
    stages = {level.dimension: level.stage for level in result.maturity}
    # documentation: published model 2, nothing 0, nothing 0 → 0; IT support: [1, 2] → 1
    assert stages == {"documentation": 0, "it_support": 1, "cross_unit": 1, "evaluation": 0}
    assert result.maturity[0].counts == [2, 0, 1, 0]


def test_register_analytics_sums_per_authority(session, stadt):
    other = make_authority(session)
    make_process(session, other, cases_per_year=1_600, minutes_per_case=60)
    result = analytics.register_analytics(session, 1600)
    by_slug = {summary.slug: summary for summary in result.authorities}
    assert by_slug["stadt-kennzahlen"].fte(1600) == 2.125
    assert (by_slug[other.slug].processes, by_slug[other.slug].fte(1600)) == (1, 1.0)
    assert [row.process.title for row in result.priorities][:2] == [
        "Wohnsitz anmelden",
        "=Hundesteuer",
    ]


def test_musterprozesse_do_not_count_for_process_management_maturity(session, stadt):
    register = make_authority(session, is_register=True)
    make_process(session, register, title="Musterprozess", maturity={"it_support": 3})
    result = analytics.register_analytics(session, 1600)
    it_support = next(level for level in result.maturity if level.dimension == "it_support")
    assert it_support.counts[3] == 0  # only the two processes of the Stadt are assessed
    assert analytics.authority_analytics(session, register, 1600).maturity[1].stage is None


# --- pages, CSV and API -------------------------------------------------------------------------


def test_the_key_figures_page_of_an_authority(client, stadt):
    response = client.get("/behoerden/stadt-kennzahlen/kennzahlen")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Personalbedarf" in html and "1,88" in html and "2,13" in html  # 1,875 and 2,125
    assert "3.000,0" in html  # hours a year
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in html and 'role="img"' in html
    assert '<title id="reife-titel">' in html and '<desc id="reife-beschreibung">' in html
    assert "IT-Unterstützung: Stufe 1 von 3" in html
    assert "/behoerden/stadt-kennzahlen/kennzahlen/personalbedarf.csv" in html
    assert "/behoerden/stadt-kennzahlen/kennzahlen" in client.get(
        "/behoerden/stadt-kennzahlen"
    ).get_data(as_text=True)


def test_staff_csv_has_exact_numbers_a_sum_row_and_no_formulas(client, stadt):
    response = client.get("/behoerden/stadt-kennzahlen/kennzahlen/personalbedarf.csv")
    assert response.status_code == 200 and response.is_streamed
    rows = csv_rows(response)
    assert rows[0][4] == "VZÄ (bei 1600 Std./Jahr)"
    assert rows[1] == ["'=Hundesteuer", "800", "30", "400", "0,25", "gering"]
    assert rows[2] == ["Wohnsitz anmelden", "12000", "15", "3000", "1,875", "hoch"]
    assert rows[3] == ["Summe", "12800", "", "3400", "2,125"]


def test_priority_and_maturity_csv(client, stadt):
    priorities = csv_rows(client.get("/behoerden/stadt-kennzahlen/kennzahlen/priorisierung.csv"))
    assert priorities[1] == [
        "1",
        "Wohnsitz anmelden",
        "Stadt Kennzahl",
        "hoch",
        "3",
        "3000",
        "9000",
    ]
    maturity = csv_rows(client.get("/behoerden/stadt-kennzahlen/kennzahlen/reifegrad.csv"))
    assert maturity[2] == ["IT-Unterstützung", "1", "2", "0", "1", "1", "0"]
    assert client.get("/behoerden/stadt-kennzahlen/kennzahlen/anderes.csv").status_code == 404
    assert client.get("/behoerden/gibt-es-nicht/kennzahlen").status_code == 404


def test_register_pages_and_csv(client, stadt):
    html = client.get("/kennzahlen").get_data(as_text=True)
    assert "Kennzahlen des Registers" in html and "Stadt Kennzahl" in html
    assert "unterer Median" in html
    for table in ("behoerden", "priorisierung", "reifegrad"):
        response = client.get(f"/kennzahlen/{table}.csv")
        assert response.status_code == 200, table
    rows = csv_rows(client.get("/kennzahlen/behoerden.csv"))
    assert ["Stadt Kennzahl", "3", "2", "12800", "3400", "2,125"] in rows
    assert rows[-1][0] == "Summe"


def test_analytics_api(client, stadt):
    response = client.get("/api/v1/authorities/stadt-kennzahlen/analytics")
    assert response.status_code == 200
    body = response.get_json()
    assert body["annual_working_hours"] == 1600
    assert body["staff"]["rows"][1]["fte"] == 1.875 and body["staff"]["total_fte"] == 2.125
    assert body["priorities"][0]["score"] == 9000 and body["priorities"][0]["weight"] == 3
    assert body["maturity"][1] == {
        "dimension": "it_support",
        "stage": 1,
        "assessed": 2,
        "counts": [0, 1, 1, 0],
    }
    register = client.get("/api/v1/analytics").get_json()
    assert any(s["authority"]["slug"] == "stadt-kennzahlen" for s in register["authorities"])
    assert client.get("/api/v1/authorities/gibt-es-nicht/analytics").status_code == 404


def test_annual_working_hours_are_configurable(database_url, tmp_path):
    other = create_app(app_overrides(tmp_path, database_url, annual_working_hours=1500))
    try:
        with rolled_back(get_database(other), other) as database, database.session() as session:
            authority = make_authority(session, slug="stadt-1500")
            make_process(session, authority, cases_per_year=12_000, minutes_per_case=15)
            session.commit()
            client = other.test_client()
            body = client.get("/api/v1/authorities/stadt-1500/analytics").get_json()
            assert body["annual_working_hours"] == 1500
            assert body["staff"]["rows"][0]["fte"] == 2.0
            html = client.get("/behoerden/stadt-1500/kennzahlen").get_data(as_text=True)
            assert "1.500 Stunden" in html
    finally:
        close_app(other)
