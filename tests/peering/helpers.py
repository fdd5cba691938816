"""Publishing through the review workflow, as the feed sees it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.identity.models import Authority, Role
from app.library.models import ProcessModel, Revision
from app.peering.models import OutboxEvent
from app.review import services as review
from app.review.workflow import Decision
from federation.feed import peek_payload
from tests.factories import (
    MINIMAL_BPMN,
    make_authority,
    make_member,
    make_model,
    make_process,
    make_revision,
)


def published_model(session: Session, authority: Authority | None = None) -> ProcessModel:
    """A model of a fresh authority with one revision published through review."""
    model = make_model(session, make_process(session, authority or make_authority(session)))
    publish(session, make_revision(session, model))
    return model


def publish(session: Session, revision: Revision) -> Revision:
    author = make_member(session, revision.model.authority, Role.CONTRIBUTOR)
    reviewer = make_member(session, make_authority(session), Role.REVIEWER)
    review.submit(session, author.actor, revision)
    review.decide(session, reviewer.actor, revision, Decision.APPROVE)
    return revision


def new_revision(session: Session, model: ProcessModel, marker: str) -> Revision:
    """A draft whose bytes differ from every other test upload."""
    end = b"</bpmn:definitions>"
    data = MINIMAL_BPMN.replace(end, f"<!-- {marker} -->".encode() + end)
    return make_revision(session, model, data)


def events(session: Session) -> list[OutboxEvent]:
    return list(session.scalars(select(OutboxEvent).order_by(OutboxEvent.seq)))


def kinds(session: Session) -> list[str]:
    return [event.kind.value for event in events(session)]


def payload(event: OutboxEvent) -> dict:
    return peek_payload(event.jws)
