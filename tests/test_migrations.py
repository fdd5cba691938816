"""Migrations build exactly the models' schema and tear it down again, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from app import migrate
from app.db import make_engine


def table_names(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def round_trip(url: str) -> None:
    migrate.upgrade(url)
    assert migrate.is_up_to_date(url)
    assert {"authorities", "processes", "revisions", "blobs", "audit_events"} <= table_names(url)
    migrate.check(url)  # raises if models and migrations differ
    migrate.downgrade(url, "base")
    assert table_names(url) <= {"alembic_version"}
    assert not migrate.is_up_to_date(url)
    migrate.upgrade(url)
    migrate.check(url)


def test_sqlite_upgrade_check_downgrade(tmp_path):
    round_trip(f"sqlite:///{tmp_path / 'migrations.sqlite3'}")


@pytest.mark.postgres
def test_postgresql_upgrade_check_downgrade(postgres_server):
    round_trip(postgres_server.create_database("migrations_test"))


@pytest.mark.postgres
def test_postgresql_uses_native_types(postgres_server):
    url = postgres_server.create_database("types_test")
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        columns = {c["name"]: c["type"] for c in sa.inspect(engine).get_columns("processes")}
    finally:
        engine.dispose()
    assert columns["id"].__class__.__name__ == "UUID"
    assert columns["keywords"].__class__.__name__ == "JSONB"
    assert columns["created_at"].timezone is True


def existing_revision_survives_0003(url: str) -> None:
    """Revisions stored before validation existed get the columns, marked as not yet checked."""
    migrate.upgrade(url, "0002")
    engine = make_engine(url)
    ids = {name: uuid.uuid4().hex for name in ("authority", "process", "model", "revision")}
    now = "2026-01-01 00:00:00"
    statements = [
        f"INSERT INTO authorities (id, slug, name, kind, is_register, created_at, updated_at) VALUES ('{ids['authority']}', 'alt', 'Alt', 'gemeinde', false, '{now}', '{now}')",
        f"INSERT INTO processes (id, authority_id, kind, title, sort_title, legal_bases, required_documents, keywords, synonyms, search_text, version, created_at, updated_at) VALUES ('{ids['process']}', '{ids['authority']}', 'authority', 'P', 'p', '[]', '[]', '[]', '[]', '', 1, '{now}', '{now}')",
        f"INSERT INTO process_models (id, process_id, authority_id, title, revision_count, created_at, updated_at) VALUES ('{ids['model']}', '{ids['process']}', '{ids['authority']}', 'M', 1, '{now}', '{now}')",
        f"INSERT INTO blobs (sha256, size, data, created_at) VALUES ('{'a' * 64}', 1, 'x', '{now}')",
        f"INSERT INTO revisions (id, model_id, number, blob_sha256, size, filename, media_type, message, author_name, status, extraction, created_at) VALUES ('{ids['revision']}', '{ids['model']}', 1, '{'a' * 64}', 1, 'm.bpmn', 'application/xml', 'alt', 'X', 'draft', '{{}}', '{now}')",
    ]
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.exec_driver_sql(statement)
        migrate.upgrade(url)
        with engine.connect() as connection:
            row = connection.exec_driver_sql(
                "SELECT is_valid, validation, lint FROM revisions"
            ).one()
    finally:
        engine.dispose()
    assert not row[0] and row[1] in ("[]", []) and row[2] in ("[]", [])


def test_sqlite_revisions_before_validation(tmp_path):
    existing_revision_survives_0003(f"sqlite:///{tmp_path / 'backfill.sqlite3'}")


@pytest.mark.postgres
def test_postgresql_revisions_before_validation(postgres_server):
    existing_revision_survives_0003(postgres_server.create_database("backfill_test"))
