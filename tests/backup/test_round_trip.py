"""Export the seeded register, restore it into an empty instance, and find every row and blob."""

from __future__ import annotations

import hashlib
import os
import tarfile
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.backup import BackupError
from app.backup.archive import verify_archive
from app.backup.export import export_instance, snapshot
from app.backup.restore import restore_instance
from app.backup.tables import EXCLUDED_TABLES, KEYS_TABLE, backup_tables
from app.db import get_database
from app.peering import keys
from app.peering.models import EventKind, OutboxEvent
from app.search import search_runtime
from tests.backup.conftest import INSTANCE, Source, all_rows
from tests.conftest import TEST_SECRET
from tests.factories import make_authority


def restore(app: Flask, archive: Path, **options: object):
    with app.app_context():
        return restore_instance(get_database(app), archive, secret_key=TEST_SECRET, **options)


def target_rows(app: Flask) -> dict[str, list[tuple]]:
    with get_database(app).engine.connect() as connection:
        return all_rows(connection)


def assert_same_rows(expected: dict[str, list], actual: dict[str, list], *, keys_public_only=False):
    for name, rows in expected.items():
        if name == KEYS_TABLE and keys_public_only:
            assert_public_keys(rows, actual[name])
        else:
            assert actual[name] == rows, f"Tabelle {name} weicht ab"


def assert_public_keys(source_rows: list[tuple], restored: list[tuple]) -> None:
    """kid, public key and creation kept; the private key left out; every key retired."""
    assert [row[:2] + row[3:4] for row in restored] == [row[:2] + row[3:4] for row in source_rows]
    assert all(row[2] == b"" and row[4] is not None for row in restored)


def test_the_source_has_rows_in_every_table_and_excludes_what_is_derived(source: Source):
    assert all(source.rows[table.name] for table in backup_tables()), [
        name for name, rows in source.rows.items() if not rows
    ]
    manifest = verify_archive(source.archive).manifest
    assert set(manifest["excluded_tables"]) == set(EXCLUDED_TABLES)
    assert "web_sessions" not in manifest["tables"]
    assert manifest["instance"] == INSTANCE and manifest["with_keys"] is True
    assert manifest["schema_revision"] and manifest["app_version"]
    for name, rows in source.rows.items():
        assert manifest["tables"][name]["rows"] == len(rows)
    blob_files = [name for name in manifest["files"] if name.startswith("blobs/")]
    assert sorted(name.removeprefix("blobs/") for name in blob_files) == sorted(
        row[0] for row in source.rows["blobs"]
    )


def test_round_trip_restores_every_row_and_blob_and_the_search(source: Source, new_target):
    target = new_target()
    report = restore(target, source.archive)
    assert report.private_keys and report.blobs == len(source.rows["blobs"])
    restored = target_rows(target)
    assert_same_rows(source.rows, restored)
    for sha256, _size, data, *_rest in restored["blobs"]:
        assert hashlib.sha256(data).hexdigest() == sha256
    with target.app_context(), get_database(target).session() as session:
        assert keys.signing_key(session, TEST_SECRET)["kid"] == keys.active_key(session).kid
    assert_search_works(target)
    assert_non_empty_target_refused(target, source.archive, restored)
    assert_numbering_goes_on(target, restored)


def assert_numbering_goes_on(app: Flask, restored: dict[str, list[tuple]]) -> None:
    """New audit and feed entries follow the restored ones (PostgreSQL: sequences moved on)."""
    with app.app_context(), get_database(app).transaction() as session:
        make_authority(session)
        event = OutboxEvent(event_id="neu", kind=EventKind.PUBLISHED, origin="x", jws="x.y.z")
        session.add(event)
        session.flush()
        audit_id = session.scalar(select(func.max(AuditEvent.id)))
        assert event.seq == max(row[0] for row in restored["outbox_events"]) + 1
    assert audit_id > max(row[0] for row in restored["audit_events"])


def assert_search_works(app: Flask) -> None:
    runtime = search_runtime(app)
    assert runtime.rebuild() > 0
    response = app.test_client().get("/api/v1/search", query_string={"q": "Personalausweis"})
    assert response.status_code == 200
    assert "Personalausweis" in response.get_json()["hits"][0]["title"]


def assert_non_empty_target_refused(app: Flask, archive: Path, before: dict) -> None:
    with pytest.raises(BackupError, match=r"Zielregister ist nicht leer .*blobs"):
        restore(app, archive)
    assert target_rows(app) == before


def test_without_private_keys_into_another_database_and_back(source: Source, new_target, tmp_path):
    """On a PostgreSQL run: PostgreSQL → SQLite → PostgreSQL; else SQLite → SQLite (and the
    round trip back is the main test's)."""
    middle = new_target(sqlite=True)
    report = restore(middle, source.archive, without_keys=True)
    assert not report.private_keys
    assert_same_rows(source.rows, target_rows(middle), keys_public_only=True)
    again = tmp_path / "wieder.tar"
    with middle.app_context(), snapshot(get_database(middle)) as connection:
        manifest = export_instance(connection, again, instance=INSTANCE)
    assert manifest["database"] == "sqlite" and not manifest["with_keys"]
    assert os.stat(again).st_mode & 0o077 == 0, "readable by the owner only"
    with tarfile.open(again) as archive:  # a plain tar this time, the manifest last
        assert archive.getnames()[-1] == "manifest.json"
    if os.environ.get("TEST_DATABASE") == "postgresql":
        last = new_target()
        restore(last, again)
        assert_same_rows(target_rows(middle), target_rows(last))
