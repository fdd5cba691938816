"""Concurrent writers on real, separately connected sessions: nothing lost, nothing doubled."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import select

from app import migrate
from app.catalog import services as catalog
from app.db import Database
from app.errors import PreconditionFailed
from app.library import services as library
from app.library.models import Revision
from tests.factories import MINIMAL_BPMN, SYSTEM, make_authority, make_model, make_process

WRITERS = 4
UPLOADS_EACH = 5


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def real_database(request, tmp_path):
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_server").create_database("concurrency_test")
    else:
        url = f"sqlite:///{tmp_path / 'concurrency.sqlite3'}"
    migrate.upgrade(url)
    database = Database(url)
    yield database
    database.dispose()


def in_threads(work: Callable[[int], None], count: int) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(count)

    def run(index: int) -> None:
        start.wait()
        try:
            work(index)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_parallel_uploads_to_one_model_get_distinct_numbers(real_database):
    with real_database.transaction() as session:
        model_id = make_model(session, make_process(session, make_authority(session))).id

    def upload(_index: int) -> None:
        for _ in range(UPLOADS_EACH):
            with real_database.transaction() as session:
                model = library.get_model(session, model_id)
                library.add_revision(
                    session,
                    SYSTEM,
                    model,
                    library.Upload(data=MINIMAL_BPMN),
                    message=None,
                    max_bytes=10**6,
                )

    assert in_threads(upload, WRITERS) == []
    with real_database.session() as session:
        numbers = sorted(
            session.scalars(select(Revision.number).where(Revision.model_id == model_id))
        )
    assert numbers == list(range(1, WRITERS * UPLOADS_EACH + 1))


def test_racing_saves_of_one_steckbrief_let_exactly_one_win(real_database):
    with real_database.transaction() as session:
        process_id = make_process(session, make_authority(session)).id
    outcomes: list[str] = []

    def save(index: int) -> None:
        try:
            with real_database.transaction() as session:
                process = catalog.get_process(session, process_id)
                catalog.update_process(
                    session, SYSTEM, process, {"fees": f"Fassung {index}"}, expected_version=1
                )
            outcomes.append("saved")
        except PreconditionFailed:
            outcomes.append("stale")

    assert in_threads(save, WRITERS) == []
    assert sorted(outcomes) == ["saved"] + ["stale"] * (WRITERS - 1)
    with real_database.session() as session:
        process = catalog.get_process(session, process_id)
        assert process.version == 2
        assert len(catalog.list_versions(session, process)) == 2
