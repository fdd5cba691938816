"""Domain errors and their one outward shape.

Services raise the exceptions below; they know nothing of HTTP frameworks. The handlers at the end
turn them (and every werkzeug ``HTTPException``) into RFC 9457 ``application/problem+json`` for the
API and into a German error page for the browser. Unexpected exceptions become a 500 problem whose
detail never leaks internals; an unreachable database becomes a 503 with ``Retry-After``.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import psycopg
from flask import Flask, Response, current_app, g, json, redirect, render_template, request, url_for
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from app.i18n import _, _l
from app.validation_messages import translate

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:musterregister:problem:"
MACHINE_PATH_PREFIXES = ("/api/", "/federation/")
DATABASE_RETRY_AFTER_SECONDS = 5

log = logging.getLogger(__name__)

GERMAN_TITLES = {
    400: _l("Ungültige Anfrage"),
    401: _l("Anmeldung erforderlich"),
    403: _l("Keine Berechtigung"),
    404: _l("Nicht gefunden"),
    405: _l("Methode nicht erlaubt"),
    406: _l("Format nicht lieferbar"),
    409: _l("Konflikt"),
    412: _l("Veraltete Fassung"),
    413: _l("Inhalt zu groß"),
    415: _l("Medientyp nicht unterstützt"),
    422: _l("Ungültige Eingabe"),
    428: _l("Vorbedingung erforderlich"),
    429: _l("Zu viele Anfragen"),
    500: _l("Interner Fehler"),
    503: _l("Dienst nicht verfügbar"),
}


class DomainError(Exception):
    """An expected refusal with a German message; ``slug`` names the problem type."""

    status = 400
    slug = "bad-request"

    def __init__(
        self,
        detail: str,
        *,
        errors: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = dict(errors or {})
        self.headers = dict(headers or {})


class Unauthorized(DomainError):
    status, slug = 401, "unauthorized"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(
            detail or _("Für diese Aktion ist ein gültiges API-Token nötig."),
            headers={"WWW-Authenticate": 'Bearer realm="musterregister"'},
        )


class Forbidden(DomainError):
    status, slug = 403, "forbidden"


class NotFound(DomainError):
    status, slug = 404, "not-found"


class Conflict(DomainError):
    status, slug = 409, "conflict"


class PreconditionFailed(DomainError):
    status, slug = 412, "stale-version"


class PayloadTooLarge(DomainError):
    status, slug = 413, "payload-too-large"


class UnsupportedMediaType(DomainError):
    status, slug = 415, "unsupported-media-type"


class ValidationFailed(DomainError):
    status, slug = 422, "validation-error"


class PreconditionRequired(DomainError):
    status, slug = 428, "precondition-required"


def problem(
    status: int,
    *,
    slug: str | None = None,
    detail: str | None = None,
    errors: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"{PROBLEM_TYPE_PREFIX}{slug}" if slug else "about:blank",
        "title": str(GERMAN_TITLES.get(status) or HTTPStatus(status).phrase),
        "status": status,
    }
    if detail:
        body["detail"] = str(detail)
    body["instance"] = request.path
    if errors:
        body["errors"] = errors
    return body


def wants_problem_json() -> bool:
    if request.path.startswith(MACHINE_PATH_PREFIXES):
        return True
    best = request.accept_mimetypes.best_match(
        ["text/html", "application/json", PROBLEM_CONTENT_TYPE]
    )
    return best in {"application/json", PROBLEM_CONTENT_TYPE}


def _render(body: dict[str, Any], headers: Mapping[str, str] | None = None) -> Response:
    status = body["status"]
    g.problem = body  # for the audit trail of refused writes
    if wants_problem_json():
        response = Response(json.dumps(body), status=status, mimetype=PROBLEM_CONTENT_TYPE)
    else:
        response = Response(render_template("error.html", problem=body), status=status)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def handle_domain_error(error: DomainError) -> Response:
    if error.status == 401 and not wants_problem_json():  # a page that needs a login
        return redirect(url_for("identity.login_page", next=request.full_path.rstrip("?")))
    body = problem(error.status, slug=error.slug, detail=error.detail, errors=error.errors)
    return _render(body, error.headers)


def handle_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    if status == 422 and "messages" in data:  # webargs/marshmallow validation of the request
        body = problem(
            422,
            slug=ValidationFailed.slug,
            detail=_("Die Eingabe enthält Fehler; siehe 'errors'."),
            errors=translate(_flatten_webargs_messages(data["messages"])),
        )
        return _render(body)
    detail = _german_detail(error)
    headers = {k: v for k, v in error.get_headers() if k.lower() in {"allow", "retry-after"}}
    return _render(problem(status, detail=detail), headers)


def handle_unexpected_error(error: Exception) -> Response:
    log.exception("unexpected error while serving %s %s", request.method, request.path)
    return _render(problem(500, detail=_("Ein unerwarteter Fehler ist aufgetreten.")))


def handle_database_error(error: Exception) -> Response:
    """The database cannot serve now (restart, failover, lost connection): 503 with Retry-After.

    PEP 249's ``OperationalError`` is exactly that class of errors outside the program's control;
    a connection SQLAlchemy found broken counts too, and so does the driver's own error where
    code takes a raw connection from the pool (``Database.read_scalar``). The request's
    transaction did not commit (or its commit was never confirmed), so the client repeats it.
    Other database errors stay 500.
    """
    if not _database_unreachable(error):
        return handle_unexpected_error(error)
    log.warning(
        "database unreachable while serving %s %s: %s",
        request.method,
        request.path,
        _driver_message(error),
    )
    body = problem(
        503,
        slug="database-unavailable",
        detail=_(
            "Die Datenbank ist gerade nicht erreichbar. Bitte in einigen Sekunden erneut versuchen."
        ),
    )
    return _render(body, {"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)})


def _driver_message(error: Exception) -> str:
    """The driver's first message line: SQLAlchemy's own text would add the statement and its
    parameters, which may hold a token hash or personal data."""
    cause = error.orig if isinstance(error, DBAPIError) else error
    lines = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {lines[0] if lines else ''}"


def _database_unreachable(error: Exception) -> bool:
    if isinstance(error, DBAPIError):
        return error.connection_invalidated or isinstance(error, OperationalError | InterfaceError)
    return isinstance(
        error, psycopg.OperationalError | psycopg.InterfaceError | sqlite3.OperationalError
    )


def _flatten_webargs_messages(messages: Mapping[str, Any]) -> dict[str, Any]:
    """webargs nests errors by location (``json``, ``query``); clients want field names."""
    flattened: dict[str, Any] = {}
    for location_errors in messages.values():
        if isinstance(location_errors, Mapping):
            flattened.update(location_errors)
    return flattened


def _german_detail(error: HTTPException) -> str | None:
    if error.code == 404:
        return _("Diese Adresse gibt es nicht.")
    if error.code == 405:
        return _("%(method)s ist hier nicht erlaubt.", method=request.method)
    if error.code == 413:
        return _(
            "Die Anfrage überschreitet die erlaubte Größe (%(limit)s KiB für Dateien).",
            limit=_upload_limit_kib(),
        )
    if error.code == 415:
        return _("Dieser Medientyp wird hier nicht angenommen.")
    return None


def _upload_limit_kib() -> int:
    settings = current_app.extensions.get("musterregister.settings")
    return settings.max_upload_bytes // 1024 if settings else 0


def init_app(app: Flask) -> None:
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    for database_error in (DBAPIError, psycopg.Error, sqlite3.Error):
        app.register_error_handler(database_error, handle_database_error)
    app.register_error_handler(Exception, handle_unexpected_error)
