"""REST routes of the review workflow: submit, decide, withdraw, the reviewers' queue."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from flask_smorest import Blueprint

from app.api.common import BEARER_SECURITY
from app.authz import Permission, requires
from app.config import current_settings
from app.db import request_session
from app.identity.auth import current_actor
from app.library.api import unpacked_limit
from app.library.models import Revision
from app.review import services
from app.review.schemas import (
    CommentIn,
    DecisionIn,
    DecisionListOut,
    OutcomeOut,
    QueueOut,
    QueueQuery,
    ReviewDetailOut,
    ReviewStateOut,
)

blp = Blueprint(
    "review", __name__, url_prefix="/api/v1", description="Prüfung und Veröffentlichung"
)

REVISION = "/models/<uuid:model_id>/revisions/<int:number>"


@blp.route(f"{REVISION}/submit", methods=["POST"])
@requires(Permission.REVISION_SUBMIT)
@blp.arguments(CommentIn())
@blp.response(200, ReviewStateOut)
@blp.doc(security=BEARER_SECURITY)
def submit(data: dict[str, Any], model_id: uuid.UUID, number: int):
    """Revision zur Veröffentlichung einreichen (nur ohne Schemafehler; 409 aus falschem Zustand)"""
    return _change_state(services.submit, model_id, number, data["comment"])


@blp.route(f"{REVISION}/decisions", methods=["POST"])
@requires(Permission.REVIEW_DECIDE)
@blp.arguments(DecisionIn())
@blp.response(201, OutcomeOut)
@blp.doc(security=BEARER_SECURITY)
def decide(data: dict[str, Any], model_id: uuid.UUID, number: int):
    """Über eine Einreichung entscheiden (Vier-Augen-Prinzip: nie über die eigene Behörde)"""
    session = request_session()
    outcome = services.decide(
        session,
        current_actor(),
        services.revision_of(request_session(), current_actor(), model_id, number),
        data["decision"],
        comment=data["comment"],
        approvals_required=current_settings().review_approvals_required,
    )
    session.commit()
    return {
        "decision": outcome.decision,
        "revision": outcome.revision,
        "published": outcome.published,
    }


@blp.route(f"{REVISION}/decisions", methods=["GET"])
@requires(Permission.REVISION_READ)
@blp.response(200, DecisionListOut)
@blp.doc(security=BEARER_SECURITY)
def list_decisions(model_id: uuid.UUID, number: int):
    """Die Entscheidungen aller Prüfrunden einer Revision"""
    revision = services.revision_of(request_session(), current_actor(), model_id, number)
    return {"items": services.decisions(request_session(), revision)}


@blp.route(f"{REVISION}/withdraw", methods=["POST"])
@requires(Permission.REVISION_WITHDRAW)
@blp.arguments(CommentIn())
@blp.response(200, ReviewStateOut)
@blp.doc(security=BEARER_SECURITY)
def withdraw(data: dict[str, Any], model_id: uuid.UUID, number: int):
    """Entwurf, Einreichung oder Veröffentlichung zurückziehen (nur die besitzende Behörde)"""
    return _change_state(services.withdraw, model_id, number, data["comment"])


@blp.route(f"{REVISION}/review", methods=["GET"])
@requires(Permission.REVISION_READ)
@blp.response(200, ReviewDetailOut)
@blp.doc(security=BEARER_SECURITY)
def review_detail(model_id: uuid.UUID, number: int):
    """Alles für die Prüfung: Zustand, Vergleich mit der letzten Veröffentlichung, Hinweise, Entscheidungen"""
    session = request_session()
    revision = services.revision_of(request_session(), current_actor(), model_id, number)
    previous = services.last_published(session, revision)
    return {
        "revision": revision,
        "previous_published": previous,
        "diff": services.revision_diff(session, previous, revision, max_bytes=unpacked_limit())
        if previous
        else None,
        "lint": revision.lint,
        "decisions": services.decisions(session, revision),
    }


@blp.route("/reviews", methods=["GET"])
@requires(Permission.REVIEW_QUEUE)
@blp.arguments(QueueQuery(), location="query")
@blp.response(200, QueueOut)
@blp.doc(security=BEARER_SECURITY)
def review_queue(query: dict[str, Any]):
    """Prüfliste: Einreichungen anderer Behörden, älteste zuerst"""
    filters = services.QueueFilter(**query)
    return {"items": services.queue(request_session(), current_actor(), filters)}


def _change_state(
    change: Callable[..., Revision], model_id: uuid.UUID, number: int, comment: str
) -> Revision:
    """Submit or withdraw one revision of the owning authority, and commit."""
    session, actor = request_session(), current_actor()
    revision = change(
        session, actor, services.revision_of(session, actor, model_id, number), comment=comment
    )
    session.commit()
    return revision
