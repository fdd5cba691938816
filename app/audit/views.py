"""Audit pages: the history of one object or of an authority, as a page and as a CSV download."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Flask, current_app, render_template, request, url_for
from flask_babel import force_locale

from app.audit import presentation, trail
from app.audit.models import AuditEvent
from app.authz import Permission, is_allowed, requires
from app.csvexport import csv_response
from app.db import get_database, request_session
from app.errors import NotFound
from app.i18n import _, current_language
from app.identity.auth import current_actor
from app.identity.services import get_authority

bp = Blueprint("audit", __name__)
PAGE_SIZE = 50


@bp.route("/protokoll/<string:object_type>/<uuid:object_id>")
@requires(Permission.AUDIT_READ)
def object_trail(object_type: str, object_id: uuid.UUID):
    session = request_session()
    subject = trail.readable_subject(session, current_actor(), object_type, object_id)
    return _render(subject, "audit.object_trail_csv", object_type=object_type, object_id=object_id)


@bp.route("/protokoll/<string:object_type>/<uuid:object_id>.csv")
@requires(Permission.AUDIT_READ)
def object_trail_csv(object_type: str, object_id: uuid.UUID):
    session = request_session()
    subject = trail.readable_subject(session, current_actor(), object_type, object_id)
    return _csv(subject, f"protokoll-{object_type}-{object_id}.csv")


@bp.route("/behoerden/<string:slug>/protokoll")
@requires(Permission.AUDIT_READ)
def authority_trail(slug: str):
    subject = _authority_subject(slug)
    return _render(subject, "audit.authority_trail_csv", slug=slug)


@bp.route("/behoerden/<string:slug>/protokoll.csv")
@requires(Permission.AUDIT_READ)
def authority_trail_csv(slug: str):
    subject = _authority_subject(slug)
    return _csv(subject, f"protokoll-{slug}.csv")


def _authority_subject(slug: str) -> trail.TrailSubject:
    authority = get_authority(request_session(), slug)
    subject = trail.authority_subject(authority)
    trail.require_readable(current_actor(), subject)
    return subject


def _render(subject: trail.TrailSubject, csv_endpoint: str, **csv_args: Any) -> str:
    page = trail.events_page(request_session(), current_actor(), subject, _page(), PAGE_SIZE)
    return render_template(
        "protokoll.html",
        subject=subject,
        page=page,
        csv_url=url_for(csv_endpoint, **csv_args),
        back_url=_subject_url(subject),
        describe=_describe,
    )


def _describe(event: AuditEvent) -> dict[str, Any]:
    return {
        "action": presentation.action_label(event.action),
        "object_type": presentation.object_type_label(event.object_type),
        "changes": presentation.changes(event),
        "link": _event_link(event),
    }


def _event_link(event: AuditEvent) -> str | None:
    if event.object_type not in trail.RESOLVERS:
        return None
    try:
        object_id = uuid.UUID(event.object_id)
    except ValueError:
        return None
    return url_for("audit.object_trail", object_type=event.object_type, object_id=object_id)


def _subject_url(subject: trail.TrailSubject) -> str | None:
    if subject.kind == "process":
        return url_for("web.process_page", process_id=subject.object_id)
    if subject.kind == "process_model":
        return url_for("web.model_page", model_id=subject.object_id)
    if subject.kind == "revision":
        return url_for("web.model_page", model_id=subject.revision.model_id)
    return None


def _csv(subject: trail.TrailSubject, filename: str):
    rows = _rows(current_app._get_current_object(), subject, current_language())
    return csv_response(filename, presentation.CSV_HEADER, rows)


def _rows(app: Flask, subject: trail.TrailSubject, language: str) -> Iterator[tuple[str, ...]]:
    """Read while the download is sent, in a session of its own (the request's is closed by then),
    with the labels in the language of the request."""
    with (
        app.app_context(),
        force_locale(language),
        get_database(app).session(write=False) as session,
    ):
        for event in trail.stream_events(session, subject):
            yield presentation.csv_row(event)


def _page() -> int:
    page = request.args.get("seite", "1")
    if not page.isdigit() or not 1 <= int(page) <= 100_000:
        raise NotFound(_("Diese Seite gibt es nicht."))
    return int(page)


# --- links from other pages --------------------------------------------------------------------


def object_trail_url(object_type: str, object_id: uuid.UUID, authority_id: uuid.UUID) -> str | None:
    """The trail's address if the current actor may read it (content of an authority)."""
    subject = trail.TrailSubject(object_type, object_id, "", authority_id)
    if not is_allowed(current_actor(), Permission.AUDIT_READ, subject):
        return None
    return url_for("audit.object_trail", object_type=object_type, object_id=object_id)


def authority_trail_url(authority: Any) -> str | None:
    if not is_allowed(current_actor(), Permission.AUDIT_READ, trail.authority_subject(authority)):
        return None
    return url_for("audit.authority_trail", slug=authority.slug)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals["object_trail_url"] = object_trail_url
    app.jinja_env.globals["authority_trail_url"] = authority_trail_url
