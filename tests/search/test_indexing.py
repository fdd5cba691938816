"""The index follows committed changes only, loses none, and stays whole with several writers."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from app import create_app
from app.authz import ANONYMOUS
from app.catalog import services as catalog
from app.catalog.models import Process
from app.db import Database, get_database
from app.library.models import RevisionStatus
from app.search import indexing, search_runtime
from app.search.analysis import GermanAnalyzer
from app.search.backend import SearchRequest
from app.search.documents import process_ref
from app.search.indexing import SearchRuntime
from app.search.models import SearchQueueEntry
from app.search.query import Planner, Synonyms
from app.search.services import Query, search
from app.search.whoosh_backend import WhooshBackend
from tests.conftest import ROOT, app_overrides, new_database
from tests.factories import SYSTEM, make_authority, make_model, make_process, make_revision


@pytest.fixture(scope="module")
def indexed_app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    """An app on a database of its own whose changes are really committed."""
    url = new_database(request, tmp_path_factory, "musterregister_indexing")
    app = create_app(app_overrides(tmp_path_factory.mktemp("indexing-instance"), url))
    yield app
    search_runtime(app).close()
    get_database(app).dispose()


@pytest.fixture()
def database(indexed_app: Flask) -> Database:
    return get_database(indexed_app)


@pytest.fixture()
def runtime(indexed_app: Flask) -> SearchRuntime:
    runtime = search_runtime(indexed_app)
    runtime.drain()
    return runtime


def titles_found(runtime: SearchRuntime, text: str) -> list[str]:
    with runtime.database.session(write=False) as session:
        result = search(session, runtime, ANONYMOUS, Query(text, per_page=50, with_facets=False))
    return [hit.title for hit in result.hits]


def create_process(database: Database, title: str, **data: object) -> Process:
    with database.transaction() as session:
        authority = make_authority(session)
        return make_process(session, authority, title=title, **data)


def queued(database: Database) -> int:
    with database.session(write=False) as session:
        return session.scalar(select(func.count()).select_from(SearchQueueEntry)) or 0


def test_a_committed_change_is_found_after_the_indexer_ran(database, runtime):
    create_process(database, "Zeppelinlandeerlaubnis erteilen")
    assert queued(database) == 2  # the new authority and its process
    assert titles_found(runtime, "Zeppelinlandeerlaubnis") == ["Zeppelinlandeerlaubnis erteilen"]
    assert queued(database) == 0


def test_a_rolled_back_change_never_reaches_the_queue_or_the_index(database, runtime):
    with pytest.raises(RuntimeError), database.transaction() as session:
        make_process(session, make_authority(session), title="Luftschlossbaugenehmigung")
        session.flush()
        raise RuntimeError("Abbruch")
    assert queued(database) == 0
    assert titles_found(runtime, "Luftschlossbaugenehmigung") == []


def test_nothing_is_indexed_before_the_commit(database, runtime):
    session = database.session()
    try:
        make_process(session, make_authority(session), title="Gondelbahnkonzession")
        session.flush()  # the queue row exists, but only inside this transaction
        runtime.drain()  # another connection: sees neither the row nor the process
        assert titles_found(runtime, "Gondelbahnkonzession") == []
        session.commit()
    finally:
        session.close()
    assert titles_found(runtime, "Gondelbahnkonzession") == ["Gondelbahnkonzession"]


def test_a_change_committed_while_the_indexer_reads_is_not_lost(database, runtime, monkeypatch):
    process = create_process(database, "Kutschenfahrerlaubnis")
    original = indexing.build_documents
    calls = []

    def build_then_change_concurrently(session, refs):
        documents = original(session, refs)
        if not calls:  # a user saves while the indexer holds the old state
            calls.append(refs)
            with database.transaction() as writer:
                changed = writer.get(Process, process.id)
                catalog.update_process(
                    writer,
                    SYSTEM,
                    changed,
                    {"title": "Pferdekutschenkonzession"},
                    expected_version=1,
                )
        return documents

    monkeypatch.setattr(indexing, "build_documents", build_then_change_concurrently)
    runtime.drain()
    assert calls, "the indexer did not run"
    assert titles_found(runtime, "Pferdekutschenkonzession") == ["Pferdekutschenkonzession"]
    assert titles_found(runtime, "Kutschenfahrerlaubnis") == []
    assert runtime.check().clean


def test_publishing_a_model_updates_its_process(database, runtime):
    with database.transaction() as session:
        process = make_process(session, make_authority(session), title="Ballonstartanzeige")
        model = make_model(session, process, title="Ballonstart")
        make_revision(session, model, status=RevisionStatus.PUBLISHED)
    with database.session(write=False) as session:
        runtime.catch_up()
        result = search(
            session,
            runtime,
            ANONYMOUS,
            Query("Ballonstartanzeige", filters={"type": "process"}),
        )
    assert [hit.title for hit in result.hits] == ["Ballonstartanzeige"]
    assert result.hits[0].has_model
    (type_facet,) = [facet for facet in result.facets if facet.name == "type"]
    # a facet is counted under every filter but its own: the model shows as a way to switch
    assert {(v.value, v.count, v.selected) for v in type_facet.values} == {
        ("process", 1, True),
        ("model", 1, False),
    }


def test_deleting_removes_the_documents(database, runtime):
    process = create_process(database, "Floßfahrtgenehmigung")
    assert titles_found(runtime, "Floßfahrtgenehmigung")
    with database.transaction() as session:
        session.delete(session.get(Process, process.id))
    assert titles_found(runtime, "Floßfahrtgenehmigung") == []


def test_check_reports_drift_and_rebuild_repairs_it(database, runtime):
    process = create_process(database, "Drachenfliegerausweis")
    runtime.drain()
    with runtime.backend.write_lock(), database.transaction() as session:
        runtime.backend.replace(
            session, {process_ref(process.id): []}, runtime.current(session).analyzer
        )
    drift = runtime.check()
    assert drift.missing == [process_ref(process.id)]
    assert not drift.clean
    count = runtime.rebuild()
    assert count >= 1
    assert runtime.check().clean
    assert titles_found(runtime, "Drachenfliegerausweis") == ["Drachenfliegerausweis"]


def test_one_writer_at_a_time(runtime):
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with runtime.backend.write_lock():
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(10)
        with pytest.raises(TimeoutError), runtime.backend.write_lock(timeout=0.3):
            pass
    finally:
        release.set()
        holder.join()
    with runtime.backend.write_lock(timeout=1):
        pass


WRITER_SCRIPT = """
import sys, time
from pathlib import Path
from app import create_app
from app.search import search_runtime
app = create_app({"instance_path": Path(sys.argv[1]), "database_url": sys.argv[2],
                  "secret_key": "x" * 40, "background_jobs": False, "search_backend": sys.argv[3],
                  "search_index_path": Path(sys.argv[4])})
