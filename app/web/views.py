"""Server-rendered pages (German). They call the same services as the API."""

from __future__ import annotations

import uuid

from flask import Blueprint, Flask, abort, render_template, request

from app.authz import ANONYMOUS, declare_public_endpoint, public
from app.catalog import listing
from app.catalog import services as catalog
from app.catalog.models import ProcessKind
from app.config import current_settings
from app.db import request_session
from app.errors import DomainError, NotFound
from app.i18n import _
from app.identity import services as identity
from app.identity.auth import current_actor
from app.identity.models import GERMAN_STATES
from app.library import services as library
from app.library.views import model_context, process_context
from app.pagination import DEFAULT_PAGE_SIZE
from app.peering import peers
from app.review.comments_views import comment_section
from app.review.workflow import may_submit

bp = Blueprint("web", __name__)


@bp.route("/")
@public
def index():
    session = request_session()
    return render_template(
        "index.html",
        groups=listing.catalogue_overview(session),
        figures=library.register_figures(session),
        musterprozesse=library.processes_with_published_models(session, ProcessKind.CATALOGUE),
    )


@bp.route("/katalog")
@public
def catalogue():
    session = request_session()
    filters = listing.ProcessFilter(
        text=_query_text("q"),
        themenfeld=_query_text("themenfeld"),
        lebenslage=_query_text("lebenslage"),
        leika=_digits("leika", 14),
        kind=ProcessKind.CATALOGUE if request.args.get("nur") == "musterprozesse" else None,
    )
    page = listing.list_processes(
        session, filters, page=_page_number(), page_size=DEFAULT_PAGE_SIZE
    )
    return render_template(
        "catalogue.html",
        page=page,
        filters=filters,
        model_counts=library.model_counts(session, [process.id for process in page.items]),
        themenfelder=listing.themenfelder(session),
        lebenslagen=listing.lebenslagen(session, filters.themenfeld),
    )


@bp.route("/prozesse/<uuid:process_id>")
@public
def process_page(process_id: uuid.UUID):
    session, actor = request_session(), current_actor()
    process = catalog.get_process(session, process_id)
    models = [
        (model, library.latest_visible_revision(session, actor, model))
        for model in library.list_models(session, process)
    ]
    shown = next(((model, revision) for model, revision in models if revision), None)
    return render_template(
        "process.html",
        process=process,
        models=models,
        shown=shown,
        versions=catalog.list_versions(session, process)[:10],
        **process_context(session, [model for model, _revision in models]),
    )


@bp.route("/modelle/<uuid:model_id>")
@public
def model_page(model_id: uuid.UUID):
    session, actor = request_session(), current_actor()
    model = library.get_model(session, model_id)
    revisions = library.list_revisions(session, actor, model)
    return render_template(
        "model.html",
        model=model,
        revisions=revisions,
        shown=revisions[0] if revisions else None,
        submittable={r.number for r in revisions if may_submit(actor, r)},
        **model_context(session, actor, model, revisions),
        comments=comment_section(session, actor, revisions[0]) if revisions else None,
        origin=peers.origin_name(session, model.origin_instance),
    )


@bp.route("/behoerden")
@public
def authorities():
    session = request_session()
    page = identity.list_authorities(
        session, text=_query_text("q"), page=_page_number(), page_size=50
    )
    return render_template(
        "authorities.html", page=page, query=_query_text("q"), states=GERMAN_STATES
    )


@bp.route("/behoerden/<string:slug>")
@public
def authority_page(slug: str):
    session = request_session()
    authority = identity.get_authority(session, slug)
    page = listing.list_processes(
        session,
        listing.ProcessFilter(authority_id=authority.id),
        page=_page_number(),
        page_size=DEFAULT_PAGE_SIZE,
    )
    return render_template("authority.html", authority=authority, page=page, states=GERMAN_STATES)


@bp.route("/healthz")
@public
def healthz():
    """Liveness: the process answers. Readiness (database, index) is a separate check."""
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}


@bp.route("/api/v1/docs")
@public
def api_docs():
    return render_template("api_docs.html")


def _query_text(name: str) -> str | None:
    value = request.args.get(name, "").strip()
    return value[:200] or None


def _digits(name: str, max_length: int) -> str | None:
    value = _query_text(name)
    if value is None:
        return None
    if not value.isdigit() or len(value) > max_length:
        abort(400)
    return value


def _page_number() -> int:
    page = request.args.get("seite", "1")
    if not page.isdigit() or not 1 <= int(page) <= 100_000:
        raise NotFound(_("Diese Seite gibt es nicht."))
    return int(page)


def _page_context() -> dict[str, object]:
    """Who is logged in and whether this is a demo, for the header of every page."""
    try:
        actor = current_actor()
    except DomainError:  # e.g. an invalid token while an error page is rendered
        actor = ANONYMOUS
    settings = current_settings()
    return {"actor": actor, "demo": settings.demo, "base_url": settings.base_url.rstrip("/")}


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    declare_public_endpoint(app, "static")
    app.context_processor(_page_context)
    app.jinja_env.globals["states"] = GERMAN_STATES
    app.jinja_env.filters["de_number"] = _german_number
    app.jinja_env.filters["de_date"] = _german_date


def _german_number(value: float | int | None) -> str:
    if value is None:
        return "–"
    text = (
        f"{value:,.1f}"
        if isinstance(value, float) and not value.is_integer()
        else f"{int(value):,}"
    )
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def _german_date(value) -> str:
    return value.strftime("%d.%m.%Y %H:%M") + " UTC" if value else "–"
