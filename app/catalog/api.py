"""REST routes of processes (Steckbriefe)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import jsonify, url_for
from flask_smorest import Blueprint

from app.api.common import BEARER_SECURITY, IF_MATCH_PARAMETER, require_if_match, version_etag
from app.authz import Permission, public, requires
from app.cache import cached_read
from app.catalog import listing, services
from app.catalog.models import Process
from app.catalog.schemas import (
    ProcessIn,
    ProcessOut,
    ProcessPage,
    ProcessPatchIn,
    ProcessQuery,
    ProcessVersionListOut,
    ProcessVersionOut,
)
from app.db import request_session
from app.identity.auth import current_actor
from app.identity.services import get_authority

blp = Blueprint(
    "processes",
    __name__,
    url_prefix="/api/v1/processes",
    description="Registereinträge (Steckbriefe)",
)


def _with_etag(
    process: Process, status: int = 200, **headers: str
) -> tuple[Process, int, dict[str, str]]:
    return process, status, {"ETag": version_etag(process.version), **headers}


@blp.route("", methods=["GET"])
@public
@cached_read
@blp.arguments(ProcessQuery(), location="query", as_kwargs=True)
@blp.response(200, ProcessPage)
def list_processes(page: int, page_size: int, sort: str, **query: Any):
    """Registereinträge suchen und blättern (stabil sortiert, mit Gesamtzahl)"""
    session = request_session()
    authority = get_authority(session, query["authority"]) if "authority" in query else None
    filters = listing.ProcessFilter(
        text=query.get("q"),
        leika=query.get("leika"),
        ozg_id=query.get("ozg"),
        authority_id=authority.id if authority else None,
        kind=query.get("kind"),
        themenfeld=query.get("themenfeld"),
        lebenslage=query.get("lebenslage"),
    )
    result = listing.list_processes(session, filters, page=page, page_size=page_size, sort=sort)
    # serialised directly (see ProcessSummary.to_json): a hot path, documented by ProcessPage
    return jsonify(result.envelope([item.to_json() for item in result.items]))


@blp.route("", methods=["POST"])
@requires(Permission.PROCESS_CREATE)
@blp.arguments(ProcessIn())
@blp.response(201, ProcessOut, headers={"ETag": {"schema": {"type": "string"}}})
@blp.doc(security=BEARER_SECURITY)
def create_process(data: dict[str, Any]):
    """Registereintrag der eigenen Behörde anlegen"""
    session, actor = request_session(), current_actor()
    message = data.pop("message", None)
    authority = get_authority(session, actor.authority_id)  # type: ignore[arg-type]
    process = services.create_process(session, actor, authority, data, message=message)
    session.commit()
    location = url_for("processes.get_process", process_id=process.id)
    return _with_etag(process, 201, Location=location)


@blp.route("/<uuid:process_id>", methods=["GET"])
@public
@cached_read
@blp.response(200, ProcessOut, headers={"ETag": {"schema": {"type": "string"}}})
def get_process(process_id: uuid.UUID):
    """Einen Registereintrag lesen; das ETag nennt seine Fassung"""
    return _with_etag(services.get_process(request_session(), process_id))


@blp.route("/<uuid:process_id>", methods=["PATCH"])
@requires(Permission.PROCESS_UPDATE)
@blp.arguments(ProcessPatchIn(partial=True))
@blp.response(200, ProcessOut, headers={"ETag": {"schema": {"type": "string"}}})
@blp.doc(security=BEARER_SECURITY, parameters=[IF_MATCH_PARAMETER])
def update_process(changes: dict[str, Any], process_id: uuid.UUID):
    """Registereintrag ändern (nur mit If-Match der gelesenen Fassung)"""
    session, actor = request_session(), current_actor()
    process = services.get_process(session, process_id)
    message = changes.pop("message", None)
    require_if_match(process.version)
    services.update_process(
        session, actor, process, changes, expected_version=process.version, message=message
    )
    session.commit()
    return _with_etag(process)


@blp.route("/<uuid:process_id>/versions", methods=["GET"])
@public
@blp.response(200, ProcessVersionListOut)
def list_versions(process_id: uuid.UUID):
    """Versionsgeschichte eines Registereintrags, neueste zuerst"""
    session = request_session()
    process = services.get_process(session, process_id)
    return {"items": services.list_versions(session, process)}


@blp.route("/<uuid:process_id>/versions/<int:version>", methods=["GET"])
@public
@blp.response(200, ProcessVersionOut)
def get_version(process_id: uuid.UUID, version: int):
    """Ein Registereintrag, wie er in einer früheren Fassung war"""
    session = request_session()
    return services.get_version(session, services.get_process(session, process_id), version)
