"""Register statistics: counts, monthly series with running totals, page and CSV."""

from __future__ import annotations

import csv
import io
from datetime import date

from app.catalog import statistics
from app.db import utcnow
from app.identity.models import Role
from app.library import forks
from app.library.models import RevisionStatus
from tests.factories import make_authority, make_member, make_model, make_process, make_revision


def test_months_run_from_the_first_event_with_gaps_and_running_totals():
    counts = {
        "authorities": {"2024-11": 2},
        "processes": {"2024-11": 3, "2025-02": 4},
        "models": {},
        "publications": {"2025-01": 1},
    }
    rows = statistics.monthly(counts, date(2025, 3, 15))
    assert [row.month for row in rows][:2] == ["2024-04", "2024-05"]  # at least twelve months
    assert [row.month for row in rows][-5:] == [
        "2024-11",
        "2024-12",
        "2025-01",
        "2025-02",
        "2025-03",
    ]
    assert rows[-3].new == {"authorities": 0, "processes": 0, "models": 0, "publications": 1}
    assert rows[-1].totals == {"authorities": 2, "processes": 7, "models": 0, "publications": 1}
    assert (rows[-1].label, rows[-1].short_label) == ("03/2025", "03/25")
    assert statistics.monthly({s: {} for s in statistics.SERIES}, date(2025, 3, 1)) == []
    long_ago = statistics.monthly({**counts, "models": {"2020-01": 1}}, date(2025, 3, 1))
    assert (
        len(long_ago) == 63
        and len(statistics.RegisterStatistics(0, 0, 0, 0, 0, 0, 0, 0, long_ago).chart_months) == 24
    )


def test_register_statistics_count_what_the_register_holds(session, count_queries):
    before = statistics.register_statistics(session, utcnow().date())
    stadt, kreis = make_authority(session), make_authority(session)
    process = make_process(session, stadt)
    make_process(session, stadt)
    published = make_revision(
        session, make_model(session, process), status=RevisionStatus.PUBLISHED
    )
    forker = make_member(session, kreis, Role.CONTRIBUTOR)
    forks.fork_model(session, forker.actor, published, authority=kreis, max_bytes=10**7)
    session.flush()
    count_queries.statements.clear()
    after = statistics.register_statistics(session, utcnow().date())
    assert count_queries.count == 12
    grown = {
        name: getattr(after, name) - getattr(before, name)
        for name in ("authorities", "processes", "models", "forks", "published_models")
    }
    assert grown == {
        "authorities": 2,
        "processes": 3,
        "models": 2,
        "forks": 1,
        "published_models": 1,
    }
    assert after.publications - before.publications == 1
    this_month = after.months[-1]
    assert this_month.month == utcnow().strftime("%Y-%m")
    assert (
        this_month.new["processes"] - (before.months[-1].new["processes"] if before.months else 0)
        == 3
    )
    assert this_month.totals["processes"] == after.processes


def test_statistics_page_and_csv(client, session):
    make_process(session, make_authority(session, name="Stadt Statistik"))
    session.commit()
    html = client.get("/statistik").get_data(as_text=True)
    assert "<title>Statistik des Registers – Musterregister</title>" in html
    assert '<title id="monat-publications-titel">Neue Veröffentlichungen je Monat</title>' in html
    assert 'role="img"' in html and "/statistik/monate.csv" in html
    assert 'href="/statistik"' in client.get("/").get_data(as_text=True)
    response = client.get("/statistik/monate.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data().decode("utf-8").removeprefix("\ufeff")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == [
        "Monat",
        "neue Behörden",
        "neue Prozesse",
        "neue Modelle",
        "neue Veröffentlichungen",
        "Behörden insgesamt",
        "Prozesse insgesamt",
        "Modelle insgesamt",
        "Veröffentlichungen insgesamt",
    ]
    assert rows[-1][0] == utcnow().strftime("%Y-%m") and int(rows[-1][6]) >= 1
