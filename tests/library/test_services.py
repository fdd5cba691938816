from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.errors import Forbidden, ValidationFailed
from app.identity.models import Role
from app.identity.services import actor_for
from app.library import services
from app.library.models import Blob, RevisionStatus
from tests.factories import (
    MINIMAL_BPMN,
    SYSTEM,
    make_account,
    make_authority,
    make_model,
    make_process,
    make_revision,
)


def test_revisions_count_up_and_chain_their_parents(session):
    model = make_model(session, make_process(session, make_authority(session)))
    first, second = make_revision(session, model), make_revision(session, model)
    assert (first.number, second.number) == (1, 2)
    assert second.parent_id == first.id and first.parent_id is None
    assert model.revision_count == 2


def test_store_blob_is_idempotent(session):
    digest = services.store_blob(session, b"abc")
    assert services.store_blob(session, b"abc") == digest
    assert session.scalar(select(func.count()).select_from(Blob).where(Blob.sha256 == digest)) == 1
    assert services.read_blob(session, digest) == b"abc"


def test_refused_upload_changes_nothing(session):
    model = make_model(session, make_process(session, make_authority(session)))
    with pytest.raises(ValidationFailed):
        services.add_revision(
            session, SYSTEM, model, services.Upload(data=b"<nope"), message=None, max_bytes=1000
        )
    assert model.revision_count == 0


def test_contributors_upload_only_to_their_authoritys_models(session):
    authority = make_authority(session)
    model = make_model(session, make_process(session, authority))
    outsider = actor_for(make_account(session, make_authority(session), Role.CONTRIBUTOR))
    with pytest.raises(Forbidden):
        services.add_revision(
            session,
            outsider,
            model,
            services.Upload(data=MINIMAL_BPMN),
            message=None,
            max_bytes=10**6,
        )


def test_latest_visible_revision_depends_on_the_actor(session):
    from app.authz import ANONYMOUS

    authority = make_authority(session)
    model = make_model(session, make_process(session, authority))
    make_revision(session, model, status=RevisionStatus.PUBLISHED)
    make_revision(session, model)
    member = actor_for(make_account(session, authority))
    assert services.latest_visible_revision(session, member, model).number == 2
    assert services.latest_visible_revision(session, ANONYMOUS, model).number == 1


def test_register_figures(session):
    authority = make_authority(session)
    model = make_model(session, make_process(session, authority))
    make_revision(session, model, status=RevisionStatus.PUBLISHED)
    figures = services.register_figures(session)
    assert figures["models"] >= 1 and figures["published"] >= 1 and figures["authorities"] >= 1
