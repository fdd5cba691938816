"""Importing a process register: the service, the pages with dry run and progress, the command line."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from app.catalog import imports
from app.catalog.models import ImportJob, ImportStatus, Process
from app.catalog.register_import import read_register
from app.identity.models import Role
from tests.factories import (
    SYSTEM,
    csrf_token,
    login_as,
    make_account,
    make_authority,
    make_ozg_service,
)

CSV = (
    "Prozess;Organisationseinheit;LeiKa-Schlüssel;Fälle pro Jahr;Bearbeitungszeit (Min.);OZG-ID;Reifegrad Dokumentation\n"
    "Wohnsitz anmelden;Bürgerbüro;99115005104000;12.000;12;10124;2\n"
    "Hund anmelden;Steueramt;99102013002000;800;ca. 15;99999;1\n"
    "Kaputt;Ordnungsamt;123;viele;5;;\n"
).encode("cp1252")


@pytest.fixture()
def authority(session):
    make_ozg_service(session, "10124")
    return make_authority(session, slug="register-stadt")


def table(data=CSV):
    return read_register(data, filename="register.csv")


def titles(session, authority):
    return sorted(
        session.scalars(select(Process.title).where(Process.authority_id == authority.id))
    )


def test_valid_rows_become_steckbriefe_and_a_second_run_changes_nothing(session, authority):
    read = table()
    assert len(read.valid_rows) == 2 and "Zeile 4" in read.invalid_rows[0].errors[0]
    counts = imports.import_rows(session, SYSTEM, authority, list(read.valid_rows), read.fields)
    assert (counts.created, counts.updated) == (2, 0)
    assert titles(session, authority) == ["Hund anmelden", "Wohnsitz anmelden"]
    wohnsitz = session.scalar(select(Process).where(Process.title == "Wohnsitz anmelden"))
    assert (wohnsitz.cases_per_year, wohnsitz.minutes_per_case, wohnsitz.ozg_id) == (
        12000,
        12.0,
        "10124",
    )
    assert wohnsitz.maturity["documentation"] == 2 and wohnsitz.leika_keys == ["99115005104000"]
    hund = session.scalar(select(Process).where(Process.title == "Hund anmelden"))
    assert hund.ozg_id is None  # an OZG id the register does not know
    again = imports.import_rows(session, SYSTEM, authority, list(read.valid_rows), read.fields)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_a_re_import_keeps_what_the_file_has_no_column_for(session, authority):
    read = table()
    imports.import_rows(session, SYSTEM, authority, list(read.valid_rows), read.fields)
    from app.catalog import services as catalog

    wohnsitz = session.scalar(select(Process).where(Process.title == "Wohnsitz anmelden"))
    catalog.update_process(
        session,
        SYSTEM,
        wohnsitz,
        {"fees": "gebührenfrei", "maturity": {"evaluation": 3}},
        expected_version=wohnsitz.version,
    )
    changed = table(CSV.replace(b";12.000;", b";13.000;"))
    counts = imports.import_rows(
        session, SYSTEM, authority, list(changed.valid_rows), changed.fields
    )
    assert counts.updated == 1
    session.refresh(wohnsitz)
    assert (
        wohnsitz.cases_per_year == 13000
        and wohnsitz.fees == "gebührenfrei"
        and wohnsitz.maturity["evaluation"] == 3
    )


def test_only_contributors_import_and_only_into_their_authority(session, authority):
    from app.errors import Forbidden
    from app.identity.services import actor_for

    reviewer = actor_for(make_account(session, authority, Role.REVIEWER))
    with pytest.raises(Forbidden):
        imports.check_file(session, reviewer, authority, CSV, "r.csv", max_bytes=10**6)
    stranger = actor_for(make_account(session, make_authority(session), Role.CONTRIBUTOR))
    with pytest.raises(Forbidden):
        imports.check_file(session, stranger, authority, CSV, "r.csv", max_bytes=10**6)


def upload(client, data: bytes, filename: str):
    return client.post(
        "/import",
        data={"csrf_token": csrf_token(client, "/import"), "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def test_the_browser_journey_dry_run_go_ahead_progress(client, session, authority):
    login_as(client, make_account(session, authority, Role.CONTRIBUTOR))
    session.commit()
    checked = upload(client, CSV, "prozessregister.csv")
    assert checked.status_code == 302
    job_url = checked.headers["Location"]
    page = client.get(job_url).get_data(as_text=True)
    assert (
        "3 Zeilen gelesen, davon 2 gültig" in page
        and "Zeile 4" in page
        and "„viele“ ist keine Zahl" in page
    )
    assert titles(session, authority) == []  # the dry run changed nothing
    started = client.post(f"{job_url}/starten", data={"csrf_token": csrf_token(client, job_url)})
    assert started.status_code == 302
    status = client.get(f"{job_url}/status").get_json()
    assert status == {
        "status": "done",
        "processed": 2,
        "total": 2,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "error": None,
    }
    assert "Fertig: 2 neu" in client.get(job_url).get_data(as_text=True)
    assert (
        client.post(
            f"{job_url}/starten", data={"csrf_token": csrf_token(client, "/import")}
        ).status_code
        == 409
    )


def test_unreadable_files_and_other_authorities_jobs(client, session, authority):
    login_as(client, make_account(session, authority, Role.CONTRIBUTOR))
    session.commit()
    response = upload(client, b"\x00\x01binary", "register.pdf")
    assert response.status_code == 422
    assert session.scalar(select(func.count(ImportJob.id))) == 0
    job = imports.check_file(
        session, SYSTEM, make_authority(session), CSV, "fremd.csv", max_bytes=10**6
    )
    session.commit()
    assert client.get(f"/import/{job.id}").status_code == 404


def test_a_cut_off_job_is_taken_up_again(session, database, authority):
    job = imports.check_file(session, SYSTEM, authority, CSV, "r.csv", max_bytes=10**6)
    job.status = ImportStatus.RUNNING
    job.heartbeat_at = None
    session.commit()
    from datetime import timedelta

    from app.db import utcnow

    job.heartbeat_at = utcnow() - timedelta(minutes=10)
    session.commit()
    assert imports.runnable_jobs(session) == [job.id]
    imports.run_job(database, job.id, SYSTEM, max_bytes=10**6)
    session.refresh(job)
    assert job.status is ImportStatus.DONE and job.created_count == 2


def test_the_command_line_dry_run_and_import(cli, tmp_path):
    file = tmp_path / "register.csv"
    file.write_bytes(CSV)
    cli("authorities", "create", "--slug", "stadt", "--name", "Stadt", "--kind", "gemeinde")
    dry = cli("register", "import", str(file), "--authority", "stadt", "--dry-run")
    assert "mit Fehlern" in dry and "neu" not in dry
    done = cli("register", "import", str(file), "--authority", "stadt")
    assert "2 neu, 0 aktualisiert, 0 unverändert" in done
    assert "Kein Import wartet." in cli("register", "resume")
