"""Migrations build exactly the models' schema and tear it down again, on SQLite and PostgreSQL."""

from __future__ import annotations

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
