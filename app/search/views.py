"""Search pages: ``/suche`` for everyone, ``/115`` for the agents of 115 service centres, and the
synonym administration of register admins. They call the same services as ``GET /api/v1/search``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict
from wtforms import HiddenField, StringField, TextAreaField

from app.authz import Permission, public, requires
from app.db import request_session
from app.errors import NotFound, ValidationFailed
from app.i18n import _, _l
from app.identity.auth import current_actor
from app.identity.models import GERMAN_STATES
from app.pagination import Page
from app.search import search_runtime
from app.search import synonym_admin as synonyms
from app.search.api import hit_url
from app.search.documents import FACETS
from app.search.schemas import SearchQuery
from app.search.services import (
    FACET_TITLES,
    MAX_QUERY_LENGTH,
    Facet,
    InvalidSearch,
    Query,
    SearchResult,
    printable,
    search,
)
from app.validation_messages import translate

bp = Blueprint("search_pages", __name__)
admin_bp = Blueprint("search_admin", __name__, url_prefix="/verwaltung/synonyme")

PAGE_SIZE = 10
FACET_VALUES_SHOWN = 8
SYNONYMS_PER_PAGE = 50
PAGE_ARGUMENTS = ("q", "seite")
ARGUMENT_LABELS = {"q": _l("Suchtext"), "page": _l("Seite"), **FACET_TITLES}
_QUERY_SCHEMA = SearchQuery(partial=("q",))


# --- /suche ----------------------------------------------------------------------------------


@bp.route("/suche")
@public
def search_page():
    text, query = _search_query(request.args)
    result = None
    if query is not None:
        result = search(request_session(), search_runtime(), current_actor(), query)
    return render_template(
        "suche.html",
        text=text,
        result=result,
        facets=_visible_facets(result),
        active_filters=_active_filters(result),
        facet_values_shown=FACET_VALUES_SHOWN,
        search_url=search_url,
        hit_url=hit_url,
        max_length=MAX_QUERY_LENGTH,
    )


@bp.route("/115")
@public
def hotline():
    return render_template("hotline.html", max_length=MAX_QUERY_LENGTH)


def _search_query(args: MultiDict[str, str]) -> tuple[str, Query | None]:
    """What was asked for, checked like the API checks it; a bad address is a 400, never a 500."""
    unknown = sorted(set(args) - {*PAGE_ARGUMENTS, *FACETS})
    if unknown:
        names = ", ".join(name[:40] for name in unknown)
        raise InvalidSearch(
            _("Unbekannter Filter: %(names)s.", names=names), errors={"filter": [names]}
        )
    repeated = sorted(name for name in args if len(args.getlist(name)) > 1)
    if repeated:
        raise InvalidSearch(_("Jede Angabe nur einmal: %(names)s.", names=", ".join(repeated)))
    text = printable(args.get("q", "")).strip()
    data: dict[str, str] = {name: args[name].strip() for name in FACETS if args.get(name, "")}
    data["page"] = args.get("seite", "1")
    if text:
        data["q"] = text
    try:
        loaded = _QUERY_SCHEMA.load(data)
    except ValidationError as error:
        raise _invalid(error.messages) from None
    if not text:
        return text, None
    filters = {name: str(loaded[name]) for name in FACETS if loaded.get(name) is not None}
    try:
        return text, Query(text=text, filters=filters, page=loaded["page"], per_page=PAGE_SIZE)
    except InvalidSearch as error:
        raise _invalid(error.errors) from None


def _invalid(messages: Any) -> InvalidSearch:
    errors = translate(messages) if isinstance(messages, Mapping) else {"q": [str(messages)]}
    parts = [
        f"{ARGUMENT_LABELS.get(name, name)}: {' '.join(map(str, problems))}"
        for name, problems in errors.items()
    ]
    return InvalidSearch(
        _("Die Suchanfrage ist ungültig. %(problems)s", problems=" ".join(parts)), errors=errors
    )


def search_url(**changes: str | int | None) -> str:
    """This search with ``changes`` (None removes an argument); other filters go to page 1."""
    params = {name: value for name, value in request.args.items() if value}
    params.pop("seite", None)
    for name, value in changes.items():
        if value is None:
            params.pop(name, None)
        else:
            params[name] = str(value)
    if params.get("seite") == "1":
        params.pop("seite")
    return url_for("search_pages.search_page", **params)


def _visible_facets(result: SearchResult | None) -> list[Facet]:
    """Facets that can narrow the hits: one value all hits share narrows nothing."""
    if result is None:
        return []
    return [
        facet
        for facet in result.facets
        if any(value.selected for value in facet.values)
        or len(facet.values) > 1
        or (facet.values and facet.values[0].count < result.total)
    ]


def _active_filters(result: SearchResult | None) -> list[tuple[str, str, str]]:
    """(facet, title, label) of every selected filter, for "Filter entfernen"."""
    if result is None:
        return []
    labels = {("state", key): name for key, name in GERMAN_STATES.items()}
    labels.update(
        {
            (facet.name, value.value): value.label
            for facet in result.facets
            for value in facet.values
        }
    )
    return [
        (name, str(FACET_TITLES[name]), labels.get((name, value), value))
        for name, value in result.query.filters.items()
    ]


# --- /verwaltung/synonyme --------------------------------------------------------------------


class SynonymForm(FlaskForm):
    term = StringField(
        _l("Begriff"), render_kw={"maxlength": synonyms.MAX_TERM_CHARS, "autocomplete": "off"}
    )
    replacements = TextAreaField(_l("Ersetzungen"), render_kw={"rows": 4})


class SynonymActionForm(FlaskForm):
    term = HiddenField()


@admin_bp.route("", methods=["GET"])
@requires(Permission.SEARCH_SYNONYMS_MANAGE)
def synonym_list():
    form = SynonymForm()
    term = (request.args.get("begriff") or "").strip()[: synonyms.MAX_TERM_CHARS]
    if term:
        _prefill(form, term)
    return _render_synonyms(form)


@admin_bp.route("", methods=["POST"])
@requires(Permission.SEARCH_SYNONYMS_MANAGE)
def synonym_save():
    actor = current_actor()
    form = SynonymForm()
    if form.validate_on_submit():
        session = request_session()
        try:
            saved = synonyms.save_synonym(
                session, actor, form.term.data or "", form.replacements.data or ""
            )
        except ValidationFailed as error:
            form.term.errors = list(error.errors.get("term", []))
            form.replacements.errors = list(error.errors.get("replacements", []))
            return _render_synonyms(form, status=422)
        session.commit()
        flash(
            _(
                "Der Eintrag „%(term)s“ ist gespeichert. Die Suche verwendet ihn ab sofort.",
                term=saved.term,
            )
        )
        return redirect(url_for("search_admin.synonym_list", q=saved.term))
    return _render_synonyms(form, status=422)


@admin_bp.route("/abschalten", methods=["POST"])
@requires(Permission.SEARCH_SYNONYMS_MANAGE)
def synonym_switch_off():
    actor = current_actor()
    term = _action_term()
    session = request_session()
    entry = synonyms.switch_off(session, actor, term)
    session.commit()
    if entry is None:
        flash(_("Der Eintrag „%(term)s“ ist entfernt.", term=term))
    else:
        flash(
            _(
                "„%(term)s“ ist abgeschaltet: Die Suche erweitert den Begriff nicht mehr.",
                term=entry.term,
            )
        )
    return redirect(url_for("search_admin.synonym_list", q=entry.term if entry else None))


@admin_bp.route("/wiederherstellen", methods=["POST"])
@requires(Permission.SEARCH_SYNONYMS_MANAGE)
def synonym_restore():
    actor = current_actor()
    term = _action_term()
    session = request_session()
    entry = synonyms.restore(session, actor, term)
    session.commit()
    flash(_("„%(term)s“ gilt wieder so, wie er mitgeliefert wird.", term=entry.term))
    return redirect(url_for("search_admin.synonym_list", q=entry.term))


def _action_term() -> str:
    form = SynonymActionForm()
    if not form.validate_on_submit() or not (form.term.data or "").strip():
        raise NotFound(_("Diesen Eintrag gibt es in der Synonymliste nicht."))
    return form.term.data.strip()[: synonyms.MAX_TERM_CHARS * 2]


def _prefill(form: SynonymForm, term: str) -> None:
    try:
        entry = synonyms.get_synonym(request_session(), current_actor(), term)
    except NotFound:
        form.term.data = term
        return
    form.term.data = entry.term
    form.replacements.data = "\n".join(entry.replacements or entry.shipped or ())


def _render_synonyms(form: SynonymForm, status: int = 200):
    text = (request.args.get("q") or "").strip()[:100]
    origin = _origin(request.args.get("herkunft"))
    entries = synonyms.list_synonyms(request_session(), current_actor(), text=text, origin=origin)
    number = _page_number(len(entries))
    start = (number - 1) * SYNONYMS_PER_PAGE
    page = Page(entries[start : start + SYNONYMS_PER_PAGE], len(entries), number, SYNONYMS_PER_PAGE)
    return render_template(
        "admin_synonyme.html",
        form=form,
        page=page,
        query=text,
        origin=origin,
        origins=list(synonyms.Origin),
        limits=synonyms,
    ), status


def _origin(value: str | None) -> synonyms.Origin | None:
    try:
        return synonyms.Origin(value) if value else None
    except ValueError:
        return None


def _page_number(total: int) -> int:
    raw = request.args.get("seite", "1")
    pages = max(1, -(-total // SYNONYMS_PER_PAGE))
    return min(int(raw), pages) if raw.isdigit() and int(raw) > 0 else 1


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(admin_bp)
