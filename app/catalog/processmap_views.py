"""Process map pages (Prozesslandkarte) of the register and of one authority, with CSV downloads."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from flask import Blueprint, Flask, render_template, request, url_for

from app.authz import public
from app.catalog import processmap
from app.catalog.processmap import MapScope
from app.config import current_settings
from app.csvexport import csv_response
from app.db import request_session
from app.errors import DomainError, NotFound
from app.i18n import _, _l
from app.identity.auth import current_actor
from app.identity.models import Authority
from app.identity.services import get_authority

bp = Blueprint("processmap", __name__)

STATUS_LABELS = {
    processmap.PUBLISHED: _l("veröffentlicht"),
    processmap.MODELLED: _l("Modell vorhanden"),
    processmap.WITHOUT: _l("ohne Modell"),
    processmap.FORK: _l("Fork"),
}
CSV_HEADER = (
    "Themenfeld",
    "Lebenslage",
    "Prozess",
    "Behörde",
    "Art",
    "Modellstatus",
    "Fork",
    "Spiegel",
    "OZG-Leistung",
    "Adresse",
)


@bp.route("/prozesslandkarte")
@public
def register_map():
    return _render(None)


@bp.route("/behoerden/<string:slug>/prozesslandkarte")
@public
def authority_map(slug: str):
    return _render(get_authority(request_session(), slug))


@bp.route("/prozesslandkarte.csv")
@public
def register_csv():
    return _csv(None, "prozesslandkarte-register.csv")


@bp.route("/behoerden/<string:slug>/prozesslandkarte.csv")
@public
def authority_csv(slug: str):
    authority = get_authority(request_session(), slug)
    return _csv(authority, f"prozesslandkarte-{authority.slug}.csv")


def _scope(authority: Authority | None) -> MapScope:
    status = request.args.get("status") or None
    if status is not None and status not in processmap.FILTERS:
        raise DomainError(
            _("Unbekannter Status: erlaubt sind veroeffentlicht, modell, ohne und fork.")
        )
    themenfeld = (request.args.get("themenfeld") or "").strip()[:200] or None
    return MapScope(
        authority_id=authority.id if authority else None, themenfeld=themenfeld, status=status
    )


def _render(authority: Authority | None):
    session, actor = request_session(), current_actor()
    scope = _scope(authority)
    result = processmap.process_map(session, actor, scope)
    if scope.themenfeld is not None and scope.themenfeld not in result.all_themenfelder:
        raise NotFound(_("Dieses Themenfeld gibt es auf der Prozesslandkarte nicht."))
    endpoint, args = _endpoint(authority)
    return render_template(
        "prozesslandkarte.html",
        authority=authority,
        result=result,
        scope=scope,
        labels=STATUS_LABELS,
        statuses=processmap.STATUSES,
        filters=processmap.FILTERS,
        endpoint=endpoint,
        endpoint_args=args,
        map_url=functools.partial(_map_url, endpoint, args),
        csv_url=url_for(f"processmap.{'authority' if authority else 'register'}_csv", **args),
    )


def _endpoint(authority: Authority | None) -> tuple[str, dict[str, str]]:
    if authority is None:
        return "processmap.register_map", {}
    return "processmap.authority_map", {"slug": authority.slug}


def _map_url(endpoint: str, args: dict[str, str], status: str | None, themenfeld: str | None):
    query = {key: value for key, value in (("themenfeld", themenfeld), ("status", status)) if value}
    return url_for(endpoint, **args, **query)


def _csv(authority: Authority | None, filename: str):
    session, actor = request_session(), current_actor()
    scope = _scope(authority)
    base = current_settings().base_url.rstrip("/")
    rows = processmap.map_rows(session, actor, scope)
    return csv_response(filename, CSV_HEADER, _csv_rows(rows, base))


def _csv_rows(rows: Iterable[Sequence[Any]], base: str) -> Iterator[Sequence[Any]]:
    for pid, title, kind, authority, themenfeld, lebenslage, status, fork, mirror, ozg in rows:
        yield (
            themenfeld,
            lebenslage,
            title,
            authority,
            "Musterprozess" if kind == "catalogue" else "Registereintrag",
            str(STATUS_LABELS[status]),
            bool(fork),
            bool(mirror),
            ozg,
            f"{base}/prozesse/{pid}",
        )


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals["map_status_labels"] = STATUS_LABELS
