"""A scene for fork and proposal tests: Dresden publishes a model, Leipzig may fork it, Chemnitz
stands outside."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.identity.models import Authority, Role
from app.library import forks
from app.library.models import ProcessModel, Revision, RevisionStatus
from tests.factories import (
    MINIMAL_BPMN,
    Member,
    make_authority,
    make_member,
    make_model,
    make_process,
    make_revision,
)

CHANGED_BPMN = MINIMAL_BPMN.replace(
    b"Antrag pr\xc3\xbcfen", b"Antrag vollst\xc3\xa4ndig pr\xc3\xbcfen"
)
LOCAL_BPMN = MINIMAL_BPMN.replace(b"Bescheid versandt", b"Bescheid per Post versandt")
MAX_BYTES = 10**7


@dataclass
class Scene:
    dresden: Authority
    leipzig: Authority
    chemnitz: Authority
    owner: Member  # contributor of Dresden, owns the upstream model
    forker: Member  # contributor of Leipzig
    outsider: Member  # contributor of Chemnitz
    upstream: ProcessModel
    published: Revision


def build_scene(session: Session) -> Scene:
    dresden = make_authority(session, name="Landeshauptstadt Dresden")
    leipzig = make_authority(session, name="Stadt Leipzig")
    chemnitz = make_authority(session, name="Stadt Chemnitz")
    process = make_process(
        session,
        dresden,
        title="Hund anmelden",
        fees="30 EUR",
        cases_per_year=1200,
        responsible_unit="Steueramt Dresden",
        leika_keys=["99106001001000"],
    )
    upstream = make_model(session, process, title="Hundesteuer: Anmeldung")
    published = make_revision(session, upstream, status=RevisionStatus.PUBLISHED)
    scene = Scene(
        dresden=dresden,
        leipzig=leipzig,
        chemnitz=chemnitz,
        owner=make_member(session, dresden, Role.CONTRIBUTOR),
        forker=make_member(session, leipzig, Role.CONTRIBUTOR),
        outsider=make_member(session, chemnitz, Role.CONTRIBUTOR),
        upstream=upstream,
        published=published,
    )
    session.commit()
    return scene


def fork_of(session: Session, scene: Scene) -> ProcessModel:
    fork = forks.fork_model(
        session, scene.forker.actor, scene.published, authority=scene.leipzig, max_bytes=MAX_BYTES
    )
    session.commit()
    return fork


def publish_upstream(session: Session, scene: Scene, data: bytes = CHANGED_BPMN) -> Revision:
    """Upstream publishes a newer revision (directly, as the review is not under test here)."""
    revision = make_revision(session, scene.upstream, data, status=RevisionStatus.PUBLISHED)
    scene.published.status = RevisionStatus.SUPERSEDED
    session.commit()
    return revision
