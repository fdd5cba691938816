"""Concurrent writers on real, separately connected sessions: nothing lost, nothing doubled."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable

import pytest
from sqlalchemy import select

from app import migrate
from app.authz import Actor
from app.catalog import services as catalog
from app.db import Database
from app.errors import Conflict, PreconditionFailed
from app.identity.models import Role
from app.library import services as library
from app.library.models import Revision, RevisionStatus
from app.review import services as review
from app.review.models import ReviewDecision
from app.review.workflow import Decision
from tests.factories import (
    MINIMAL_BPMN,
    SYSTEM,
    make_authority,
    make_member,
    make_model,
    make_process,
    make_revision,
)

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


def _submission_and_reviewers(real_database) -> tuple[uuid.UUID, list[Actor]]:
    with real_database.transaction() as session:
        author_authority = make_authority(session)
        model = make_model(session, make_process(session, author_authority))
        revision = make_revision(session, model)
        author = make_member(session, author_authority, Role.CONTRIBUTOR)
        review.submit(session, author.actor, revision)
        reviewers = [
            make_member(session, make_authority(session), Role.REVIEWER).actor
            for _ in range(WRITERS)
        ]
        return revision.id, reviewers


def _race(real_database, revision_id, reviewers, decisions, approvals_required) -> list[str]:
    outcomes: list[str] = []

    def decide(index: int) -> None:
        try:
            with real_database.transaction() as session:
                review.decide(
                    session,
                    reviewers[index],
                    session.get(Revision, revision_id),
                    decisions[index],
                    comment="Entscheidung",
                    approvals_required=approvals_required,
                )
            outcomes.append(decisions[index].value)
        except Conflict:
            outcomes.append("conflict")

    assert in_threads(decide, WRITERS) == []
    return outcomes


def test_racing_review_decisions_produce_exactly_one_outcome(real_database):
    """Reviewers of other authorities decide differently at the same moment: one wins, the others
    get a conflict, and exactly the winner's decision is stored."""
    revision_id, reviewers = _submission_and_reviewers(real_database)
    decisions = [Decision.APPROVE if n % 2 else Decision.REJECT for n in range(WRITERS)]
    outcomes = _race(real_database, revision_id, reviewers, decisions, approvals_required=1)
    assert outcomes.count("conflict") == WRITERS - 1
    (winner,) = [outcome for outcome in outcomes if outcome != "conflict"]
    with real_database.session() as session:
        stored = session.get(Revision, revision_id)
        kept = session.scalars(
            select(ReviewDecision.decision).where(ReviewDecision.revision_id == revision_id)
        ).all()
        assert [decision.value for decision in kept] == [winner]
        expected = RevisionStatus.PUBLISHED if winner == "approve" else RevisionStatus.REJECTED
        assert stored.status is expected
        assert stored.version == 3  # submitted once, decided once


def test_racing_approvals_lose_none_when_two_are_needed(real_database):
    """Every approval that was acknowledged is counted; the second one publishes."""
    revision_id, reviewers = _submission_and_reviewers(real_database)
    outcomes = _race(
        real_database, revision_id, reviewers, [Decision.APPROVE] * WRITERS, approvals_required=2
    )
    acknowledged = outcomes.count("approve")
    assert 1 <= acknowledged <= 2
    with real_database.session() as session:
        stored = session.get(Revision, revision_id)
        kept = session.scalars(
            select(ReviewDecision).where(ReviewDecision.revision_id == revision_id)
        ).all()
        assert len(kept) == stored.approvals == acknowledged
        published = RevisionStatus.PUBLISHED if acknowledged == 2 else RevisionStatus.SUBMITTED
        assert stored.status is published
