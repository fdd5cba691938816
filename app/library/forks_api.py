"""REST routes of forks, their upstream and change proposals."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, url_for
from flask_smorest import Blueprint

from app.api.common import BEARER_SECURITY
from app.authz import Permission, public, requires
from app.catalog.services import get_process
from app.db import request_session
from app.errors import Forbidden
from app.i18n import _
from app.identity.auth import current_actor
from app.identity.models import Authority
from app.library import analysis, forks, proposals
from app.library import services as library
from app.library.api import DIAGRAM_RESPONSE, unpacked_limit
from app.library.fork_schemas import (
    ForkIn,
    ForkListOut,
    ProposalDecisionIn,
    ProposalDetailOut,
    ProposalIn,
    ProposalListOut,
    ProposalOut,
    ProposalQuery,
    TakeOverIn,
    UpstreamStatusOut,
)
from app.library.schemas import ModelOut, RevisionOut

blp = Blueprint(
    "forks", __name__, url_prefix="/api/v1", description="Forks und Änderungsvorschläge"
)

REVISION = "/models/<uuid:model_id>/revisions/<int:number>"


@blp.route(f"{REVISION}/fork", methods=["POST"])
@requires(Permission.MODEL_FORK)
@blp.arguments(ForkIn())
@blp.response(201, ModelOut)
@blp.doc(security=BEARER_SECURITY)
def fork(data: dict[str, Any], model_id: uuid.UUID, number: int):
    """Veröffentlichte Revision in die eigene Behörde übernehmen (Fork)"""
    session, actor = request_session(), current_actor()
    revision = library.get_revision(session, actor, library.get_model(session, model_id), number)
    process = get_process(session, data["process_id"]) if data.get("process_id") else None
    model = forks.fork_model(
        session,
        actor,
        revision,
        authority=_own_authority(),
        process=process,
        title=data.get("title"),
        max_bytes=unpacked_limit(),
    )
    session.commit()
    return model, 201, {"Location": url_for("models.get_model", model_id=model.id)}


@blp.route("/models/<uuid:model_id>/forks", methods=["GET"])
@public
@blp.response(200, ForkListOut)
def list_forks(model_id: uuid.UUID):
    """Forks eines Modells und wie viele Behörden es verwenden"""
    session = request_session()
    items = forks.forks_of(session, library.get_model(session, model_id))
    return {"items": items, "authority_count": len(forks.authorities_using(items))}


@blp.route("/models/<uuid:model_id>/upstream", methods=["GET"])
@public
@blp.response(200, UpstreamStatusOut)
def upstream(model_id: uuid.UUID):
    """Stand eines Forks gegenüber seinem Upstream, mit Vergleich, wenn Upstream neuer ist"""
    session = request_session()
    return forks.upstream_status(
        session, library.get_model(session, model_id), max_bytes=unpacked_limit()
    )


@blp.route("/models/<uuid:model_id>/upstream/take-over", methods=["POST"])
@requires(Permission.REVISION_CREATE)
@blp.arguments(TakeOverIn())
@blp.response(201, RevisionOut)
@blp.doc(security=BEARER_SECURITY)
def take_over(data: dict[str, Any], model_id: uuid.UUID):
    """Neuere Upstream-Revision als Entwurf in den Fork übernehmen (409, wenn Upstream weiter ist)"""
    session = request_session()
    revision = forks.take_over_upstream(
        session,
        current_actor(),
        library.get_model(session, model_id),
        upstream_number=data["upstream_number"],
        max_bytes=unpacked_limit(),
    )
    session.commit()
    location = url_for("models.get_revision", model_id=model_id, number=revision.number)
    return revision, 201, {"Location": location}


@blp.route(f"{REVISION}/proposals", methods=["POST"])
@requires(Permission.PROPOSAL_CREATE)
@blp.arguments(ProposalIn())
@blp.response(201, ProposalOut)
@blp.doc(security=BEARER_SECURITY)
def propose(data: dict[str, Any], model_id: uuid.UUID, number: int):
    """Revision eines Forks dem Upstream-Modell als Änderung vorschlagen"""
    session, actor = request_session(), current_actor()
    revision = library.get_revision(session, actor, library.get_model(session, model_id), number)
    proposal = proposals.propose(session, actor, revision, message=data["message"])
    session.commit()
    return proposal, 201, {"Location": url_for("forks.get_proposal", proposal_id=proposal.id)}


@blp.route("/proposals", methods=["GET"])
@requires(Permission.PROPOSAL_LIST)
@blp.arguments(ProposalQuery(), location="query")
@blp.response(200, ProposalListOut)
@blp.doc(security=BEARER_SECURITY)
def list_proposals(query: dict[str, Any]):
    """Änderungsvorschläge an die eigene Behörde (received) oder von ihr (sent), neueste zuerst"""
    items = proposals.list_proposals(
        request_session(), current_actor(), query["direction"], query.get("status")
    )
    return {"items": items}


@blp.route("/proposals/<uuid:proposal_id>", methods=["GET"])
@requires(Permission.PROPOSAL_READ)
@blp.response(200, ProposalDetailOut)
@blp.doc(security=BEARER_SECURITY)
def get_proposal(proposal_id: uuid.UUID):
    """Ein Änderungsvorschlag mit dem Vergleich gegen den Stand des Upstream-Modells"""
    session = request_session()
    proposal = proposals.get_proposal(session, current_actor(), proposal_id)
    compared = proposals.comparison(session, proposal, max_bytes=unpacked_limit())
    return {
        "proposal": proposal,
        "compared_with": compared.against,
        "diff": compared.diff,
    }


@blp.route("/proposals/<uuid:proposal_id>/diagram", methods=["GET"])
@requires(Permission.PROPOSAL_READ)
@blp.doc(security=BEARER_SECURITY, responses={"200": DIAGRAM_RESPONSE})
def proposal_diagram(proposal_id: uuid.UUID):
    """Das BPMN-Dokument der vorgeschlagenen Revision (auch wenn sie ein Entwurf des Forks ist)"""
    session = request_session()
    revision = proposals.get_proposal(session, current_actor(), proposal_id).source_revision
    data = library.read_blob(session, revision.blob_sha256)
    if revision.main_document is not None:
        data = analysis.main_diagram(data, filename=revision.filename, max_bytes=unpacked_limit())
    response = Response(data, content_type=analysis.XML_MEDIA_TYPE)
    response.cache_control.private, response.cache_control.max_age = True, 0
    return response


@blp.route("/proposals/<uuid:proposal_id>/decision", methods=["POST"])
@requires(Permission.PROPOSAL_DECIDE)
@blp.arguments(ProposalDecisionIn())
@blp.response(200, ProposalOut)
@blp.doc(security=BEARER_SECURITY)
def decide(data: dict[str, Any], proposal_id: uuid.UUID):
    """Vorschlag annehmen (neuer Upstream-Entwurf, dem Vorschlagenden zugeschrieben) oder ablehnen"""
    session, actor = request_session(), current_actor()
    proposal = proposals.decide_proposal(
        session,
        actor,
        proposals.get_proposal(session, actor, proposal_id),
        accept=data["accept"],
        comment=data["comment"],
        max_bytes=unpacked_limit(),
    )
    session.commit()
    return proposal


@blp.route("/proposals/<uuid:proposal_id>/withdraw", methods=["POST"])
@requires(Permission.PROPOSAL_WITHDRAW)
@blp.response(200, ProposalOut)
@blp.doc(security=BEARER_SECURITY)
def withdraw(proposal_id: uuid.UUID):
    """Eigenen offenen Vorschlag zurückziehen"""
    session, actor = request_session(), current_actor()
    proposal = proposals.withdraw_proposal(
        session, actor, proposals.get_proposal(session, actor, proposal_id)
    )
    session.commit()
    return proposal


def _own_authority() -> Authority:
    actor = current_actor()
    authority = request_session().get(Authority, actor.authority_id) if actor.authority_id else None
    if authority is None:
        raise Forbidden(_("Übernehmen können nur Mitglieder einer Behörde."))
    return authority
