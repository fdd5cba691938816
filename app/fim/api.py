"""REST routes for XProzess 2 (FIM): import a message, export a process."""

from __future__ import annotations

import uuid

from flask import Response, request
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from app.api.common import BEARER_SECURITY
from app.authz import Permission, public, requires
from app.catalog.services import get_process
from app.config import current_settings
from app.db import request_session, utcnow
from app.errors import PayloadTooLarge, UnsupportedMediaType
from app.fim import services
from app.i18n import _
from app.identity.auth import current_actor
from app.identity.services import get_authority

blp = Blueprint("xprozess", __name__, url_prefix="/api/v1", description="XProzess 2 (FIM)")
XML_TYPES = {"application/xml", "text/xml"}
MESSAGE_BODY = {
    "required": True,
    "content": {"application/xml": {"schema": {"type": "string", "format": "binary"}}},
    "description": "Nachricht xprozess:alleInhalte.export.0303",
}
MESSAGE_RESPONSE = {
    "description": "Nachricht xprozess:alleInhalte.export.0303",
    "content": {"application/xml": {"schema": {"type": "string", "format": "binary"}}},
}


class ImportResultOut(Schema):
    created = fields.List(
        fields.String(), metadata={"description": "neu angelegte Prozesse (XProzess-IDs)"}
    )
    updated = fields.List(fields.String())
    unchanged = fields.List(fields.String())
    revisions = fields.List(
        fields.String(), metadata={"description": "Prozesse mit neuer Modellrevision"}
    )


@blp.route("/xprozess", methods=["POST"])
@requires(Permission.PROCESS_CREATE, Permission.REVISION_CREATE)
@blp.response(200, ImportResultOut)
@blp.doc(security=BEARER_SECURITY, requestBody=MESSAGE_BODY)
def import_xprozess():
    """XProzess-Nachricht in die eigene Behörde übernehmen (Steckbriefe, Modelle als Entwürfe)"""
    if request.mimetype not in XML_TYPES:
        raise UnsupportedMediaType(_("Erwartet wird eine XProzess-Nachricht als application/xml."))
    settings, session, actor = current_settings(), request_session(), current_actor()
    data = request.get_data(cache=False)
    if len(data) > settings.max_upload_bytes:
        raise PayloadTooLarge(
            _(
                "Die Nachricht ist größer als die erlaubten %(limit)s KiB.",
                limit=settings.max_upload_bytes // 1024,
            )
        )
    authority = get_authority(session, actor.authority_id)  # type: ignore[arg-type]
    result = services.import_message(
        session,
        actor,
        authority,
        data,
        max_bytes=settings.max_upload_bytes,
        lint_rules=settings.lint_rules,
    )
    session.commit()
    return result.as_dict()


@blp.route("/processes/<uuid:process_id>/xprozess", methods=["GET"])
@public
@blp.doc(responses={"200": MESSAGE_RESPONSE})
def export_xprozess(process_id: uuid.UUID):
    """Registereintrag mit seinem veröffentlichten Modell als XProzess-Nachricht"""
    session = request_session()
    process = get_process(session, process_id)
    message = services.export_process(
        session, current_actor(), process, sender=current_settings().name, now=utcnow()
    )
    response = Response(message, content_type="application/xml")
    response.headers["Content-Disposition"] = f'attachment; filename="xprozess-{process_id}.xml"'
    return response
