"""``GET /api/v1/search``: the search with every feature of the pages."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_smorest import Blueprint

from app.authz import public
from app.cache import cached_read_for_anonymous
from app.db import request_session
from app.identity.auth import current_actor
from app.search import search_runtime
from app.search.documents import FACETS
from app.search.schemas import SearchQuery, SearchResultOut
from app.search.services import Hit, Query, SearchResult, search

blp = Blueprint("search", __name__, url_prefix="/api/v1/search", description="Volltextsuche")


@blp.route("", methods=["GET"])
@public
@cached_read_for_anonymous
@blp.arguments(SearchQuery(), location="query", as_kwargs=True)
@blp.response(200, SearchResultOut)
def search_register(q: str, page: int, per_page: int, typing: bool, facets: bool, **filters: Any):
    """Register durchsuchen (deutsch, tippfehlertolerant, mit Facetten)

    Mit Anmeldung (Token) kommen Treffer der eigenen Behörde weiter nach oben, und ihre
    unveröffentlichten Modelle werden mitgefunden.
    """
    query = Query(
        text=q,
        filters={name: str(filters[name]) for name in FACETS if filters.get(name) is not None},
        page=page,
        per_page=per_page,
        typing=typing,
        with_facets=facets,
    )
    result = search(request_session(), search_runtime(), current_actor(), query)
    return result_json(result)


def result_json(result: SearchResult) -> dict[str, Any]:
    return {
        "q": result.query.text,
        "total": result.total,
        "page": result.query.page,
        "per_page": result.query.per_page,
        "pages": result.pages,
        "relaxed": result.relaxed,
        "did_you_mean": result.did_you_mean,
        "corrections": result.corrections,
        "hits": [hit_json(hit) for hit in result.hits],
        "facets": [
            {
                "name": facet.name,
                "title": facet.title,
                "values": [vars(value) for value in facet.values],
            }
            for facet in result.facets
        ],
    }


def hit_url(hit: Hit) -> str:
    if hit.model_id:
        return url_for("web.model_page", model_id=hit.model_id)
    return url_for("web.process_page", process_id=hit.process_id)


def hit_json(hit: Hit) -> dict[str, Any]:
    return {
        "id": hit.id,
        "type": hit.type,
        "kind": hit.kind,
        "kind_label": hit.kind_label,
        "score": hit.score,
        "process_id": hit.process_id,
        "model_id": hit.model_id,
        "title": hit.title,
        "title_html": str(hit.title_html),
        "snippet_html": str(hit.snippet_html),
        "authority": {
            "id": hit.authority_id,
            "name": hit.authority_name,
            "slug": hit.authority_slug,
            "state": hit.state,
        },
        "leika_keys": hit.leika_keys,
        "ozg": {"id": hit.ozg_id, "name": hit.ozg_name} if hit.ozg_id else None,
        "responsible_unit": hit.responsible_unit,
        "required_documents": hit.required_documents,
        "fees": hit.fees,
        "legal_bases": [vars(basis) for basis in hit.legal_bases],
        "steps": hit.steps,
        "status": hit.status,
        "has_model": hit.has_model,
        "own_authority": hit.own_authority,
        "url": hit_url(hit),
    }
