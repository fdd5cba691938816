"""Outbox writers on real, separately connected sessions: seq order is commit order.

A puller that has read up to 13 never looks at 12 again; so 12 must never commit after 13.
"""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from sqlalchemy import select

from app import migrate
from app.db import Database
from app.peering import outbox
from app.peering.models import OutboxEvent
from tests.conftest import TEST_SECRET

ORIGIN = "https://register.example.org"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def real_database(request, tmp_path):
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_server").create_database("outbox_order_test")
    else:
        url = f"sqlite:///{tmp_path / 'outbox.sqlite3'}"
    migrate.upgrade(url)
    database = Database(url, session_info=outbox.session_info(ORIGIN, TEST_SECRET))
    yield database
    database.dispose()


def _event() -> dict:
    return {"event_id": uuid.uuid4().hex, "kind": "authority-updated", "origin": ORIGIN}


def test_a_second_writer_waits_until_the_first_has_committed(real_database):
    first_committed = threading.Event()
    second: dict[str, object] = {}

    def write_second() -> None:
        with real_database.transaction() as session:
            second["seq"] = outbox.relay(session, "x.y.z", _event())
        second["committed_after_first"] = first_committed.is_set()

    with real_database.transaction() as session:
        first = outbox.relay(session, "x.y.z", _event())
        thread = threading.Thread(target=write_second)
        thread.start()
        time.sleep(0.5)
        assert "seq" not in second  # still waiting for the outbox
        first_committed.set()
    thread.join(timeout=30)
    assert second["committed_after_first"] is True
    assert second["seq"] > first


def test_parallel_writers_lose_and_double_nothing(real_database):
    def write(_index: int) -> None:
        for _ in range(5):
            with real_database.transaction() as session:
                outbox.relay(session, "x.y.z", _event())

    threads = [threading.Thread(target=write, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    with real_database.session() as session:
        seqs = list(session.scalars(select(OutboxEvent.seq).order_by(OutboxEvent.seq)))
    assert len(seqs) == len(set(seqs)) == 20
