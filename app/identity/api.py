"""REST routes of authorities."""

from __future__ import annotations

from flask_smorest import Blueprint

from app.authz import public
from app.db import request_session
from app.identity import services
from app.identity.schemas import AuthorityOut, AuthorityPage, AuthorityQuery

blp = Blueprint("authorities", __name__, url_prefix="/api/v1/authorities", description="Behörden")


@blp.route("", methods=["GET"])
@public
@blp.arguments(AuthorityQuery(), location="query", as_kwargs=True)
@blp.response(200, AuthorityPage)
def list_authorities(page: int, page_size: int, q: str | None = None, **filters: str):
    """Behörden auflisten"""
    return services.list_authorities(
        request_session(), text=q, page=page, page_size=page_size, **filters
    )


@blp.route("/<string:key>", methods=["GET"])
@public
@blp.response(200, AuthorityOut)
def get_authority(key: str):
    """Eine Behörde (nach ID oder Kürzel)"""
    return services.get_authority(request_session(), key)
