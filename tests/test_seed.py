"""The seed register: complete, correct and idempotent."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from app.catalog import services as catalog
from app.catalog.models import OzgService, Process, ProcessKind
from app.db import Base, Database, get_database, import_all_models
from app.identity.models import Authority
from app.identity.services import actor_for, find_account
from app.library.models import ProcessModel, Revision, RevisionStatus
from app.seed import load_seed, parse_legal_bases
from tests.conftest import SEED_PATH, TEST_UPLOAD_LIMIT, rolled_back

LEISTUNGEN = SEED_PATH / "data" / "leistungen.csv"


def valid_leika_rows() -> list[dict[str, str]]:
    with LEISTUNGEN.open(encoding="utf-8") as handle:
        return [
            row
            for row in csv.DictReader(handle)
            if row["leika_key"].isdigit() and len(row["leika_key"]) == 14
        ]


def row_counts(database: Database) -> dict[str, int]:
    import_all_models()
    with database.session() as session:
        return {
            table.name: session.scalar(select(func.count()).select_from(table))
            for table in Base.metadata.sorted_tables
        }


def test_catalogue_holds_every_service_with_a_leika_key(seeded_app):
    with rolled_back(get_database(seeded_app)) as database, database.session() as session:
        catalogue = session.scalar(
            select(func.count(Process.id)).where(Process.kind == ProcessKind.CATALOGUE)
        )
        assert catalogue == len(valid_leika_rows()) == 4813
        assert session.scalar(select(func.count(OzgService.ozg_id))) == 557
        grouped = session.scalar(select(func.count(Process.id)).where(Process.ozg_id.is_not(None)))
        assert grouped > 4700  # all but the few rows without an OZG-Leistung


def test_legal_bases_keep_their_links(seeded_app):
    with rolled_back(get_database(seeded_app)) as database, database.session() as session:
        process = session.scalar(
            select(Process).where(Process.external_ref == "leika:99027002012002")
        )
        assert process.legal_bases[0]["url"].startswith(
            "http://www.gesetze-im-internet.de/pstv/__50"
        )


def test_documented_authorities_and_nrw_municipalities(seeded_app):
    with rolled_back(get_database(seeded_app)) as database, database.session() as session:
        names = set(session.scalars(select(Authority.name)))
        assert {
            "Stadt Hamm",
            "Kreis Steinfurt",
            "Stadt Wuppertal",
            "Landkreis Lüneburg",
            "Landeshauptstadt Dresden",
        } <= names
        assert {"Aachen", "Steinfurt", "Bielefeld"} <= names
        assert (
            "Hamm" not in names and "Steinfurth" not in names
        )  # merged with the named authority, name fixed
        dresden = session.scalar(select(Authority).where(Authority.slug == "dresden"))
        assert (dresden.ars, dresden.state) == ("146120000000", "SN")


def test_twelve_musterprozesse_with_published_models_and_filled_steckbriefe(seeded_app):
    musterprozesse = json.loads((SEED_PATH / "musterprozesse.json").read_text(encoding="utf-8"))
    assert len(musterprozesse) >= 12
    with rolled_back(get_database(seeded_app)) as database, database.session() as session:
        for muster in musterprozesse:
            process = session.scalar(
                select(Process).where(Process.external_ref == f"leika:{muster['leika_keys'][0]}")
            )
            assert process.title == muster["title"]
            assert process.responsible_unit and process.required_documents and process.fees
            assert process.cases_per_year and process.minutes_per_case is not None
            model = session.scalar(
                select(ProcessModel).where(ProcessModel.process_id == process.id)
            )
            revision = session.scalar(select(Revision).where(Revision.model_id == model.id))
            assert revision.status is RevisionStatus.PUBLISHED
            assert revision.is_valid and revision.validation == [] and revision.lint == []
            assert revision.size == (SEED_PATH / muster["model"]["file"]).stat().st_size
            lanes = {
                element["lane"] for element in revision.extraction["elements"] if element["lane"]
            }
            assert len(lanes) >= 2


def test_a_second_run_changes_nothing(seeded_database_url):
    database = Database(seeded_database_url)
    try:
        before = row_counts(database)
        report = load_seed(database, SEED_PATH, max_bytes=TEST_UPLOAD_LIMIT, demo_accounts=True)
        assert not report.changed_anything and report.skipped == []
        assert row_counts(database) == before
    finally:
        database.dispose()


def test_changed_seed_data_updates_seeded_entries_but_never_manual_edits(seeded_app, tmp_path):
    seed_dir = tmp_path / "seed"
    shutil.copytree(SEED_PATH, seed_dir)
    rows = valid_leika_rows()
    edited_by_hand, changed_upstream = rows[0]["leika_key"], rows[1]["leika_key"]
    _rename_in_csv(
        seed_dir / "data" / "leistungen.csv", {edited_by_hand: "Neu A", changed_upstream: "Neu B"}
    )
    with rolled_back(get_database(seeded_app)) as database:
        with database.transaction() as session:
            person = actor_for(find_account(session, "demo-redaktion"))
            process = _by_key(session, edited_by_hand)
            catalog.update_process(
                session, person, process, {"fees": "von Hand"}, expected_version=process.version
            )
        report = load_seed(database, seed_dir, max_bytes=TEST_UPLOAD_LIMIT)
        with database.session() as session:
            assert _by_key(session, changed_upstream).title == "Neu B"
            assert _by_key(session, edited_by_hand).title != "Neu A"
        assert report.updated == {"processes": 1}
        assert report.skipped == [
            f"leika:{edited_by_hand}: von Hand geändert, Seed-Stand nicht übernommen"
        ]


def _rename_in_csv(path: Path, titles: dict[str, str]) -> None:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["name"] = titles.get(row["leika_key"], row["name"])
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _by_key(session, key: str) -> Process:
    return session.scalar(select(Process).where(Process.external_ref == f"leika:{key}"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "§ 3 X-Gesetz (XG) [http://a.example/x], Y-Verordnung [http://b.example/y]",
            [
                {"text": "§ 3 X-Gesetz (XG)", "url": "http://a.example/x"},
                {"text": "Y-Verordnung", "url": "http://b.example/y"},
            ],
        ),
        ("Satzung der Stadt", [{"text": "Satzung der Stadt", "url": None}]),
        ("", []),
    ],
)
def test_parse_legal_bases(text, expected):
    assert parse_legal_bases(text) == expected


def test_seed_refuses_to_run_on_an_unmigrated_database(tmp_path):
    from click.testing import CliRunner

    from app.cli import main

    env = {"MUSTERREGISTER_DEMO": "1", "MUSTERREGISTER_INSTANCE_PATH": str(tmp_path)}
    result = CliRunner().invoke(main, ["seed"], env=env)
    assert result.exit_code != 0 and "db upgrade" in result.output
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'musterregister.sqlite3'}")
    try:
        assert sa.inspect(engine).get_table_names() == []
    finally:
        engine.dispose()
