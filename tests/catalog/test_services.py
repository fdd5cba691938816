from __future__ import annotations

import pytest

from app.catalog import listing, services
from app.catalog.models import ProcessKind
from app.errors import PreconditionFailed
from tests.factories import SYSTEM, make_authority, make_ozg_service, make_process


def test_processes_of_the_register_authority_are_catalogue_entries(session):
    register = make_authority(session, is_register=True, state=None)
    assert make_process(session, register).kind is ProcessKind.CATALOGUE
    assert make_process(session, make_authority(session)).kind is ProcessKind.AUTHORITY


def test_changing_only_leika_keys_is_a_new_version(session):
    process = make_process(session, make_authority(session), leika_keys=["99115005104000"])
    changed = services.update_process(
        session,
        SYSTEM,
        process,
        {"leika_keys": ["99115005104001", "99115005104000"]},
        expected_version=1,
    )
    assert changed and process.version == 2
    assert process.leika_keys == ["99115005104001", "99115005104000"]
    assert [v.version for v in services.list_versions(session, process)] == [2, 1]


def test_expected_version_must_be_current(session):
    process = make_process(session, make_authority(session))
    with pytest.raises(PreconditionFailed):
        services.update_process(session, SYSTEM, process, {"fees": "x"}, expected_version=5)


def test_snapshot_is_plain_json(session):
    make_ozg_service(session)
    process = make_process(
        session,
        make_authority(session),
        ozg_id="10124",
        digitisation_potential="high",
        maturity={"documentation": 2},
    )
    data = services.snapshot(process)
    assert data["digitisation_potential"] == "high"
    assert data["maturity"] == {
        "documentation": 2,
        "it_support": None,
        "cross_unit": None,
        "evaluation": None,
    }
    assert data["ozg_id"] == "10124"


def test_removing_the_ozg_service(session):
    make_ozg_service(session)
    process = make_process(session, make_authority(session), ozg_id="10124")
    services.update_process(session, SYSTEM, process, {"ozg_id": None}, expected_version=1)
    assert process.ozg_service is None and process.ozg_id is None


def test_catalogue_overview_groups_by_themenfeld_and_lebenslage(session):
    make_ozg_service(session, "10124", lebenslage="Umzug", themenfeld="Bauen & Wohnen")
    make_ozg_service(session, "10160", lebenslage="Tierhaltung", themenfeld="Steuern & Zoll")
    authority = make_authority(session)
    for ozg_id in ("10124", "10124", "10160"):
        make_process(session, authority, ozg_id=ozg_id)
    groups = {group.themenfeld: group for group in listing.catalogue_overview(session)}
    assert ("Umzug", 2) in groups["Bauen & Wohnen"].lebenslagen
    assert groups["Steuern & Zoll"].total >= 1
    assert "Tierhaltung" in listing.lebenslagen(session, "Steuern & Zoll")
    assert "Bauen & Wohnen" in listing.themenfelder(session)
