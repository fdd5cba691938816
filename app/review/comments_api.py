"""REST routes of comments on revisions: read the threads, write a comment or a reply."""

from __future__ import annotations

import uuid
from typing import Any

from flask_smorest import Blueprint

from app.api.common import BEARER_SECURITY
from app.authz import Permission, public, requires
from app.db import request_session
from app.identity.auth import current_actor
from app.library import services as library
from app.review import comments, services
from app.review.schemas import CommentCreateIn, CommentListOut, CommentOut, ThreadListOut

blp = Blueprint("comments", __name__, url_prefix="/api/v1", description="Kommentare zu Revisionen")

COMMENTS = "/models/<uuid:model_id>/revisions/<int:number>/comments"


@blp.route(COMMENTS, methods=["GET"])
@public
@blp.response(200, ThreadListOut)
def list_threads(model_id: uuid.UUID, number: int):
    """Die Kommentare einer Revision als Gesprächsfäden, älteste zuerst"""
    session, actor = request_session(), current_actor()
    revision = services.revision_of(session, actor, model_id, number)
    return {"items": comments.threads(session, actor, revision)}


@blp.route(COMMENTS, methods=["POST"])
@requires(Permission.COMMENT_CREATE)
@blp.arguments(CommentCreateIn())
@blp.response(201, CommentOut)
@blp.doc(security=BEARER_SECURITY)
def add_comment(data: dict[str, Any], model_id: uuid.UUID, number: int):
    """Kommentieren oder antworten, auf Wunsch an ein BPMN-Element geheftet (Markdown)"""
    session, actor = request_session(), current_actor()
    revision = services.revision_of(session, actor, model_id, number)
    parent = comments.parent_for(session, actor, revision, data["parent_id"])
    comment = comments.add_comment(
        session, actor, revision, data["body"], parent=parent, element_id=data["element_id"]
    )
    session.commit()
    return comment


@blp.route("/models/<uuid:model_id>/comments", methods=["GET"])
@public
@blp.response(200, CommentListOut)
def list_model_comments(model_id: uuid.UUID):
    """Alle Kommentare eines Modells über die Revisionen, die Sie sehen dürfen"""
    session = request_session()
    model = library.get_model(session, model_id)
    return {"items": comments.comments_of_model(session, current_actor(), model)}
