"""Schemathesis against the API's own OpenAPI document, in-process over WSGI.

Every operation gets generated requests (valid and invalid ones), about half of them aimed at real
objects of the seed register (a model, its process, a change proposal, a notification), with a
bearer token of the register's editorial team, so writes run too. No answer may be a 5xx, and every
answer must match the schema the document promises. The run is derandomized: the same examples
every time, so a red run is a real, repeatable finding.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from sqlalchemy import select

from app.db import get_database
from app.identity import services as identity
from app.identity.models import Role
from app.library import forks, proposals
from app.library.models import ProcessModel, Revision
from app.review.models import Notification, NotificationKind
from app.search import search_runtime
from tests.conftest import rolled_back
from tests.factories import make_authority, make_member

EXAMPLES_PER_OPERATION = 6
CHECKS = [not_a_server_error, response_schema_conformance]


@pytest.fixture()
def scene(seeded_app):
    """The seeded database in a rolled-back transaction, a token and ids of real objects."""
    search_runtime(seeded_app).drain()  # the index of the seed register, built outside the test
    with (
        rolled_back(get_database(seeded_app), seeded_app) as database,
        database.session() as session,
    ):
        register = identity.register_authority(session)
        member = make_member(
            session, register, Role.CONTRIBUTOR, Role.REVIEWER, Role.REGISTER_ADMIN
        )
        model = session.scalars(
            select(ProcessModel).where(ProcessModel.authority_id == register.id)
        ).first()
        revision = session.scalars(
            select(Revision).where(Revision.model_id == model.id).order_by(Revision.number)
        ).first()
        proposal = proposal_to(session, revision)
        notification = Notification(
            account_id=member.account.id, kind=NotificationKind.COMMENT, title="Test", link="/"
        )
        session.add(notification)
        session.commit()
        yield {
            "headers": member.headers,
            "writes_done": set(),
            "real": {
                "proposal_id": str(proposal.id),
                "notification_id": str(notification.id),
                "model_id": str(model.id),
                "process_id": str(model.process_id),
                "number": revision.number,
                "version": 1,
                "key": register.slug,
                "slug": register.slug,
            },
        }


def proposal_to(session, revision: Revision):
    """Another authority forks the seed model and proposes a change back to the register."""
    other = make_member(session, make_authority(session), Role.CONTRIBUTOR)
    fork = forks.fork_model(
        session, other.actor, revision, authority=other.account.authority, max_bytes=10**7
    )
    return proposals.propose(session, other.actor, fork.revisions[0], message="Vorschlag")


def operations(schema):
    for result in schema.get_all_operations():
        yield result.ok()


def check_operation(operation, scene, mode: GenerationMode) -> None:
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(mode), aim_at_real_objects=st.booleans())
    def run(case, aim_at_real_objects: bool) -> None:
        if aim_at_real_objects and case.path_parameters:
            for name in case.path_parameters:
                case.path_parameters[name] = scene["real"].get(name, case.path_parameters[name])
        response = case.call_and_validate(headers=scene["headers"], checks=CHECKS)
        if case.method != "GET" and response.status_code < 300:
            scene["writes_done"].add(operation.label)

    try:
        run()
    except Unsatisfiable:
        if mode is GenerationMode.POSITIVE:
            raise
        # every input of this operation is valid whatever it holds: no invalid request exists


def test_the_api_keeps_its_openapi_promises(seeded_app, scene):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", seeded_app)
    tested = 0
    for operation in operations(schema):
        for mode in GenerationMode:
            check_operation(operation, scene, mode)
        tested += 1
    assert tested >= 40
    assert len(scene["writes_done"]) >= 8, scene["writes_done"]  # the token really writes
