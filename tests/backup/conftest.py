"""Backup fixtures: the seeded register plus one row of every other kind, exported once per run,
and empty target instances to restore into."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import JSON, Connection, Table, insert, null, select

from app import close_app, create_app
from app.audit.models import AuditEvent
from app.backup.export import export_instance
from app.backup.tables import backup_tables
from app.cache import response_cache
from app.catalog.models import ImportJob, ImportStatus
from app.db import Database, get_database, utcnow
from app.identity.login import LoginSettings, set_authority_login
from app.identity.models import Role, WebSession
from app.library import forks, proposals
from app.library.models import Revision
from app.peering.models import Peer, PeerState, Refusal
from app.review import comments
from app.review.models import Delivery, NotificationKind, NotificationPreference
from app.search.models import SynonymEntry
from tests.conftest import app_overrides, new_database
from tests.factories import SYSTEM, make_authority, make_member
from tests.peering.helpers import new_revision, publish, published_model

INSTANCE = {"name": "Musterregister Test", "base_url": "https://register.example.org"}
_targets = itertools.count(1)


@dataclass
class Source:
    """What the source held when it was exported: every row of every table, by table name."""

    archive: Path  # with the private signing keys (restoring with without_keys leaves them out)
    rows: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)


def table_rows(connection: Connection, table: Table) -> list[tuple[Any, ...]]:
    """All rows in primary-key order, every column, and for JSON columns whether it is SQL NULL
    (a stored JSON ``null`` reads as ``None`` too)."""
    json_columns = [col for col in table.columns if isinstance(col.type, JSON)]
    statement = select(*table.columns, *(col.is_(None) for col in json_columns)).order_by(
        *table.primary_key.columns
    )
    return [tuple(row) for row in connection.execute(statement)]


def all_rows(connection: Connection) -> dict[str, list[tuple[Any, ...]]]:
    return {table.name: table_rows(connection, table) for table in backup_tables()}


@pytest.fixture(scope="session")
def source(seeded_app: Flask, tmp_path_factory: pytest.TempPathFactory) -> Source:
    """The seeded register with one row of every kind more, exported, then rolled back."""
    folder = tmp_path_factory.mktemp("backup")
    result = Source(folder / "register.tar.gz")
    database = get_database(seeded_app)
    cache = response_cache(seeded_app)
    if cache:  # as in tests.conftest.rolled_back: the rollback takes the generation back
        cache.clear()
    with database.engine.connect() as connection:
        transaction = connection.begin()
        database.bind_to_connection(connection)
        try:
            with seeded_app.app_context():
                _add_every_kind_of_row(database, connection)
            export_instance(connection, result.archive, instance=INSTANCE, with_keys=True)
            result.rows = all_rows(connection)
        finally:
            transaction.rollback()
            database.unbind()
    return result


def _add_every_kind_of_row(database: Database, connection: Connection) -> None:
    with database.transaction() as session:
        upstream = published_model(session)
        publish(session, new_revision(session, upstream, "zweite Fassung"))
        revision = upstream.revisions[-1]
        forker = make_member(session, make_authority(session), Role.CONTRIBUTOR)
        fork = forks.fork_model(
            session, forker.actor, revision, authority=forker.account.authority, max_bytes=10**6
        )
        proposals.propose(session, forker.actor, new_revision(session, fork, "Vorschlag"))
        _comment_thread(session, revision)
        _federation_rows(session)
        _other_rows(session, forker)
    connection.execute(  # SQL NULL and a stored JSON null side by side
        insert(AuditEvent.__table__).values(
            actor_name="Test",
            action="test.nulls",
            object_type="test",
            object_id="1",
            before=null(),
            after=JSON.NULL,
            details={"zahl": 1.25, "liste": [None, "ä"]},
        )
    )


def _comment_thread(session: Any, revision: Revision) -> None:
    reviewer = make_member(session, make_authority(session), Role.REVIEWER)
    first = comments.add_comment(session, reviewer.actor, revision, "Passt **so**.")
    comments.add_comment(session, reviewer.actor, revision, "Antwort", parent=first)


def _federation_rows(session: Any) -> None:
    peer = Peer(
        name="nachbar", base_url="https://nachbar.example.org", instance_name="Nachbarregister",
        protocol_version="1", jwks={"keys": []}, fingerprint="ab cd", state=PeerState.ACTIVE,
        vouched=[], cursor=7, last_success_at=utcnow(),
    )  # fmt: skip
    session.add(peer)
    session.flush()
    session.add(Refusal(peer_id=peer.id, seq=3, event_id="e-3", reason="Signatur ungültig"))


def _other_rows(session: Any, member: Any) -> None:
    authority = member.account.authority
    settings = LoginSettings(
        issuer="https://login.example.org", client_id="register", client_secret_ref="env:OIDC",
        scopes="openid", roles_claim="roles", role_mapping={"pm": "contributor"},
        tenant_claim=None, tenant_value=None, enabled=True,
    )  # fmt: skip
    set_authority_login(session, SYSTEM, authority, settings)
    session.add(
        NotificationPreference(
            account_id=member.account.id, kind=NotificationKind.COMMENT, delivery=Delivery.INBOX
        )
    )
    session.add(SynonymEntry(term="perso", replacements="Personalausweis; Ausweis"))
    session.add(WebSession(id_hash="0" * 64, account_id=member.account.id, data={"x": 1}))
    blob = session.scalar(select(Revision.blob_sha256).limit(1))
    session.add(
        ImportJob(
            authority_id=authority.id,
            filename="register.csv",
            blob_sha256=blob,
            status=ImportStatus.DONE,
            report={"zeilen": 0},
        )
    )


# --- targets -----------------------------------------------------------------------------------


def _backend_of(url: str) -> str:
    return "postgresql" if url.startswith("postgresql") else "whoosh"


@pytest.fixture(scope="session")
def new_target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., Flask]]:
    """``new_target(sqlite=False, **settings)``: an app on an empty, migrated database."""
    apps: list[Flask] = []

    def make(*, sqlite: bool = False, **settings: Any) -> Flask:
        name = f"backup_target_{next(_targets)}"
        if sqlite and os.environ.get("TEST_DATABASE") == "postgresql":
            from app import migrate

            url = f"sqlite:///{tmp_path_factory.mktemp('db') / f'{name}.sqlite3'}"
            migrate.upgrade(url)
        else:
            url = new_database(request, tmp_path_factory, name)
        instance = tmp_path_factory.mktemp("backup-instance")
        overrides = app_overrides(instance, url, search_backend=_backend_of(url), **settings)
        app = create_app(overrides)
        apps.append(app)
        return app

    yield make
    for app in apps:
        close_app(app)