runtime = search_runtime(app)
deadline = time.monotonic() + float(sys.argv[5])
while time.monotonic() < deadline:
    runtime.drain()
    time.sleep(0.01)
runtime.close()
"""


def test_several_processes_indexing_at_once_lose_nothing(
    indexed_app: Flask, database: Database, runtime: SearchRuntime, tmp_path: Path
):
    settings = indexed_app.extensions["musterregister.settings"]
    index_path = str(settings.effective_search_index_path)
    writers = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                WRITER_SCRIPT,
                str(tmp_path / f"writer-{number}"),
                database.url,
                settings.search_backend,
                index_path,
                "6",
            ],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        for number in range(2)
    ]
    titles = [f"Seifenkistenrennen Nummer{number:02d}" for number in range(20)]
    for title in titles:
        create_process(database, title)
    for writer in writers:
        assert writer.wait(60) == 0
    runtime.drain()
    found = titles_found(runtime, "Seifenkistenrennen")
    assert sorted(found) == titles
    assert runtime.check().clean


def test_an_empty_index_answers_and_is_still_built_on_first_run(tmp_path):
    backend = WhooshBackend(tmp_path)
    analyzer = GermanAnalyzer()
    plan = Planner(analyzer, Synonyms({}, analyzer)).plan("Hund")
    assert backend.search(None, SearchRequest(plan)).total == 0  # readers came first
    assert backend.is_new()
    with backend.write_lock():
        backend.rebuild(None, iter([]), analyzer)
    assert not backend.is_new()


def test_control_characters_in_a_query_are_harmless(runtime):
    assert titles_found(runtime, "Hund\x00\x1b[31m") == titles_found(runtime, "Hund")


def test_a_compound_that_finds_nothing_is_searched_as_its_parts(database, runtime):
    create_process(database, "Bienen Genehmigung")
    create_process(database, "Schwarm Meldung")
    runtime.drain()
    with runtime.database.session(write=False) as session:
        result = search(session, runtime, ANONYMOUS, Query("Bienenschwarmgenehmigung"))
    assert [hit.title for hit in result.hits][:1] == ["Bienen Genehmigung"]
    assert result.relaxed
