"""Every refused write request leaves an audit event, written after the request was rolled back."""

from __future__ import annotations

from flask import Flask, Response, g, request

from app.audit.services import record_refusal
from app.authz import ANONYMOUS
from app.db import SAFE_METHODS, get_database, release_request_session
from app.i18n import current_language


def _record_refused_write(response: Response) -> Response:
    if request.method in SAFE_METHODS or not 400 <= response.status_code < 500:
        return response
    release_request_session()  # nothing of the refused request may remain, and its lock must go
    problem = g.get("problem") or {}
    with get_database().transaction() as audit_session:
        record_refusal(
            audit_session,
            g.get("actor", ANONYMOUS),
            method=request.method,
            path=request.path,
            status=response.status_code,
            reason=str(problem.get("detail") or problem.get("title") or response.status),
            language=current_language(),  # the reason is kept as the client read it
        )
    return response


def init_app(app: Flask) -> None:
    app.after_request(_record_refused_write)
