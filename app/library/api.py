"""REST routes of process models and their revisions."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, request, url_for
from flask_smorest import Blueprint

from app.api.common import BEARER_SECURITY, UPLOAD_REQUEST_BODY, load_or_refuse, read_upload
from app.authz import Permission, public, requires
from app.bpmn.lint_rules import RULES
from app.catalog.services import get_process
from app.config import current_settings
from app.db import request_session
from app.identity.auth import current_actor
from app.library import analysis, services
from app.library.models import RevisionStatus
from app.library.schemas import (
    DiffOut,
    DiffQuery,
    LintRuleListOut,
    ModelIn,
    ModelListOut,
    ModelOut,
    RevisionDetailOut,
    RevisionListOut,
    RevisionOut,
    RevisionUploadQuery,
)

blp = Blueprint(
    "models", __name__, url_prefix="/api/v1", description="Prozessmodelle und Revisionen"
)

DIAGRAM_RESPONSE = {
    "description": "BPMN-XML",
    "content": {"application/xml": {"schema": {"type": "string", "format": "binary"}}},
}
CONTENT_RESPONSE = {
    "description": "Die hochgeladenen Bytes, unverändert",
    "content": {
        "application/xml": {"schema": {"type": "string", "format": "binary"}},
        "application/zip": {"schema": {"type": "string", "format": "binary"}},
    },
    "headers": {"ETag": {"schema": {"type": "string"}, "description": "SHA-256 des Inhalts"}},
}


@blp.route("/processes/<uuid:process_id>/models", methods=["GET"])
@public
@blp.response(200, ModelListOut)
def list_models(process_id: uuid.UUID):
    """Prozessmodelle eines Registereintrags"""
    session = request_session()
    return {"items": services.list_models(session, get_process(session, process_id))}


@blp.route("/processes/<uuid:process_id>/models", methods=["POST"])
@requires(Permission.MODEL_CREATE)
@blp.arguments(ModelIn())
@blp.response(201, ModelOut)
@blp.doc(security=BEARER_SECURITY)
def create_model(data: dict[str, Any], process_id: uuid.UUID):
    """Prozessmodell zu einem Registereintrag der eigenen Behörde anlegen"""
    session = request_session()
    process = get_process(session, process_id)
    model = services.create_model(session, current_actor(), process, **data)
    session.commit()
    return model, 201, {"Location": url_for("models.get_model", model_id=model.id)}


@blp.route("/models/<uuid:model_id>", methods=["GET"])
@public
@blp.response(200, ModelOut)
def get_model(model_id: uuid.UUID):
    """Ein Prozessmodell"""
    return services.get_model(request_session(), model_id)


@blp.route("/models/<uuid:model_id>/revisions", methods=["GET"])
@public
@blp.response(200, RevisionListOut)
def list_revisions(model_id: uuid.UUID):
    """Revisionen eines Modells, neueste zuerst (Entwürfe nur für die eigene Behörde)"""
    session = request_session()
    model = services.get_model(session, model_id)
    return {"items": services.list_revisions(session, current_actor(), model)}


@blp.route("/models/<uuid:model_id>/revisions", methods=["POST"])
@requires(Permission.REVISION_CREATE)
@blp.arguments(RevisionUploadQuery(), location="query")
@blp.response(201, RevisionOut)
@blp.doc(security=BEARER_SECURITY, requestBody=UPLOAD_REQUEST_BODY)
def upload_revision(query: dict[str, Any], model_id: uuid.UUID):
    """BPMN-Datei als neue Revision (Entwurf) hochladen: XML im Rumpf oder multipart-Feld 'file'"""
    session = request_session()
    model = services.get_model(session, model_id)
    data, filename, form = read_upload()
    params = {**query, **load_or_refuse(RevisionUploadQuery(), form)}
    revision = services.add_revision(
        session,
        current_actor(),
        model,
        services.Upload(data=data, filename=filename),
        message=params.get("message"),
        parent_number=params.get("parent"),
        max_bytes=current_settings().max_upload_bytes,
        lint_rules=current_settings().lint_rules,
    )
    session.commit()
    location = url_for("models.get_revision", model_id=model.id, number=revision.number)
    return revision, 201, {"Location": location}


@blp.route("/models/<uuid:model_id>/revisions/<int:number>", methods=["GET"])
@public
@blp.response(200, RevisionDetailOut)
def get_revision(model_id: uuid.UUID, number: int):
    """Eine Revision mit allem, was aus dem Modell gelesen wurde"""
    session = request_session()
    model = services.get_model(session, model_id)
    return services.get_revision(session, current_actor(), model, number)


@blp.route("/models/<uuid:model_id>/revisions/<int:number>/content", methods=["GET"])
@public
@blp.doc(responses={"200": CONTENT_RESPONSE, "304": {"description": "Unverändert"}})
def download_revision(model_id: uuid.UUID, number: int):
    """Die Datei einer Revision, Byte für Byte wie hochgeladen"""
    session = request_session()
    revision = services.get_revision(
        session, current_actor(), services.get_model(session, model_id), number
    )
    response = Response(
        services.read_blob(session, revision.blob_sha256), content_type=revision.media_type
    )
    response.set_etag(revision.blob_sha256)
    response.headers["Content-Disposition"] = f'attachment; filename="{revision.filename}"'
    return _cacheable(response, revision)


@blp.route("/models/<uuid:model_id>/revisions/<int:number>/diagram", methods=["GET"])
@public
@blp.doc(responses={"200": DIAGRAM_RESPONSE, "304": {"description": "Unverändert"}})
def revision_diagram(model_id: uuid.UUID, number: int):
    """Das BPMN-Dokument, das ein Viewer zeichnet: die Datei selbst oder die Hauptdatei eines ZIP"""
    session = request_session()
    revision = services.get_revision(
        session, current_actor(), services.get_model(session, model_id), number
    )
    data = services.read_blob(session, revision.blob_sha256)
    if revision.main_document is not None:
        data = analysis.main_diagram(data, filename=revision.filename, max_bytes=unpacked_limit())
    response = Response(data, content_type=analysis.XML_MEDIA_TYPE)
    response.set_etag(f"{revision.blob_sha256}-diagram")
    return _cacheable(response, revision)


def unpacked_limit() -> int:
    # a ZIP, once accepted, unpacks to more than its upload size
    return current_settings().max_upload_bytes * 4


def _cacheable(response: Response, revision: Any) -> Response:
    published = revision.status is RevisionStatus.PUBLISHED
    response.cache_control.public = published
    response.cache_control.private = not published
    response.cache_control.max_age = 300 if published else 0
    return response.make_conditional(request)


@blp.route("/diff", methods=["GET"])
@public
@blp.arguments(DiffQuery(), location="query", as_kwargs=True)
@blp.response(200, DiffOut)
def diff_revisions(old: uuid.UUID, new: uuid.UUID):
    """Semantischer Vergleich zweier Revisionen (desselben Modells oder einer Abspaltung und ihres Originals)"""
    session, actor = request_session(), current_actor()
    before, after = (
        services.get_revision_by_id(session, actor, old),
        services.get_revision_by_id(session, actor, new),
    )
    return analysis.diff(
        services.read_blob(session, before.blob_sha256),
        services.read_blob(session, after.blob_sha256),
        old_name=before.filename,
        new_name=after.filename,
        max_bytes=unpacked_limit(),
    )


@blp.route("/lint-rules", methods=["GET"])
@public
@blp.response(200, LintRuleListOut)
def lint_rules():
    """Die Modellierungsregeln und ob diese Instanz sie prüft"""
    enabled = current_settings().lint_rules
    return {"items": [{**vars(rule), "enabled": rule.id in enabled} for rule in RULES]}
